"""The items list's admin (`review.admin.DossierItemAdmin`) on the admin's world: no add page,
attachments read-only, search by relation number and subject, the import filter, and a query
count that does not grow with the items."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossier import models
from imports.models import ImportJob
from tests.dossier.test_admin import admin_url
from tests.factories import ContactFactory, RelationFactory, plain_item


def test_it_offers_no_add_page_for_dossier_items(root_client, world):
    # New items get their number and their type's rules only through ItemSpec paths.
    assert root_client.get(admin_url(models.DossierItem, "add")).status_code == 403


def test_it_shows_attachments_of_an_item_read_only(root_client, world):
    response = root_client.get(admin_url(models.DossierItem, "change", world["item"].pk))

    attachment = world["item"].attachments.get()
    assert (
        f'<a href="{reverse("dossier:attachment-download", args=[attachment.pk])}" class="file-download" download>'
        "20001_letter.pdf</a>" in response.text
    )
    assert "ab" * 32 in response.text
    assert reverse("dossier:item-detail", args=[world["item"].pk]) in response.text
    assert 'name="attachments-0-original_name"' not in response.text


def test_it_finds_dossier_items_by_relation_number(root_client, world, root):
    other = plain_item(world["item_type"], 2, root, relation=RelationFactory(number="10999"))

    response = root_client.get(admin_url(models.DossierItem, "changelist"), {"q": "10999"})

    assert list(response.context["cl"].result_list) == [other]


def test_it_finds_dossier_items_by_subject(root_client, world, root):
    other = plain_item(world["item_type"], 2, root)
    other.subject = "Late delivery"
    other.save()

    response = root_client.get(admin_url(models.DossierItem, "changelist"), {"q": "late deliv"})

    assert list(response.context["cl"].result_list) == [other]


def test_it_filters_dossier_items_by_import_job(root_client, world, root):
    plain_item(world["item_type"], 2, root)

    response = root_client.get(admin_url(models.DossierItem, "changelist"), {"import_job__id__exact": world["job"].pk})

    assert list(response.context["cl"].result_list) == [world["item"]]
    assert "complaints.csv" in response.text


def test_it_lists_dossier_items_in_a_fixed_number_of_queries(root_client, world, root):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert root_client.get(admin_url(models.DossierItem, "changelist")).status_code == 200
        return len(queries)

    before = count()
    for number in range(2, 12):
        job = ImportJob.objects.create(user=root, item_type=world["item_type"], file_name=f"{number}.csv")
        plain_item(
            world["item_type"], number, root, relation=RelationFactory(), contact=ContactFactory(), import_job=job
        )

    assert count() == before
