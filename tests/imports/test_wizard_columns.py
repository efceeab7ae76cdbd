"""Columns in the wizard: how sure each matched column is, the row of column names found
under a title and chosen by a click in the sheet step's preview, and a remembered mapping
applied to a file with more columns (naming the new ones); and the same title on the
command line."""

import io

import pytest
from django.urls import reverse

from dossier.models import ItemType
from imports import services
from imports.models import ImportJob
from tests.imports.commands import import_items
from tests.imports.wizard import start_job, upload_file, user, xlsx_bytes

pytestmark = pytest.mark.django_db

TITLE = "Klachten export 2026"
NAMES = ["Klantnummer", "Onderwerp brief", "Opmerking", "Datum ontvangen", "Behandelaar", "Ernst"]
DATA = [
    [20001, "Levering te laat", "Tweede keer", "13-03-2026", "importeur", "MIDDEN"],
    [20002, "Factuur onjuist", "Bedrag", "14-03-2026", "admin", "LAAG"],
]
TITLED = [[TITLE], [], NAMES, *DATA]


def upload(client, content: bytes, name: str = "klachten.xlsx"):
    url = reverse("imports:upload", args=["KLACHT"])
    return client.post(url, {"file": upload_file(content, name)})


def sheet_url(job) -> str:
    return reverse("imports:sheet", args=[job.pk])


def map_url(job) -> str:
    return reverse("imports:map", args=[job.pk])


# --- how sure a match is ------------------------------------------------------------------------


def test_the_mapping_page_says_how_sure_each_matched_column_is(importeur, client):
    upload(client, xlsx_bytes({"Klachten": [NAMES, *DATA]}))
    job = ImportJob.objects.get()
    response = client.get(map_url(job))
    rows = {row["field"].code: row for row in response.context["rows"]}
    assert {code: rows[code]["column"].value() for code in ("relation", "subject", "text", "responsible")} == {
        "relation": "A",
        "subject": "B",
        "text": "C",
        "responsible": "E",
    }
    assert rows["submitted_at"]["column"].value() == "D"
    assert rows["characteristic_1"]["sureness"] == "exact"
    assert rows["text"]["sureness"] == rows["submitted_at"]["sureness"] == rows["responsible"]["sureness"] == "likely"
    assert rows["subject"]["sureness"] == "guess"
    assert rows["contact"]["sureness"] is None  # nothing matched
    page = response.content.decode()
    assert 'data-sureness="guess"' in page and ">guess</span>" in page


def test_a_badge_goes_when_another_column_is_chosen(importeur, client):
    upload(client, xlsx_bytes({"Klachten": [NAMES, *DATA]}))
    job = ImportJob.objects.get()
    form = client.get(map_url(job)).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(column_text="", column_subject="C", refresh="1")
    rows = {row["field"].code: row for row in client.post(map_url(job), data).context["rows"]}
    assert rows["subject"]["sureness"] is None and rows["text"]["sureness"] is None
    assert rows["relation"]["sureness"] == "likely"


