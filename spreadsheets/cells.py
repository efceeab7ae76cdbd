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


def clean_rows(rows: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Text cells trimmed of whitespace only, so a control character at an end is still
    seen and warned of (blank text becomes None), empty rows left out; UNCOMPUTED stays.
    Used for every file format (reading.py), and by the second process of background.py so
    the first need not."""
    for number, cells in rows:
        cleaned = tuple([(cell.strip(WHITESPACE) or None) if cell.__class__ is str else cell for cell in cells])
        if cleaned.count(None) != len(cleaned):
            yield number, cleaned
