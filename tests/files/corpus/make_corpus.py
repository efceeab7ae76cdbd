"""How the corpus was made (see README.md). Not run by the tests: it needs writers the project
does not depend on. Run it with a Python that has openpyxl, xlsxwriter, odfpy and pyexcel-ods3,
and with LibreOffice's soffice on the PATH:

    python tests/files/corpus/make_corpus.py
"""

import datetime as dt
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_DOC_RELS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


# --- real writers ----------------------------------------------------------------------------


def openpyxl_files() -> None:
    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Gegevens"
    sheet.append(["Nummer", "Tekst", "Datum", "Moment", "Tijd", "Duur", "Bedrag", "Ja", "Formule"])
    first = [10001, "regel 1\nregel 2", dt.date(2025, 4, 3), dt.datetime(2025, 4, 3, 14, 30, 5), dt.time(9, 15)]
    sheet.append([*first, dt.timedelta(hours=30, minutes=5), 1234.56, True, "=A2*2"])
    sheet.append([10002, CellRichText(TextBlock(InlineFont(b=True), "vet"), " en gewoon"), None, None, None])
    sheet.append([None, None, None, None, None, None, -0.5, False, "=SUM(A2:A3)"])
    sheet["A6"] = "Samengevoegd"
    sheet.merge_cells("A6:C6")
    sheet["E8"] = "na een gat"
    hidden = workbook.create_sheet("Verborgen")
    hidden["A1"] = "verborgen blad"
    hidden.sheet_state = "hidden"
    workbook.save(HERE / "openpyxl_types.xlsx")

    workbook = openpyxl.Workbook()
    workbook.active.title = "Uitleg"
    workbook.active["A1"] = "Dit blad is verborgen"
    workbook.active.sheet_state = "hidden"
    data = workbook.create_sheet("Data")
    data.append(["Nummer", "Onderwerp"])
    data.append([10001, "CV"])
    workbook.active = 1
    workbook.save(HERE / "openpyxl_hidden_first.xlsx")


def xlsxwriter_files() -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(HERE / "xlsxwriter_1904.xlsx", {"date_1904": True})
    sheet = workbook.add_worksheet("Blad1")
    date = workbook.add_format({"num_format": "dd-mm-yyyy"})
    moment = workbook.add_format({"num_format": "dd-mm-yyyy hh:mm"})
    time = workbook.add_format({"num_format": "hh:mm:ss"})
    duration = workbook.add_format({"num_format": "[h]:mm"})
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, ["Nummer", "Tekst", "Datum", "Moment", "Tijd", "Duur", "Formule", "Fout", "Ja"])
    sheet.write_number(1, 0, 10001)
    sheet.write_string(1, 1, "regel 1\r\nregel 2 en een letterlijke _x000D_")
    sheet.write_datetime(1, 2, dt.datetime(2025, 4, 3), date)
    sheet.write_datetime(1, 3, dt.datetime(2025, 4, 3, 14, 30), moment)
    sheet.write_datetime(1, 4, dt.datetime(1904, 1, 1, 9, 15), time)
    sheet.write_number(1, 5, 1.25, duration)
    sheet.write_formula(1, 6, "=A2*2", None, 20002)
    sheet.write_formula(1, 7, "=1/0", None, "#DIV/0!")
    sheet.write_boolean(1, 8, False)
    sheet.write_number(2, 0, 10002)
    sheet.write_rich_string(2, 1, bold, "vet", " en gewoon")
    sheet.write_formula(2, 6, '=""', None, "")
    sheet.write_formula(2, 7, '="tekst"&A3', None, "tekst10002")
    sheet.merge_range("A5:C5", "Samengevoegd")
    other = workbook.add_worksheet("Verborgen")
    other.write("A1", "verborgen")
    other.hide()
    workbook.close()


def libreoffice_files() -> None:
    """An openpyxl workbook with formulas that LibreOffice calculates, saved as .xlsx and .ods."""
    import openpyxl

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "libreoffice.xlsx"
        workbook = openpyxl.Workbook()
        workbook.active.title = "Uitleg"
        workbook.active["A1"] = "Verborgen uitleg"
        workbook.active.sheet_state = "hidden"
        sheet = workbook.create_sheet("Gegevens")
        sheet.append(["Nummer", "Tekst", "Datum", "Tijd", "Bedrag", "Ja", "Som", "Fout", "Tekstformule"])
        sheet.append([10001, "regel 1\nregel 2", dt.date(2025, 4, 3), dt.time(9, 15), 12.5, True, "=A2+E2", "=1/0"])
        sheet["I2"] = '=B2&"!"'
        sheet.append([10002, "  spaties  ", dt.datetime(2025, 4, 3, 14, 30), None, -3, False, "=A3*2"])
        sheet["A5"] = "Samengevoegd"
        sheet.merge_cells("A5:C5")
        workbook.active = 1
        workbook.save(source)
        for extension in ("xlsx", "ods"):
            out = Path(folder) / extension
            command = ["soffice", "--headless", "--convert-to", extension, "--outdir", str(out), str(source)]
            subprocess.run(command, check=True, capture_output=True)  # noqa: S603
            shutil.copy(out / f"libreoffice.{extension}", HERE / f"libreoffice.{extension}")


