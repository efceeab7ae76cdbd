"""Reading: every format, the awkward files, and the bad ones. No database needed."""

import codecs
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from spreadsheets.cells import UNCOMPUTED
from spreadsheets.reading import ReadError, header_names, open_table, sample

FILES = Path(__file__).resolve().parent.parent / "files"


def read_all(path, **options):
    table = open_table(path, **options)
    return table, [(row.number, row.cells) for row in table.rows()]


def write_xlsx(path, rows, **sheet_options):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_options.get("title", "Blad1")
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("cp1252", b""), ("utf-16-le", codecs.BOM_UTF16_LE)],
)
def test_it_reads_csv_in_every_common_encoding(tmp_path, encoding, bom):
    path = tmp_path / "rows.csv"
    path.write_bytes(bom + "Relatienummer;Onderwerp\r\n10001;Sollicitatiebrief Zoë €\r\n".encode(encoding))
    table, rows = read_all(path)
    assert table.headers == ["Relatienummer", "Onderwerp"]
    assert rows == [(2, ("10001", "Sollicitatiebrief Zoë €"))]


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_it_detects_the_delimiter(tmp_path, delimiter):
    path = tmp_path / "rows.csv"
    path.write_text(
        delimiter.join(["Nummer", "Onderwerp", "Datum"]) + "\n" + delimiter.join(["10001", "CV", "01-02-2025"]) + "\n"
    )
    table, rows = read_all(path)
    assert table.headers == ["Nummer", "Onderwerp", "Datum"]
    assert rows == [(2, ("10001", "CV", "01-02-2025"))]


