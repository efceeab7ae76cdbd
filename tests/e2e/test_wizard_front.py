"""The import wizard's first steps in a real browser (Chromium), on the demo world: importeur
chooses the type from the admin index, uploads a workbook with two sheets and the attachments
ZIP, picks the sheet and maps the columns, without one Content-Security-Policy violation.
Each step's screenshot goes to docs/screenshots/ (wizard-1-type.png ... wizard-4-map.png)."""

from pathlib import Path

import openpyxl
import pytest

from imports.models import ImportJob
from tests.e2e.conftest import shot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def workbook_from_example(target: Path) -> Path:
    """docs/examples/soll.csv as an .xlsx whose first sheet is a note: a choice of sheets."""
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Toelichting"
    notes.append(["Sollicitatiedocumenten, export van 1 april"])
    notes.append(["Zie het blad Documenten"])
    items = workbook.create_sheet("Documenten")
    for line in (EXAMPLES / "soll.csv").read_text(encoding="utf-8").splitlines():
        items.append(next(iter(__import__("csv").reader([line], delimiter=";"))))
    workbook.save(target)
    return target


def collect(page, violations: list[str]) -> None:
    violations.extend(page.evaluate("window.__violations"))


def test_importeur_walks_from_the_type_to_a_saved_mapping(demo, live_server, watched, tmp_path):
    page, violations = watched
    sign_in(page, live_server, "importeur")

    # a: the type, from the admin index
    page.click("text=Import dossier items")
    page.wait_for_url("**/admin/imports/new/")
    assert page.get_by_label("MEMO").count() == 0  # importeur is not authorised for it (R3)
    page.get_by_label("SOLL Documenten (sollicitatie)").check()
    shot(page, "wizard-1-type.png")
    collect(page, violations)
    page.click(".submit-row input[type=submit]")

    # b: the file and the attachments ZIP
    page.wait_for_url("**/admin/imports/new/upload/SOLL/")
    page.get_by_label("Spreadsheet").set_input_files(str(workbook_from_example(tmp_path / "sollicitaties.xlsx")))
    page.get_by_label("Attachments (ZIP, optional)").set_input_files(str(EXAMPLES / "soll-bijlagen.zip"))
    shot(page, "wizard-2-upload.png")
    collect(page, violations)
    page.click(".submit-row input.default")

    # the sheet: the notes come first, so the items' sheet is chosen here
    page.wait_for_url("**/sheet/")
    job = ImportJob.objects.get(user__username="importeur")
    assert "Sollicitatiedocumenten" in page.content()
    page.get_by_label("Sheet").select_option("Documenten")  # the script shows its rows
    page.wait_for_selector("text=The first rows of sheet Documenten")
    assert "Sollicitatiebrief" in page.content()
    shot(page, "wizard-3-sheet.png")
    collect(page, violations)
    page.click(".submit-row input.default")

    # c: the columns
    page.wait_for_url("**/map/")
    assert page.get_by_label("Organisation/person", exact=True).input_value() == "A"
    assert page.get_by_label("Submit date", exact=True).input_value() == "C"
    attachment = page.get_by_label("Attachment", exact=True)
    assert attachment.input_value() == "D"
    attachment.select_option("")  # the script: column D is now "not imported"
    assert page.locator("tr[data-letter=D] .wizard-fed-by").inner_text() == "not imported"
    attachment.select_option("D")
    assert page.locator("tr[data-letter=D] .wizard-fed-by").inner_text() == "Attachment"
    shot(page, "wizard-4-map.png")
    collect(page, violations)
    page.click(".submit-row input.default")

    page.wait_for_url(f"**/admin/imports/new/{job.pk}/check/")
    assert "was saved" in page.content()
    job.refresh_from_db()
    assert (job.state, job.sheet, job.header_row) == ("validating", "Documenten", 1)  # no worker here
    assert job.mapping == {
        "relation": {"column": "Relatienummer"},
        "subject": {"column": "Onderwerp"},
        "submitted_at": {"column": "Instuurdatum", "date_order": "dmy"},  # 14-03-2025: day first
        "attachment": {"column": "Bijlage"},
    }
    collect(page, violations)
    assert violations == []


def test_a_fixed_relation_is_found_by_its_name(demo, live_server, watched):
    page, violations = watched
    sign_in(page, live_server, "importeur")
    page.goto(f"{live_server.url}/admin/imports/new/upload/CORR/")
    page.get_by_label("Spreadsheet").set_input_files(
        files=[
            {
                "name": "brieven.csv",
                "mimeType": "text/csv",
                "buffer": b"Onderwerp;Toelichting\nBrief;Over de levering\nOfferte;Voor 2026\n",
            }
        ]
    )
    page.click(".submit-row input.default")
    page.wait_for_url("**/map/")
    from dossier.models import Relation

    relation = Relation.objects.get(number="20001")
    field = page.get_by_label("Fixed value for organisation/person")
    field.fill(relation.name[:8])
    page.wait_for_selector(f"datalist#relations_relation option[value='{relation.number}']", state="attached")
    field.fill(relation.number)
    page.click(".submit-row input.default")
    page.wait_for_url("**/check/")
    job = ImportJob.objects.get(user__username="importeur")
    assert job.mapping["relation"] == {"fixed": "20001"}
    collect(page, violations)
    assert violations == []


def test_zonderrechten_is_told_why_and_another_users_job_answers_404(demo, live_server, browser):
    from tests.imports.wizard import start_job

    job = start_job(username="admin")
    for username, url, status, text in [
        ("zonderrechten", "/admin/imports/new/", 403, "InSite or Profit rights"),
        ("importeur", f"/admin/imports/new/{job.pk}/map/", 404, None),
    ]:
        context = browser.new_context(locale="en-GB")
        page = context.new_page()
        sign_in(page, live_server, username)
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == status
        assert text is None or text in page.content()
        context.close()