def odfpy_file() -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Blad1")

    def cell(text=None, **attributes):
        element = TableCell(**attributes)
        if text is not None:
            element.addElement(P(text=text))
        return element

    rows = [
        [cell("Nummer"), cell("Tekst"), cell("Datum"), cell("Tijd"), cell("Procent"), cell("Ja"), cell("Formule")],
        [
            cell("10001", valuetype="float", value="10001"),
            cell("tekst"),
            cell("03-04-2025", valuetype="date", datevalue="2025-04-03"),
            cell("09:15", valuetype="time", timevalue="PT09H15M00S"),
            cell("50%", valuetype="percentage", value="0.5"),
            cell("WAAR", valuetype="boolean", booleanvalue="true"),
            cell(formula="of:=[.A2]*2"),  # a formula saved without its value
        ],
        [cell("Samengevoegd", numbercolumnsspanned="2"), CoveredTableCell(), cell("na")],
    ]
    for cells in rows:
        row = TableRow()
        for element in cells:
            row.addElement(element)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    document.save(str(HERE / "odfpy.ods"))


def pyexcel_file() -> None:
    from pyexcel_ods3 import save_data

    save_data(
        str(HERE / "pyexcel_ods3.ods"),
        {"Blad1": [["Nummer", "Tekst", "Bedrag"], [10001, "tekst", 12.5], [10002, "", -3]], "Blad2": [["x"]]},
    )


# --- written by hand: what no library writes -------------------------------------------------


def write_package(path: Path, parts: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)


def content_types(*overrides: tuple[str, str]) -> str:
    items = "".join(f'<Override PartName="{part}" ContentType="{kind}"/>' for part, kind in overrides)
    return (
        f'{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{items}</Types>'
    )


WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def relationships(*items: tuple[str, str, str], namespace: str = DOC_RELS) -> str:
    body = "".join(
        f'<Relationship Id="{rid}" Type="{namespace}/{kind}" Target="{target}"/>' for rid, kind, target in items
    )
    return f'{XML}<Relationships xmlns="{RELS}">{body}</Relationships>'


