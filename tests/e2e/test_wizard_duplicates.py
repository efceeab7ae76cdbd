"""The choice for probable duplicates in a real browser (Chromium), against the real web
server and task worker of test_wizard_back's World: the rows of a .csv imported, then the same
rows saved as .xlsx with one more; the check page warns, the Import button does nothing until
the user chooses, and "skip" imports the new row only, which the result and the history say."""

from pathlib import Path

import openpyxl
import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_wizard_back import World, upload_and_map

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEADERS = ["Relatienummer", "Onderwerp", "Instuurdatum"]
ROWS = [["10001", "Sollicitatiebrief", "03-04-2025"], ["10002", "CV", "04-04-2025"]]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("duplicates"))
    yield world
    world.stop()


def rows_csv(folder: Path) -> Path:
    path = folder / "brieven.csv"
    path.write_text("\n".join(";".join(row) for row in [HEADERS, *ROWS]) + "\n", encoding="utf-8")
    return path


def rows_xlsx(folder: Path) -> Path:
    """The same rows as Excel keeps them (numbers, date cells), and a new one."""
    import datetime as dt

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for number, subject, date in [*ROWS, ["10003", "Motivatie", "05-04-2025"]]:
        sheet.append([int(number), subject, dt.datetime.strptime(date, "%d-%m-%Y")])
    path = folder / "brieven.xlsx"
    workbook.save(path)
    return path


def test_the_user_chooses_to_skip_the_rows_imported_before_and_only_the_new_row_is_imported(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    first = upload_and_map(page, world, rows_csv(tmp_path), date_order="dmy")  # 03-04-2025: asked
    page.wait_for_selector("#check-confirm", timeout=60_000)
    assert page.locator("#check-duplicates").count() == 0
    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=60_000)
    assert world.items_of(first) == 2

    job = upload_and_map(page, world, rows_xlsx(tmp_path))
    page.wait_for_selector("#check-confirm", timeout=60_000)
    assert "2 rows are probably duplicates" in page.locator("#check-duplicates legend").inner_text()
    warnings = page.locator("#history-warnings").inner_text()
    assert "Probably imported before: item 1, import of" in warnings and "by importeur" in warnings

    assert page.evaluate("document.querySelector('#duplicates-skip').validity.valueMissing")
    page.click("#import-all")  # no choice yet: the browser keeps the form, nothing starts
    page.wait_for_timeout(500)
    assert page.url.endswith("/check/")
    assert world.job(job)[0] == "validated"

    page.check("#duplicates-skip")
    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=60_000)
    assert page.locator("#result-skipped").inner_text() == "2"
    assert "rows 2, 3" in page.locator("#result-skipped-rows").inner_text()
    assert world.items_of(job) == 1
    assert world.query("SELECT duplicates FROM imports_importjob WHERE id = ?", job.replace("-", ""))[0] == "skip"

    page.click("text=This import in the import history")
    assert (
        "Rows that are probably duplicates are skipped (the user's choice)."
        in page.locator("#history-options").inner_text()
    )
    assert "skipped as probable duplicates: 2" in page.locator("#history-counts").inner_text()
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
