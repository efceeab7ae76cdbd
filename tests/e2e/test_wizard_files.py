"""Files first in a real browser (Chromium), against the real web server and task worker of
test_wizard_back's World: importeur uploads a ZIP of documents without a spreadsheet (built
here), sees one row proposed per file, fills in the person of the file whose number is
unknown, groups two files into one item, continues through the columns and the check, and
imports: the items are made with their files."""

import uuid
import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_wizard_back import World

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("files-first"))
    yield world
    world.stop()


def documents_zip(folder: Path) -> Path:
    path = folder / "documenten.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("10001 CV Jansen.pdf", PDF + b"cv")
        zipped.writestr("10001 - motivatie.pdf", PDF + b"motivatie")
        zipped.writestr("E0002_diploma.pdf", PDF + b"diploma")
        zipped.writestr("Getuigschriften/99999.pdf", PDF + b"getuigschrift")
    return path


def test_a_zip_without_a_spreadsheet_is_proposed_edited_checked_and_imported(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    page.goto(f"{world.url}/admin/imports/new/upload/SOLL/")
    page.get_by_label("Attachments (ZIP, optional)").set_input_files(str(documents_zip(tmp_path)))
    page.click(".submit-row input.default")

    page.wait_for_url("**/files/")
    job = page.url.rstrip("/").split("/")[-2]
    assert "4 files: 4 items will be proposed" in page.locator("#files-summary").inner_text()
    assert page.get_by_label("Organisation/person of E0002_diploma.pdf").input_value() == "10002"
    assert page.get_by_label("Subject of 10001 CV Jansen.pdf").input_value() == "CV Jansen"
    unknown = page.get_by_label("Organisation/person of Getuigschriften/99999.pdf")
    assert unknown.input_value() == ""
    assert page.get_by_label("Subject of Getuigschriften/99999.pdf").input_value() == "Getuigschriften"
    unknown.fill("10003")
    # the motivation letter joins the CV's item
    cv_item = page.get_by_label("Item of 10001 CV Jansen.pdf").input_value()
    page.get_by_label("Item of 10001 - motivatie.pdf").fill(cv_item)
    shot(page, "wizard-files.png")
    violations.extend(page.evaluate("window.__violations"))
    page.click("input[name=save]")
    page.wait_for_url("**/files/")
    assert "4 files: 3 items will be proposed" in page.locator("#files-summary").inner_text()
    page.click(".submit-row input.default")  # Continue

    page.wait_for_url("**/map/")
    assert page.get_by_label("Organisation/person", exact=True).input_value() == "A"
    assert page.get_by_label("Attachment", exact=True).input_value() == "C"
    page.click(".submit-row input.default")
    page.wait_for_url("**/check/")
    page.wait_for_selector("#check-confirm", timeout=60_000)
    assert "Rows read: 3 = 3 valid + 0 invalid." in page.content()
    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=60_000)
    assert world.items_of(job) == 3
    files = world.query(
        "SELECT COUNT(*) FROM dossier_attachment a JOIN dossier_dossieritem i ON a.item_id = i.id "
        "WHERE i.import_job_id = ?",
        uuid.UUID(job).hex,
    )[0]
    assert files == 4
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
