"""The import history (/admin/imports/importjob/) and a job's page: who sees which jobs, what
a page tells a person (counts that add up, the mapping as a table, the problems grouped and
paged, never raw JSON), and who may download a job's files."""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossier.models import ItemType
from imports import presenting, services
from imports.models import ImportJob

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "docs" / "examples"
HISTORY = "/admin/imports/importjob/"  # a fixed address (design.md)

# Three rows with problems of three kinds, one clean row (SOLL, demo world): row 3 names an
# employee number and a local path, row 4 an applicant who is no employee.
MISTAKES = (EXAMPLES / "soll-met-fouten.csv").read_bytes()
ZIP = (EXAMPLES / "soll-bijlagen.zip").read_bytes()
CLEAN = b"Relatienummer;Onderwerp\n10001;Sollicitatiebrief\n10002;CV\n"


def user(name: str):
    return get_user_model().objects.get(username=name)


def make_job(
    username: str = "importeur",
    content: bytes = CLEAN,
    *,
    type_code: str = "SOLL",
    file_name: str = "rows.csv",
    attachments: bytes | None = None,
    mapping: dict | None = None,
    validate: bool = True,
    commit: bool = False,
    skip_invalid: bool = False,
) -> ImportJob:
    """A job made the way the wizard and the command line make one: through the services."""
    job = services.start_import(
        user=user(username),
        item_type=ItemType.objects.get(code=type_code),
        file=io.BytesIO(content),
        file_name=file_name,
        attachments=io.BytesIO(attachments) if attachments is not None else None,
        attachments_name="bijlagen.zip" if attachments is not None else None,
    )
    assert services.set_mapping(job=job, mapping=mapping or services.suggest_mapping_for(job)) == []
    if validate:
        services.validate_import(job=job)
    if commit:
        services.commit_import(job=job, skip_invalid=skip_invalid)
    job.refresh_from_db()
    return job


def job_url(job: ImportJob) -> str:
    return reverse("admin:imports_importjob_change", args=[job.pk])


def download(job: ImportJob, what: str) -> str:
    return reverse("admin:imports_importjob_download", args=[job.pk, what])


def signed_in(client, username: str):
    client.force_login(user(username))
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- the list ------------------------------------------------------------------------------


def test_the_history_lives_at_its_fixed_address():
    assert reverse("admin:imports_importjob_changelist") == HISTORY


def test_a_user_sees_his_own_imports_and_an_administrator_sees_all(client, demo):
    make_job("importeur", file_name="importeur-own.csv")
    make_job("admin", file_name="admin-own.csv")

    importeur_page = signed_in(client, "importeur").get(HISTORY).text
    assert "importeur-own.csv" in importeur_page and "admin-own.csv" not in importeur_page

    admin_page = signed_in(client, "admin").get(HISTORY).text
    assert "importeur-own.csv" in admin_page and "admin-own.csv" in admin_page


def test_profit_sees_his_own_import_of_correspondence_and_its_page(client, demo):
    own = make_job("profit", b"Relatienummer;Onderwerp\n10001;Brief\n", type_code="CORR", file_name="post.csv")
    make_job("importeur", file_name="importeur-own.csv")
    client = signed_in(client, "profit")

    listing = client.get(HISTORY)
    page = client.get(job_url(own))

    assert [job.pk for job in listing.context["cl"].result_list] == [own.pk]
    assert page.status_code == 200 and "post.csv" in page.text
    assert client.get(download(own, "file")).status_code == 200


@pytest.mark.parametrize("username", ["profit", "zonderrechten"])
def test_a_user_sees_none_of_another_users_imports(client, demo, username):
    make_job("importeur", file_name="importeur-own.csv")

    response = signed_in(client, username).get(HISTORY)

    assert response.status_code == 200
    assert "importeur-own.csv" not in response.text
    assert response.context["cl"].result_count == 0


