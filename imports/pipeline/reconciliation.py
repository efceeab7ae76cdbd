"""The reconciliation workbook: the user's own sheet back, every row of it, with a status
column (the item numbers a row created, ready to import, invalid with its problems), the
offending cells marked with a comment; and what an upload of that workbook again needs to
continue with the open rows only.

- **The status column** is recognised by its header, whatever the reader's language:
  `is_status_column` (one place; the mapping never matches it to a field and it is no
  "column not imported"). The headers are not translated by gettext on purpose: a workbook
  downloaded in Dutch and uploaded by an English reader is still recognised.
- **Rows already created** are recognised by their content, not only by the status text a
  user may edit: `RowFingerprints` (the row's cells by column name, the status column left
  out) of each row is compared with those of the rows the earlier import created (its own
  file read again: the check of an ordinary file pays nothing for it); a row whose cells were changed
  since is still recognised when its status names exactly the item numbers one row of that
  import created (`status_numbers`), and each created row is recognised once per file.
- **Writing** streams the rows of the uploaded file (read again, in order) beside the job's
  row statuses (also in order): nothing is held per row but the comments' texts. Every value
  is formula-safe (spreadsheets/writing.py `stream_xlsx`, which also writes the comments and
  the drawing Excel shows them in; openpyxl's write-only mode took ten times as long); .csv
  gets the same status column and no comments.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imports.pipeline.report import escape_csv_cell
from spreadsheets import writing
from spreadsheets.cells import UNCOMPUTED
from spreadsheets.reading import Row

# The status column's header in the languages of the application: English first (written
# for an English reader), Dutch. Recognised in any of them, case and spaces aside.
STATUS_HEADERS = {"en": "Import status", "nl": "Importstatus"}


def same_name(header: str) -> str:
    """Case and spaces do not count (as mapping.same_name, which imports this module)."""
    return "".join(header.split()).casefold()


_STATUS_NAMES = frozenset(same_name(header) for header in STATUS_HEADERS.values())

COMMENT_AUTHOR = "Import"
COMMENT_WIDTH, COMMENT_HEIGHT = 240, 80  # points: room for a sentence with its fix


def is_status_column(header: Any) -> bool:
    """Is this header the reconciliation workbook's status column? Such a column is never a
    field of the import, and never reported as a column that is not imported."""
    return isinstance(header, str) and same_name(header) in _STATUS_NAMES


def status_position(headers: Sequence[Any]) -> int | None:
    """The position of the (first) status column among the headers, or None."""
    return next((position for position, header in enumerate(headers) if is_status_column(header)), None)


def status_header(language: str | None) -> str:
    return STATUS_HEADERS.get((language or "en")[:2], STATUS_HEADERS["en"])


# --- recognising rows ----------------------------------------------------------------------


def _normal(cell: Any) -> str:
    """A cell as the fingerprint sees it: the same value read from a .csv, an .xlsx we wrote
    or the file itself gives the same text."""
    if cell is None:
        return ""
    if cell is UNCOMPUTED:
        return "\x00formula"
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell).strip()


class RowFingerprints:
    """Fingerprints of a sheet's rows (`of(cells)`): the row's content by column name, column
    order aside, the status column and empty cells left out. Equal for the same row in the
    file and in its reconciliation workbook, in .csv or .xlsx."""

    def __init__(self, headers: Sequence[Any]):
        skip = status_position(headers)
        names = sorted(
            (same_name(str(header)), position) for position, header in enumerate(headers) if position != skip
        )
        self.columns = [(name + "\x1e", position) for name, position in names]
        # Names that repeat: their parts are sorted by value, whatever their order in the sheet.
        self.repeated = len({name for name, _position in names}) < len(names)

    def of(self, cells: Sequence[Any]) -> str:
        width = len(cells)
        parts = []
        for name, position in self.columns:  # a hot path: one call per row of every check
            if position < width:
                cell = cells[position]
                if cell.__class__ is str:  # the readers trim; an empty text is no value
                    if cell:
                        parts.append(name + cell)
                elif cell is not None and (value := _normal(cell)):
                    parts.append(name + value)
        if self.repeated:
            parts.sort()
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


def fingerprint(headers: Sequence[Any], cells: Sequence[Any]) -> str:
    """One row's fingerprint (RowFingerprints, for a single row)."""
    return RowFingerprints(headers).of(cells)


_NUMBER = re.compile(r"\d+")


def status_numbers(cell: Any) -> tuple[int, ...]:
    """The item numbers a status cell names ("Created: 12, 13" gives (12, 13))."""
    if cell is None or cell is UNCOMPUTED:
        return ()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return (int(cell),) if float(cell).is_integer() else ()
    return tuple(int(number) for number in _NUMBER.findall(str(cell)) if len(number) <= 10)


