"""A title above the column names in a real browser (Chromium), on the demo world: importeur
uploads a complaints workbook whose A1 is a title and row 2 is empty; the sheet step shows
row 3 found as the column names, a click on row 4's number takes that row instead, a click on
row 3 takes it back, and the mapping page names the title left out and matches every column
with how sure it is, without one Content-Security-Policy violation (issue 16, part 4)."""

import openpyxl
import pytest

from imports.models import ImportJob
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ["Klantnummer", "Onderwerp brief", "Opmerking", "Datum ontvangen", "Behandelaar", "Ernst"]


def complaints_workbook(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Klachten"
    for cells in (
        ["Klachten export 2026"],
        [],
        NAMES,
        [20001, "Levering te laat", "Tweede keer", "03-03-2026", "importeur", "MIDDEN"],
        [20002, "Factuur onjuist", "Bedrag klopt niet", "04-03-2026", "admin", "LAAG"],
    ):
        sheet.append(cells)
    workbook.save(path)
    return path


def test_a_title_row_is_found_and_a_click_on_a_row_chooses_the_column_names(demo, live_server, watched, tmp_path):
    page, violations = watched
    sign_in(page, live_server, "importeur")
    page.goto(f"{live_server.url}/admin/imports/new/upload/KLACHT/")
    page.get_by_label("Spreadsheet").set_input_files(str(complaints_workbook(tmp_path / "klachten.xlsx")))
    page.click(".submit-row input.default")

    # Found: row 3 highlighted, the title above it struck through.
    page.wait_for_url("**/sheet/")
    assert "The column names were found in row 3" in page.locator("#sheet-found").inner_text()
    assert page.locator("tr.wizard-header-row").get_attribute("data-row") == "3"
    assert page.locator('tr[data-row="1"]').get_attribute("class") == "wizard-above"
    assert page.get_by_label("Row with the column names").input_value() == "3"

    # A click on row 4's number reads the column names from there.
    page.get_by_role("button", name="Row 4 holds the column names").click()
    page.wait_for_url("**/map/")
    job = ImportJob.objects.get(user__username="importeur")
    assert (job.header_row, job.headers[1]) == (4, "Levering te laat")

    # Back to the sheet step, and a click on row 3: the names of the file.
    page.click("text=Choose another sheet or header row")
    page.wait_for_url("**/sheet/")
    assert page.locator("tr.wizard-header-row").get_attribute("data-row") == "4"
    page.get_by_role("button", name="Row 3 holds the column names").click()
    page.wait_for_url("**/map/")
    job.refresh_from_db()
    assert (job.header_row, job.headers) == (3, NAMES)

    # The mapping page: the title named, every column matched, each with how sure it is.
    assert "Klachten export 2026" in page.locator("#map-title-rows").inner_text()
    for letter in "ABCDEF":
        assert page.locator(f'tr[data-letter="{letter}"] .wizard-fed-by').inner_text() != "not imported"
    assert page.locator('tr[data-field="subject"] [data-sureness]').inner_text() == "guess"
    assert page.locator('tr[data-field="text"] [data-sureness]').inner_text() == "likely"
    # Another column chosen: the badge goes at once.
    page.get_by_label("Subject", exact=True).select_option("C")
    assert page.locator('tr[data-field="subject"] [data-sureness]').is_hidden()
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
