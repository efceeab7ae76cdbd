"""A master-data import in the task worker keeps its problems and its outcome language-free
(issue 15, part 3): a file checked for a Dutch user is shown in English to an English reader,
and the other way round; what was stored as text before still shows as it was."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from dossier import masterdata, models
from tests.dossier.test_resources import format_index

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def in_background(settings):
    settings.MASTER_DATA_BACKGROUND_ROWS = 5
    settings.TASKS = IMMEDIATE


def relations(rows: int, *, bad_kind_on: int | None = None, bad_email_on: int | None = None) -> bytes:
    lines = ["number,kind,name,email"]
    for n in range(rows):
        kind = "spaceship" if n == bad_kind_on else "person"
        email = "geen-adres" if n == bad_email_on else f"r{n}@example.org"
        lines.append(f"{40000 + n},{kind},Relation {n},{email}")
    return ("\n".join(lines) + "\n").encode()


def checked_in_dutch(client, content: bytes, django_capture_on_commit_callbacks) -> models.MasterDataImport:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:dossier_relation_import"),
            {
                "format": format_index(models.Relation, "csv"),
                "import_file": SimpleUploadedFile("relaties.csv", content),
            },
            HTTP_ACCEPT_LANGUAGE="nl",
        )
    job = models.MasterDataImport.objects.get()
    assert job.language == "nl"
    return job


def page(client, job, language: str) -> str:
    url = reverse("admin:dossier_relation_import_job", args=[job.pk])
    return html.unescape(client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode())


def test_row_problems_found_for_a_dutch_user_read_in_english(
    root_client, in_background, django_capture_on_commit_callbacks
):
    job = checked_in_dutch(root_client, relations(8, bad_kind_on=2, bad_email_on=5), django_capture_on_commit_callbacks)

    english = page(root_client, job, "en")
    assert "Row 4, column B (kind): 'spaceship' is not one of the allowed values: organisation, person." in english
    assert "Also accepted: organisatie, persoon." in english
    assert "Row 7, column D (email): Enter a valid email address." in english  # Django's own, by its msgid
    assert "toegestane waarden" not in english and "Rij 4" not in english
    dutch = page(root_client, job, "nl")
    assert "Rij 4, kolom B (kind): 'spaceship' is geen van de toegestane waarden: organisatie, persoon." in dutch
    assert "Rij 7, kolom D (email): Voer een geldig e-mailadres in." in dutch


def test_a_file_refused_for_a_dutch_user_is_told_in_english(
    root_client, in_background, django_capture_on_commit_callbacks
):
    content = b"name,city\n" + b"".join(b"Acme %d,Delft\n" % n for n in range(8))
    job = checked_in_dutch(root_client, content, django_capture_on_commit_callbacks)

    english = page(root_client, job, "en")
    assert "The file has no column number; add it with a value on every row." in english
    assert "The file has problems; nothing was stored." in english
    dutch = page(root_client, job, "nl")
    with translation.override("nl"):
        assert str(job.message) in dutch
        assert str(job.message) != "The file has problems; nothing was stored. Correct them and upload the file again."


def test_the_outcome_counts_are_grouped_as_the_readers_language_writes_numbers(root):
    with translation.override("nl"):
        message = masterdata.done_message({"new": 1200, "update": 3})
    models.MasterDataImport.objects.create(
        user=root, resource="RelationResource", file_name="r.csv", file_format=0, message=message
    )
    stored = models.MasterDataImport.objects.get().message
    with translation.override("en"):
        assert str(stored) == "Import finished: 1,200 new, 3 changed, 0 unchanged."
    with translation.override("nl"):
        assert "1.200" in str(stored)


def test_a_message_and_a_preview_stored_as_text_before_still_show(root_client, root):
    job = models.MasterDataImport.objects.create(
        user=root,
        resource="RelationResource",
        file_name="oud.csv",
        file_format=0,
        state="checked",
        message="Het bestand heeft problemen.",
        preview={"invalid": [{"number": 2, "fields": {"kind": ["Rij 2: oude melding."]}, "other": [], "values": []}]},
    )
    shown = page(root_client, job, "en")
    assert "Het bestand heeft problemen." in shown
    assert "Rij 2: oude melding." in shown
