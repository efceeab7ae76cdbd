"""The streaming .ods reader against files written by LibreOffice and by hand: the XML below
is what Calc writes (repeats, covered cells, comments), cut down to what each test needs."""

import datetime as dt
import tracemalloc
import zipfile
from pathlib import Path
from xml.parsers.expat import ExpatError

import pytest

from spreadsheets import ods
from spreadsheets.ods import open_book
from spreadsheets.reading import ReadError, open_table

FILES = Path(__file__).resolve().parent.parent / "files"
NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>{extra}'
    "</manifest:manifest>"
)
HEAD = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES} office:version="1.3">'
BODY_START = "<office:body><office:spreadsheet>"
BODY_END = "</office:spreadsheet></office:body></office:document-content>"


def text(value):
    return f'<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def number(value):
    return f'<table:table-cell office:value-type="float" office:value="{value}" calcext:value-type="float"><text:p>{value}</text:p></table:table-cell>'


def row(*cells, attributes=""):
    return f"<table:table-row{attributes}>{''.join(cells)}</table:table-row>"


def table(name, *rows):
    return f'<table:table table:name="{name}">{"".join(rows)}</table:table>'


def content(*tables):
    return HEAD + BODY_START + "".join(tables) + BODY_END


def write_ods(path, xml, *, manifest_extra="", manifest=None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest or MANIFEST.format(extra=manifest_extra))
        archive.writestr("content.xml", xml)
    return path


def rows_of(path, sheet=None):
    book = open_book(path)
    try:
        return list(book.rows(sheet or book.sheet_names[0]))
    finally:
        book.archive.close()


def test_it_reads_every_cell_type(tmp_path):
    cells = [
        number(10001),
        '<table:table-cell office:value-type="percentage" office:value="0.25"><text:p>25%</text:p></table:table-cell>',
        '<table:table-cell office:value-type="currency" office:currency="EUR" office:value="12.5"><text:p>€ 12,50</text:p></table:table-cell>',
        '<table:table-cell office:value-type="date" office:date-value="2025-04-03"><text:p>03-04-25</text:p></table:table-cell>',
        '<table:table-cell office:value-type="date" office:date-value="2025-04-03T14:30:00"><text:p>x</text:p></table:table-cell>',
        '<table:table-cell office:value-type="time" office:time-value="PT14H30M05S"><text:p>14:30:05</text:p></table:table-cell>',
        '<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>WAAR</text:p></table:table-cell>',
        text("00123"),
        "<table:table-cell><text:p>no type, only text</text:p></table:table-cell>",
        '<table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0" calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>',
        text("last"),
    ]
    write_ods(tmp_path / "types.ods", content(table("Blad1", row(*cells))))
    ((number_, values),) = rows_of(tmp_path / "types.ods")
    assert number_ == 1
    assert values == (
        10001.0,
        0.25,
        12.5,
        dt.date(2025, 4, 3),
        dt.datetime(2025, 4, 3, 14, 30),
        dt.time(14, 30, 5),
        True,
        "00123",
        "no type, only text",
        None,  # an error has no value
        "last",
    )
    assert type(values[3]) is dt.date


def test_a_file_saved_by_libreoffice_reads_to_what_python_calamine_read():
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(str(FILES / "calc_source.ods"))
    expected = []
    for index, cells in enumerate(workbook.get_sheet_by_name("calc_source").iter_rows(), start=1):
        cells = [None if cell == "" else cell for cell in cells]
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            expected.append((index, tuple(cells)))
    assert rows_of(FILES / "calc_source.ods") == expected
    assert expected[1][1][:3] == (10001.0, "Sollicitatiebrief José", dt.date(2025, 4, 3))


