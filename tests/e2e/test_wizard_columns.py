"""Columns not imported in a real browser (Chromium) against a real web server, task worker
and reaper (the World of test_wizard_back.py): a file with a column no field takes and a cell
right of the last column name cannot be saved until the user ticks both "not imported"; then
the check lists them as confirmed and the rows are imported (issue 15, part 2)."""

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_wizard_back import World, job_id_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Afdeling (C) holds data no field takes; row 3 has a cell right of the last column name (D).
ROWS = "Relatienummer;Onderwerp;Afdeling\n10001;Sollicitatiebrief;HR\n10001;CV;;vergeten notitie\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("columns"))
    yield world
    world.stop()


def test_the_user_confirms_the_columns_not_imported_and_then_checks_and_imports(world, watched, tmp_path):
    page, violations = watched
    file = tmp_path / "afdeling.csv"
    file.write_text(ROWS, encoding="utf-8")
    sign_in(page, world, "importeur")
    page.goto(f"{world.url}/admin/imports/new/upload/SOLL/")
    page.get_by_label("Spreadsheet").set_input_files(str(file))
    page.click(".submit-row input.default")
    page.wait_for_url("**/map/**")
    job = job_id_of(page)

    # Both columns are listed, each with its tick box; the cell right of the names has its row.
    assert page.locator('tr[data-letter="C"] .wizard-leave-out input').is_visible()
    assert "(no name: right of the last column name)" in page.locator('tr[data-letter="D"]').inner_text()
    assert "vergeten notitie" in page.locator('tr[data-letter="D"]').inner_text()

    # Saving without confirming is refused with the columns named; nothing is checked.
    page.click(".submit-row input.default")
    page.wait_for_load_state()
    assert "/map/" in page.url
    assert (
        "Columns hold data that no field takes: 'Afdeling' (C, from row 2) and D (without a name, from row 3)."
        in page.locator("#mapping-form").inner_text()
    )
    assert world.job(job)[0] == "uploaded"

    # Confirmed: both ticked, saved, checked.
    page.locator('tr[data-letter="C"] .wizard-leave-out input').check()
    page.locator('tr[data-letter="D"] .wizard-leave-out input').check()
    page.click(".submit-row input.default")
    page.wait_for_url("**/check/")
    page.wait_for_selector("#check-confirm", timeout=60_000)
    assert "Rows read: 2 = 2 valid + 0 invalid." in page.content()
    confirmed = page.locator("#check-not-imported").inner_text()
    assert "'Afdeling' (C, from row 2)" in confirmed and "D (without a name, from row 3)" in confirmed
    assert page.locator("#check-left-out").count() == 0
    # The values the import filled in are warnings, listed with the problems.
    assert "Submit date filled in" in page.content()

    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=60_000)
    assert world.job(job)[0] == "done"
    assert world.items_of(job) == 2
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
