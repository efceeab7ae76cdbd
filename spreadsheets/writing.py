"""Spreadsheet-safe export cells, for every file this application writes for people to open:
the admin's master data exports (django-import-export formats below) and the import's
rejected rows file (imports/pipeline/report.py).

- A text a spreadsheet would run as a formula (starting with = + - @ tab or CR) is written
  as a text cell in .xlsx, and with a leading apostrophe in .csv/.tsv (our CSV reader
  removes that apostrophe again: spreadsheets/reading.py `_unescape_formula`).
- Characters an .xlsx cannot hold (control characters other than tab and line breaks) are
  removed, so the file is always written.

No database, no Django models: the import pipeline uses this without either.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from decimal import Decimal
from typing import Any

import tablib
from import_export.formats import base_formats
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What openpyxl refuses (its ILLEGAL_CHARACTERS_RE): C0 controls except tab, LF and CR.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def csv_text(text: str) -> str:
    """A text cell for .csv/.tsv: an apostrophe before a formula start."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_text(text: str) -> str:
    """A text cell for .xlsx, without the characters the format cannot hold."""
    return XLSX_ILLEGAL.sub("", text) if XLSX_ILLEGAL.search(text) else text


def csv_cell(value: Any) -> Any:
    return csv_text(value) if isinstance(value, str) else value


def xlsx_cell(sheet, value: Any):
    """A write-only cell of `sheet`: text always a string cell (never a formula, whatever it
    starts with), numbers, dates and booleans as themselves."""
    if isinstance(value, str):
        try:
            cell = WriteOnlyCell(sheet, value=value)  # openpyxl checks the characters itself
        except IllegalCharacterError:
            cell = WriteOnlyCell(sheet, value=xlsx_text(value))
        cell.data_type = "s"
        return cell
    return WriteOnlyCell(sheet, value=value)


