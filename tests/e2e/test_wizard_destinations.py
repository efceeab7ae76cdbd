"""Destinations not found, in a real browser (Chromium) against the real web server and task
worker of test_wizard_back's World (issue 16, part 2): a role number and a name resolved to
relations on the check page, the file checked again without a new upload, and the next file
of the same kind finding them without a question."""

from pathlib import Path

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_wizard_back import World, upload_and_map

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEADERS = "Relatienummer;Onderwerp;Instuurdatum\n"
# E0003 is the employee number of 10003 Carla Bakker (Leeuwarden); SOLL needs an employee.
FIRST = "E0003;Sollicitatiebrief;13-04-2025\nCarla Bakker;CV;14-04-2025\nNiemand;Brief;16-04-2025\n"
NEXT = "E0003;Motivatie;20-04-2025\nCarla Bakker;Diploma;21-04-2025\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("destinations"))
    yield world
    world.stop()


def csv_file(folder: Path, name: str, rows: str) -> Path:
    path = folder / name
    path.write_text(HEADERS + rows, encoding="utf-8")
    return path


def test_a_role_number_and_a_name_are_resolved_once_and_remembered(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    job = upload_and_map(page, world, csv_file(tmp_path, "brieven.csv", FIRST))
    page.wait_for_selector("#check-destinations", timeout=60_000)
    assert "Rows read: 3 = 0 valid + 3 invalid." in page.content()
    assert page.locator("#id_relation-0 option:checked").inner_text() == "10003 Carla Bakker, Leeuwarden (person)"
    assert page.locator("#id_relation-1 option:checked").inner_text() == "10003 Carla Bakker, Leeuwarden (person)"
    assert page.locator("#id_relation-2").input_value() == ""  # Niemand: not found

    page.click("#destinations-apply")
    page.get_by_text("Rows read: 3 = 2 valid + 1 invalid.").wait_for(timeout=60_000)  # checked again
    assert page.locator("#check-destinations code").all_inner_texts() == ["Niemand"]
    page.click("#import-valid")
    page.wait_for_url("**/result/", timeout=60_000)
    assert world.items_of(job) == 2

    upload_and_map(page, world, csv_file(tmp_path, "meer-brieven.csv", NEXT))
    page.wait_for_selector("#check-confirm", timeout=60_000)
    assert "Rows read: 2 = 2 valid + 0 invalid." in page.content()
    assert page.locator("#check-destinations").count() == 0
    assert violations == []