def prefixed() -> None:
    """x: prefixed SpreadsheetML (as .NET's Open XML SDK writes it), with what Excel writes and
    small generators get wrong: escapes, phonetic runs, inline rich text with markup around it,
    ISO dates and times, an empty shared string, t="str", errors, booleans, gaps and cells and
    rows without r."""
    shared = (
        f'{XML}<x:sst xmlns:x="{MAIN}" count="6" uniqueCount="6">'
        "<x:si><x:t>Nummer</x:t></x:si>"
        "<x:si><x:t>regel 1_x000D_\nregel 2</x:t></x:si>"
        "<x:si><x:t>letterlijk _x005F_x000D_ en _x0041_</x:t></x:si>"
        '<x:si><x:r><x:t>東京</x:t></x:r><x:rPh sb="0" eb="2"><x:t>トウキョウ</x:t></x:rPh>'
        '<x:phoneticPr fontId="1"/></x:si>'
        "<x:si><x:t/></x:si>"
        "<x:si><x:t>emoji _xD83D__xDE00_</x:t></x:si>"
        "</x:sst>"
    )
    sheet = (
        f'{XML}<x:worksheet xmlns:x="{MAIN}"><x:sheetData>\n'
        '  <x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c>'
        '<x:c r="C1" t="s"><x:v>2</x:v></x:c><x:c r="D1" t="s"><x:v>3</x:v></x:c>'
        '<x:c r="E1" t="s"><x:v>4</x:v></x:c><x:c r="F1" t="s"><x:v>5</x:v></x:c></x:row>\n'
        '  <x:row r="2">\n'
        '    <x:c r="A2" t="inlineStr">\n      <x:is>\n        <x:t>inline</x:t>\n      </x:is>\n    </x:c>\n'
        '    <x:c r="B2" t="inlineStr"><x:is>\n <x:r><x:rPr><x:b/></x:rPr><x:t>vet</x:t></x:r>\n'
        '  <x:r><x:t xml:space="preserve"> en gewoon</x:t></x:r>\n</x:is></x:c>\n'
        '    <x:c r="C2" t="inlineStr"><x:is><x:t>tab_x0009_en_x000A_regel</x:t></x:is></x:c>\n'
        '    <x:c r="D2" t="d"><x:v>2025-04-03</x:v></x:c>\n'
        '    <x:c r="E2" t="d"><x:v>14:30:00</x:v></x:c>\n'
        '    <x:c r="F2" t="d"><x:v>2025-04-03T14:30:05</x:v></x:c>\n'
        "  </x:row>\n"
        '  <x:row r="4"><x:c t="str"><x:f>"a"&amp;"b"</x:f><x:v>ab_x000D_</x:v></x:c>'
        '<x:c t="e"><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c>'
        '<x:c t="b"><x:v>0</x:v></x:c><x:c><x:v>12.50</x:v></x:c><x:c><x:v>1E3</x:v></x:c></x:row>\n'
        '  <x:row><x:c r="C5"><x:v>-7</x:v></x:c><x:c><x:v>0.1</x:v></x:c></x:row>\n'
        '  <x:row r="9"><x:c r="Z9" t="s"><x:v>0</x:v></x:c></x:row>\n'
        "</x:sheetData></x:worksheet>"
    )
    workbook = (
        f'{XML}<x:workbook xmlns:x="{MAIN}" xmlns:r="{DOC_RELS}"><x:sheets>'
        '<x:sheet name="Blad1" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>'
    )
    write_package(
        HERE / "hand_prefixed.xlsx",
        {
            "[Content_Types].xml": content_types(("/xl/workbook.xml", WORKBOOK_TYPE)),
            "_rels/.rels": relationships(("rId1", "officeDocument", "xl/workbook.xml")),
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": relationships(
                ("rId1", "worksheet", "worksheets/sheet1.xml"), ("rId2", "sharedStrings", "sharedStrings.xml")
            ),
            "xl/worksheets/sheet1.xml": sheet,
            "xl/sharedStrings.xml": shared,
        },
    )


def strict() -> None:
    """Strict OOXML: purl.oclc.org namespaces and relationship types, absolute targets, the
    1904 date system, a date style, a part elsewhere than xl/."""
    styles = (
        f'{XML}<styleSheet xmlns="{STRICT_MAIN}"><numFmts count="1">'
        '<numFmt numFmtId="164" formatCode="d/m/yyyy"/></numFmts>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="21"/></cellXfs></styleSheet>'
    )
    sheet = (
        f'{XML}<worksheet xmlns="{STRICT_MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Datum</t></is></c><c r="B1" t="inlineStr"><is><t>Tijd</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>Getal</t></is></c></row>'
        '<row r="2"><c r="A2" s="1"><v>44287</v></c><c r="B2" s="2"><v>0.6041666666666666</v></c>'
        '<c r="C2"><v>3.5</v></c></row>'
        "</sheetData></worksheet>"
    )
    workbook = (
        f'{XML}<workbook xmlns="{STRICT_MAIN}" xmlns:r="{STRICT_DOC_RELS}" conformance="strict">'
        '<workbookPr date1904="true"/><sheets><sheet name="Strikt" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    write_package(
        HERE / "hand_strict.xlsx",
        {
            "[Content_Types].xml": content_types(("/book/workbook.xml", WORKBOOK_TYPE)),
            "_rels/.rels": relationships(("rId1", "officeDocument", "book/workbook.xml"), namespace=STRICT_DOC_RELS),
            "book/workbook.xml": workbook,
            "book/_rels/workbook.xml.rels": relationships(
                ("rId1", "worksheet", "/book/sheets/data.xml"),
                ("rId2", "styles", "/book/styles.xml"),
                namespace=STRICT_DOC_RELS,
            ),
            "book/sheets/data.xml": sheet,
            "book/styles.xml": styles,
        },
    )