def test_the_list_shows_state_type_file_counts_duration_who_and_when(client, demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP, file_name="fouten.csv")

    response = signed_in(client, "importeur").get(HISTORY)

    head, rows = response.text.split('id="result_list"')[1].split("<tbody>")
    columns = re.findall(r'<div class="text">(?:<a [^>]*>|<span>)([^<]+)<', head)
    assert columns == [
        "State", "Type", "File name", "Rows", "Valid", "Invalid", "Items", "Duration", "User", "Created"
    ]  # fmt: skip
    cells = [
        re.sub(r"<[^>]+>", "", cell.split(">", 1)[1]).strip()
        for cell in re.split(r"<t[dh] ", rows.split("</tr>")[0])[1:]
    ]
    assert cells[:8] == ["validated", "SOLL", "fouten.csv", "3", "1", "2", "0", cells[7]]
    assert cells[7] == "-" and cells[8] == "importeur"  # checked, not imported: no duration yet
    assert response.context["cl"].result_list[0].pk == job.pk


def test_the_list_filters_by_state_and_type(client, demo):
    make_job("importeur", file_name="checked.csv")
    make_job("importeur", file_name="mapped.csv", validate=False)
    klacht = make_job(
        "importeur",
        b"Relatienummer;Betreft debiteur;Onderwerp\n20001;D20001;Klacht\n",
        type_code="KLACHT",
        file_name="klacht.csv",
    )
    client = signed_in(client, "importeur")

    by_state = client.get(HISTORY, {"state__exact": "mapped"}).text
    assert "mapped.csv" in by_state and "checked.csv" not in by_state
    by_type = client.get(HISTORY, {"item_type__id__exact": klacht.item_type_id}).text
    assert "klacht.csv" in by_type and "checked.csv" not in by_type


@pytest.mark.parametrize(
    ("username", "offered"), [("admin", True), ("importeur", True), ("profit", True), ("zonderrechten", False)]
)
def test_the_import_button_is_offered_to_users_who_may_import(client, demo, username, offered):
    response = signed_in(client, username).get(HISTORY)

    assert response.status_code == 200
    assert ('id="history-import-link"' in response.text) is offered
    if offered:
        assert f'href="{presenting.wizard_url()}"' in response.text
        assert "Import dossier items" in response.text


def test_the_import_button_leads_to_the_wizards_fixed_address(demo):
    assert presenting.wizard_url() == "/admin/imports/new/"


def test_the_number_of_queries_of_the_list_does_not_grow_with_the_number_of_jobs(client, demo):
    client = signed_in(client, "admin")
    make_job("importeur", MISTAKES, attachments=ZIP)
    make_job("admin")
    client.get(HISTORY)  # sessions, content types and the like are warm now
    with CaptureQueriesContext(connection) as few:
        assert client.get(HISTORY).status_code == 200
    for number in range(8):
        make_job("importeur" if number % 2 else "admin", file_name=f"more-{number}.csv", validate=number % 3 == 0)
    make_job("importeur", b"Relatienummer;Betreft debiteur;Onderwerp\n20001;D20001;Klacht\n", type_code="KLACHT")
    with CaptureQueriesContext(connection) as many:
        response = client.get(HISTORY)
    assert response.context["cl"].result_count == 11
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- a job's page ----------------------------------------------------------------------------


def test_the_number_of_queries_of_a_jobs_page_does_not_grow_with_its_problems(client, demo):
    client = signed_in(client, "importeur")
    few = make_job("importeur", b"Relatienummer;Onderwerp\n99999;Brief\n")
    many = make_job("importeur", ("Relatienummer;Onderwerp\n" + "99999;Brief\n" * 300).encode())
    client.get(job_url(few))
    with CaptureQueriesContext(connection) as one_problem:
        client.get(job_url(few))
    with CaptureQueriesContext(connection) as three_hundred:
        response = client.get(job_url(many))
    assert response.context["problems"].totals.errors == 300
    assert len(three_hundred) == len(one_problem)


def test_a_job_from_the_command_line_says_so(client, demo):
    job = make_job("importeur")
    job.source = ImportJob.Source.COMMAND_LINE
    job.save()
    assert "through the command line" in signed_in(client, "importeur").get(job_url(job)).text