def test_text_keeps_paragraphs_spaces_tabs_and_line_breaks_but_not_comments(tmp_path):
    cell = (
        '<table:table-cell office:value-type="string">'
        "<office:annotation><dc:creator>Jan</dc:creator><text:p>a comment</text:p></office:annotation>"
        '<text:p>a<text:s text:c="3"/>b<text:s/>c<text:tab/>d<text:line-break/>'
        '<text:span text:style-name="T1">vet</text:span> <text:a xlink:href="https://example.org">link</text:a></text:p>'
        "<text:p>second<office:annotation><text:p>a comment inside the text</text:p></office:annotation>"
        " paragraph</text:p></table:table-cell>"
    )
    write_ods(tmp_path / "text.ods", content(table("Blad1", row(cell))))
    assert rows_of(tmp_path / "text.ods") == [(1, ("a   b c\td\nvet link\nsecond paragraph",))]


def test_repeated_rows_and_cells_keep_their_numbers_and_columns(tmp_path):
    xml = content(
        table(
            "Blad1",
            row(text("Nummer"), '<table:table-cell table:number-columns-repeated="2"/>', text("Onderwerp")),
            row('<table:table-cell table:number-columns-repeated="3"/>', attributes=' table:number-rows-repeated="4"'),
            row(number(7), text("same"), attributes=' table:number-rows-repeated="2"'),
            row(
                text("x"),
                '<table:table-cell table:number-columns-repeated="2" office:value-type="string"><text:p>y</text:p></table:table-cell>',
            ),
        )
    )
    write_ods(tmp_path / "repeats.ods", xml)
    assert rows_of(tmp_path / "repeats.ods") == [
        (1, ("Nummer", None, None, "Onderwerp")),
        (6, (7.0, "same")),
        (7, (7.0, "same")),
        (8, ("x", "y", "y")),
    ]


def test_the_empty_rows_and_columns_calc_writes_at_the_end_cost_nothing(tmp_path):
    xml = content(
        table(
            "Blad1",
            row(text("Nummer"), '<table:table-cell table:number-columns-repeated="16383"/>'),
            row(number(10001), '<table:table-cell table:number-columns-repeated="16383"/>'),
            row(
                '<table:table-cell table:number-columns-repeated="16384"/>',
                attributes=' table:number-rows-repeated="1048574"',
            ),
        )
    )
    write_ods(tmp_path / "calc.ods", xml)
    tracemalloc.start()
    try:
        rows = rows_of(tmp_path / "calc.ods")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == [(1, ("Nummer",)), (2, (10001.0,))]
    # the 16,383 empty cells of one row, made into a list and a tuple, would take 256 KB
    assert peak < 256 * 2**10


def test_a_hostile_repeat_count_is_capped_at_the_sheet_size(tmp_path):
    xml = content(
        table(
            "Blad1",
            row(
                '<table:table-cell table:number-columns-repeated="999999999" office:value-type="string"><text:p>x</text:p></table:table-cell>',
                attributes=' table:number-rows-repeated="999999999"',
            ),
            row(text("past the last row")),
        )
    )
    write_ods(tmp_path / "hostile.ods", xml)
    book = open_book(tmp_path / "hostile.ods")
    rows = book.rows("Blad1")
    first_number, first_cells = next(rows)
    assert first_number == 1
    assert len(first_cells) == ods.MAX_COLUMNS
    numbers = [first_number]
    for number_, cells in rows:
        assert cells is first_cells  # one tuple, yielded again: nothing is copied
        numbers.append(number_)
    assert numbers == list(range(1, ods.MAX_ROWS + 1))


def test_covered_cells_of_a_merge_are_empty(tmp_path):
    merged = (
        '<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>Bestemming</text:p></table:table-cell>'
        '<table:covered-table-cell office:value-type="string"><text:p>hidden by the merge</text:p></table:covered-table-cell>'
    )
    write_ods(tmp_path / "merged.ods", content(table("Blad1", row(merged, text("Onderwerp")))))
    assert rows_of(tmp_path / "merged.ods") == [(1, ("Bestemming", None, "Onderwerp"))]


def test_rows_in_header_rows_and_groups_are_read_in_order(tmp_path):
    xml = content(
        table(
            "Blad1",
            '<table:table-column table:number-columns-repeated="2"/>',
            f"<table:table-header-rows>{row(text('Nummer'))}</table:table-header-rows>",
            f"<table:table-row-group>{row(number(1))}<table:table-rows>{row(number(2))}</table:table-rows></table:table-row-group>",
            row(number(3)),
        )
    )
    write_ods(tmp_path / "groups.ods", xml)
    assert rows_of(tmp_path / "groups.ods") == [(1, ("Nummer",)), (2, (1.0,)), (3, (2.0,)), (4, (3.0,))]


