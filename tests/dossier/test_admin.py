"""The admin: every registered model's pages render for root, item types say whether they
can be imported (R5), lists stay at a fixed number of queries, and only staff get in."""

import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossier import models
from imports.models import ImportJob
from tests.factories import (
    CharacteristicValueFactory,
    ContactFactory,
    EmployeeFactory,
    FreeFieldFactory,
    ItemTypeFactory,
    RelationFactory,
    UserFactory,
    plain_item,
)

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)
# Models the admin world (tests/conftest.py) leaves empty on purpose: only the task worker
# writes task results, only a failed sign-in an access attempt (tests/test_visibility.py and
# tests/accounts/test_signin.py render its pages).
WITHOUT_DATA = {"django_tasks_database.dbtaskresult", "axes.accessattempt"}


def admin_url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }
    return tmp_path


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label_lower)
def test_it_renders_the_changelist_of_every_model(root_client, world, model):
    response = root_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label_lower)
def test_it_renders_the_add_page_where_adding_is_allowed(root_client, world, rf, root, model):
    request = rf.get("/")
    request.user = root
    may_add = admin.site._registry[model].has_add_permission(request)

    response = root_client.get(admin_url(model, "add"))

    assert response.status_code == (200 if may_add else 403)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label_lower)
def test_it_renders_the_change_page_of_every_model_with_data(root_client, world, model):
    obj = model._default_manager.first()
    if obj is None:
        assert model._meta.label_lower in WITHOUT_DATA, "the world fixture should hold one of these"
        return

    response = root_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200
    assert str(obj) in response.text


def test_it_shows_why_a_type_without_destination_cannot_be_imported(root_client, db):
    memo = ItemTypeFactory(code="MEMO", name="Memo", relation_state=models.FieldState.HIDDEN)

    change = root_client.get(admin_url(models.ItemType, "change", memo.pk))
    listing = root_client.get(admin_url(models.ItemType, "changelist"))

    assert "No. No destination is possible" in change.text
    assert "no: No destination is possible" in listing.text


def test_it_shows_that_a_type_with_a_destination_can_be_imported(root_client, db):
    letter = ItemTypeFactory(code="LETTER", relation_state=models.FieldState.REQUIRED)

    change = root_client.get(admin_url(models.ItemType, "change", letter.pk))

    assert "Yes: items of this type can be imported." in change.text
    assert "No destination is possible" not in change.text


def test_it_shows_an_inactive_type_cannot_be_imported(root_client, db):
    old = ItemTypeFactory(code="OLD", is_active=False)

    change = root_client.get(admin_url(models.ItemType, "change", old.pk))

    assert "No. The type is inactive." in change.text


@pytest.mark.parametrize(("code", "refused"), [("subject", False), ("free_Salaris", False), ("nosuchfield", True)])
def test_a_profiles_page_may_name_only_fields_of_its_type(root_client, db, code, refused):
    own = ItemTypeFactory(code="OWN", kind=models.ItemType.Kind.OWN)
    FreeFieldFactory(item_type=own, code="Salaris")
    profile = models.CreationProfile.objects.create(item_type=own, code="NEW", name="New")
    line = models.CreationProfileField.objects.create(profile=profile, field_code="text", position=1)
    url = admin_url(models.CreationProfile, "change", profile.pk)
    data = _form_data(root_client.get(url))
    data["fields-0-field_code"] = code
    data["fields-TOTAL_FORMS"] = 1  # without the empty extra line

    response = root_client.post(url, data)

    line.refresh_from_db()
    if refused:
        assert response.status_code == 200
        assert response.context["inline_admin_formsets"][0].formset.errors[0] == {
            "field_code": [f"The type has no field {code}."]
        }
        assert line.field_code == "text"
    else:
        assert response.status_code == 302
        assert line.field_code == code


def test_it_offers_free_fields_only_on_own_types(root_client, db):
    own = ItemTypeFactory(code="OWN", kind=models.ItemType.Kind.OWN)
    system = ItemTypeFactory(code="SYS", kind=models.ItemType.Kind.SYSTEM)

    assert 'id="free_fields-group"' in root_client.get(admin_url(models.ItemType, "change", own.pk)).text
    assert 'id="free_fields-group"' not in root_client.get(admin_url(models.ItemType, "change", system.pk)).text


def test_it_offers_only_the_values_of_the_types_characteristic_in_combinations(root_client, db):
    own_value = CharacteristicValueFactory(code="MINE", label="Mine value")
    CharacteristicValueFactory(code="OTHER", label="Other value")
    item_type = ItemTypeFactory(use_characteristics=True, characteristic_1=own_value.characteristic)

    response = root_client.get(admin_url(models.ItemType, "change", item_type.pk))

    form = response.context["inline_admin_formsets"][-1].formset.empty_form
    assert list(form.fields["value_1"].queryset) == [own_value]
    assert [label for _pk, label in form.fields["value_1"].choices][1:] == ["Mine value"]  # by its label


def test_a_new_types_combinations_name_each_value_with_its_characteristic(root_client, db):
    CharacteristicValueFactory(label="Hoog", characteristic__name="Ernst")
    CharacteristicValueFactory(label="Hoog", characteristic__name="Urgentie")

    response = root_client.get(admin_url(models.ItemType, "add"))

    form = response.context["inline_admin_formsets"][-1].formset.empty_form
    assert sorted(label for _pk, label in form.fields["value_1"].choices)[1:] == ["Ernst: Hoog", "Urgentie: Hoog"]