def write_xlsx(rows, path_or_stream, *, title: str | None = None) -> None:
    """Write rows (the first one the headers) as one safe .xlsx sheet."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(xlsx_text(title)[:31] if title else None)
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    workbook.save(path_or_stream)


# --- a fast .xlsx for long exports ---------------------------------------------------------
#
# openpyxl spends about 40 microseconds on every cell; an export of 100,000 items with twenty
# columns would take minutes. `stream_xlsx` writes the same safe cells as `write_xlsx` (text
# always a text cell, never a formula; numbers, dates and yes/no as themselves) straight as
# SpreadsheetML into a compressed ZIP, row by row.

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
)
_ROOT_RELS = (
    _XML_HEAD + f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
    f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _XML_HEAD + f'<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC_RELS}/styles" Target="styles.xml"/></Relationships>'
)
# Cell styles: 0 plain, 1 a date (dd-mm-yyyy), 2 a date and time (dd-mm-yyyy hh:mm:ss).
_STYLES = (
    _XML_HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd\\-mm\\-yyyy"/>'
    '<numFmt numFmtId="165" formatCode="dd\\-mm\\-yyyy\\ hh:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _xml_text(text: str) -> str:
    return xlsx_text(text).translate(_XML_ESCAPES)


def _xlsx_cell_xml(ref: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            return _xlsx_cell_xml(ref, str(value))
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=None) - _EXCEL_EPOCH
        return f'<c r="{ref}" s="2"><v>{moment.days + moment.seconds / 86400!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="1"><v>{(value - _EXCEL_EPOCH.date()).days}</v></c>'
    return _xlsx_cell_xml(ref, str(value))


# Cell comments (notes): the comments part holds their texts, and a VML drawing the shapes
# Excel shows them in (without it Excel repairs the file); both written as strings, streamed.
_VML_HEAD = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/>'
    '</o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/>'
    "</v:shapetype>"
)
_VML_SHAPE = (
    '<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;'
    'width:{width}pt;height:{height}pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
    '<v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/><v:path o:connecttype="none"/>'
    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>'
    "<x:Row>{row}</x:Row><x:Column>{column}</x:Column></x:ClientData></v:shape>"
)
_SHEET_RELS = (
    _XML_HEAD + f'<Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/comments" Target="../comments1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC_RELS}/vmlDrawing" Target="../drawings/vmlDrawing1.vml"/></Relationships>'
)
_COMMENT_TYPES = (
    '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'
    '<Override PartName="/xl/comments1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/></Types>'
)


def stream_xlsx(
    rows,
    stream,
    *,
    title: str | None = None,
    comments: list[tuple[int, int, str]] | None = None,
    author: str = "",
    comment_size: tuple[int, int] = (240, 80),
) -> None:
    """Write rows (the first one the headers) as one safe .xlsx sheet into `stream`, row by
    row (the rows may be a generator; an empty row is left empty). `comments`: (row number,
    column index from 0, text) of cell comments, read once every row is written, so the
    rows' generator may add to it while it is read; `comment_size` in points."""
    name = _xml_text(xlsx_text(title)[:31] if title else "Sheet1").replace('"', "&quot;")
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr(
            "xl/workbook.xml",
            f'{_XML_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
            f'<sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        letters: list[str] = []
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{_XML_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheetData>'.encode())
            chunk: list[str] = []
            for number, row in enumerate(rows, start=1):
                while len(letters) < len(row):
                    letters.append(get_column_letter(len(letters) + 1))
                if row:
                    cells = "".join(_xlsx_cell_xml(f"{letters[i]}{number}", v) for i, v in enumerate(row))
                    chunk.append(f'<row r="{number}">{cells}</row>')
                if len(chunk) == 1000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            ending = "</sheetData>" + ('<legacyDrawing r:id="rId2"/>' if comments else "") + "</worksheet>"
            sheet.write(("".join(chunk) + ending).encode())
        content_types = _CONTENT_TYPES
        if comments:
            _write_comments(package, comments, author, comment_size)
            package.writestr("xl/worksheets/_rels/sheet1.xml.rels", _SHEET_RELS)
            content_types = content_types.removesuffix("</Types>") + _COMMENT_TYPES
        package.writestr("[Content_Types].xml", content_types)


def _write_comments(package: zipfile.ZipFile, comments, author: str, size: tuple[int, int]) -> None:
    width, height = size
    with package.open("xl/comments1.xml", "w") as part:
        part.write(
            f'{_XML_HEAD}<comments xmlns="{_MAIN}"><authors><author>{_xml_text(author)}</author></authors>'
            "<commentList>".encode()
        )
        for row, column, text in comments:
            ref = f"{get_column_letter(column + 1)}{row}"
            part.write(
                f'<comment ref="{ref}" authorId="0"><text><r><t xml:space="preserve">{_xml_text(text)}</t></r>'
                "</text></comment>".encode()
            )
        part.write(b"</commentList></comments>")
    with package.open("xl/drawings/vmlDrawing1.vml", "w") as part:
        part.write(_VML_HEAD.encode())
        for shape, (row, column, _text) in enumerate(comments, start=1025):
            part.write(_VML_SHAPE.format(id=shape, row=row - 1, column=column, width=width, height=height).encode())
        part.write(b"</xml>")


# --- django-import-export formats ----------------------------------------------------------


def _escaped(dataset: tablib.Dataset, escape) -> tablib.Dataset:
    safe = tablib.Dataset(headers=[escape(h) for h in dataset.headers or []], title=dataset.title)
    for row in dataset:
        safe.append([escape(cell) for cell in row])
    return safe


class SafeCSV(base_formats.CSV):
    """CSV export with formula starts neutralised."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(_escaped(dataset, csv_cell), **kwargs)


class SafeTSV(base_formats.TSV):
    """TSV export with formula starts neutralised."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(_escaped(dataset, csv_cell), **kwargs)


class SafeXLSX(base_formats.XLSX):
    """.xlsx export with every text a string cell and no character the format refuses."""

    def export_data(self, dataset, **kwargs) -> bytes:
        import io

        stream = io.BytesIO()
        stream_xlsx([dataset.headers or [], *dataset], stream, title=dataset.title)
        return stream.getvalue()


EXPORT_FORMATS = [SafeXLSX, SafeCSV, SafeTSV]