def test_sheets_are_listed_in_order_and_only_the_chosen_one_is_parsed(tmp_path):
    broken_third_sheet = '<table:table table:name="Kapot"><table:table-row><oops'
    xml = HEAD + BODY_START + table("Uitleg", row(text("Lees mij"))) + table("R&amp;D", row(text("x")))
    write_ods(tmp_path / "three.ods", xml + broken_third_sheet)
    book = open_book(tmp_path / "three.ods")
    assert book.sheet_names == ["Uitleg", "R&D", "Kapot"]
    assert list(book.rows("R&D")) == [(1, ("x",))]  # the broken sheet after it is never parsed
    with pytest.raises(ExpatError):  # reading.py turns it into a ReadError
        list(book.rows("Kapot"))


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_tags_cut_by_the_chunks_are_still_found(tmp_path, monkeypatch, chunk):
    xml = content(
        table("Uitleg", row(text("Lees mij"))),
        "<table:table table:style-name='a>b'\n  table:name='Data &gt; 2025'>" + row(number(1)) + "</table:table>",
        '<table:table table:name="Leeg"/>',
    )
    write_ods(tmp_path / "chunks.ods", xml)
    monkeypatch.setattr(ods, "CHUNK", chunk)
    book = open_book(tmp_path / "chunks.ods")
    assert book.sheet_names == ["Uitleg", "Data > 2025", "Leeg"]
    assert list(book.rows("Data > 2025")) == [(1, (1.0,))]
    assert list(book.rows("Leeg")) == []


@pytest.mark.parametrize(
    "variant",
    [
        "other prefixes",
        "a comment hiding a table tag",
        "UTF-16",
        "byte order mark",
    ],
)
def test_the_sheet_names_are_right_for_files_the_byte_scan_cannot_trust(tmp_path, variant):
    xml = content(table("Uitleg", row(text("Lees mij"))), table("Data", row(number(1))))
    if variant == "other prefixes":
        xml = xml.replace("<table:", "<t:").replace("</table:", "</t:").replace(" table:", " t:")
        xml = xml.replace("xmlns:table=", "xmlns:t=")
        data = xml.encode()
    elif variant == "a comment hiding a table tag":
        data = xml.replace(
            '<table:table table:name="Data">', '<!-- <table:table table:name="Nep"> --><table:table table:name="Data">'
        ).encode()
    elif variant == "UTF-16":
        data = xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    else:
        data = b"\xef\xbb\xbf" + xml.encode()
    write_ods(tmp_path / "odd.ods", data)
    book = open_book(tmp_path / "odd.ods")
    assert book.sheet_names == ["Uitleg", "Data"]
    assert list(book.rows("Data")) == [(1, (1.0,))]


def test_memory_stays_flat_while_a_large_sheet_is_read(tmp_path):
    count = 40_000
    path = tmp_path / "large.ods"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/manifest.xml", MANIFEST.format(extra=""))
        with archive.open("content.xml", "w") as stream:
            stream.write((HEAD + BODY_START + '<table:table table:name="Blad1">').encode())
            for n in range(count):
                stream.write(row(number(10001 + n), text(f"Brief {n}"), text(f"Toelichting bij brief {n}")).encode())
            stream.write(("</table:table>" + BODY_END).encode())
    book = open_book(path)
    tracemalloc.start()
    try:
        read = 0
        for number_, cells in book.rows("Blad1"):
            read += 1
            last = (number_, cells)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == count
    assert last == (count, (10000.0 + count, f"Brief {count - 1}", f"Toelichting bij brief {count - 1}"))
    # holding the rows would take some 12 MB; reading holds one chunk's worth at a time
    assert peak < 2 * 2**20


# --- through open_table ---------------------------------------------------------------------


