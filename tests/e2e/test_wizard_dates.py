"""A month-first file in a real browser, with the real web server and task worker (World):
the mapping page detects the column's order and shows the evidence, the check and the import
read every row month first, and the next file of the kind, whose values say nothing, gets the
remembered decision without a question."""

import sqlite3
import uuid

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_wizard_back import World, job_id_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MONTH_FIRST = (
    "Relatienummer;Onderwerp;Instuurdatum\n"
    "10001;Brief;03/25/2026 12:00\n"
    "10002;CV;04/13/2026 12:00\n"
    "10003;Brief;04/01/2026 12:00\n"
)
# Noon: the day stays the same in UTC, as the database keeps it.
SAYS_NOTHING = "Relatienummer;Onderwerp;Instuurdatum\n10004;Motivatie;03/04/2026 12:00\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("dates"))
    yield world
    world.stop()


def submit_days(world, job: str) -> list[str]:
    with sqlite3.connect(world.folder / "db.sqlite3", timeout=30) as db:
        rows = db.execute(
            "SELECT substr(submitted_at, 1, 10) FROM dossier_dossieritem WHERE import_job_id = ? ORDER BY 1",
            (uuid.UUID(job).hex,),
        ).fetchall()
    return [row[0] for row in rows]


def upload(page, world, path) -> None:
    page.goto(f"{world.url}/admin/imports/new/upload/SOLL/")
    page.get_by_label("Spreadsheet").set_input_files(str(path))
    page.click(".submit-row input.default")
    page.wait_for_url("**/map/**")


def import_all(page) -> str:
    page.wait_for_selector("#check-confirm", timeout=60_000)
    job = job_id_of(page)
    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=60_000)
    return job


def test_a_month_first_column_is_detected_shown_with_its_evidence_and_imported_right(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    rows = tmp_path / "letters-us.csv"
    rows.write_text(MONTH_FIRST, encoding="utf-8")
    upload(page, world, rows)

    evidence = page.locator('[data-format-for="id_column_submitted_at"]')
    expected = "Month first: 2 of 3 values have a second part above 12 (such as 03/25/2026 12:00)."
    assert expected in evidence.inner_text()
    assert page.locator("#id_date_order_submitted_at").input_value() == ""  # as its values say
    # the script: the evidence follows the column chosen
    column = page.get_by_label("Submit date", exact=True)
    column.select_option("")
    assert evidence.is_hidden()
    column.select_option("B")
    assert "Nothing to decide" in evidence.inner_text()
    column.select_option("C")
    assert expected in evidence.inner_text()

    page.click(".submit-row input.default")
    page.wait_for_url("**/check/")
    page.wait_for_selector("#check-confirm", timeout=60_000)
    assert "Rows read: 3 = 3 valid + 0 invalid." in page.content()
    job = import_all(page)
    assert submit_days(world, job) == ["2026-03-25", "2026-04-01", "2026-04-13"]

    # The next file of the kind says nothing (03/04/2026): the remembered decision holds.
    rows.write_text(SAYS_NOTHING, encoding="utf-8")
    upload(page, world, rows)
    assert "Remembered with the mapping: month first (12-31-2025)." in evidence.inner_text()
    assert "Not decided" in evidence.inner_text()
    assert page.locator("#id_date_order_submitted_at").input_value() == "mdy"
    page.click(".submit-row input.default")
    page.wait_for_url("**/check/")
    job = import_all(page)
    assert submit_days(world, job) == ["2026-03-04"]
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
