"""One cell limit for every format (settings.IMPORT_MAX_CELL_LENGTH): a longer cell refuses
the file with one sentence naming its row and column, and the .xlsx and .ods readers stop
collecting its text at the limit, so a cell far larger than the limit is never held whole.
The hostile files are built here: one huge cell, deflated so the file is small."""

import csv
import random
import string
import tracemalloc
import zipfile

import pytest

from spreadsheets import reading
from spreadsheets.cells import MAX_CELL_LENGTH, CellTooLong
from spreadsheets.ods import open_book as open_ods
from spreadsheets.reading import ReadError, open_table
from spreadsheets.xlsx import open_book as open_xlsx
from tests.spreadsheets.test_ods import content, row, table, text, write_ods

SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


def noise(length: int) -> str:
    """Text that does not pack tighter than the ZIP ratio limit allows (letters at random)."""
    return "".join(random.Random(length).choices(string.ascii_letters, k=length))


def inline(reference: str, value: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>'


def write_xlsx(path, long_cell: str, *, shared: bool = False, used: bool = True):
    """A workbook of three rows: names, one good row and in C3 the long cell, written inline or
    as a shared string (that C3 uses, or not when `used` is false)."""
    rows = [
        f'<row r="1">{inline("A1", "Nummer")}{inline("B1", "Onderwerp")}{inline("C1", "Tekst")}</row>',
        f'<row r="2">{inline("A2", "10001")}{inline("B2", "Brief")}{inline("C2", "kort")}</row>',
    ]
    if shared:
        strings = ["gewoon", long_cell]
        third = f'<c r="C3" t="s"><v>{1 if used else 0}</v></c>'
    else:
        strings = []
        third = inline("C3", long_cell)
    rows.append(f'<row r="3">{inline("A3", "10002")}{inline("B3", "CV")}{third}</row>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + "".join(rows) + "</sheetData></worksheet>")
        if strings:
            items = "".join(f"<si><t>{s}</t></si>" for s in strings)
            archive.writestr(
                "xl/sharedStrings.xml",
                f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{items}</sst>',
            )
    return path


def write_long_ods(path, cell: str):
    rows = [
        row(text("Nummer"), text("Onderwerp"), text("Tekst")),
        row(text("10001"), text("Brief"), text("kort")),
        row(text("10002"), text("CV"), cell),
    ]
    return write_ods(path, content(table("Blad1", *rows)))


def all_rows(path):
    found = open_table(path)
    return [r.cells for r in found.rows()]


def refusal(limit: int = MAX_CELL_LENGTH) -> str:
    return rf"^Row 3, column C holds more than {limit:,} characters, more than a cell may hold\. Shorten it"


# --- refused with the row and column -----------------------------------------------------------


def test_an_xlsx_cell_longer_than_the_cell_limit_is_refused_with_its_row_and_column(tmp_path):
    path = write_xlsx(tmp_path / "long.xlsx", noise(MAX_CELL_LENGTH + 1))
    assert path.stat().st_size < MAX_CELL_LENGTH  # packed, under the ZIP ratio limit
    with pytest.raises(ReadError, match=refusal()):
        all_rows(path)


def test_an_xlsx_cell_of_exactly_the_limit_is_read_whole(tmp_path, settings):
    settings.IMPORT_MAX_CELL_LENGTH = 1000
    path = write_xlsx(tmp_path / "limit.xlsx", "x" * 1000)
    assert all_rows(path)[-1] == ("10002", "CV", "x" * 1000)


def test_a_shared_string_longer_than_the_limit_refuses_the_cell_that_uses_it(tmp_path, settings):
    settings.IMPORT_MAX_CELL_LENGTH = 1000
    path = write_xlsx(tmp_path / "shared.xlsx", "x" * 1001, shared=True)
    with pytest.raises(ReadError, match=refusal(1000)):
        all_rows(path)


def test_a_long_shared_string_that_no_cell_uses_refuses_nothing(tmp_path, settings):
    settings.IMPORT_MAX_CELL_LENGTH = 1000
    path = write_xlsx(tmp_path / "unused.xlsx", "x" * 5000, shared=True, used=False)
    assert all_rows(path)[-1] == ("10002", "CV", "gewoon")


def test_the_second_process_refuses_a_long_cell_with_its_row_and_column_too(tmp_path, settings, monkeypatch):
    settings.IMPORT_MAX_CELL_LENGTH = 1000
    monkeypatch.setattr(reading, "BACKGROUND_READ_BYTES", 0)
    for shared in (False, True):
        path = write_xlsx(tmp_path / f"background{shared}.xlsx", "x" * 1001, shared=shared)
        with pytest.raises(ReadError, match=refusal(1000)):
            all_rows(path)


def test_an_ods_cell_longer_than_the_limit_is_refused_with_its_row_and_column(tmp_path, settings):
    settings.IMPORT_MAX_CELL_LENGTH = 1000
    cells = {
        "paragraph": text("x" * 1001),
        "paragraphs": text("x" * 600 + "</text:p><text:p>" + "x" * 600),
        "spaces": text('x<text:s text:c="5000"/>x'),
        "value attribute": f'<table:table-cell office:value-type="string" office:string-value="{"x" * 1001}"/>',
    }
    for name, cell in cells.items():
        path = write_long_ods(tmp_path / f"{name}.ods", cell)
        with pytest.raises(ReadError, match=refusal(1000)):
            all_rows(path)
    path = write_long_ods(tmp_path / "fits.ods", text("x" * 1000))
    assert all_rows(path)[-1] == ("10002", "CV", "x" * 1000)


def test_an_ods_cell_longer_than_the_default_limit_is_refused(tmp_path):
    path = write_long_ods(tmp_path / "long.ods", text(noise(MAX_CELL_LENGTH + 1)))
    with pytest.raises(ReadError, match=refusal()):
        all_rows(path)


def test_a_csv_cell_longer_than_the_setting_is_refused_and_the_csv_module_keeps_its_own_limit(tmp_path, settings):
    settings.IMPORT_MAX_CELL_LENGTH = 1000
    path = tmp_path / "long.csv"
    path.write_text("Nummer;Onderwerp;Tekst\n10001;Brief;kort\n10002;CV;" + "x" * 1001 + "\n", encoding="utf-8")
    before = csv.field_size_limit()
    with pytest.raises(ReadError, match=refusal(1000)):
        all_rows(path)
    assert csv.field_size_limit() == before


def test_an_xls_cell_longer_than_the_setting_is_refused_with_its_row_and_column(settings):
    settings.IMPORT_MAX_CELL_LENGTH = 20  # 'Sollicitatiebrief José' in B2 has 22 characters
    with pytest.raises(ReadError, match=r"^Row 2, column B holds more than 20 characters"):
        all_rows(reading.Path(__file__).resolve().parent.parent / "files" / "calc_source.xls")


# --- memory stays flat --------------------------------------------------------------------


def peak_while(read) -> int:
    """The most memory Python held while `read()` ran, in bytes."""
    tracemalloc.start()
    try:
        read()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refuses(open_book, path):
    def read():
        book = open_book(path, 1000)
        try:
            with pytest.raises(CellTooLong) as caught:
                list(book.rows(book.sheet_names[0]))
            assert (caught.value.row, caught.value.column, caught.value.limit) == (3, 2, 1000)
        finally:
            book.close()

    return read


@pytest.mark.parametrize("shared", [False, True], ids=["inline", "shared string"])
def test_the_xlsx_reader_never_holds_a_cell_longer_than_the_limit(tmp_path, shared):
    cell = 8 * 2**20  # 8 MB of text in one cell, packed to a few kilobytes
    path = write_xlsx(tmp_path / "bomb.xlsx", "x" * cell, shared=shared)
    assert path.stat().st_size < 100_000
    assert peak_while(refuses(open_xlsx, path)) < cell // 8


def test_the_ods_reader_never_holds_a_cell_longer_than_the_limit(tmp_path):
    cell = 8 * 2**20
    path = write_long_ods(tmp_path / "bomb.ods", text("x" * cell))
    assert path.stat().st_size < 100_000
    assert peak_while(refuses(open_ods, path)) < cell // 8


def test_an_ods_value_attribute_longer_than_the_limit_is_never_held_whole(tmp_path):
    cell = 8 * 2**20
    attribute = f'<table:table-cell office:value-type="string" office:string-value="{"x" * cell}"/>'
    path = write_long_ods(tmp_path / "attribute.ods", attribute)
    assert peak_while(refuses(open_ods, path)) < cell // 8


def test_an_xlsx_tag_longer_than_a_cell_may_be_is_never_held_whole(tmp_path):
    cell = 8 * 2**20
    path = write_xlsx(tmp_path / "tag.xlsx", "kort")
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace('<c r="C3" t="inlineStr">', f'<c r="C3" t="inlineStr" x="{"y" * cell}">')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    assert peak_while(refuses(open_xlsx, path)) < cell // 8