def test_open_table_reads_an_ods_with_its_headers_and_row_numbers(tmp_path):
    from dossier.values import as_text

    xml = content(
        table(
            "Blad1",
            row(text("Nummer"), text("Code")),
            row('<table:table-cell table:number-columns-repeated="2"/>', attributes=' table:number-rows-repeated="2"'),
            row(number(10001), text("00123")),
        )
    )
    write_ods(tmp_path / "rows.ods", xml)
    table_ = open_table(tmp_path / "rows.ods")
    rows = [(row_.number, row_.cells) for row_ in table_.rows()]
    assert table_.headers == ["Nummer", "Code"]
    assert rows == [(4, (10001.0, "00123"))]
    assert as_text(rows[0][1][0]) == "10001"


def test_a_missing_sheet_is_refused_naming_the_sheets(tmp_path):
    write_ods(tmp_path / "two.ods", content(table("Uitleg", row(text("x"))), table("Data", row(text("y")))))
    table_ = open_table(tmp_path / "two.ods", sheet="Data")
    assert table_.sheet_names == ["Uitleg", "Data"]
    assert table_.headers == ["y"]
    with pytest.raises(ReadError, match=r"no sheet 'Gegevens'\. Its sheets are: Uitleg, Data"):
        open_table(tmp_path / "two.ods", sheet="Gegevens")


@pytest.mark.parametrize("where", ["content", "manifest"])
def test_an_ods_with_an_entity_bomb_is_refused(tmp_path, where):
    dtd = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    xml = content(table("Blad1", row(text("&lol2;"))))
    if where == "content":
        write_ods(tmp_path / "bomb.ods", xml.replace("?>", "?>" + dtd, 1))
    else:
        write_ods(tmp_path / "bomb.ods", xml, manifest=MANIFEST.replace("?>", "?>" + dtd, 1).format(extra=""))
    with pytest.raises(ReadError, match="not a valid spreadsheet"):
        open_table(tmp_path / "bomb.ods")


def test_a_password_protected_ods_is_refused(tmp_path):
    encryption = (
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="9000">'
        '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x">'
        '<manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="x"/>'
        "</manifest:encryption-data></manifest:file-entry>"
    )
    write_ods(tmp_path / "secret.ods", b"\x8f\x02 encrypted bytes", manifest_extra=encryption)
    with pytest.raises(ReadError, match="protected with a password"):
        open_table(tmp_path / "secret.ods")


@pytest.mark.parametrize(
    "damage",
    ["not a zip", "no content.xml", "a text document", "cut off in the sheet", "not xml"],
)
def test_a_damaged_ods_is_refused(tmp_path, damage):
    path = tmp_path / "broken.ods"
    good = content(table("Blad1", row(text("Nummer")), row(number(1)), row(number(2))))
    if damage == "not a zip":
        path.write_bytes(b"PK\x03\x04 this is not really a zip")
    elif damage == "no content.xml":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("META-INF/manifest.xml", MANIFEST.format(extra=""))
    elif damage == "a text document":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", good)
    elif damage == "cut off in the sheet":
        write_ods(path, good[: good.index("<table:table-row>", good.index("Nummer"))] + "<table:table-row><table:ta")
    else:
        write_ods(path, b"\x00\x01 binary")
    with pytest.raises(ReadError, match="not a valid spreadsheet"):
        table_ = open_table(path)
        list(table_.rows())


def test_an_ods_that_unpacks_too_far_is_refused(tmp_path, settings):
    settings.IMPORT_ZIP_LIMITS = {"members": 10_000, "uncompressed_bytes": 10_000, "ratio": 200}
    write_ods(tmp_path / "big.ods", content(table("Blad1", *[row(text("x" * 100)) for _ in range(500)])))
    with pytest.raises(ReadError, match="unpacks to more"):
        open_table(tmp_path / "big.ods")