def test_it_refuses_a_last_number_below_an_existing_item(root_client, root, db):
    item_type = ItemTypeFactory(code="NUM", last_number=5)
    plain_item(item_type, 5, root)
    page = root_client.get(admin_url(models.ItemType, "change", item_type.pk))
    data = _form_data(page)
    data["last_number"] = "3"

    response = root_client.post(admin_url(models.ItemType, "change", item_type.pk), data)

    assert response.status_code == 200
    assert "Items up to number 5 exist" in response.text
    item_type.refresh_from_db()
    assert item_type.last_number == 5


def test_it_saves_an_item_type_edited_in_the_admin(root_client, db):
    item_type = ItemTypeFactory(code="EDIT", contact_state=models.FieldState.HIDDEN)
    data = _form_data(root_client.get(admin_url(models.ItemType, "change", item_type.pk)))
    data["contact_state"] = models.FieldState.ONE_OF

    response = root_client.post(admin_url(models.ItemType, "change", item_type.pk), data)

    assert response.status_code == 302
    item_type.refresh_from_db()
    assert item_type.contact_state == models.FieldState.ONE_OF


def _form_data(response) -> dict:
    """The POST data of an admin change form as rendered, inline management forms included."""
    data = {}
    admin_form = response.context["adminform"].form
    for name in admin_form.fields:
        value = admin_form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        else:
            data[name] = "on" if value is True else str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value not in (None, False):
                    data[form.add_prefix(name)] = "on" if value is True else str(value)
    return data


def test_it_finds_relations_by_number(root_client, db):
    RelationFactory(number="10001", name="Jan Jansen")
    RelationFactory(number="10002", name="Piet Pietersen")

    response = root_client.get(admin_url(models.Relation, "changelist"), {"q": "10001"})

    assert "Jan Jansen" in response.text
    assert "Piet Pietersen" not in response.text


def test_it_filters_relations_by_role(root_client, db):
    EmployeeFactory(relation=RelationFactory(name="Jan Jansen"))
    RelationFactory(name="Piet Pietersen")

    response = root_client.get(admin_url(models.Relation, "changelist"), {"role": "employee"})

    assert "Jan Jansen" in response.text
    assert "Piet Pietersen" not in response.text


def test_it_lists_a_relations_contacts_and_roles(root_client, world):
    response = root_client.get(admin_url(models.Relation, "change", world["organisation"].pk))

    assert "30001 Jan Jansen (Acme)" in response.text
    assert 'value="D20001"' in response.text


@pytest.mark.parametrize(
    ("model", "grow"),
    [
        (models.Relation, lambda n: [EmployeeFactory() for _ in range(n)]),
        (models.Contact, lambda n: [ContactFactory() for _ in range(n)]),
        (models.Employee, lambda n: [EmployeeFactory() for _ in range(n)]),
        (
            models.CreationProfile,
            lambda n: [models.CreationProfile.objects.create(item_type=ItemTypeFactory(), code="P") for _ in range(n)],
        ),
        (
            ImportJob,
            lambda n: [ImportJob.objects.create(user=UserFactory(), item_type=ItemTypeFactory()) for _ in range(n)],
        ),
    ],
    ids=lambda value: value._meta.model_name if hasattr(value, "_meta") else "",
)
def test_it_lists_a_model_in_a_fixed_number_of_queries(root_client, world, model, grow):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert root_client.get(admin_url(model, "changelist")).status_code == 200
        return len(queries)

    before = count()
    grow(10)

    assert count() == before


def test_it_serves_a_document_template_to_staff_only(root_client, client, charlie, private_storage, db):
    template = models.DocumentTemplate(code="DOC", name="Contract")
    template.file.save("contract.docx", ContentFile(b"docx bytes"))
    url = reverse("admin:dossier_documenttemplate_download", args=[template.pk])

    page = root_client.get(admin_url(models.DocumentTemplate, "change", template.pk))
    response = root_client.get(url)

    assert f'href="{url}"' in page.text
    assert b"".join(response.streaming_content) == b"docx bytes"
    client.force_login(charlie)
    assert client.get(url).status_code == 302


def test_it_sends_a_non_staff_user_to_the_login_page(client, charlie):
    client.force_login(charlie)
    url = admin_url(models.Relation, "changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get(admin_url(models.ItemType, "changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_refuses_import_to_staff_who_may_only_view(client, db):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_relation"))
    client.force_login(viewer)

    listing = client.get(admin_url(models.Relation, "changelist"))
    response = client.post(
        admin_url(models.Relation, "import"), {"format": "0", "import_file": io.BytesIO(b"number,kind,name\n")}
    )

    assert listing.status_code == 200
    assert admin_url(models.Relation, "import") not in listing.text
    assert admin_url(models.Relation, "export") not in listing.text  # needs export_master_data
    assert response.status_code == 403


def test_it_shows_an_import_job_read_only(root_client, world):
    response = root_client.get(admin_url(ImportJob, "change", world["job"].pk))

    assert "complaints.csv" in response.text
    assert 'name="file_name"' not in response.text
    assert f"?import_job__id__exact={world['job'].pk}" in response.text
    assert root_client.get(admin_url(ImportJob, "add")).status_code == 403
