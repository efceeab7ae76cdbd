"""One result in every language (issue 15, part 3): a file's values are read by code and by
their Dutch and English labels whatever the language, the job stores its problems and its
error language-free (spreadsheets/messages.py), and every page and downloaded file shows them
in the reader's language. Old jobs, whose problems were stored as plain text, still show."""

import csv
import html
import io
import json
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from dossier.models import ItemType
from imports import services
from imports.models import ImportJob
from imports.pipeline.outcomes import Problem
from imports.services.staging import rejected_path, staging_path
from tests.imports.commands import import_items
from tests.imports.wizard import start_job, upload_file, user

pytestmark = pytest.mark.django_db

# KLACHT of the demo world: characteristic ERNST (Laag/Midden/Hoog), priority, regarding sales
# relation required. Row 2 writes the priority in Dutch, row 3 in English, row 4 by its code;
# rows 5-7 are wrong in ways whose messages quote a label (the characteristic), a role number
# (R19) and a date.
KLACHT_CSV = (
    "Relatienummer;Onderwerp;Ernst;Prioriteit;Afgehandeld\n"
    "20001;Klacht een;Hoog;hoog;nee\n"
    "20002;Klacht twee;laag;High;no\n"
    "20003;Klacht drie;MIDDEN;normal;ja\n"
    "20004;Klacht vier;Hoogst;laag;nee\n"
    "D20005;Klacht vijf;Laag;laag;nee\n"
    "20006;Klacht zes;Laag;misschien;x\n"
)


def stored(job: ImportJob) -> dict:
    """What the job keeps of a check, without what differs by nature: the job's id and the
    moment of the check (the submit date of items without one) in the staged rows."""
    job.refresh_from_db()
    staged = staging_path(job).read_text(encoding="utf-8") if staging_path(job).exists() else ""
    return {
        "state": job.state,
        "headers": job.headers,
        "mapping": job.mapping,
        "counts": (job.row_count, job.valid_row_count, job.invalid_row_count, job.staged_items),
        "problems": job.problems,
        "error_message": kept_error(job),
        "staged": re.sub(
            r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+", "NOW", staged.replace(job.pk.hex, "JOB").replace(str(job.pk), "JOB")
        ),
        "rejected": rejected_path(job).read_text(encoding="utf-8") if rejected_path(job).exists() else "",
    }


def kept_error(job: ImportJob) -> str:
    """The job's error as the database keeps it."""
    return ImportJob._meta.get_field("error_message").get_prep_value(job.error_message)


def checked_in(language: str, text: str = KLACHT_CSV) -> ImportJob:
    with translation.override(language):
        job = start_job(text, type_code="KLACHT", name="klachten.csv")
        assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
        services.validate_import(job=job)
    return job


def test_a_priority_is_read_by_its_code_and_its_dutch_and_english_labels_in_either_language(demo):
    for language in ("nl", "en"):
        job = checked_in(language)
        assert (job.valid_row_count, job.invalid_row_count) == (3, 3), language
        assert {p["code"] for p in job.problems if not p["is_warning"]} == {"invalid_choice", "relation_not_found"}


def test_the_same_file_checked_under_dutch_and_under_english_stores_the_same_job(demo):
    dutch, english = stored(checked_in("nl")), stored(checked_in("en"))
    assert dutch == english
    assert "NOW" in dutch["staged"]
    assert dutch["problems"][0]["message"]["msgid"]  # kept as msgid and parameters, not as a text


def test_the_command_line_gives_the_same_result_under_dutch_and_english(demo, settings, tmp_path):
    path = tmp_path / "klachten.csv"
    path.write_text(KLACHT_CSV, encoding="utf-8")
    results = {}
    for language in ("nl", "en"):
        settings.LANGUAGE_CODE = language
        with translation.override(language):
            code, out, _err = import_items(path, "--type", "KLACHT", "--user", "importeur", "--dry-run", "--json")
        summary = json.loads(out)
        results[language] = (
            code,
            summary["valid_rows"],
            summary["invalid_rows"],
            [(p["row"], p["column"], p["code"]) for p in summary["problems"]],
            stored(ImportJob.objects.get(pk=summary["job"]))["problems"],
        )
        assert code == 1
    assert results["nl"] == results["en"]
    assert results["nl"][1:3] == (3, 3)