def test_a_jobs_page_is_written_for_people_not_as_json(client, demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP)

    response = signed_in(client, "importeur").get(job_url(job))

    assert response.status_code == 200
    text = response.text
    assert '{"column"' not in text and "&quot;column&quot;" not in text and "'is_warning'" not in text
    assert "Import of rows.csv" in text
    assert "Rows read: 3 = 1 valid + 2 invalid." in text
    assert "Attachments come from the ZIP &#x27;bijlagen.zip&#x27;." in text
    assert "importeur" in text


def test_the_mapping_is_a_table_of_fields_and_their_columns_with_letters_or_fixed_values(client, demo):
    job = make_job(
        "importeur",
        b"Nummer;Naam;Onderwerp;Naam\n10001;Jansen;Brief;x\n",
        mapping={"relation": {"column": "Nummer"}, "subject": {"letter": "c"}, "text": {"fixed": "Uit het archief"}},
    )

    rows = presenting.mapping_rows(job)
    assert [(r.code, r.column, r.letter, r.fixed) for r in rows] == [  # in the order of the type's fields
        ("subject", "Onderwerp", "C", ""),
        ("text", "", "", "Uit het archief"),
        ("relation", "Nummer", "A", ""),
    ]
    assert rows[2].required and rows[2].label == "organisation/person"
    response = signed_in(client, "importeur").get(job_url(job))
    mapping = response.text.split('id="history-mapping"')[1].split("</section>")[0]
    assert "<strong>Nummer</strong> (A)" in mapping
    assert "<strong>Onderwerp</strong> (C)" in mapping
    assert "fixed value: <strong>Uit het archief</strong>" in mapping
    # Columns no field takes are named, with their letters (the repeated "Naam" twice).
    assert "Columns not imported: Naam (B) and Naam (D)." in mapping


def test_the_mapping_says_how_a_date_column_was_read(client, demo):
    job = make_job(
        "importeur",
        b"Nummer;Datum\n10001;03/25/2026\n",
        mapping={"relation": {"column": "Nummer"}, "submitted_at": {"column": "Datum", "date_order": "mdy"}},
    )
    response = signed_in(client, "importeur").get(job_url(job))
    mapping = response.text.split('id="history-mapping"')[1].split("</section>")[0]
    assert "<strong>Datum</strong> (B), read as: month first (12-31-2025)" in mapping


def test_a_fixed_relation_is_shown_with_its_name(demo):
    job = make_job(
        "importeur",
        b"Onderwerp\nBrief\n",
        mapping={"relation": {"fixed": "10001"}, "subject": {"column": "Onderwerp"}},
    )
    (_subject, relation) = presenting.mapping_rows(job)
    assert relation.fixed.startswith("10001 ") and len(relation.fixed) > len("10001 ")


def test_the_problems_are_grouped_by_column_and_code_with_their_row_counts_most_first(demo):
    rows = "\n".join(f"E00{n:02d};Brief {n}" for n in range(1, 6))  # five employee numbers
    content = f"Relatienummer;Onderwerp\n{rows}\n99999;Brief\n10001;{'x' * 300}\n".encode()
    job = make_job("importeur", content)

    report = presenting.problem_report(job)

    groups = [(g.column, g.code, g.rows) for g in report.errors.groups]
    assert groups == [
        ("Relatienummer", "relation_not_found", 6),
        ("Onderwerp", "too_long", 1),
    ]
    first = report.errors.groups[0]
    assert first.title == "Organisation/person not found"
    assert "relation number" in first.example  # the first message, which says the fix
    assert report.totals.errors == 7
    assert report.errors.page.paginator.count == 7


def test_warnings_are_listed_apart_from_errors(client, demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP)
    job.problems.append(
        {
            "row": 2,
            "column": "Onderwerp",
            "value": "x",
            "code": "control_characters_removed",
            "message": "Removed.",
            "field": "subject",
            "is_warning": True,
        }
    )
    job.save()

    report = presenting.problem_report(job)
    groups = [(g.column, g.code, g.rows) for g in report.warnings.groups]
    # The four files of the ZIP that no row names count one each, though none has a row.
    assert ("(the attachments ZIP)", "attachment_not_named", 4) in groups
    assert ("Onderwerp", "control_characters_removed", 1) in groups
    assert "control_characters_removed" not in [g.code for g in report.errors.groups]
    text = signed_in(client, "importeur").get(job_url(job)).text
    errors, warnings = text.split('id="history-errors"')[1], text.split('id="history-warnings"')[1]
    assert "Removed." in warnings and "Removed." not in errors.split('id="history-warnings"')[0]