@dataclass
class CreatedRows:
    """The rows earlier imports created, to recognise them in a new file: by fingerprint (a
    queue per fingerprint: a file may hold the same row twice) and by their item numbers.
    Each created row is recognised once (`take`)."""

    by_fingerprint: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)
    by_numbers: dict[tuple[int, ...], str] = field(default_factory=dict)
    taken: set[tuple[int, ...]] = field(default_factory=set)

    def add(self, fingerprint: str, numbers: Sequence[int]) -> None:
        key = tuple(sorted(numbers))
        if not key or key in self.by_numbers:
            return
        self.by_numbers[key] = fingerprint
        self.by_fingerprint.setdefault(fingerprint, []).append(key)

    def __bool__(self) -> bool:
        return bool(self.by_numbers)

    def take_by_fingerprint(self, fingerprint: str) -> tuple[int, ...] | None:
        for key in self.by_fingerprint.get(fingerprint, ()):
            if key not in self.taken:
                self.taken.add(key)
                return key
        return None

    def take_by_numbers(self, numbers: Sequence[int]) -> tuple[int, ...] | None:
        key = tuple(sorted(set(numbers)))
        if key in self.by_numbers and key not in self.taken:
            self.taken.add(key)
            return key
        return None


def recognise(rows: Iterable[tuple[int, str, tuple[int, ...]]], created: CreatedRows) -> dict[int, tuple[int, ...]]:
    """Which rows (row number, fingerprint, numbers its status names) earlier imports created
    already: row number -> the item numbers. First every row whose content is unchanged,
    then rows whose status names exactly one created row's numbers (their cells were changed
    since: the import never changes an item, R1), so an unchanged row always wins its numbers
    over a status copied onto another row."""
    rows = list(rows)
    found: dict[int, tuple[int, ...]] = {}
    for number, print_, _numbers in rows:
        if (key := created.take_by_fingerprint(print_)) is not None:
            found[number] = key
    for number, _print, numbers in rows:
        if number not in found and numbers and (key := created.take_by_numbers(numbers)) is not None:
            found[number] = key
    return found


# --- row statuses --------------------------------------------------------------------------

READY = "ready"
INVALID = "invalid"
CREATED = "created"  # recognised as created by an earlier import (numbers known)
# Probably a duplicate of an existing item or of another row (the duplicate check, issue 15
# part 4): its payload holds the items the row makes and the warnings that say what it
# repeats (stored problems, rendered in the reader's language). Left alone when the user
# chose to skip such rows; else created like a ready row (`numbered`).
DUPLICATE = "duplicate"


def duplicate_payload(result) -> dict[str, Any]:
    """The DUPLICATE payload of a valid row the duplicate check marked (an outcomes.RowResult)."""
    from imports.pipeline.duplicates import DUPLICATE_CODES

    return {
        "items": len(result.clean.items),
        "of": [p.as_dict() for p in result.problems if p.code in DUPLICATE_CODES],
    }


@dataclass(frozen=True)
class RowStatus:
    """One row's status, as the job's row record keeps it: one line a row, `number kind
    payload`; payload: an item count (ready), item numbers (created), the problems as stored
    dicts in JSON (invalid), what it duplicates in JSON (duplicate). The lines of the common
    kinds are plain text: the validation writes one for every row."""

    number: int
    kind: str
    payload: Any = None

    def as_line(self) -> str:
        if self.kind == READY:
            return f"{self.number} {READY} {self.payload}\n"
        if self.kind == CREATED:
            return f"{self.number} {CREATED} {','.join(map(str, self.payload))}\n"
        return f"{self.number} {self.kind} {RECORD_ENCODER.encode(self.payload)}\n"

    @classmethod
    def from_line(cls, line: str) -> RowStatus:
        number, kind, payload = line.rstrip("\n").split(" ", 2)
        if kind == READY:
            return cls(int(number), kind, int(payload))
        if kind == CREATED:
            return cls(int(number), kind, [int(n) for n in payload.split(",") if n])
        return cls(int(number), kind, json.loads(payload))


RECORD_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def numbered(
    statuses: Iterable[RowStatus], first_number: int | None, *, skipped_duplicates: bool = False
) -> Iterator[RowStatus]:
    """The statuses after the commit: each ready row becomes the item numbers it created.
    The commit numbers the items at once from `first_number` in the order of the rows (R28),
    so the numbers follow from the ready rows' item counts. A probable duplicate was created
    the same way, unless the user chose to skip them (`skipped_duplicates`): then it stays."""
    next_number = first_number
    for status in statuses:
        if status.kind == DUPLICATE and not skipped_duplicates and next_number is not None:
            count = int((status.payload or {}).get("items", 0))
            yield RowStatus(status.number, CREATED, list(range(next_number, next_number + count)))
            next_number += count
        elif status.kind == READY and next_number is not None:
            count = int(status.payload or 0)
            yield RowStatus(status.number, CREATED, list(range(next_number, next_number + count)))
            next_number += count
        else:
            yield status