def test_the_sureness_is_shown_in_dutch(importeur, client):
    upload(client, xlsx_bytes({"Klachten": [NAMES, *DATA]}))
    job = ImportJob.objects.get()
    page = client.get(map_url(job), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert ">waarschijnlijk</span>" in page and ">gok</span>" in page


# --- the row of column names -----------------------------------------------------------------


def test_column_names_under_a_title_are_found_and_the_sheet_step_says_so(importeur, client):
    response = upload(client, xlsx_bytes({"Klachten": TITLED}))
    job = ImportJob.objects.get()
    assert (job.header_row, job.headers) == (3, NAMES)
    assert response["Location"] == sheet_url(job)
    page = client.get(sheet_url(job))
    assert page.context["chosen_row"] == 3
    text = page.content.decode()
    assert "The column names were found in row 3" in text
    assert 'name="use_row" value="1"' in text and 'name="use_row" value="4"' in text
    assert "Row 3 holds the column names" in text  # each row number is a button so labelled


def test_a_click_on_a_row_number_takes_that_row_as_the_column_names(importeur, client):
    upload(client, xlsx_bytes({"Klachten": TITLED}))
    job = ImportJob.objects.get()
    response = client.post(
        sheet_url(job), {"sheet": "Klachten", "header_row": "3", "proposed_row": "3", "use_row": "4"}
    )
    assert response["Location"] == map_url(job)
    job.refresh_from_db()
    assert job.header_row == 4
    assert job.headers[1] == "Levering te laat"
    response = client.post(
        sheet_url(job), {"sheet": "Klachten", "header_row": "4", "proposed_row": "3", "use_row": "3"}
    )
    job.refresh_from_db()
    assert (job.header_row, job.headers) == (3, NAMES)


def test_a_click_on_a_row_that_is_no_row_number_is_ignored(importeur, client):
    upload(client, xlsx_bytes({"Klachten": TITLED}))
    job = ImportJob.objects.get()
    response = client.post(sheet_url(job), {"sheet": "Klachten", "header_row": "3", "use_row": "drie"})
    assert response["Location"] == map_url(job)  # "Next" with the row in the form
    job.refresh_from_db()
    assert job.header_row == 3


def test_the_mapping_page_names_the_title_rows_left_out_and_keeps_every_column(importeur, client):
    upload(client, xlsx_bytes({"Klachten": TITLED}))
    job = ImportJob.objects.get()
    response = client.get(map_url(job))
    assert response.context["title_rows"] == [(1, TITLE)]
    assert f"<q>{TITLE}</q>" in response.content.decode()
    assert [column["header"] for column in response.context["columns"]] == NAMES


def test_another_sheet_keeps_the_row_the_user_chose(importeur, client):
    book = xlsx_bytes({"Klachten": TITLED, "Ook": [["Overzicht"], ["Notitie"], NAMES, *DATA]})
    upload(client, book)
    job = ImportJob.objects.get()
    url = sheet_url(job)
    chosen = {"sheet": "Ook", "header_row": "3", "proposed_row": "3", "shown_sheet": "Klachten", "preview": "1"}
    # Row 3 was proposed on 'Klachten' and left so: on 'Ook' the names are found again.
    found = client.post(url, {**chosen, "header_row": "3"})
    assert found.context["form"]["header_row"].value() == 3
    # Row 2 was chosen by the user: 'Ook' is shown with row 2.
    kept = client.post(url, {**chosen, "header_row": "2"})
    assert kept.context["form"]["header_row"].value() == 2
    assert kept.context["chosen_row"] == 2
    response = client.post(url, {"sheet": "Ook", "header_row": "2", "proposed_row": "3", "shown_sheet": "Klachten"})
    assert response["Location"] == map_url(job)
    job.refresh_from_db()
    assert (job.sheet, job.header_row, job.headers) == ("Ook", 2, ["Notitie"])


def test_another_sheet_left_at_the_proposed_row_finds_its_own_column_names(importeur, client):
    book = xlsx_bytes({"Klachten": TITLED, "Ook": [NAMES, *DATA]})
    upload(client, book)
    job = ImportJob.objects.get()
    data = {"sheet": "Ook", "header_row": "3", "proposed_row": "3", "shown_sheet": "Klachten"}
    assert client.post(sheet_url(job), data)["Location"] == map_url(job)
    job.refresh_from_db()
    assert (job.sheet, job.header_row, job.headers) == ("Ook", 1, NAMES)


def test_a_row_click_on_another_users_job_answers_404(demo, client):
    job = start_job(username="admin")
    client.force_login(user("importeur"))
    assert client.post(sheet_url(job), {"sheet": job.sheet, "header_row": "1", "use_row": "1"}).status_code == 404


# --- a remembered mapping for fewer columns -------------------------------------------------------


def remembered_first(text: str):
    first = start_job(text, type_code="CORR")
    mapping = {"relation": {"column": "Nr"}, "subject": {"column": "Wat"}, "not_imported": ["Extra"]}
    assert services.set_mapping(job=first, mapping=mapping) == []
    services.remember_mapping(job=first)
    return first


def test_a_mapping_remembered_for_fewer_columns_is_applied_and_the_new_ones_named(importeur, client):
    remembered_first("Nr;Wat;Extra\n20001;Brief;x\n")
    again = start_job("Wat;Regio;Nr;Extra;Import status\nCV;Noord;20002;y;\n", type_code="CORR")
    response = client.get(map_url(again))
    assert response.context["remembered"] is not None
    assert response.context["new_columns"] == ["Regio"]  # the status column is never new
    rows = {row["field"].code: row for row in response.context["rows"]}
    assert (rows["relation"]["column"].value(), rows["subject"]["column"].value()) == ("C", "A")
    assert rows["relation"]["sureness"] == "remembered"
    columns = {column["header"]: column for column in response.context["columns"]}
    assert columns["Regio"]["new"] and not columns["Wat"]["new"]
    assert columns["Extra"]["box"].data["selected"]  # left out again, as remembered
    page = response.content.decode()
    assert "the same columns but fewer" in page
    assert "New in this file: Regio; choose a field for it, or tick 'not imported'." in page


def test_a_mapping_remembered_for_other_columns_is_not_applied(importeur, client):
    remembered_first("Nr;Wat;Extra\n20001;Brief;x\n")
    other = start_job("Nr;Onderwerp\n20002;CV\n", type_code="CORR")  # not all of its columns
    assert client.get(map_url(other)).context["remembered"] is None


def test_another_users_mapping_for_fewer_columns_is_never_applied(demo, client):
    first = start_job("Nr;Wat\n20001;Brief\n", type_code="CORR", username="admin")
    services.set_mapping(job=first, mapping={"relation": {"column": "Nr"}, "subject": {"column": "Wat"}})
    services.remember_mapping(job=first)
    client.force_login(user("importeur"))
    again = start_job("Nr;Wat;Regio\n20002;CV;Noord\n", type_code="CORR")
    assert client.get(map_url(again)).context["remembered"] is None


# --- the command line ------------------------------------------------------------------------------


def test_the_command_line_reports_a_title_row_with_a_hint_for_header_row(demo, tmp_path):
    path = tmp_path / "klachten.xlsx"
    path.write_bytes(xlsx_bytes({"Klachten": TITLED}))
    code, _out, err = import_items(path, "--type", "KLACHT", "--user", "importeur", "--dry-run")
    assert (
        "The column names were found in row 3; above them, row 1 ('Klachten export 2026') is taken as a title "
        "and not imported. If another row holds the column names, give --header-row with its number." in err
    )
    assert code in (0, 1)  # read from row 3: the rows themselves are checked as any file's
    code, _out, err = import_items(path, "--type", "KLACHT", "--user", "importeur", "--dry-run", "--header-row", "3")
    assert "taken as a title" not in err


def test_the_command_line_names_the_new_columns_of_a_remembered_mapping(demo, tmp_path):
    remembered_first("Nr;Wat;Extra\n20001;Brief;x\n")
    path = tmp_path / "meer.csv"
    path.write_text("Nr;Wat;Extra;Regio\n20002;CV;y;Noord\n", encoding="utf-8")
    _code, _out, err = import_items(path, "--type", "CORR", "--user", "importeur", "--dry-run")
    assert "the same columns but fewer; new in this file: 'Regio'." in err


def test_a_type_of_the_demo_matches_the_complaints_file_by_itself(demo):
    job = services.start_import(
        user=user("importeur"),
        item_type=ItemType.objects.get(code="KLACHT"),
        file=io.BytesIO(xlsx_bytes({"Klachten": TITLED})),
        file_name="klachten.xlsx",
    )
    mapping = services.suggest_mapping_for(job)
    assert {source["column"] for source in mapping.values()} == set(NAMES)