def test_the_rows_are_paged(client, demo, monkeypatch):
    monkeypatch.setattr(presenting, "ROWS_PER_PAGE", 2)
    content = "Relatienummer;Onderwerp\n" + "\n".join(f"9999{n};Brief" for n in range(5)) + "\n"
    job = make_job("importeur", content.encode())
    client = signed_in(client, "importeur")

    first = client.get(job_url(job)).context["problems"].errors.page
    third = client.get(job_url(job), {"error_page": 3}).context["problems"].errors.page

    assert [row.row for row in first] == [2, 3]
    assert [row.row for row in third] == [6]
    assert first.paginator.num_pages == 3
    text = client.get(job_url(job)).text
    assert 'href="?error_page=2#history-error-rows"' in text
    assert "Rows 1 to 2 of 5" in text


def test_a_group_link_lists_only_the_rows_of_that_group(client, demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP)
    client = signed_in(client, "importeur")
    group = next(
        g for g in client.get(job_url(job)).context["problems"].errors.groups if g.code == "attachment_local_path"
    )

    response = client.get(f"{job_url(job)}?{group.query}")

    rows = list(response.context["problems"].errors.page)
    assert [(r.row, r.code) for r in rows] == [(3, "attachment_local_path")]
    assert "Only the rows of Bijlage: Local drive path are listed." in response.text


def test_a_chosen_group_of_warnings_leaves_the_errors_without_rows_and_says_so(client, demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP)
    job.problems.append(
        {"row": 2, "column": "Onderwerp", "value": "x", "code": "control_characters_removed", "message": "Removed.",
         "field": "subject", "is_warning": True}
    )  # fmt: skip
    job.save()

    response = signed_in(client, "importeur").get(
        job_url(job), {"problem_column": "Onderwerp", "problem_code": "control_characters_removed"}
    )

    assert response.context["problems"].errors.page.paginator.count == 0
    assert [row.message for row in response.context["problems"].warnings.page] == ["Removed."]
    assert "None of the chosen rows is among these." in response.text


def test_counts_add_up_after_an_import_of_only_the_valid_rows(client, demo):
    job = make_job(
        "importeur",
        MISTAKES,
        attachments=ZIP,
        commit=True,
        skip_invalid=True,
    )

    text = signed_in(client, "importeur").get(job_url(job)).text

    assert "Rows read: 3 = 1 valid + 2 invalid." in text
    assert "Rows imported: 1; left out as invalid: 2; items created: 1." in text
    assert "Only the valid rows are imported; the invalid rows are left out." in text
    assert f'href="/admin/dossier/dossieritem/?import_job__id__exact={job.pk}"' in text


def test_a_job_not_yet_checked_says_so(client, demo):
    job = make_job("importeur", validate=False)

    text = signed_in(client, "importeur").get(job_url(job)).text

    assert "The rows have not been checked yet." in text
    assert 'id="history-problems-report"' not in text


def test_a_running_job_shows_how_far_it_is(client, demo):
    job = make_job("importeur", validate=False)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.VALIDATING, progress_done=1500, progress_total=20000
    )

    text = signed_in(client, "importeur").get(job_url(job)).text

    assert "Validating" in text and "1500 of 20000 rows processed" in text


def test_a_failed_job_shows_its_reason(client, demo):
    job = make_job("importeur", validate=False)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.FAILED, error_message="The worker stopped.")

    text = signed_in(client, "importeur").get(job_url(job)).text

    assert "The worker stopped." in text and "Failed" in text


def test_problem_totals_count_every_problem_also_beyond_those_kept(demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP)
    job.error_count, job.warning_count = 7000, 3

    report = presenting.problem_report(job)

    assert report.totals == presenting.ProblemTotals(errors=7000, warnings=3)
    assert not report.all_kept


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0 s"), (45, "45 s"), (185, "3 min 5 s"), (7800, "2 h 10 min")])
def test_a_duration_reads_as_people_say_it(seconds, text):
    import datetime as dt

    assert presenting.duration_text(dt.timedelta(seconds=seconds)) == text
    assert presenting.duration_text(None) == "-"