# --- writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where things go: the uploaded sheet's headers, its header row, and the status column
    (its own position in a workbook uploaded again, else after the last column)."""

    headers: list[str]
    header_row: int
    status_at: int
    status_title: str

    @classmethod
    def of(cls, headers: Sequence[Any], header_row: int | None, status_title: str) -> Layout:
        headers = [str(header) for header in headers]
        at = status_position(headers)
        if at is None:
            return cls([*headers, status_title], header_row or 1, len(headers), status_title)
        return cls(headers, header_row or 1, at, status_title)

    def position_of(self, column: str | None) -> int | None:
        if not column:
            return None
        wanted = same_name(column)
        return next((p for p, h in enumerate(self.headers) if p != self.status_at and same_name(h) == wanted), None)


def rows_with_status(rows: Iterable[Row], statuses: Iterable[RowStatus]) -> Iterator[tuple[Row, RowStatus | None]]:
    """The file's rows beside their statuses; both come in row order."""
    pending = iter(statuses)
    status = next(pending, None)
    for row in rows:
        while status is not None and status.number < row.number:
            status = next(pending, None)
        yield row, status if status is not None and status.number == row.number else None


def _cells(layout: Layout, row: Row, text: str) -> list[Any]:
    cells = list(row.cells)
    width = len(layout.headers)
    cells = cells[:width] + [None] * (width - len(cells))
    cells[layout.status_at] = text
    return [None if cell is UNCOMPUTED else cell for cell in cells]


def write_workbook(
    rows: Iterable[Row],
    statuses: Iterable[RowStatus],
    layout: Layout,
    target: Path,
    fmt: str,
    *,
    sheet_title: str,
    status_text: Callable[[RowStatus | None], str],
    problem_text: Callable[[dict], str],
    status_note: str = "",
) -> int:
    """Write the reconciliation workbook to `target` (.xlsx or .csv): every row of the file
    at its own row number, under the header row at its own place, with its status; in .xlsx
    each cell a problem names carries a comment with the problem (`problem_text`), and a
    problem of no column comments the status cell. Streamed (spreadsheets/writing.py's
    `stream_xlsx`): only the comments are held until the end. Returns the rows written."""
    if fmt == "csv":
        return _write_csv(rows, statuses, layout, target, status_text)
    comments: list[tuple[int, int, str]] = []
    if status_note:
        comments.append((layout.header_row, layout.status_at, status_note))
    written = 0

    def sheet_rows() -> Iterator[list[Any]]:
        nonlocal written
        for _blank in range(1, layout.header_row):
            yield []
        yield layout.headers
        at = layout.header_row
        for row, status in rows_with_status(rows, statuses):
            while at + 1 < row.number:  # keep the file's row numbers: the messages name them
                yield []
                at += 1
            if status is not None and status.kind == INVALID:
                notes: dict[int, list[str]] = {}
                for problem in status.payload or ():
                    position = layout.position_of(problem.get("column"))
                    notes.setdefault(layout.status_at if position is None else position, []).append(
                        problem_text(problem)
                    )
                for position in sorted(notes):
                    comments.append((row.number, position, "\n".join(dict.fromkeys(notes[position]))))
            yield _cells(layout, row, status_text(status))
            at = row.number
            written += 1

    with target.open("wb") as handle:
        writing.stream_xlsx(
            sheet_rows(),
            handle,
            title=sheet_title or "Sheet1",
            comments=comments,
            author=COMMENT_AUTHOR,
            comment_size=(COMMENT_WIDTH, COMMENT_HEIGHT),
        )
    return written


def _write_csv(
    rows: Iterable[Row],
    statuses: Iterable[RowStatus],
    layout: Layout,
    target: Path,
    status_text: Callable[[RowStatus | None], str],
) -> int:
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        for _blank in range(1, layout.header_row):
            writer.writerow([])
        writer.writerow([escape_csv_cell(header) for header in layout.headers])
        written, at = 0, layout.header_row
        for row, status in rows_with_status(rows, statuses):
            while at + 1 < row.number:
                writer.writerow([])
                at += 1
            writer.writerow([escape_csv_cell(cell) for cell in _cells(layout, row, status_text(status))])
            at = row.number
            written += 1
    return written
