"""What lands where, in a real browser (Chromium) against the real web server and task worker
of test_wizard_back's World (issue 17, part 2): the check page lists per destination the items
and files the import will make, and the files of the ZIP that no row uses; the import waits
until each is decided; one is added as a row (checked again in the worker), one left out."""

import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_wizard_back import World, upload_and_map

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROWS = "Relatienummer;Onderwerp;Bijlage\n10001;Sollicitatiebrief;10001 brief.pdf\n10002;CV;10002_cv.pdf\n"
FILES = {
    "Import/10001 brief.pdf": b"%PDF-1.4 brief " * 100,
    "Import/10002_cv.pdf": b"%PDF-1.4 cv " * 50,
    "Import/10003 CV Jansen.pdf": b"%PDF-1.4 cv Jansen " * 20,
    "Import/reglement.pdf": b"%PDF-1.4 reglement",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("landing"))
    yield world
    world.stop()


def files_for(folder: Path) -> tuple[Path, Path]:
    rows = folder / "sollicitaties.csv"
    rows.write_text(ROWS, encoding="utf-8")
    archive = folder / "sollicitaties.zip"
    with zipfile.ZipFile(archive, "w") as written:
        for name, data in FILES.items():
            written.writestr(name, data)
    return rows, archive


def test_the_check_page_shows_what_lands_where_and_a_file_no_row_uses_is_added_as_a_row(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    rows, archive = files_for(tmp_path)
    job = upload_and_map(page, world, rows, attachments=archive)
    page.wait_for_selector("#check-landing", timeout=60_000)
    assert page.locator("#landing-totals").inner_text() == "2 items, 2 files, 2.1 KB for 2 destinations"
    cells = page.locator("#landing-10001 td").all_inner_texts()
    assert cells[0] == "10001" and cells[2] == "employee" and cells[3:5] == ["1", "1"]
    # The two files no row names, each undecided: nothing can be imported yet.
    assert page.locator("#files-table code").all_inner_texts() == ["Import/10003 CV Jansen.pdf", "Import/reglement.pdf"]
    assert page.locator("#import-all").count() == 0
    assert page.locator("#files-undecided").is_visible()
    assert page.get_by_label("Relation number").first.input_value() == "10003"
    assert page.locator("#file-0-subject").input_value() == "CV Jansen"

    page.locator("#file-0-add").check()
    page.locator("#file-1-leave").check()
    page.click("#files-apply")
    page.get_by_text("3 items, 3 files").wait_for(timeout=60_000)  # checked again in the worker
    assert page.locator("#landing-totals").inner_text().endswith("for 3 destinations")
    assert page.locator("#files-table code").all_inner_texts() == ["Import/reglement.pdf"]
    assert "left out, as you chose" in page.locator("#file-row-0").inner_text()

    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=60_000)
    assert world.job(job)[0] == "done"
    assert world.items_of(job) == 3
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
