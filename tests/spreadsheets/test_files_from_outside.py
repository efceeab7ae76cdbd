"""Files that other programs write and that the readers once read wrong or refused (issue 15):
each is read right or refused with a sentence that is true. Every file is built here."""

import datetime as dt
import re
import time
import zipfile

import openpyxl
import pytest

from spreadsheets.encodings import detect_encoding
from spreadsheets.reading import ReadError, detect_layout, open_table, sample
from tests.spreadsheets.test_ods import content, row, table, text, write_ods

X15 = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"


def read_all(path, **options):
    found = open_table(path, **options)
    return found, [(r.number, r.cells) for r in found.rows()]


def rewrite(source, target, change):
    """A copy of a ZIP with each member passed through change(name, data) -> (name, data)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            name, data = change(item.filename, old.read(item))
            new.writestr(name, data)
    return target


# --- the 1904 date system ------------------------------------------------------------------


def mac_workbook(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    workbook.active.append(["Nummer", "Datum"])
    workbook.active.append([10001, dt.datetime(2025, 4, 3)])
    workbook.save(tmp_path / "plain.xlsx")
    return tmp_path / "plain.xlsx"


@pytest.mark.parametrize(
    "extension",
    [
        # what Excel writes at the end of workbook.xml
        f'<extLst><ext uri="{{140A7094-0E35-4892-8432-C4D2E57EDEB5}}" xmlns:x15="{X15}">'
        '<x15:workbookPr chartTrackingRefBase="1"/></ext></extLst>',
        # an element of another namespace beside the workbook's own
        f'<x15:workbookPr xmlns:x15="{X15}" date1904="0"/>',
    ],
)
def test_a_1904_workbook_with_an_extension_workbookpr_keeps_its_dates(tmp_path, extension):
    def add_extension(name, data):
        if name == "xl/workbook.xml":
            data = data.replace(b"</workbook>", extension.encode() + b"</workbook>")
            assert b"date1904" in data
        return name, data

    path = rewrite(mac_workbook(tmp_path), tmp_path / "mac.xlsx", add_extension)
    found, rows = read_all(path)
    assert found.epoch == 1904
    assert rows == [(2, (10001, dt.date(2025, 4, 3)))]  # not 2021-04-02


# --- part names ----------------------------------------------------------------------------


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def shared_strings_workbook(tmp_path):
    """A workbook as Excel writes it: its texts are shared strings, its parts named by the
    relationships and the content types."""
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{TYPES}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPES}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{TYPES}.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
        f'Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE}">'
        f'<Relationship Id="rId1" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{OFFICE}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>'
        '<sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2"><v>10001</v></c><c r="B2" t="s"><v>2</v></c></row></sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}"><si><t>Nummer</t></si><si><t>Onderwerp</t></si>'
        "<si><t>Sollicitatiebrief</t></si></sst>",
    }
    with zipfile.ZipFile(tmp_path / "plain.xlsx", "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert read_all(tmp_path / "plain.xlsx")[1] == [(2, (10001, "Sollicitatiebrief"))]
    return tmp_path / "plain.xlsx"


def test_a_shared_strings_part_named_with_a_capital_s_is_read(tmp_path):
    def capital(name, data):
        if name == "xl/sharedStrings.xml":
            name = "xl/SharedStrings.xml"
        if name in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
            data = data.replace(b"/sharedStrings.xml", b"/SharedStrings.xml")
            data = data.replace(b'"sharedStrings.xml"', b'"SharedStrings.xml"')
        return name, data

    path = rewrite(shared_strings_workbook(tmp_path), tmp_path / "capital.xlsx", capital)
    assert read_all(path)[1] == [(2, (10001, "Sollicitatiebrief"))]


def test_a_shared_strings_part_named_otherwise_than_its_relationship_says_is_read(tmp_path):
    def renamed(name, data):  # the relationship still says sharedStrings.xml
        return ("xl/SharedStrings.xml" if name == "xl/sharedStrings.xml" else name), data

    path = rewrite(shared_strings_workbook(tmp_path), tmp_path / "case.xlsx", renamed)
    assert read_all(path)[1] == [(2, (10001, "Sollicitatiebrief"))]


def test_a_shared_strings_part_found_only_through_the_content_types_is_read(tmp_path):
    def elsewhere(name, data):
        if name == "xl/sharedStrings.xml":
            name = "xl/strings/Texts.xml"
        if name == "[Content_Types].xml":
            data = data.replace(b"/xl/sharedStrings.xml", b"/xl/strings/Texts.xml")
        if name == "xl/_rels/workbook.xml.rels":
            data = re.sub(rb"<Relationship [^>]*sharedStrings[^>]*/>", b"", data)
        return name, data

    path = rewrite(shared_strings_workbook(tmp_path), tmp_path / "types.xlsx", elsewhere)
    assert read_all(path)[1] == [(2, (10001, "Sollicitatiebrief"))]


def test_a_zip_whose_member_names_use_backslashes_is_read(tmp_path):
    path = rewrite(
        shared_strings_workbook(tmp_path), tmp_path / "windows.xlsx", lambda name, data: (name.replace("/", "\\"), data)
    )
    with zipfile.ZipFile(path) as archive:
        assert "xl\\workbook.xml" in archive.namelist()
    found, rows = read_all(path)
    assert (found.headers, rows) == (["Nummer", "Onderwerp"], [(2, (10001, "Sollicitatiebrief"))])


def test_the_upload_recognises_a_workbook_with_backslashes_and_an_xlsb_by_their_content(tmp_path):
    from imports.uploads import content_format

    path = rewrite(
        shared_strings_workbook(tmp_path), tmp_path / "windows.xlsx", lambda name, data: (name.replace("/", "\\"), data)
    )
    with path.open("rb") as handle:
        assert content_format(handle) == "xlsx"
    with zipfile.ZipFile(tmp_path / "binary.zip", "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    with (tmp_path / "binary.zip").open("rb") as handle:
        assert content_format(handle) == "xlsb"


# --- .xlsb ---------------------------------------------------------------------------------


def test_an_xlsb_is_refused_as_an_excel_binary_workbook_not_as_no_spreadsheet(tmp_path):
    path = tmp_path / "rows.xlsb"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    with pytest.raises(ReadError) as refused:
        open_table(path)
    message = str(refused.value)
    assert message == (
        "'rows.xlsb' is an Excel binary workbook (.xlsb), which is not read. "
        "Save it as .xlsx (Excel workbook) and upload that file."
    )
    assert "not a spreadsheet" not in message


# --- the first sheet with data ---------------------------------------------------------------


def test_a_workbook_whose_first_sheet_is_empty_reads_the_first_sheet_with_data(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Voorblad"
    workbook.create_sheet("Leeg")
    data = workbook.create_sheet("Gegevens")
    data.append(["Nummer", "Onderwerp"])
    data.append([10001, "CV"])
    workbook.save(tmp_path / "cover.xlsx")
    found, rows = read_all(tmp_path / "cover.xlsx")
    assert (found.sheet, found.sheet_names, found.headers) == (
        "Gegevens",
        ["Voorblad", "Leeg", "Gegevens"],
        ["Nummer", "Onderwerp"],
    )
    assert rows == [(2, (10001, "CV"))]
    with pytest.raises(ReadError, match=r"^The sheet 'Voorblad' holds no data\.$"):
        open_table(tmp_path / "cover.xlsx", sheet="Voorblad")  # asked for by name: that one


def test_an_ods_whose_first_sheet_is_empty_reads_the_first_sheet_with_data(tmp_path):
    path = write_ods(
        tmp_path / "cover.ods",
        content(table("Leeg"), table("Blad2", row(text("Nummer")), row(text("10001")))),
    )
    found, rows = read_all(path)
    assert (found.sheet, rows) == ("Blad2", [(2, ("10001",))])


def test_a_workbook_without_data_on_any_sheet_says_so(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.create_sheet("Tweede")
    workbook.save(tmp_path / "empty.xlsx")
    with pytest.raises(ReadError, match=r"^None of the sheets of 'empty\.xlsx' holds data\.$"):
        open_table(tmp_path / "empty.xlsx")


# --- a limit on the cells of a sheet ---------------------------------------------------------

REPEATED = (
    '<table:table-cell table:number-columns-repeated="{columns}" office:value-type="string">'
    "<text:p>x</text:p></table:table-cell>"
)


def hostile_ods(path, columns=999_999_999, rows=999_999_999):
    """A small .ods whose one row and one cell are repeated to billions of cells."""
    return write_ods(
        path,
        content(
            table(
                "Blad1",
                row(text("Nummer")),
                row(REPEATED.format(columns=columns), attributes=f' table:number-rows-repeated="{rows}"'),
            )
        ),
    )


def test_an_ods_that_repeats_one_cell_billions_of_times_is_refused_at_once(tmp_path):
    path = hostile_ods(tmp_path / "bomb.ods")
    assert path.stat().st_size < 2000
    started = time.perf_counter()
    with pytest.raises(ReadError) as refused:
        sample(path)  # what the upload reads
    assert time.perf_counter() - started < 0.5
    assert str(refused.value) == (
        "Sheet 'Blad1' holds more than 50,000,000 cells by row 2 (empty cells between values and cells the file "
        "repeats count too), more than one import reads. Delete the rows and columns that are not to be "
        "imported, or split the sheet over several files."
    )


def test_the_cell_limit_is_a_setting_and_repeated_rows_count_before_they_are_expanded(tmp_path, settings):
    settings.IMPORT_MAX_CELLS = 1_000
    path = hostile_ods(tmp_path / "rows.ods", columns=10, rows=99)  # 990 cells and the header's 1
    assert len(read_all(path)[1]) == 99
    hostile_ods(tmp_path / "more.ods", columns=10, rows=100)  # 1,001 cells
    with pytest.raises(ReadError, match=r"^Sheet 'Blad1' holds more than 1,000 cells by row 2 "):
        open_table(tmp_path / "more.ods")  # the header is read after the repeated row is counted


def test_an_xlsx_whose_rows_reach_the_last_column_counts_them_as_wide(tmp_path, settings):
    settings.IMPORT_MAX_CELLS = 100_000
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="XFD{n}"><v>1</v></c></row>' for n in range(1, 11))
    with zipfile.ZipFile(tmp_path / "far.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{rows}</sheetData></worksheet>",
        )
    # 6 rows of 16,384 cells fit, the 7th does not: it is counted before it is built, while
    # the first chunk of the sheet is parsed
    with pytest.raises(ReadError, match=r"^Sheet 'Blad1' holds more than 100,000 cells by row 7 "):
        sample(tmp_path / "far.xlsx")
    settings.IMPORT_MAX_CELLS = 10 * 16_384
    assert len(read_all(tmp_path / "far.xlsx")[1]) == 9


def test_a_csv_over_the_cell_limit_is_refused_alike(tmp_path, settings):
    settings.IMPORT_MAX_CELLS = 10
    path = tmp_path / "rows.csv"
    path.write_text("A;B;C\n1;2;3\n4;5;6\n7;8;9\n", encoding="utf-8")
    found = open_table(path)
    with pytest.raises(ReadError, match=r"^Sheet 'rows' holds more than 10 cells by row 4 "):
        list(found.rows())


def test_a_sheet_over_the_cell_limit_in_a_second_process_is_refused_alike(tmp_path, settings, monkeypatch):
    from spreadsheets import reading

    monkeypatch.setattr(reading, "BACKGROUND_READ_BYTES", 0)
    path = hostile_ods(tmp_path / "bomb.ods")
    with pytest.raises(ReadError, match=r"^Sheet 'Blad1' holds more than 50,000,000 cells by row 2 "):
        open_table(path)


# --- CSV: a title above the column names, the pipe -------------------------------------------


@pytest.mark.parametrize(
    "above",
    [
        "Overzicht dossieritems maart 2025\n\n",
        "# export van Profit, gemaakt op 03-03-2025, door Jansen\n",
        '"Dossieritems, alle typen"\nGemaakt: 03-03-2025\n',
    ],
)
def test_a_comma_csv_with_a_title_or_comment_above_the_column_names_is_read_from_them(tmp_path, above):
    body = "Relatienummer,Onderwerp,Datum\n10001,Brief,03-04-2025\n10002,CV,04-04-2025\n10003,Klacht,05-04-2025\n"
    path = tmp_path / "rows.csv"
    path.write_text(above + body, encoding="utf-8")
    header_row = above.count("\n") + 1
    found, rows = read_all(path)
    assert found.headers == ["Relatienummer", "Onderwerp", "Datum"]
    assert found.header_row == header_row
    assert rows[0] == (header_row + 1, ("10001", "Brief", "03-04-2025"))
    assert len(rows) == 3  # the title is not a row
    first = open_table(path, guess_header=False)  # the sheet step's preview starts above it
    assert first.header_row == 1
    first.close()


@pytest.mark.parametrize(
    "text",
    [
        # a title line as wide as the rows, with one text; rows whose last cells are empty
        "Export klachten;;;;\nNummer;Naam;Datum;Plaats;Opmerking\n10001;;;;\n10002;Jansen;03-04-2025;;\n",
        "Klachten 2026,,,,\nNummer,Naam,Datum,Plaats,Opmerking\n10001,Jansen,,,\n",
        "Export klachten;;;;\n;;;;\nNummer;Naam;Datum;Plaats;Opmerking\n10001;Jansen;03-04-2025;Utrecht;\n",
    ],
)
def test_a_title_line_as_wide_as_the_rows_is_not_taken_for_the_column_names(tmp_path, text):
    path = tmp_path / "rows.csv"
    path.write_text(text, encoding="utf-8")
    found, rows = read_all(path)
    assert found.headers == ["Nummer", "Naam", "Datum", "Plaats", "Opmerking"]
    assert found.header_row == text.count("\n", 0, text.index("Nummer")) + 1
    assert rows[0][1][0] == "10001"


def test_a_first_line_of_one_cell_above_rows_of_data_stays_the_header(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Klachten;;;;\n10001;Jansen;03-04-2025;;\n", encoding="utf-8")
    assert detect_layout(path.read_text()) == (";", None)


def test_the_header_line_may_be_narrower_than_the_rows_under_it(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Titel\nNummer;Naam\n1;a;x\n2;b;y\n3;c;z\n", encoding="utf-8")
    assert detect_layout(path.read_text()) == (";", 2)


def test_a_csv_without_a_title_keeps_its_first_line_as_the_column_names(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('Nummer,Tekst\n10001,kort\n10002,"met, komma"\n', encoding="utf-8")
    assert detect_layout(path.read_text()) == (",", None)
    assert read_all(path)[0].header_row == 1


def test_the_pipe_is_a_delimiter(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Nummer|Onderwerp|Tekst\n10001|CV|a, b; c\n10002|Brief|d\n", encoding="utf-8")
    found, rows = read_all(path)
    assert found.headers == ["Nummer", "Onderwerp", "Tekst"]
    assert rows == [(2, ("10001", "CV", "a, b; c")), (3, ("10002", "Brief", "d"))]


def test_semicolons_in_the_text_of_a_comma_csv_do_not_decide_its_delimiter(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Nummer,Tekst\n1,a;b\n2,c;d\n3,e\n", encoding="utf-8")
    found, rows = read_all(path)
    assert found.headers == ["Nummer", "Tekst"]
    assert rows[0] == (2, ("1", "a;b"))


# --- CSV: character sets ---------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["", "\r\n", "\n"])
def test_a_short_windows_1252_csv_whose_only_accent_is_in_its_last_bytes_is_read(tmp_path, ending):
    path = tmp_path / "rows.csv"
    path.write_bytes(f"Nummer;Plaats\r\n10001;Café{ending}".encode("cp1252"))
    found, rows = read_all(path)
    assert (found.encoding, rows) == ("cp1252", [(2, ("10001", "Café"))])


def test_a_utf8_character_cut_off_by_the_sample_is_not_taken_for_windows_1252(tmp_path):
    from spreadsheets.reading import SAMPLE_BYTES

    head = b"Nummer;Tekst\n" + b"1;" + b"x" * (SAMPLE_BYTES - 16) + "é".encode()
    assert detect_encoding(head[:SAMPLE_BYTES], complete=False) == "utf-8"
    assert detect_encoding(head[: SAMPLE_BYTES - 1] + b"\xe9\r\n", complete=True) == "cp1252"


CYRILLIC = "Номер;Тема;Город\r\n10001;Письмо о приеме на работу;Москва\r\n10002;Жалоба клиента;Санкт-Петербург\r\n"
GREEK = "Αριθμός;Θέμα;Πόλη\r\n10001;Επιστολή πρόσληψης;Αθήνα\r\n10002;Παράπονο πελάτη;Θεσσαλονίκη\r\n"


@pytest.mark.parametrize(("text", "encoding"), [(CYRILLIC, "cp1251"), (GREEK, "cp1253")])
def test_cyrillic_and_greek_ansi_csvs_are_read_in_their_own_code_page(tmp_path, text, encoding):
    path = tmp_path / "rows.csv"
    path.write_bytes(text.encode(encoding))
    found, rows = read_all(path)
    expected = [line.split(";") for line in text.strip().split("\r\n")]
    assert found.encoding == encoding
    assert found.headers == expected[0]
    assert [list(cells) for _number, cells in rows] == expected[1:]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Nummer;Plaats\r\nJansen;Café Zoë\r\nMüller;Größe, Straße\r\n", "cp1252"),
        ("Nimi;Sana\r\nVirtanen;Pääöljy\r\n", "cp1252"),
        ("Nom;Ville\r\nÉlodie Lefèvre;Besançon € 12\r\n", "cp1252"),
        ("Имя;Город\r\nОлена;Київ\r\n", "cp1251"),
        ("Όνομα;Πόλη\r\nΜαρία;Θεσσαλονίκη\r\n", "cp1253"),
    ],
)
def test_the_code_page_is_told_from_how_the_words_read(text, encoding):
    assert detect_encoding(text.encode(encoding), complete=True) == encoding


def test_ukrainian_letters_after_r_and_s_are_not_taken_for_utf8_in_a_cyrillic_csv(tmp_path):
    text = "Номер;Тема\r\n10001;Різдво, Сірий, Рік\r\n10002;Лист про прийом на роботу\r\n"
    path = tmp_path / "rows.csv"
    path.write_bytes(text.encode("cp1251"))
    assert read_all(path)[1] == [(2, ("10001", "Різдво, Сірий, Рік")), (3, ("10002", "Лист про прийом на роботу"))]


def test_a_csv_whose_code_page_cannot_be_told_is_refused_not_read_as_mojibake(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes("Имя;Город\r\nИван Петров;Москва\r\n".encode("koi8-r"))
    with pytest.raises(ReadError) as refused:
        open_table(path)
    assert str(refused.value) == (
        "'rows.csv' is not written in UTF-8 or Windows-1252 (West European), and its character set cannot be "
        "told for sure (Cyrillic and Greek can). Save it as CSV UTF-8 and upload it again."
    )


def test_utf16_with_and_without_a_byte_order_mark_is_read(tmp_path):
    text = "Nummer;Onderwerp\r\n10001;Ελληνικά и русский\r\n"
    for name, data in (("bom.csv", text.encode("utf-16")), ("bare.csv", text.encode("utf-16-le"))):
        path = tmp_path / name
        path.write_bytes(data)
        assert read_all(path)[1] == [(2, ("10001", "Ελληνικά и русский"))]


def test_utf8_lines_in_a_cyrillic_csv_are_refused_naming_the_code_page(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(CYRILLIC.encode("cp1251") + "10003;Привет;Киев\r\n".encode())
    with pytest.raises(ReadError) as refused:
        open_table(path)
    assert str(refused.value) == (
        "'rows.csv' was read as Windows-1251, but from row 4, column B on it holds text in another character "
        "set. Save it as CSV UTF-8 and upload it again."
    )
