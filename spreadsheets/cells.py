"""Cell values the readers hand to validation besides plain Python values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spreadsheets.text import WHITESPACE


class _Uncomputed:
    """A formula cell the file stores without its computed value (written by a program that
    does not calculate). Validation reports it; it is never taken as an empty cell."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNCOMPUTED"

    def __reduce__(self) -> str:
        return "UNCOMPUTED"  # pickles as this one object (the second reading process)

    def __bool__(self) -> bool:
        return True


UNCOMPUTED = _Uncomputed()

# The most characters one cell may hold, in every format: the csv module's own field limit,
# which the CSV reader always had. settings.IMPORT_MAX_CELL_LENGTH is what the readers are
# given (reading.py); this is its default, and the default of the readers' `cell_limit`.
MAX_CELL_LENGTH = 131_072


class CellTooLong(Exception):
    """A cell holds more than `limit` characters; the readers raise it as soon as they have
    collected that many, so a longer text is never held whole. Pickles (background.py)."""

    def __init__(self, row: int, column: int, limit: int):
        super().__init__(row, column, limit)
        self.row, self.column, self.limit = row, column, limit  # column: 0-based


# The most cells one sheet may hand to an import (settings.IMPORT_MAX_CELLS): every row counts
# as wide as its last value, and a row or cell that a file repeats (an .ods writes
# number-rows-repeated and number-columns-repeated) counts as often as it is repeated, when its
# element is read, before anything is expanded. A sheet of 1,048,576 rows of 48 columns fits.
MAX_CELLS = 50_000_000


class TooManyCells(Exception):
    """A sheet holds more than `limit` cells by row `row` (see MAX_CELLS). Pickles."""

    def __init__(self, row: int, limit: int):
        super().__init__(row, limit)
        self.row, self.limit = row, limit


def clean_rows(rows: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Text cells trimmed of whitespace only, so a control character at an end is still
    seen and warned of (blank text becomes None), empty rows left out; UNCOMPUTED stays.
    Used for every file format (reading.py), and by the second process of background.py so
    the first need not."""
    for number, cells in rows:
        cleaned = tuple([(cell.strip(WHITESPACE) or None) if cell.__class__ is str else cell for cell in cells])
        if cleaned.count(None) != len(cleaned):
            yield number, cleaned
