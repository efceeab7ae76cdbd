"""Columns left out: data in the file that no field of the mapping takes is never dropped
without the user's word.

Two kinds: a column with a name (or without one, between names) that no field takes and that
holds something in some row, and cells right of the last column name (ragged rows, a last
column without a name; the reader records them, `Table.beyond`). Each is `LeftOutColumn`,
named by its letter, which is the same in every language. The mapping's list
"not_imported" confirms them (mapping.ignored_positions); one that it does not confirm stops
the import: the wizard asks, the command line refuses with `unconfirmed_message`.

    watch = ColumnWatch(headers, mapping)
    for row in watch.rows(table.rows()):
        ...
    left_out = watch.left_out(table.beyond)   # [LeftOutColumn(letter="F", ...), ...]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from imports.pipeline.mapping import column_title, field_sources, ignored_positions, letter_position
from imports.pipeline.reconciliation import is_status_column
from spreadsheets.messages import N_, Message, listed
from spreadsheets.reading import Row, column_letter


@dataclass(frozen=True)
class LeftOutColumn:
    """A column holding data that no field takes."""

    letter: str
    title: str  # as problems name it (mapping.column_title): "Opmerking", "Naam (D)", "(F)"
    header: str  # "" when it has no name
    row: int  # the first row with something in it
    beyond: bool  # right of the last column name
    confirmed: bool  # the mapping says "not imported"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LeftOutColumn:
        return cls(**data)

    @property
    def position(self) -> int:
        return letter_position(self.letter) or 0


def data_positions(headers: Sequence[str], mapping: dict[str, Any]) -> list[int]:
    """The columns under a name that no field of the mapping takes (fixed values take none),
    but for the status column of a reconciliation workbook, which is never a field."""
    taken = {source.position for source in field_sources(headers, mapping) if source.position is not None}
    return [
        position
        for position in range(len(headers))
        if position not in taken and not is_status_column(headers[position])
    ]


class ColumnWatch:
    """Notes, while the rows go by, the first row in which each column no field takes holds
    something; costs a look at those columns per row until each has shown data."""

    def __init__(self, headers: Sequence[str], mapping: dict[str, Any]):
        self.headers = list(headers)
        self.mapping = mapping
        self.pending = data_positions(headers, mapping)
        self.found: dict[int, int] = {}

    def rows(self, rows: Iterable[Row]) -> Iterator[Row]:
        pending, found = self.pending, self.found
        if not pending:  # every column is taken: nothing to watch
            yield from rows
            return
        for row in rows:
            if pending:
                cells = row.cells
                seen = [position for position in pending if cells[position] is not None]
                if seen:
                    for position in seen:
                        found[position] = row.number
                    pending[:] = [position for position in pending if position not in found]
            yield row

    def left_out(self, beyond: dict[int, int]) -> list[LeftOutColumn]:
        return left_out_columns(self.headers, self.mapping, {**self.found, **beyond})


def left_out_columns(headers: Sequence[str], mapping: dict[str, Any], found: dict[int, int]) -> list[LeftOutColumn]:
    """`found` (position -> first row with data) as LeftOutColumns, left to right, each
    confirmed or not by the mapping's "not_imported"; columns a field takes are left out."""
    confirmed = ignored_positions(headers, mapping)
    taken = set(data_positions(headers, mapping)).symmetric_difference(range(len(headers)))
    return [
        LeftOutColumn(
            letter=column_letter(position),
            title=column_title(headers, position),
            header=headers[position] if position < len(headers) else "",
            row=row,
            beyond=position >= len(headers),
            confirmed=position in confirmed,
        )
        for position, row in sorted(found.items())
        if position not in taken
    ]


def unconfirmed(columns: Iterable[LeftOutColumn | dict]) -> list[LeftOutColumn]:
    """The columns (as kept on a job: dicts) that the mapping does not confirm."""
    columns = [LeftOutColumn.from_dict(c) if isinstance(c, dict) else c for c in columns]
    return [column for column in columns if not column.confirmed]


def column_list(columns: Iterable[LeftOutColumn]) -> Message | str:
    """ "'Opmerking' (F, from row 2) and (H, from row 5)": each column with its letter and its
    first row with data (a Message: it may be stored in a refusal)."""
    return listed(
        N_("'%(column)s' (%(letter)s, from row %(row)s)")
        % {"column": column.header, "letter": column.letter, "row": column.row}
        if column.header
        else N_("%(letter)s (without a name, from row %(row)s)") % {"letter": column.letter, "row": column.row}
        for column in columns
    )


def unconfirmed_message(columns: list[LeftOutColumn], *, command_line: bool = False) -> Message:
    """The refusal of data that no field takes and nobody confirmed as not imported: in the
    wizard (confirm on the mapping page) or on the command line (--ignore-column)."""
    if command_line:
        return N_(
            "Columns hold data that no field takes: %(columns)s. Map them with --mapping, or leave them out with --ignore-column for each (its name, or its letter when it has no name)."
        ) % {"columns": column_list(columns)}
    return N_(
        "Columns hold data that no field takes: %(columns)s. On the mapping page, choose a field for each, or tick 'not imported'."
    ) % {"columns": column_list(columns)}