def minimal() -> None:
    """Only what a generator must write (content types, relationships, workbook, one sheet of
    inline strings and numbers); and the same without relationship files, as small generators
    write it (python-calamine refuses that one)."""
    sheet = (
        f'{XML}<worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Nummer</t></is></c><c r="B1" t="inlineStr"><is><t>Naam</t></is></c></row>'
        '<row r="2"><c r="A2"><v>10001</v></c><c r="B2" t="inlineStr"><is><t>Jansen</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    workbook = (
        f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
        '<sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    parts = {
        "[Content_Types].xml": content_types(
            ("/xl/workbook.xml", WORKBOOK_TYPE), ("/xl/worksheets/sheet1.xml", SHEET_TYPE)
        ),
        "_rels/.rels": relationships(("rId1", "officeDocument", "xl/workbook.xml")),
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": relationships(("rId1", "worksheet", "worksheets/sheet1.xml")),
        "xl/worksheets/sheet1.xml": sheet,
    }
    write_package(HERE / "hand_minimal.xlsx", parts)
    write_package(HERE / "hand_no_relationships.xlsx", {k: v for k, v in parts.items() if not k.endswith(".rels")})


def uncomputed() -> None:
    """Formulas as a program that does not calculate saves them: without <v>, with an empty
    <v/>, shared formulas; beside an empty text result (t="str", <v></v>) as Excel writes it."""
    sheet = (
        f'{XML}<worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Getal</t></is></c><c r="B1" t="inlineStr"><is><t>Dubbel</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>Leeg</t></is></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><f>A2*2</f></c><c r="C2" t="str"><f>""</f><v></v></c></row>'
        '<row r="3"><c r="A3"><v>2</v></c><c r="B3"><f t="shared" ref="B3:B4" si="0">A3*2</f><v/></c></row>'
        '<row r="4"><c r="A4"><v>3</v></c><c r="B4"><f t="shared" si="0"/></c><c r="C4"><f>A4</f><v>3</v></c></row>'
        "</sheetData></worksheet>"
    )
    workbook = (
        f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
        '<sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    write_package(
        HERE / "hand_uncomputed.xlsx",
        {
            "[Content_Types].xml": content_types(("/xl/workbook.xml", WORKBOOK_TYPE)),
            "_rels/.rels": relationships(("rId1", "officeDocument", "xl/workbook.xml")),
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": relationships(("rId1", "worksheet", "worksheets/sheet1.xml")),
            "xl/worksheets/sheet1.xml": sheet,
        },
    )


ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)


def ods_by_hand() -> None:
    """An .ods as Calc writes it, cut down: a hidden first sheet (its table style says
    table:display="false"), a formula without its value, an error, a comment, a merge."""
    content = (
        f'{XML}<office:document-content {ODS_NAMESPACES} office:version="1.3"><office:automatic-styles>'
        '<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style>'
        '<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>'
        "</office:automatic-styles><office:body><office:spreadsheet>"
        '<table:table table:name="Uitleg" table:style-name="ta2"><table:table-row>'
        '<table:table-cell office:value-type="string"><text:p>verborgen</text:p></table:table-cell>'
        "</table:table-row></table:table>"
        '<table:table table:name="Data" table:style-name="ta1">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Getal</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>Dubbel</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>Fout</text:p></table:table-cell></table:table-row>'
        '<table:table-row><table:table-cell office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell>'
        '<table:table-cell table:formula="of:=[.A2]*2"/>'
        '<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" calcext:value-type="error">'
        "<text:p>#DIV/0!</text:p></table:table-cell></table:table-row>"
        '<table:table-row><table:table-cell office:value-type="string"><text:p>met notitie</text:p>'
        "<office:annotation><text:p>een notitie</text:p></office:annotation></table:table-cell>"
        '<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>samen</text:p></table:table-cell>'
        '<table:covered-table-cell office:value-type="string"><text:p>onder</text:p></table:covered-table-cell>'
        "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        f'{XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(HERE / "hand_calc.ods", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)


def ods_text_markup() -> None:
    """An .ods whose text holds <text:s/>, <text:tab/> and <text:line-break/>, as Calc writes
    spaces, a tab and a line break (Ctrl+Enter) inside a cell."""
    content = (
        f'{XML}<office:document-content {ODS_NAMESPACES} office:version="1.3"><office:body><office:spreadsheet>'
        '<table:table table:name="Blad1">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Tekst</text:p></table:table-cell>'
        "</table:table-row>"
        '<table:table-row><table:table-cell office:value-type="string">'
        '<text:p>a<text:s text:c="2"/> b<text:tab/>c<text:line-break/>d</text:p></table:table-cell></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        f'{XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(HERE / "hand_text_markup.ods", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)


if __name__ == "__main__":
    openpyxl_files()
    xlsxwriter_files()
    libreoffice_files()
    odfpy_file()
    pyexcel_file()
    prefixed()
    strict()
    minimal()
    uncomputed()
    ods_by_hand()
    ods_text_markup()
