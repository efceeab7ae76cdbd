"""The real file checks as the import meets them (issue 17, parts 3 and 7): a file named for
another person fails its row, the same contents given to two persons is a warning naming both,
a fake file is refused with its own sentence, an item type's accepted types hold; and the
problem of a relation without the type's role names the roles it has. Through the services,
the check page and the command line; the files are built here. The rule itself:
tests/dossier/test_file_checks.py."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from dossier.models import ItemType
from dossier.spec import FILLED_IN
from imports import services
from tests.dossier.test_file_checks import DOCX
from tests.imports.commands import import_items
from tests.imports.test_attachments import import_job, zip_bytes

pytestmark = pytest.mark.django_db

HEADER = "Relatienummer;Onderwerp;Bijlage\n"


def problems(job, *, warnings: bool = False) -> list[tuple]:
    summary = services.validate_import(job=job).summary
    found = summary.warnings if warnings else summary.errors
    return [(p.row, p.code) for p in found if p.code not in FILLED_IN]


def the(job, code: str):
    summary = services.validate_import(job=job).summary
    (problem,) = [p for p in [*summary.errors, *summary.warnings] if p.code == code]
    return problem


# --- a file named for another person --------------------------------------------------------


def test_a_file_named_for_another_existing_relation_fails_its_row_naming_both(demo):
    job = import_job(
        HEADER + "10001;CV;10002_cv.pdf\n10003;CV;10003_cv.pdf\n",
        {"10002_cv.pdf": b"%PDF-1.4 Jansen", "10003_cv.pdf": b"%PDF-1.4 de Vries"},
    )
    problem = the(job, "attachment_name_other_relation")
    assert (problem.row, problem.column, problem.is_warning) == (2, "Bijlage", False)
    assert problem.message == (
        "'10002_cv.pdf' starts with 10002, the number of relation 10002, but this row files it for relation 10001:"
        " name relation 10002 in this row, or rename the file."
    )
    job.refresh_from_db()
    assert job.valid_row_count == 1  # row 3 is fine


def test_a_file_named_by_another_relations_employee_number_fails_too(demo):
    job = import_job(HEADER + "10001;CV;E0002_cv.pdf\n", {"E0002_cv.pdf": b"%PDF-1.4"})
    assert problems(job) == [(2, "attachment_name_other_relation")]
    with translation.override("nl"):
        assert str(the(job, "attachment_name_other_relation").message).startswith(
            "'E0002_cv.pdf' begint met E0002, het nummer van relatie 10002, maar deze rij legt het vast voor relatie"
            " 10001"
        )


def test_a_file_named_by_the_rows_own_employee_number_or_by_no_known_number_is_no_error(demo):
    job = import_job(
        HEADER + "10001;CV;E0001_cv.pdf\n10002;CV;99999_cv.pdf\n10003;CV;cv_de_vries.pdf\n",
        {"E0001_cv.pdf": b"%PDF a", "99999_cv.pdf": b"%PDF b", "cv_de_vries.pdf": b"%PDF c"},
    )
    assert problems(job) == []
    assert problems(job, warnings=True) == [
        (3, "attachment_name_without_number"),  # 99999 is no relation: as before, a warning
        (4, "attachment_name_without_number"),
    ]


def test_a_row_naming_several_relations_may_give_each_a_file_named_for_one_of_them(demo):
    job = import_job(HEADER + '"10001;10002";Brief;10001_brief.pdf\n', {"10001_brief.pdf": b"%PDF-1.4"})
    assert problems(job) == []


# --- the same contents for two persons ------------------------------------------------------


def test_the_same_contents_given_to_two_relations_in_two_rows_is_a_warning_naming_both(demo):
    same = b"%PDF-1.4 the one contract"
    job = import_job(
        HEADER + "10001;Contract;10001_contract.pdf\n10002;Contract;10002_contract.pdf\n10003;CV;10003_cv.pdf\n",
        {"10001_contract.pdf": same, "10002_contract.pdf": same, "10003_cv.pdf": b"%PDF-1.4 another"},
    )
    assert problems(job) == []
    problem = the(job, "attachment_same_content")
    assert (problem.row, problem.column, problem.is_warning) == (3, "Bijlage", True)
    assert problem.message == (
        "'10002_contract.pdf' has the same contents as '10001_contract.pdf' in row 2, which is filed for relation"
        " 10001; this row files it for relation 10002: check that each person gets his own document."
    )
    with translation.override("nl"):
        assert "heeft dezelfde inhoud als '10001_contract.pdf' in rij 2" in str(problem.message)


def test_the_same_contents_for_the_same_relation_or_one_row_of_several_relations_is_no_such_warning(demo):
    same = b"%PDF-1.4 a letter"
    job = import_job(
        HEADER + '10001;Brief;10001_brief.pdf\n10001;Kopie;10001_kopie.pdf\n"10002;10003";Brief;10002_brief.pdf\n',
        {"10001_brief.pdf": same, "10001_kopie.pdf": same, "10002_brief.pdf": b"%PDF-1.4 for two"},
    )
    assert "attachment_same_content" not in {code for _row, code in problems(job, warnings=True)}


# --- fake files and the type's accepted types -----------------------------------------------

FAKES = {
    "10001_cv.docx": b"PK\x03\x04 a fake Word document",
    "10002_cv.pdf": b"<!DOCTYPE html><html><body>Log in</body></html>",
    "10003_cv.pdf": b"MZ\x90\x00\x03\x00\x00\x00",
    "10004_cv.pdf": b"",
    "10005_cv.exe": b"MZ\x90\x00",
    "10006_cv.docx": DOCX,
}
FAKE_ROWS = HEADER + "".join(f"1000{n};CV;{name}\n" for n, name in enumerate(FAKES, start=1))


def test_each_bad_file_gets_its_own_problem_and_a_good_one_passes(demo):
    job = import_job(FAKE_ROWS, FAKES)
    assert problems(job) == [
        (2, "attachment_content_mismatch"),
        (3, "attachment_content_web_page"),
        (4, "attachment_content_program"),
        (5, "attachment_empty"),
        (6, "attachment_type_never_allowed"),
    ]


def test_the_check_page_shows_each_file_problem_in_the_readers_language(demo, client):
    client.force_login(get_user_model().objects.get(username="importeur"))
    job = import_job(FAKE_ROWS, FAKES)
    services.validate_import(job=job)
    page = client.get(reverse("imports:check", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "heet .docx, maar de inhoud is geen .docx-bestand" in page
    assert "is een webpagina (HTML), wat de naam ook zegt" in page
    assert "is een programma, wat de naam ook zegt" in page
    page = client.get(reverse("imports:check", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "is a web page (HTML), whatever its name says" in page


def test_the_command_line_reports_the_file_problems_with_their_codes(demo, tmp_path):
    rows, archive = tmp_path / "rows.csv", tmp_path / "bijlagen.zip"
    rows.write_text(FAKE_ROWS, encoding="utf-8")
    archive.write_bytes(zip_bytes(FAKES))
    args = ["--type", "SOLL", "--user", "importeur", "--attachments", archive, "--dry-run"]
    code, out, _err = import_items(rows, *args)
    assert code == 1
    assert "[attachment_content_web_page] '10002_cv.pdf' is a web page (HTML)" in out
    assert "[attachment_content_mismatch] '10001_cv.docx' is named .docx" in out
    code, out, _err = import_items(rows, *args, "--json")
    assert {p["code"] for p in json.loads(out)["problems"]} >= {"attachment_content_program", "attachment_empty"}


def test_the_item_types_accepted_types_hold_in_the_import(demo):
    ItemType.objects.filter(code="SOLLICITANT").update(attachment_types="pdf")
    job = import_job(
        HEADER + "10081;CV;10081_cv.docx\n10082;CV;10082_cv.pdf\n",
        {"10081_cv.docx": DOCX, "10082_cv.pdf": b"%PDF-1.4"},
        type_code="SOLLICITANT",
    )
    assert problems(job) == [(2, "attachment_type_not_allowed")]
    assert "items of type SOLLICITANT accept (accepted: .pdf)" in the(job, "attachment_type_not_allowed").message


# --- types say what they accept -------------------------------------------------------------


def test_a_relation_without_the_types_role_is_told_which_roles_it_has_and_who_can_change_the_type(demo):
    job = import_job("Relatienummer;Onderwerp\n10081;CV\n10120;CV\n", {})
    summary = services.validate_import(job=job).summary
    applicant, nobody = [p for p in summary.errors if p.code == "regarding_role_missing"]
    assert applicant.message == (
        "Relation 10081 is not registered as employee, which type SOLL requires; it is registered as applicant. Use"
        " the number of a relation that is employee, or ask an administrator to change the setting 'regarding"
        " employee' of type SOLL."
    )
    assert "it holds no role at all" in nobody.message
    with translation.override("nl"):
        assert "de relatie is vastgelegd als sollicitant" in str(applicant.message)
        assert "vraag een beheerder" in str(applicant.message)


def test_the_applicants_type_takes_the_applicants_soll_refuses(demo):
    job = import_job(
        HEADER + "10081;CV;10081_cv.pdf\n",
        {"10081_cv.pdf": b"%PDF-1.4 sollicitatiebrief"},
        type_code="SOLLICITANT",
    )
    assert problems(job) == []
    assert services.commit_import(job=job).items_created == 1


def test_the_type_step_says_which_relations_each_type_takes_and_whether_it_takes_attachments(demo, client):
    client.force_login(get_user_model().objects.get(username="importeur"))
    page = client.get(reverse("imports:new"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    def row(code: str) -> str:
        start = page.index(f'data-type="{code}"')
        return page[start : page.index("</tr>", start)]

    assert "Only employees" in row("SOLL") and "Attachments: documents and images" in row("SOLL")
    assert "Only applicants" in row("SOLLICITANT") and "Attachments: documents and images" in row("SOLLICITANT")
    assert "Only sales relations (debtors)" in row("KLACHT") and "No attachments" in row("KLACHT")
    assert "Any organisation/person" in row("CORR")
    page = client.get(reverse("imports:new"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Alleen medewerkers" in page and "Alleen sollicitanten" in page and "een beheerder kan die wijzigen" in page
