"""The rejected rows file: the original columns plus one column with the problems, as .xlsx
or .csv, ready to fix and import again.

No cell can become a formula, and no character breaks the file (spreadsheets/writing.py): in
.xlsx every text is written as a string cell without the control characters the format
cannot hold; in .csv a text starting with = + - @ tab or CR gets a leading apostrophe, which
the CSV reader of this application removes again on re-import.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from imports.pipeline.outcomes import RowResult
from spreadsheets import writing

FORMULA_STARTS = writing.FORMULA_STARTS


def problem_text(result: RowResult) -> str:
    return "; ".join(
        f"{p.column or p.field or ''}: {p.text}" if (p.column or p.field) else p.text
        for p in result.problems
        if not p.is_warning
    )


def escape_csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d-%m-%Y %H:%M") if (value.hour, value.minute) != (0, 0) else value.strftime("%d-%m-%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return writing.csv_text(str(value))


def write_rejected_rows(results: Iterable[RowResult], headers: list[str], target: Path, fmt: str) -> int:
    """Write the invalid rows to `target` (.xlsx or .csv); returns how many were written."""
    column = _("Problems")
    rejected = (r for r in results if not r.is_valid)
    if fmt == "csv":
        with target.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow([escape_csv_cell(h) for h in [*headers, column]])
            count = 0
            for result in rejected:
                writer.writerow([escape_csv_cell(cell) for cell in [*result.cells, problem_text(result)]])
                count += 1
        return count
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rejected rows"))

    def cells(values):
        # Text as string cells (never a formula), without characters .xlsx cannot hold.
        return [writing.xlsx_cell(sheet, value) for value in values]

    sheet.append(cells([*headers, column]))
    count = 0
    for result in rejected:
        sheet.append(cells([*result.cells, problem_text(result)]))
        count += 1
    workbook.save(target)
    return count
