"""The streaming .xlsx reader against files written by openpyxl and by LibreOffice."""

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from spreadsheets.cells import UNCOMPUTED
from spreadsheets.xlsx import column_index, open_book

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
    from spreadsheets.background import rows_in_background
    from spreadsheets.cells import clean_rows

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

    from spreadsheets.background import BackgroundReadError, rows_in_background

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
    from spreadsheets import reading

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


# --- what real-world writers do (see also test_reader_corpus.py) ----------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def write_package(path, sheet_data, *, shared=None, relationships=True, prefix=""):
    """A hand-written .xlsx; `prefix` ("x:") writes SpreadsheetML with a namespace prefix."""
    p = prefix
    xmlns = f'xmlns{":" + p[:-1] if p else ""}="{MAIN}"'
    rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": f'<{p}workbook {xmlns} xmlns:r="{DOC_RELS}"><{p}sheets>'
        f'<{p}sheet name="Blad1" sheetId="1" r:id="rId1"/></{p}sheets></{p}workbook>',
        "xl/worksheets/sheet1.xml": f"<{p}worksheet {xmlns}><{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>",
    }
    if relationships:
        parts["_rels/.rels"] = (
            f'<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        )
        parts["xl/_rels/workbook.xml.rels"] = (
            f'<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{DOC_RELS}/worksheet" '
            'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
            f'Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        )
    if shared is not None:
        parts["xl/sharedStrings.xml"] = f"<{p}sst {xmlns}>{shared}</{p}sst>"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_excel_escapes_are_decoded_in_shared_inline_and_formula_text(tmp_path):
    path = write_package(
        tmp_path / "escapes.xlsx",
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>a_x000D_b</t></is></c>'
        '<c r="C1" t="str"><f>A1</f><v>c_x000D_d</v></c><c r="D1" t="s"><v>1</v></c></row>',
        shared="<si><t>regel 1_x000D_\nregel 2</t></si><si><t>letterlijk _x005F_x000D_ _x0041_</t></si>",
    )
    assert rows_of(path) == [(1, ("regel 1\r\nregel 2", "a\rb", "c\rd", "letterlijk _x000D_ A"))]


def test_inline_rich_text_keeps_no_whitespace_of_the_markup_around_it(tmp_path):
    path = write_package(
        tmp_path / "inline.xlsx",
        '<row r="1">\n  <c r="A1" t="inlineStr">\n    <is>\n      <t>inline</t>\n    </is>\n  </c>\n'
        '  <c r="B1" t="inlineStr"><is>\n<r><rPr><b/></rPr><t>vet</t></r>\n<r><t xml:space="preserve"> en</t></r>\n'
        '<rPh sb="0" eb="1"><t>フリガナ</t></rPh></is></c>\n  <c r="C1" t="b">\n    <v>1</v>\n  </c>\n</row>',
    )
    assert rows_of(path) == [(1, ("inline", "vet en", True))]


def test_iso_date_cells_may_hold_a_date_a_time_or_both(tmp_path):
    path = write_package(
        tmp_path / "iso.xlsx",
        '<row r="1"><c r="A1" t="d"><v>2025-04-03</v></c><c r="B1" t="d"><v>14:30:00</v></c>'
        '<c r="C1" t="d"><v>2025-04-03T14:30:05</v></c></row>',
    )
    assert rows_of(path) == [(1, (dt.date(2025, 4, 3), dt.time(14, 30), dt.datetime(2025, 4, 3, 14, 30, 5)))]


def test_an_empty_shared_string_and_an_empty_value_are_empty_cells(tmp_path):
    path = write_package(
        tmp_path / "empty.xlsx",
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v/></c><c r="C1" t="s"><v>1</v></c></row>',
        shared="<si><t/></si><si><t>x</t></si>",
    )
    assert rows_of(path) == [(1, ("", None, "x"))]


def test_a_package_without_relationship_files_and_with_prefixed_names_is_read(tmp_path):
    path = write_package(
        tmp_path / "bare.xlsx",
        '<x:row><x:c t="inlineStr"><x:is><x:t>Nummer</x:t></x:is></x:c></x:row><x:row><x:c><x:v>1</x:v></x:c></x:row>',
        relationships=False,
        prefix="x:",
    )
    assert rows_of(path) == [(1, ("Nummer",)), (2, (1,))]


def test_formulas_without_their_value_are_uncomputed_but_an_empty_text_result_is_empty(tmp_path):
    path = write_package(
        tmp_path / "formulas.xlsx",
        '<row r="1"><c r="A1"><f>1+1</f></c><c r="B1"><f>1+1</f><v/></c><c r="C1" t="str"><f>""</f><v></v></c>'
        '<c r="D1"><f>1+1</f><v>2</v></c><c r="E1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        '<c r="F1" t="inlineStr"><f>"a"</f><is><t>a</t></is></c></row>',
    )
    assert rows_of(path) == [(1, (UNCOMPUTED, UNCOMPUTED, None, 2, None, "a"))]


def test_date_styled_numbers_read_as_python_calamine_reads_them(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([dt.date(2025, 4, 3), dt.datetime(2025, 4, 3, 14, 30), dt.time(9, 15), dt.timedelta(hours=30)])
    sheet["E1"] = 1
    sheet["E1"].number_format = "dd-mm-yyyy"  # Excel's day 1 is 1 January 1900
    workbook.save(tmp_path / "dates.xlsx")
    assert rows_of(tmp_path / "dates.xlsx") == [
        (
            1,
            (
                dt.date(2025, 4, 3),
                dt.datetime(2025, 4, 3, 14, 30),
                dt.time(9, 15),
                dt.timedelta(hours=30),
                dt.date(1900, 1, 1),
            ),
        )
    ]