def test_the_wizard_gives_the_same_result_to_a_dutch_and_an_english_user(
    importeur, client, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    jobs = {}
    for language in ("nl", "en"):
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        response = client.post(
            reverse("imports:upload", args=["KLACHT"]), {"file": upload_file(KLACHT_CSV, "klachten.csv")}
        )
        job = ImportJob.objects.get(pk=response["Location"].split("/")[-3])
        form = client.get(reverse("imports:map", args=[job.pk])).context["form"]
        data = {name: form[name].value() or "" for name in form.fields}
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(reverse("imports:map", args=[job.pk]), data).status_code == 302
        jobs[language] = stored(job)
    assert jobs["nl"] == jobs["en"]
    assert jobs["nl"]["counts"][1:3] == (3, 3)


def test_the_check_page_shows_problems_found_in_dutch_in_the_readers_language(importeur, client):
    job = checked_in("nl")
    english = html.unescape(client.get(reverse("imports:check", args=[job.pk])).content.decode())
    assert "'misschien' is not one of the allowed values: high, normal, low." in english
    assert "D20005 is the debtor number of" in english
    assert "toegestane waarden" not in english
    dutch = html.unescape(
        client.get(reverse("imports:check", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    )
    assert "'misschien' is geen van de toegestane waarden: hoog, normaal, laag." in dutch
    assert "D20005 is het debiteurnummer van" in dutch


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_status_workbook_is_written_in_the_language_of_who_downloads_it(importeur, client, fmt):
    """Its status column, statuses and problems are in the reader's language (an upload
    recognises the status column by either name)."""
    job = checked_in("nl")
    url = reverse("admin:imports_importjob_download", args=[job.pk, f"workbook-{fmt}"])
    for language, header, message in (
        ("en", "Import status", "'Hoogst' is not one of the allowed values: Laag, Midden, Hoog."),
        ("nl", "Importstatus", "'Hoogst' is geen van de toegestane waarden: Laag, Midden, Hoog."),
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        content = b"".join(response.streaming_content)
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
        else:
            rows = [list(r) for r in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]
        assert rows[0][-1] == header
        assert any(message in (row[-1] or "") for row in rows[1:]), rows


def test_a_label_in_a_message_follows_the_readers_language(demo):
    """A field's label inside a message is kept as its msgid, so it is translated with it."""
    job = checked_in("nl", "Relatienummer;Onderwerp;Ernst;Project\n20001;Klacht;Laag;GEEN\n")
    [problem] = [p for p in ImportJob.objects.get(pk=job.pk).problems if not p["is_warning"]]
    assert problem["code"] == "project_not_found"
    shown = Problem.from_dict(problem)
    with translation.override("en"):
        assert shown.text.startswith("Project GEEN does not exist.")
    with translation.override("nl"):
        assert shown.text.startswith("Project GEEN bestaat niet.")


def test_problems_stored_as_text_before_still_show_on_the_check_page(importeur, client):
    job = checked_in("en")
    old = dict(job.problems[0], message="Een oude melding, als tekst bewaard.")
    ImportJob.objects.filter(pk=job.pk).update(problems=[old])
    content = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert "Een oude melding, als tekst bewaard." in content


def test_a_file_the_reader_refuses_is_stored_language_free_and_shown_in_the_readers_language(importeur, client):
    with translation.override("nl"), pytest.raises(services.ImportRefused):
        services.start_import(
            user=user("importeur"),
            item_type=ItemType.objects.get(code="SOLL"),
            file=upload_file("", "leeg.csv"),
            file_name="leeg.csv",
        )
    job = ImportJob.objects.get(file_name="leeg.csv")
    assert json.loads(kept_error(job)) == {"msgid": "The file '%(name)s' is empty.", "params": {"name": "leeg.csv"}}
    page = client.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    assert "The file &#x27;leeg.csv&#x27; is empty." in page
    page = client.get(
        reverse("admin:imports_importjob_change", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    assert "Het bestand &#x27;leeg.csv&#x27; is leeg." in page


def test_an_error_stored_as_text_before_still_shows_in_the_history(importeur, client):
    job = start_job(name="oud.csv")
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.FAILED, error_message="De import is mislukt.")
    job.refresh_from_db()
    assert job.error_message == "De import is mislukt."
    page = client.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    assert "De import is mislukt." in page