def test_every_problem_code_of_a_row_has_a_title():
    """docs/errors.md lists the codes; those a row can get are titled on the pages."""
    text = (Path(__file__).resolve().parent.parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    rows_part = text.split("## The mapping (before any row is read)")[0]
    import re

    codes = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)?", rows_part, flags=re.M))
    documented = {code for pair in codes for code in pair if code}
    assert documented - set(presenting.CODE_TITLES) == set()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_jobs_page_only_shows(client, demo, method):
    job = make_job("importeur")
    response = getattr(signed_in(client, "importeur"), method)(job_url(job))
    assert response.status_code == 405
    assert ImportJob.objects.filter(pk=job.pk).exists()


# --- who may see a job and its files -----------------------------------------------------------


@pytest.mark.parametrize("username", ["importeur", "admin"])
def test_the_owner_and_an_administrator_see_a_jobs_page(client, demo, username):
    job = make_job("importeur", MISTAKES, attachments=ZIP, file_name="geheim.csv")
    response = signed_in(client, username).get(job_url(job))
    assert response.status_code == 200
    assert "geheim.csv" in response.text


@pytest.mark.parametrize("username", ["profit", "zonderrechten"])
def test_another_users_job_page_answers_404(client, demo, username):
    job = make_job("importeur", MISTAKES, attachments=ZIP, file_name="geheim.csv")
    response = signed_in(client, username).get(job_url(job))
    assert response.status_code == 404
    assert "geheim.csv" not in response.text


def test_an_administrators_job_is_not_another_users_to_see(client, demo):
    job = make_job("admin")
    assert signed_in(client, "importeur").get(job_url(job)).status_code == 404


def test_a_job_id_that_is_no_uuid_answers_404(client, demo):
    client = signed_in(client, "importeur")
    assert client.get(f"{HISTORY}not-a-uuid/change/").status_code == 404
    assert client.get(f"{HISTORY}not-a-uuid/download/file/").status_code == 404


def test_the_owner_downloads_the_original_file_under_its_visible_name(client, demo):
    job = make_job("importeur", CLEAN, file_name="cv\u202efdp.csv")

    response = signed_in(client, "importeur").get(download(job, "file"))

    assert response.status_code == 200
    assert body(response) == CLEAN
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "cvfdp.csv" in disposition
    assert "\u202e" not in disposition and "%E2%80%AE" not in disposition


def test_the_owner_downloads_the_attachments_zip(client, demo):
    archive = ZIP
    job = make_job("importeur", MISTAKES, attachments=archive)

    response = signed_in(client, "importeur").get(download(job, "attachments"))

    assert response.status_code == 200
    assert body(response) == archive
    assert 'filename="bijlagen.zip"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_owner_downloads_every_row_with_its_status(client, demo, fmt):
    job = make_job("importeur", MISTAKES, attachments=ZIP, file_name="fouten.csv")

    response = signed_in(client, "importeur").get(download(job, f"workbook-{fmt}"))

    assert response.status_code == 200
    assert f'filename="fouten-status.{fmt}"' in response.headers["Content-Disposition"]
    content = body(response)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        rows = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Relatienummer", "Onderwerp", "Bijlage", "Import status"]
    assert [row[0] for row in rows[1:]] == ["10001", "E0002", "10085"]  # every row, valid ones too
    assert [row[3].split(":")[0] for row in rows[1:]] == ["Ready to import", "Invalid", "Invalid"]


def test_a_status_workbook_that_cannot_be_made_brings_the_sentence_back_to_the_job(client, demo, monkeypatch):
    job = make_job("importeur", MISTAKES, attachments=ZIP)

    def refuse(*, job, target, fmt=None):
        raise services.ImportRefused("The file x.xlsx could not be written: No space left on device.")

    monkeypatch.setattr(services, "write_reconciliation_file", refuse)
    client = signed_in(client, "importeur")
    response = client.get(download(job, "workbook-xlsx"), follow=True)

    assert response.redirect_chain == [(job_url(job), 302)]
    assert "No space left on device." in response.text


