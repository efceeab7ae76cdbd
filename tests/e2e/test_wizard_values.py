"""Values, once per distinct value (issue 16 part 1), in a real browser against the real web
server and task worker of test_wizard_back's World: a complaints file whose severity says
"middel" and "Mid" where the characteristic has Laag, Midden, Hoog is fixed on the check page
(the suggestion already chosen, one more value picked) and imported without a new upload; the
next file of the same kind applies the remembered values with no question, and the mapping
page lists them."""

from pathlib import Path

import pytest

from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_wizard_back import World, upload_and_map

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEADERS = "Relatienummer;Onderwerp;Ernst;Prioriteit"
FIRST = [
    "20001;Levering te laat;middel;hoog",
    "20002;Kapot geleverd;Laag;normal",
    "20003;Factuur fout;middel;",
    "20004;Verkeerd adres;zeer ernstig;urgent",
]
NEXT = ["20005;Weer te laat;middel;urgent", "20006;Pakket kwijt;zeer ernstig;"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("values"))
    yield world
    world.stop()


def complaints(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([HEADERS, *rows]) + "\n", encoding="utf-8")
    return path


def value_select(page, value: str):
    return page.get_by_label(value, exact=True)


def test_unknown_values_are_fixed_on_the_check_page_and_remembered_for_the_next_file(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    job = upload_and_map(page, world, complaints(tmp_path, "klachten-1.csv", FIRST), type_code="KLACHT")
    page.wait_for_selector("#check-values", timeout=60_000)
    assert "Rows read: 4 = 1 valid + 3 invalid." in page.content()
    # The likely value is chosen already and marked; the others are left invalid by default.
    assert value_select(page, "middel").input_value() == "MIDDEN"
    assert "(suggested)" in value_select(page, "middel").locator("option:checked").inner_text()
    assert value_select(page, "zeer ernstig").input_value() == ""
    assert value_select(page, "urgent").input_value() == ""
    shot(page, "wizard-9-values.png")
    value_select(page, "zeer ernstig").select_option("HOOG")
    value_select(page, "urgent").select_option("high")
    page.click("#values-apply")
    # The same file is checked again by the worker: no upload, the same job.
    page.wait_for_selector("#check-confirm", timeout=60_000)
    assert page.url.endswith(f"/{job}/check/")
    assert "Rows read: 4 = 4 valid + 0 invalid." in page.content()
    assert page.locator("#check-values").count() == 0
    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=60_000)
    assert world.items_of(job) == 4
    assert (
        world.query(
            "SELECT COUNT(*) FROM dossier_dossieritem i JOIN dossier_characteristicvalue v"
            " ON v.id = i.characteristic_value_1_id WHERE i.import_job_id = ? AND v.code = 'MIDDEN'",
            job.replace("-", ""),
        )[0]
        == 2
    )

    # The next file of the kind: the remembered values apply, no question.
    following = upload_and_map(page, world, complaints(tmp_path, "klachten-2.csv", NEXT), type_code="KLACHT")
    page.wait_for_selector("#check-confirm", timeout=60_000)
    assert "Rows read: 2 = 2 valid + 0 invalid." in page.content()
    assert page.locator("#check-values").count() == 0
    page.click("text=Change the mapping")
    page.wait_for_url("**/map/**")
    remembered = page.locator("#map-values").inner_text()
    assert "Remembered values" in remembered and "middel" in remembered and "urgent" in remembered
    page.locator("#map-values").scroll_into_view_if_needed()
    shot(page, "wizard-10-remembered-values.png")
    assert world.job(following)[0] == "validated"
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []


def test_a_checked_import_that_will_not_be_continued_is_dropped_and_ends_cancelled(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    job = upload_and_map(page, world, complaints(tmp_path, "klachten-weg.csv", FIRST), type_code="KLACHT")
    page.wait_for_selector("#discard-button", timeout=60_000)  # checked (values remembered or not)
    (stored,) = world.query("SELECT file FROM imports_importjob WHERE id = ?", job.replace("-", ""))
    assert stored and (world.folder / "private" / stored).exists()
    page.click("#discard-button")
    page.wait_for_selector("#discard-yes")  # the confirmation: a GET changes nothing
    assert world.job(job)[0] == "validated"
    assert "The import history keeps its record, as cancelled." in page.content()
    page.click("#discard-yes")
    page.wait_for_url(f"**/importjob/{job}/**")
    assert "The import of klachten-weg.csv was cancelled: its files were removed" in page.content()
    assert page.locator("#history-state").inner_text().startswith("Cancelled by importeur at")
    assert world.job(job)[0] == "cancelled"
    assert world.query("SELECT file FROM imports_importjob WHERE id = ?", job.replace("-", ""))[0] == ""
    assert not (world.folder / "private" / stored).exists()
    assert world.items_of(job) == 0
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
