"""The confirmation step of a master-data import (issue 14, part 6): its hidden fields are
checked, never trusted. A forged file name, an unknown format or resource, a confirmation
made for another user or one confirmed already is one sentence on the page, never a server
error, and nothing is imported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dossier import models
from tests.dossier.test_resources import format_index
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONFIRM_URL = "admin:dossier_relation_process_import"
RELATIONS = "number,kind,name\n20001,organisation,Acme\n"


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.raise_request_exception = False
    return client


def previewed(client) -> dict:
    upload = SimpleUploadedFile("relations.csv", RELATIONS.encode(), content_type="text/csv")
    preview = client.post(
        reverse("admin:dossier_relation_import"),
        {"format": format_index(models.Relation, "csv"), "import_file": upload},
    )
    assert preview.status_code == 200
    return dict(preview.context["confirm_form"].initial)


def assert_refused(response, sentence: str) -> None:
    assert response.status_code == 200
    assert sentence in response.text
    assert "Traceback" not in response.text
    assert not models.Relation.objects.exists()


@pytest.mark.parametrize("name", ["tmpabcdefgh", "../../etc/passwd", "passwd", "", "x" * 5000, "a\tb"])
def test_a_forged_file_name_is_refused_with_a_sentence(root_client, name):
    data = previewed(root_client) | {"import_file_name": name}

    response = root_client.post(reverse(CONFIRM_URL), data)

    if name:
        assert_refused(response, "does not belong to a file you uploaded")
    else:
        assert response.status_code == 200 and not models.Relation.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "99", "-1", "1", "", "1e3"])
def test_an_unknown_or_changed_format_is_not_used(root_client, fmt):
    """The signed confirmation decides the format; a posted one is ignored, so a forged or
    changed one cannot make the step read the file as something else."""
    data = previewed(root_client) | {"format": fmt}

    response = root_client.post(reverse(CONFIRM_URL), data)

    assert response.status_code in (200, 302)
    assert response.status_code != 500
    if response.status_code == 302:
        assert models.Relation.objects.get().number == "20001"  # read as the csv it is


@pytest.mark.parametrize("resource", ["7", "-9", "x"])
def test_an_unknown_resource_is_not_used(root_client, resource):
    data = previewed(root_client) | {"resource": resource}

    response = root_client.post(reverse(CONFIRM_URL), data)

    assert response.status_code == 302
    assert models.Relation.objects.get().number == "20001"


def test_a_confirmation_made_for_another_user_is_refused(root_client, client):
    data = previewed(root_client)
    other = UserFactory(username="otherroot", is_superuser=True, is_staff=True)
    root_client.force_login(other)

    assert_refused(root_client.post(reverse(CONFIRM_URL), data), "does not belong to a file you uploaded")


def test_a_confirmation_sent_twice_imports_once_and_then_says_why_not(root_client):
    data = previewed(root_client)
    assert root_client.post(reverse(CONFIRM_URL), data).status_code == 302
    models.Relation.objects.all().delete()

    assert_refused(root_client.post(reverse(CONFIRM_URL), data), "no longer there")


def test_a_confirmation_with_missing_fields_is_refused(root_client):
    response = root_client.post(reverse(CONFIRM_URL), {})

    assert response.status_code == 200
    assert not models.Relation.objects.exists()


def test_the_genuine_confirmation_imports(root_client):
    response = root_client.post(reverse(CONFIRM_URL), previewed(root_client))

    assert response.status_code == 302
    assert models.Relation.objects.get().name == "Acme"