def test_a_stored_file_that_is_gone_is_said_so_on_the_job(client, demo):
    job = make_job("importeur", file_name="weg.csv")
    job.file.storage.delete(job.file.name)

    response = signed_in(client, "importeur").get(download(job, "file"), follow=True)

    assert response.status_code == 200
    assert "The file &#x27;weg.csv&#x27; is no longer stored." in response.text


@pytest.mark.parametrize("what", presenting.DOWNLOADS)
@pytest.mark.parametrize("username", ["profit", "zonderrechten"])
def test_downloads_answer_404_to_anyone_but_the_owner(client, demo, username, what):
    job = make_job("importeur", MISTAKES, attachments=ZIP)
    assert user(username).has_perm("imports.view_importjob")  # a staff user who may view imports

    response = signed_in(client, username).get(download(job, what))

    assert response.status_code == 404


@pytest.mark.parametrize("what", presenting.DOWNLOADS)
def test_an_administrator_downloads_every_file_of_another_users_job(client, demo, what):
    job = make_job("importeur", MISTAKES, attachments=ZIP)
    assert signed_in(client, "admin").get(download(job, what)).status_code == 200


def test_an_unknown_download_answers_404(client, demo):
    job = make_job("importeur")
    assert signed_in(client, "importeur").get(download(job, "staging")).status_code == 404


def test_the_status_workbook_is_offered_also_when_every_row_is_valid_but_not_before_the_check(client, demo):
    job = make_job("importeur", CLEAN)
    client = signed_in(client, "importeur")
    assert 'id="history-rejected"' in client.get(job_url(job)).text
    assert client.get(download(job, "workbook-csv")).status_code == 200
    unchecked = make_job("importeur", CLEAN, validate=False)
    assert 'id="history-rejected"' not in client.get(job_url(unchecked)).text
    assert client.get(download(unchecked, "workbook-csv")).status_code == 404


def test_the_job_page_offers_the_downloads_to_its_owner(client, demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP)
    text = signed_in(client, "importeur").get(job_url(job)).text
    for what in presenting.DOWNLOADS:
        assert f'href="{download(job, what)}"' in text, what


def test_a_job_without_attachments_offers_no_zip(client, demo):
    job = make_job("importeur")
    client = signed_in(client, "importeur")
    assert download(job, "attachments") not in client.get(job_url(job)).text
    assert client.get(download(job, "attachments")).status_code == 404


# --- Dutch and English -------------------------------------------------------------------------


def test_the_history_and_a_job_speak_dutch(client, demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP)
    client = signed_in(client, "importeur")

    listing = client.get(HISTORY, HTTP_ACCEPT_LANGUAGE="nl").text
    page = client.get(job_url(job), HTTP_ACCEPT_LANGUAGE="nl").text

    assert "Dossieritems importeren" in listing and "Import dossier items" not in listing
    for dutch in ("Importgeschiedenis", "Filteren op aangemaakt", "imports doorzoeken", "Geldig", "Ongeldig"):
        assert dutch in listing, dutch
    for dutch in (
        "Koppeling",
        "Problemen",
        "Fouten",
        "Rijen gelezen: 3 = 1 geldig + 2 ongeldig.",
        "Organisatie/persoon niet gevonden",
    ):
        assert dutch in page, dutch
    for english in ("Mapping", "Problems", "Rows read", "Show these rows"):
        assert english not in page, english


def test_the_history_and_a_job_speak_english(client, demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP)
    page = signed_in(client, "importeur").get(job_url(job), HTTP_ACCEPT_LANGUAGE="en").text
    for english in ("Mapping", "Problems", "Errors", "Rows read: 3 = 1 valid + 2 invalid.", "Show these rows"):
        assert english in page, english


def test_the_status_workbook_is_named_and_written_in_the_users_language(client, demo):
    job = make_job("importeur", MISTAKES, attachments=ZIP, file_name="fouten.csv")
    response = signed_in(client, "importeur").get(download(job, "workbook-csv"), HTTP_ACCEPT_LANGUAGE="nl")
    assert 'filename="fouten-status.csv"' in response.headers["Content-Disposition"]
    assert "Importstatus" in b"".join(response.streaming_content).decode("utf-8-sig")