def test_a_large_ods_is_read_by_a_second_process_to_the_same_rows(tmp_path, monkeypatch):
    from spreadsheets import reading
    from spreadsheets.background import rows_in_background
    from spreadsheets.cells import clean_rows

    rows = [row(text("Nummer"), text("Onderwerp"))]
    rows += [row(number(10001 + n), text(f" Brief {n} ")) for n in range(3000)]
    rows += [row(text("  "), attributes=' table:number-rows-repeated="5"'), row(number(1), text("laatste"))]
    path = write_ods(tmp_path / "many.ods", content(table("Blad1", *rows), table("Blad2", row(text("x")))))
    background = list(rows_in_background(path, "Blad1", "ods"))
    assert background == list(clean_rows(rows_of(path)))
    assert background[1] == (2, (10001.0, "Brief 0")) and background[-1] == (3007, (1.0, "laatste"))

    calls = []
    monkeypatch.setattr(reading, "BACKGROUND_READ_BYTES", 0)
    monkeypatch.setattr(reading, "rows_in_background", lambda *args: calls.append(args) or rows_in_background(*args))
    table_ = open_table(path)
    assert [(r.number, r.cells) for r in table_.rows()] == background[1:]
    assert [args[1:3] for args in calls] == [("Blad1", "ods")]


def test_rows_as_wide_as_a_sheet_allows_come_from_the_second_process_in_small_batches(tmp_path):
    """A cell repeated across all 16,384 columns packs into a few bytes; what crosses the pipe
    at once stays small however many such rows the sheet has."""
    from spreadsheets.background import rows_in_background

    wide = '<table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
    path = write_ods(tmp_path / "wide.ods", content(table("Blad1", *[row(wide)] * 300)))
    tracemalloc.start()
    try:
        count = 0
        for _number, cells in rows_in_background(path, "Blad1", "ods"):
            count += 1
            assert len(cells) == 16384
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 300
    assert peak < 8 * 2**20  # the 300 rows at once would take 39 MB


STYLE_NAMESPACE = 'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
HIDDEN_STYLES = (
    "<office:automatic-styles>"
    '<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style>'
    '<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>'
    "</office:automatic-styles>"
)


def styled_table(name, style, *rows):
    return f'<table:table table:name="{name}" table:style-name="{style}">{"".join(rows)}</table:table>'


@pytest.mark.parametrize("scan", [True, False], ids=["byte scan", "full parse"])
def test_a_sheet_whose_table_style_hides_it_is_hidden_and_not_chosen_by_default(tmp_path, scan):
    head = HEAD.replace(NAMESPACES, f"{NAMESPACES} {STYLE_NAMESPACE}")
    xml = head + HIDDEN_STYLES + BODY_START + ("" if scan else "<!-- a comment: the byte scan steps aside -->")
    xml += styled_table("Uitleg", "ta2", row(text("verborgen")))
    xml += styled_table("Data", "ta1", row(text("Nummer")), row(number(10001))) + BODY_END
    path = write_ods(tmp_path / "hidden.ods", xml)
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
        assert (ods._scan_sheet_names(stream) is not None) == scan
    book = open_book(path)
    assert (book.sheet_names, book.hidden_sheets) == (["Uitleg", "Data"], ["Uitleg"])
    book.close()
    table_ = open_table(path)
    assert (table_.sheet, table_.hidden_sheets, table_.headers) == ("Data", ["Uitleg"], ["Nummer"])
    table_.close()
    assert open_table(path, sheet="Uitleg").headers == ["verborgen"]


def test_a_formula_cell_without_value_or_text_is_uncomputed(tmp_path):
    from spreadsheets.cells import UNCOMPUTED

    cells = (
        number(2),
        '<table:table-cell table:formula="of:=[.A1]*2"/>',  # never calculated
        '<table:table-cell table:formula="of:=[.A1]*2" office:value-type="float"/>',  # a type, no value
        '<table:table-cell table:formula="of:=&quot;&quot;" office:value-type="string" office:string-value=""/>',
        '<table:table-cell table:formula="of:=[.A1]" office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell>',
    )
    path = write_ods(tmp_path / "formulas.ods", content(table("Blad1", row(*cells))))
    assert rows_of(path) == [(1, (2.0, UNCOMPUTED, UNCOMPUTED, None, 2.0))]
