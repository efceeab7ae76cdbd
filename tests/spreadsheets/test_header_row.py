"""The row with the column names found by itself in every format when a title, a note or
empty rows stand above it (reading.header_guess; a CSV's own guess is detect_layout). The
files are built here: .xlsx by openpyxl, .ods by the XML helpers of test_ods, .csv as text."""

import datetime as dt

import openpyxl
import pytest

from spreadsheets.reading import Row, header_guess, open_table
from tests.spreadsheets.test_ods import content, number, row, table, text, write_ods

TITLE = "Klachten export 2026"
NAMES = ["Klantnummer", "Onderwerp brief", "Opmerking", "Datum ontvangen", "Behandelaar"]
DATA = [
    [20001, "Levering te laat", "Tweede keer", "03-03-2026", "admin"],
    [20002, "Factuur onjuist", "", "04-03-2026", "importeur"],
    [20003, "Geen reactie", "Belde drie keer", "05-03-2026", "admin"],
]
TITLED = [[TITLE], [], NAMES, *DATA]  # A1 the title, row 2 empty, row 3 the names, data from row 4


def write_xlsx(path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for cells in rows:
        sheet.append(cells)
    workbook.save(path)
    return path


def write_sheet_ods(path, rows):
    def cell(value):
        if value in (None, ""):
            return "<table:table-cell/>"
        return number(value) if isinstance(value, int | float) else text(value)

    return write_ods(path, content(table("Blad1", *(row(*map(cell, cells)) for cells in rows))))


def write_csv(path, rows):
    path.write_text("".join(";".join(str(cell) for cell in cells) + "\n" for cells in rows), encoding="utf-8")
    return path


WRITERS = {"xlsx": write_xlsx, "ods": write_sheet_ods, "csv": write_csv}


def read(path, **options):
    found = open_table(path, **options)
    return found, [(r.number, r.cells) for r in found.rows()]


@pytest.mark.parametrize("kind", WRITERS)
def test_a_title_and_an_empty_row_above_the_column_names_are_left_out(tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"klachten.{kind}", TITLED)
    found, rows = read(path)
    assert found.headers == NAMES
    assert found.header_row == found.found_header_row == 3
    assert [r.number for r in found.above] == [1]
    assert found.above[0].cells[0] == TITLE
    assert [number for number, _cells in rows] == [4, 5, 6]
    assert len(rows[0][1]) == len(NAMES)  # the columns behind the title are all there


@pytest.mark.parametrize("kind", WRITERS)
def test_without_the_guess_the_first_row_is_read_and_the_found_row_is_still_told(tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"klachten.{kind}", TITLED)
    first = open_table(path, guess_header=False)  # the sheet step's preview starts at the title
    first.close()
    assert (first.header_row, first.found_header_row, first.headers) == (1, 3, [TITLE])


@pytest.mark.parametrize("kind", WRITERS)
def test_a_row_asked_for_is_taken_as_it_is(tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"klachten.{kind}", TITLED)
    found, _rows = read(path, header_row=4)
    assert found.headers[1:3] == ["Levering te laat", "Tweede keer"]
    assert found.found_header_row is None  # nothing was guessed
    assert [r.number for r in found.above] == [1, 3]


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_a_sheet_without_a_title_keeps_its_first_row(tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"klachten.{kind}", [NAMES, *DATA])
    found, rows = read(path)
    assert (found.header_row, found.headers, found.above) == (1, NAMES, [])
    assert len(rows) == 3


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_a_sheet_of_data_without_column_names_is_not_guessed_at(tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"klachten.{kind}", [[TITLE], *DATA])
    found, _rows = read(path)
    assert found.header_row == 1  # as before: the first row, which the wizard lets the user change


def test_names_over_text_only_rows_are_found_by_their_width(tmp_path):
    rows = [["Overzicht"], ["Naam", "Onderwerp", "Opmerking"], ["Jansen", "Brief", "Kort"], ["Smit", "CV", "Lang"]]
    found, data = read(write_xlsx(tmp_path / "tekst.xlsx", rows))
    assert (found.header_row, found.headers) == (2, ["Naam", "Onderwerp", "Opmerking"])
    assert [number for number, _cells in data] == [3, 4]


def test_names_one_column_narrower_than_the_data_are_found_above_it(tmp_path):
    # The last column has data but no name: the rows of data are the widest.
    rows = [["Export maart"], ["Nummer", "Onderwerp"], [10001, "Brief", "x"], [10002, "CV", "y"]]
    found, _data = read(write_xlsx(tmp_path / "smal.xlsx", rows))
    assert (found.header_row, found.headers) == (2, ["Nummer", "Onderwerp"])
    assert found.beyond == {2: 3}  # the cells without a name are noted, never dropped unsaid


def test_typed_values_and_numbers_as_text_are_never_names():
    body = [Row(3, ("Nummer", "Datum")), Row(4, (10001, dt.date(2026, 3, 3))), Row(5, ("10002", "04-03-2026"))]
    assert header_guess([Row(1, ("Titel",)), *body]) == 3
    assert header_guess([Row(1, ("Gemaakt", dt.date(2026, 3, 3))), *body[1:]]) is None
    assert header_guess([Row(1, ("Titel",)), Row(2, ("Nummer", "nummer")), *body[1:]]) is None  # one name twice
    assert header_guess(body[:2]) is None  # one row of data: nothing to go by