def test_it_keeps_quoted_newlines_and_delimiters_inside_one_cell(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('Nummer;Tekst\n10001;"regel 1\nregel 2; nog steeds"\n10002;kort\n', encoding="utf-8")
    _table, rows = read_all(path)
    assert rows == [(2, ("10001", "regel 1\nregel 2; nog steeds")), (3, ("10002", "kort"))]


def test_it_skips_empty_rows_and_keeps_the_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("\n;;\nNummer;Onderwerp\n10001;a\n;\n\n10002;b\n;;\n;;\n", encoding="utf-8")
    table, rows = read_all(path)
    assert table.header_row == 3
    assert rows == [(4, ("10001", "a")), (7, ("10002", "b"))]


def test_it_trims_surrounding_spaces_and_keeps_leading_zeros(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Nummer;Code\n  00123 ; x \n", encoding="utf-8")
    _table, rows = read_all(path)
    assert rows == [(2, ("00123", "x"))]


def test_it_pads_short_rows_and_cuts_cells_beyond_the_headers(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("A;B;C\n1\n1;2;3;4\n", encoding="utf-8")
    _table, rows = read_all(path)
    assert rows == [(2, ("1", None, None)), (3, ("1", "2", "3"))]


def test_a_chosen_header_row_is_used(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Export van 1-1-2025\nNummer;Onderwerp\n10001;a\n", encoding="utf-8")
    table, rows = read_all(path, header_row=2)
    assert table.headers == ["Nummer", "Onderwerp"]
    assert rows == [(3, ("10001", "a"))]
    with pytest.raises(ReadError, match="Row 5 of the sheet is empty"):
        open_table(path, header_row=5)


# --- headers -------------------------------------------------------------------------------


def test_empty_headers_stay_empty_in_every_language_and_repeated_names_stay_as_written():
    for language in ("nl", "en"):
        with translation.override(language):
            assert header_names(["Naam", "naam", None, " Datum  van ", "Naam", "", None]) == [
                "Naam",
                "naam",
                "",
                "Datum van",
                "Naam",
            ]


def test_cells_beyond_the_last_column_name_are_recorded_never_dropped_silently(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("Nummer;Naam;\n10001;Jan\n10002;Piet;extra;\n10003;Kees;;laatste\n", encoding="utf-8")
    table, rows = read_all(path)
    assert table.headers == ["Nummer", "Naam"]
    assert rows == [(2, ("10001", "Jan")), (3, ("10002", "Piet")), (4, ("10003", "Kees"))]
    assert table.beyond == {2: 3, 3: 4}


# --- xlsx ----------------------------------------------------------------------------------


def test_it_streams_an_xlsx_sheet_with_typed_cells(tmp_path):
    path = write_xlsx(
        tmp_path / "rows.xlsx",
        [["Nummer", "Datum", "Bedrag"], [10001, dt.datetime(2025, 2, 1), 1234.5], [None], ["00123", None, 1]],
    )
    table, rows = read_all(path)
    assert table.headers == ["Nummer", "Datum", "Bedrag"]
    assert table.sheet == "Blad1"
    assert rows == [(2, (10001, dt.date(2025, 2, 1), 1234.5)), (4, ("00123", None, 1))]


def test_it_reads_the_chosen_sheet_and_names_the_sheets_when_one_is_missing(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Uitleg"
    workbook.active.append(["Lees mij"])
    data = workbook.create_sheet("Data")
    data.append(["Nummer"])
    data.append(["10001"])
    workbook.save(tmp_path / "two.xlsx")
    table, rows = read_all(tmp_path / "two.xlsx", sheet="Data")
    assert table.sheet_names == ["Uitleg", "Data"]
    assert rows == [(2, ("10001",))]
    with pytest.raises(ReadError, match=r"no sheet 'Gegevens'\. Its sheets are: Uitleg, Data"):
        open_table(tmp_path / "two.xlsx", sheet="Gegevens")


def test_merged_header_cells_get_a_column_name(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Bestemming", None, "Onderwerp"])
    sheet.merge_cells("A1:B1")
    sheet.append(["10001", "30001", "Brief"])
    workbook.save(tmp_path / "merged.xlsx")
    table, _rows = read_all(tmp_path / "merged.xlsx")
    assert table.headers == ["Bestemming", "", "Onderwerp"]


def test_sample_reads_only_the_first_rows(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Nummer\n" + "".join(f"{n}\n" for n in range(1000)), encoding="utf-8")
    table, rows = sample(path, size=3)
    assert table.headers == ["Nummer"]
    assert [row.cells for row in rows] == [("0",), ("1",), ("2",)]


def test_openpyxl_parses_with_defusedxml():
    import defusedxml.ElementTree
    from openpyxl.xml import DEFUSEDXML
    from openpyxl.xml.functions import iterparse

    assert DEFUSEDXML is True
    assert iterparse is defusedxml.ElementTree.iterparse


def test_an_xlsx_with_an_entity_bomb_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "bomb.xlsx", [["Nummer"], ["10001"]])
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    rebuilt = tmp_path / "rebuilt.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for member in source.infolist():
            data = bomb.encode() if member.filename == "xl/worksheets/sheet1.xml" else source.read(member)
            target.writestr(member, data)
    with pytest.raises(ReadError):
        read_all(rebuilt)


# --- bad files -----------------------------------------------------------------------------


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ReadError, match="is empty"):
        open_table(tmp_path / "empty.csv")


def test_a_file_with_only_blank_rows_is_refused(tmp_path):
    (tmp_path / "blank.csv").write_text(";;\n\n;\n")
    with pytest.raises(ReadError, match="holds no data"):
        open_table(tmp_path / "blank.csv")


def test_a_file_that_is_no_spreadsheet_is_refused(tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    with pytest.raises(ReadError, match="is not a spreadsheet"):
        open_table(tmp_path / "photo.jpg")


def test_a_corrupt_xlsx_is_refused(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(ReadError, match="not a valid Excel file"):
        open_table(tmp_path / "broken.xlsx")


def test_a_renamed_pdf_is_refused(tmp_path):
    (tmp_path / "letter.xlsx").write_bytes(b"%PDF-1.4\n...")
    with pytest.raises(ReadError, match="not a valid Excel file"):
        open_table(tmp_path / "letter.xlsx")


def test_an_encrypted_office_file_is_refused(tmp_path):
    (tmp_path / "secret.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(ReadError, match="protected with a password"):
        open_table(tmp_path / "secret.xlsx")


def test_a_binary_file_named_csv_is_refused(tmp_path):
    (tmp_path / "data.csv").write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(ReadError, match="not a text"):
        open_table(tmp_path / "data.csv")


def test_an_xlsx_that_unpacks_too_far_is_refused(tmp_path, settings):
    settings.IMPORT_ZIP_LIMITS = {"members": 10_000, "uncompressed_bytes": 10_000, "ratio": 200}
    path = write_xlsx(tmp_path / "big.xlsx", [["Tekst"]] + [["x" * 100] for _ in range(500)])
    with pytest.raises(ReadError, match="unpacks to more"):
        open_table(path)


def test_a_file_over_the_size_limit_is_refused(tmp_path, settings):
    settings.IMPORT_MAX_FILE_SIZE = 10
    (tmp_path / "rows.csv").write_text("Nummer\n10001\n10002\n")
    with pytest.raises(ReadError, match="at most 0 MB"):
        open_table(tmp_path / "rows.csv")


# --- files written by a real spreadsheet program (LibreOffice Calc, Dutch locale) ----------


@pytest.mark.parametrize("extension", ["csv", "xlsx", "ods", "xls"])
def test_files_saved_by_a_spreadsheet_program_read_to_the_same_values(extension):
    from dossier.values import as_text, parse_date, parse_decimal

    table, rows = read_all(FILES / f"calc_source.{extension}")
    assert table.headers == ["Organisatie/persoon", "Onderwerp", "Instuurdatum", "Begindatum", "Bedrag", "Bijlage"]
    assert [number for number, _cells in rows] == [2, 3, 4]  # trailing empty rows skipped
    first = rows[0][1]
    assert as_text(first[0]) == "10001"
    assert first[1] == "Sollicitatiebrief José"  # Windows-1252 in the CSV
    assert parse_date(first[2]) == dt.date(2025, 4, 3)  # 03-04-2025 is 3 April
    assert parse_date(rows[1][1][2]) == dt.date(2025, 2, 1)
    assert parse_decimal(first[4]) == parse_decimal("1234,56")
    assert first[5] == "\\\\client\\C$\\Import\\10001_brief.pdf"
    assert rows[2][1][5] is None


def test_an_xls_that_starts_below_and_right_of_a1_keeps_its_row_numbers_and_columns(tmp_path):
    """offset_b2.xls (written with xlwt): B2 "Relatienummer", C2 "Onderwerp"; B3 10001, C3
    "Brief"; C4 "Zonder nummer". The same cells in an .xlsx read the same."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B2"], sheet["C2"], sheet["B3"], sheet["C3"], sheet["C4"] = (
        "Relatienummer",
        "Onderwerp",
        10001,
        "Brief",
        "Zonder nummer",
    )
    workbook.save(tmp_path / "offset_b2.xlsx")
    xls_table, xls_rows = read_all(FILES / "offset_b2.xls")
    xlsx_table, xlsx_rows = read_all(tmp_path / "offset_b2.xlsx")
    assert xls_table.header_row == xlsx_table.header_row == 2
    assert xls_table.headers == xlsx_table.headers
    assert xls_table.headers[1:] == ["Relatienummer", "Onderwerp"]
    assert [(n, cells[1:]) for n, cells in xls_rows] == [(3, (10001.0, "Brief")), (4, (None, "Zonder nummer"))]
    assert [(n, cells[1:]) for n, cells in xlsx_rows] == [(3, (10001, "Brief")), (4, (None, "Zonder nummer"))]


# --- refusals and choices of issue 7 ----------------------------------------------------------


def test_an_xlsm_is_refused_by_its_name_saying_to_save_it_as_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "macros.xlsm", [["Nummer"], [1]])
    with pytest.raises(ReadError, match=r"'macros\.xlsm' is a workbook with macros.*Save it as \.xlsx"):
        open_table(path)


@pytest.mark.parametrize("how", ["content type", "vbaProject.bin"])
def test_a_macro_workbook_named_xlsx_is_refused_by_its_content(tmp_path, how):
    good = write_xlsx(tmp_path / "good.xlsx", [["Nummer"], [1]])
    path = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if how == "content type" and item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
                assert b"macroEnabled" in data
            target.writestr(item, data)
        if how == "vbaProject.bin":
            target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macros")
    with pytest.raises(ReadError, match=r"is a workbook with macros.*Save it as \.xlsx"):
        open_table(path)
    assert read_all(good)[1] == [(2, (1,))]


def test_the_first_visible_sheet_is_chosen_and_a_hidden_one_can_still_be_named(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Uitleg"
    workbook.active.append(["Verborgen"])
    workbook.active.sheet_state = "hidden"
    very = workbook.create_sheet("Codes")
    very.append(["Code"])
    very.sheet_state = "veryHidden"
    data = workbook.create_sheet("Data")
    data.append(["Nummer"])
    data.append([10001])
    workbook.active = 2
    workbook.save(tmp_path / "hidden.xlsx")
    table, rows = read_all(tmp_path / "hidden.xlsx")
    assert (table.sheet, table.hidden_sheets, rows) == ("Data", ["Uitleg", "Codes"], [(2, (10001,))])
    table, _rows = read_all(tmp_path / "hidden.xlsx", sheet="Uitleg")
    assert (table.sheet, table.headers) == ("Uitleg", ["Verborgen"])


def test_a_workbook_with_only_hidden_sheets_reads_the_first(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Nummer"])
    workbook.active.append([1])
    workbook.create_sheet("Tweede").append(["x"])
    workbook.active.sheet_state = "hidden"
    workbook.save(tmp_path / "one.xlsx")  # openpyxl keeps one sheet visible: hide it in the XML
    with zipfile.ZipFile(tmp_path / "one.xlsx") as source, zipfile.ZipFile(tmp_path / "all.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b'state="visible"', b'state="veryHidden"')
            target.writestr(item, data)
    table, rows = read_all(tmp_path / "all.xlsx")
    assert (table.sheet, table.hidden_sheets, rows) == ("Sheet", ["Sheet", "Tweede"], [(2, (1,))])


def test_a_formula_without_its_value_reaches_the_rows_as_uncomputed(tmp_path, monkeypatch):
    from spreadsheets import reading

    path = write_xlsx(tmp_path / "formulas.xlsx", [["Getal", "Dubbel"], [2, "=A2*2"], [None, "=A2*3"]])
    assert read_all(path)[1] == [(2, (2, UNCOMPUTED)), (3, (None, UNCOMPUTED))]
    monkeypatch.setattr(reading, "BACKGROUND_READ_BYTES", 0)  # the second process pickles it as itself
    assert read_all(path)[1] == [(2, (2, UNCOMPUTED)), (3, (None, UNCOMPUTED))]


# --- CSV that cannot be one table -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "row"),
    [
        ('Nr;Naam;Tekst\n1;a;"opent hier\n2;b;x\n3;c;"y";z\n4;d;e\n', 2),  # a later quote ends the swallow
        ('Nr;Naam;Tekst\n1;a;b\n2;b;"sluit nooit\n3;c;d\n', 3),  # to the end of the file
        ('Nr;Naam;Tekst\n1;a;b\n2;b;"sluit nooit', 3),  # on the last line, without a line break
    ],
)
def test_a_quote_that_never_closes_is_refused_naming_its_row_and_column(tmp_path, text, row):
    path = tmp_path / "rows.csv"
    path.write_text(text, encoding="utf-8")
    table = open_table(path)
    with pytest.raises(
        ReadError,
        match=rf"^Row {row}, column C: a quote \(\"\) opens the cell but never closes.*Close the quote or remove it",
    ):
        list(table.rows())


def test_quoted_line_breaks_and_quotes_inside_a_cell_are_still_read(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('Nr;Tekst\n1;"regel 1\nregel 2"\n2;"een ""quote"""\n3;12" inch\n4;"x\ny"', encoding="utf-8")
    assert read_all(path)[1] == [
        (2, ("1", "regel 1\nregel 2")),
        (3, ("2", 'een "quote"')),
        (4, ("3", '12" inch')),
        (5, ("4", "x\ny")),
    ]


def test_a_quote_that_never_closes_over_the_field_limit_is_named_as_such(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b'Nr;Naam\n1;"opent\n' + b"2;xxxxxxxxxx\n" * 14_000)
    with pytest.raises(ReadError, match=r"^Row 2, column B: a quote"):
        read_all(path)


def test_a_cell_over_the_field_limit_names_its_row_and_column(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"Nr;Naam;Tekst\n1;a;b\n2;b;" + b"x" * 140_000 + b"\n")
    with pytest.raises(ReadError, match=r"^Row 3, column C holds more than 131,072 characters"):
        read_all(path)


def test_utf8_lines_in_a_windows_1252_csv_are_refused_naming_row_and_column(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes("Nr;Naam\n1;José\n".encode("cp1252") + "2;b\n3;Renée\n".encode())
    with pytest.raises(ReadError, match=r"mixes character sets .*first in row 4, column B\. Save it as CSV UTF-8"):
        open_table(path)


def test_windows_1252_lines_in_a_utf8_csv_are_refused_naming_row_and_column(tmp_path):
    path = tmp_path / "rows.csv"
    lines = "Nr;Naam\n" + "".join(f"{n};José\n" for n in range(9000))  # past the 64 KB sample
    path.write_bytes(lines.encode() + "9000;x;Renée\n".encode("cp1252"))
    table = open_table(path)
    with pytest.raises(ReadError, match=r"mixes character sets .*first in row 9002, column C\. Save it as CSV UTF-8"):
        list(table.rows())


def test_a_windows_1252_csv_with_euro_signs_and_accents_is_read(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes("Nr;Naam\n1;José € 5 – “Ærø” ‘x’ Â Ã Å â\n".encode("cp1252"))
    assert read_all(path)[1] == [(2, ("1", "José € 5 – “Ærø” ‘x’ Â Ã Å â"))]


def test_an_xls_whose_first_sheet_is_hidden_reads_the_first_visible_one():
    table, rows = read_all(FILES / "hidden_first.xls")  # LibreOffice's .xls of corpus/openpyxl_hidden_first.xlsx
    assert (table.sheet, table.hidden_sheets, table.headers, rows) == (
        "Data",
        ["Uitleg"],
        ["Nummer", "Onderwerp"],
        [(2, (10001.0, "CV"))],
    )


def test_a_header_cell_holding_a_formula_without_value_is_blank_and_has_no_name():
    assert header_names(["Nummer", UNCOMPUTED, "Naam\x1b\u202e", UNCOMPUTED]) == ["Nummer", "", "Naam", ""]
