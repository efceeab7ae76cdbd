"""Spreadsheet-safe export cells, for every file this application writes for people to open:
the admin's master data exports (django-import-export formats below) and the import's
rejected rows file (imports/pipeline/report.py).

- A text a spreadsheet would run as a formula (starting with = + - @ tab or CR) is written
  as a text cell in .xlsx, and with a leading apostrophe in .csv/.tsv (the CSV reader of the
  import removes that apostrophe again: imports/pipeline/reading.py `_unescape_formula`).
- Characters an .xlsx cannot hold (control characters other than tab and line breaks) are
  removed, so the file is always written.

No database, no Django models: the import pipeline uses this without either.
"""

from __future__ import annotations

import re
from typing import Any

import tablib
from import_export.formats import base_formats
from openpyxl.cell import WriteOnlyCell
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
        write_xlsx([dataset.headers or [], *dataset], stream, title=dataset.title)
        return stream.getvalue()


EXPORT_FORMATS = [SafeXLSX, SafeCSV, SafeTSV]
