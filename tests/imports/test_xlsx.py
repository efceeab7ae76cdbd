"""The streaming .xlsx reader against files written by openpyxl and by LibreOffice."""

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from imports.pipeline.cells import UNCOMPUTED
from imports.pipeline.xlsx import column_index, open_book

FILES = Path(__file__).resolve().parent.parent / "files"


def rows_of(path, sheet=None):
    book = open_book(path)
    try:
        return list(book.rows(sheet or book.sheet_names[0]))
    finally:
        book.archive.close()


def test_it_reads_every_cell_type(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        ["text", 10001, 12.5, True, dt.datetime(2025, 4, 3), dt.datetime(2025, 4, 3, 14, 30), "=1+1", None, "last"]
    )
    sheet["G1"].value = "=A1"
    sheet.append([CellRichText(TextBlock(InlineFont(b=True), "vet"), " en gewoon")])
    workbook.save(tmp_path / "types.xlsx")
    (first, second) = rows_of(tmp_path / "types.xlsx")
    number, cells = first
    assert number == 1
    assert cells[:6] == ("text", 10001, 12.5, True, dt.date(2025, 4, 3), dt.datetime(2025, 4, 3, 14, 30))
    assert cells[6] is UNCOMPUTED  # openpyxl writes a formula without its value
    assert cells[7] is None
    assert cells[8] == "last"
    assert second == (2, ("vet en gewoon",))


def test_sparse_rows_keep_their_numbers_and_columns(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B3"] = "b"
    sheet["D3"] = "d"
    sheet["A7"] = 1
    workbook.save(tmp_path / "sparse.xlsx")
    assert rows_of(tmp_path / "sparse.xlsx") == [(3, (None, "b", None, "d")), (7, (1,))]


def test_dates_in_the_1904_system(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    workbook.active.append([dt.datetime(2025, 1, 1)])
    workbook.save(tmp_path / "mac.xlsx")
    book = open_book(tmp_path / "mac.xlsx")
    assert book.date1904
    assert list(book.rows(book.sheet_names[0])) == [(1, (dt.date(2025, 1, 1),))]  # whole days: a date


def test_a_file_saved_by_libreoffice_uses_shared_strings_and_date_styles():
    rows = rows_of(FILES / "calc_source.xlsx")
    assert rows[0][1][:2] == ("Organisatie/persoon", "Onderwerp")
    assert rows[1][1][:3] == (10001, "Sollicitatiebrief José", dt.date(2025, 4, 3))


def test_sheets_are_listed_in_workbook_order(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Uitleg"
    workbook.create_sheet("Data")["A1"] = "x"
    workbook.save(tmp_path / "two.xlsx")
    book = open_book(tmp_path / "two.xlsx")
    assert book.sheet_names == ["Uitleg", "Data"]
    assert list(book.rows("Data")) == [(1, ("x",))]


@pytest.mark.parametrize(("reference", "index"), [("A1", 0), ("Z9", 25), ("AA10", 26), ("XFD1048576", 16383)])
def test_column_references_become_indexes(reference, index):
    assert column_index(reference) == index


def test_a_second_process_reads_the_same_rows_trimmed_and_without_empty_ones(tmp_path):
    from imports.pipeline.background import rows_in_background
    from imports.pipeline.cells import clean_rows

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for n in range(5000):
        if n % 100 == 7:
            sheet.append(["  ", None, " "])  # blank: left out
            continue
        sheet.append([10001 + n, f" Brief {n}  ", dt.datetime(2025, 1, 1) + dt.timedelta(days=n % 300), n % 2 == 0])
    workbook.save(tmp_path / "many.xlsx")
    book = open_book(tmp_path / "many.xlsx")
    rows = list(rows_in_background(tmp_path / "many.xlsx", "Sheet", "xlsx"))
    assert rows == list(clean_rows(book.rows("Sheet")))
    assert len(rows) == 5000 - 50
    assert rows[0] == (1, (10001, "Brief 0", dt.date(2025, 1, 1), True))
    assert 8 not in {number for number, _cells in rows}


def test_a_second_process_reports_a_damaged_sheet(tmp_path):
    import zipfile

    from imports.pipeline.background import BackgroundReadError, rows_in_background

    workbook = openpyxl.Workbook()
    workbook.active.append(["x"])
    workbook.save(tmp_path / "ok.xlsx")
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as source, zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as target:
        for member in source.infolist():
            data = b"<worksheet><sheetData><row" if member.filename.endswith("sheet1.xml") else source.read(member)
            target.writestr(member, data)
    with pytest.raises(BackgroundReadError, match="ExpatError"):
        list(rows_in_background(tmp_path / "bad.xlsx", "Sheet", "xlsx"))


def test_open_table_reads_large_sheets_in_a_second_process(tmp_path, monkeypatch):
    from imports.pipeline import reading

    calls = []
    original = reading.rows_in_background
    monkeypatch.setattr(reading, "BACKGROUND_READ_BYTES", 0)
    monkeypatch.setattr(reading, "rows_in_background", lambda *args: calls.append(args) or original(*args))
    workbook = openpyxl.Workbook()
    workbook.active.append(["Nummer"])
    workbook.active.append([10001])
    workbook.save(tmp_path / "rows.xlsx")
    table = reading.open_table(tmp_path / "rows.xlsx")
    assert [row.cells for row in table.rows()] == [(10001,)]
    assert len(calls) == 1
