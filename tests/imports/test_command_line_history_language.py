"""The command line's refusals are kept with the import language-free (issue 15, part 3): an
import refused under Dutch shows in the history in the reader's language, English or Dutch."""

import html
import json

import pytest
from django.urls import reverse
from django.utils import translation

from imports.models import ImportJob
from spreadsheets.messages import Message, render
from tests.imports.commands import import_items

pytestmark = pytest.mark.django_db

ROWS = "Relatienummer;Onderwerp;Opmerking\n20001;Brief;iets\n"


def in_dutch(settings, path, *args):
    """import_items as a user with the Dutch language setting runs it."""
    settings.LANGUAGE_CODE = "nl"
    with translation.override("nl"):
        result = import_items(path, "--type", "SOLL", "--user", "importeur", *args)
    settings.LANGUAGE_CODE = "en"
    return result


def history_page(client, job, language: str) -> str:
    response = client.get(reverse("admin:imports_importjob_change", args=[job.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def shown_in(language: str, message) -> str:
    with translation.override(language):
        return render(message)


@pytest.fixture
def rows(tmp_path):
    path = tmp_path / "brieven.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def test_a_mapping_refused_under_dutch_is_shown_in_english_in_the_history(importeur, client, settings, rows, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"subject": "Onderwerp", "kleur": "Opmerking"}), encoding="utf-8")

    code, _out, err = in_dutch(settings, rows, "--mapping", mapping)

    assert code == 2
    assert "Type SOLL heeft geen veld 'kleur'" in err  # the run itself speaks Dutch
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.CANCELLED
    assert isinstance(job.error_message, Message)  # kept as msgids and parameters
    english = history_page(client, job, "en")
    assert "Type SOLL has no field 'kleur': remove it from the mapping." in english
    assert "Organisation/person is required: choose the column that holds it, or a fixed value." in english
    assert "heeft geen veld" not in english
    dutch = history_page(client, job, "nl")
    assert "Type SOLL heeft geen veld 'kleur'" in dutch
    assert shown_in("nl", job.error_message) in dutch


def test_a_column_left_out_under_dutch_is_named_in_english_in_the_history(importeur, client, settings, rows, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"relation": "Relatienummer", "subject": "Onderwerp"}), encoding="utf-8")

    code, _out, _err = in_dutch(settings, rows, "--mapping", mapping)

    assert code == 2
    job = ImportJob.objects.get()
    english = history_page(client, job, "en")
    assert "Columns hold data that no field takes: 'Opmerking' (C, from row 2)." in english
    dutch = history_page(client, job, "nl")
    assert shown_in("nl", job.error_message) in dutch
    assert shown_in("nl", job.error_message) != shown_in("en", job.error_message)


def test_an_ignored_column_that_names_no_column_is_shown_in_english(importeur, client, settings, rows):
    code, _out, _err = in_dutch(settings, rows, "--ignore-column", "Kleur")

    assert code == 2
    job = ImportJob.objects.get()
    assert "--ignore-column 'Kleur' names no single column of the file" in history_page(client, job, "en")
    assert shown_in("nl", job.error_message) in history_page(client, job, "nl")


def test_a_shared_mapping_that_is_not_there_is_shown_in_english(importeur, client, settings, rows):
    code, _out, _err = in_dutch(settings, rows, "--shared-mapping", "Brieven")

    assert code == 2
    job = ImportJob.objects.get()
    english = history_page(client, job, "en")
    assert "No mapping is shared as 'Brieven' for type SOLL and these columns; shared ones: none." in english


def test_a_mapping_file_that_cannot_be_read_cancels_the_import_with_its_reason(
    importeur, client, settings, rows, tmp_path
):
    mapping = tmp_path / "mapping.json"
    mapping.write_text("{niet: json", encoding="utf-8")

    code, _out, err = in_dutch(settings, rows, "--mapping", mapping)

    assert code == 2 and "Traceback" not in err
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.CANCELLED
    assert "The mapping file cannot be read:" in history_page(client, job, "en")
    assert shown_in("nl", job.error_message).startswith("Het koppelingsbestand kan niet worden gelezen:")


def test_the_header_row_limit_is_grouped_as_the_language_writes_numbers(demo, settings, rows):
    _code, _out, english = import_items(rows, "--type", "SOLL", "--user", "importeur", "--header-row", "0")
    _code, _out, dutch = in_dutch(settings, rows, "--header-row", "0")
    assert "1,048,576" in english
    assert "1.048.576" in dutch
