"""The reconciliation workbook's round trip in a real browser, against a real web server,
task worker and reaper (tests/e2e/test_wizard_back.py's World): a file with two bad rows is
checked, its good rows imported; the workbook downloaded from the result page has every row
with its status; the two rows are fixed in it (with openpyxl, as a user would in Excel) and
it is uploaded again through "Upload it": only the two open rows are imported."""

import openpyxl
import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_wizard_back import World, job_id_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Rows 3 and 5 are invalid: a relation that does not exist, a date that cannot be read.
ROWS = (
    "Relatienummer;Onderwerp;Instuurdatum\n"
    "10001;Brief een;03-04-2025\n"
    "99999;Brief twee;04-04-2025\n"
    "10002;Brief drie;05-04-2025\n"
    "10003;Brief vier;31-31-2025\n"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("reconcile"))
    yield world
    world.stop()


def items_of_type(world, code: str) -> int:
    return world.query(
        "SELECT COUNT(*) FROM dossier_dossieritem i JOIN dossier_itemtype t ON t.id = i.item_type_id WHERE t.code = ?",
        code,
    )[0]


def test_the_fixed_workbook_uploaded_again_imports_only_its_two_open_rows(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    before = items_of_type(world, "SOLL")
    source = tmp_path / "brieven.csv"
    source.write_text(ROWS, encoding="utf-8")

    page.goto(f"{world.url}/admin/imports/new/upload/SOLL/")
    page.get_by_label("Spreadsheet").set_input_files(str(source))
    page.click(".submit-row input.default")
    page.wait_for_url("**/map/**")
    page.locator("#id_date_order_submitted_at").select_option("dmy")  # 03-04-2025 and the like: asked once
    page.click(".submit-row input.default")
    page.wait_for_selector("#check-confirm", timeout=60_000)
    first = job_id_of(page)
    assert "Rows read: 4 = 2 valid + 2 invalid." in page.content()
    page.click("#import-valid")
    page.wait_for_url("**/result/", timeout=60_000)
    assert world.items_of(first) == 2

    with page.expect_download() as download:
        page.click("text=Your file with the status of every row (.xlsx)")
    workbook = tmp_path / download.value.suggested_filename
    download.value.save_as(workbook)
    book = openpyxl.load_workbook(workbook)
    sheet = book.active
    assert [cell.value for cell in sheet[1]] == ["Relatienummer", "Onderwerp", "Instuurdatum", "Import status"]
    statuses = [sheet.cell(row, 4).value for row in range(2, 6)]
    assert statuses[0].startswith("Created: item ") and statuses[2].startswith("Created: item ")
    assert statuses[1].startswith("Invalid") and statuses[3].startswith("Invalid")
    assert "99999" in sheet["A3"].comment.text and sheet["C5"].comment is not None
    sheet["A3"] = "10004"  # the two fixes
    sheet["C5"] = "06-04-2025"
    book.save(workbook)

    page.click("#result-upload-corrected")
    page.wait_for_url("**/upload/SOLL/**")
    page.get_by_label("Spreadsheet").set_input_files(str(workbook))
    page.click(".submit-row input.default")
    page.wait_for_url("**/map/**")
    assert "the status of the rows (never a field)" in page.content()
    page.click(".submit-row input.default")
    page.wait_for_selector("#check-confirm", timeout=60_000)
    second = job_id_of(page)
    assert "Rows read: 4 = 2 valid + 0 invalid + 2 created before" in page.content()
    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=60_000)
    assert page.locator("#result-created-before").inner_text() == "2"
    assert world.items_of(second) == 2
    assert items_of_type(world, "SOLL") == before + 4  # four rows, four items: none twice
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
