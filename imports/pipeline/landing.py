"""What lands where, before the import (issue 17, part 2): the items the valid rows will make
per destination, with the files on each and their sizes, and the files of the attachments ZIP
that no row uses, each with the user's decision.

Both are gathered during the check, row by row, in bounded memory: `Landing` keeps the first
MAX_DESTINATIONS destinations in the order the rows name them (each with its items, files and
bytes) and counts every item, file and byte and every distinct destination in its totals;
`unused_files` keeps the first MAX_UNUSED_FILES files no row named, with their count and bytes.
The job keeps them (`ImportJob.landing`, `ImportJob.unused_files`); the check page and the
command line show them.

A file no row uses is left out (not stored) or added as a row of its own (`added_rows`): its
destination the number its name starts with ("10081 CV Jansen.pdf" -> 10081, or a role
number resolved to its relation), its subject the rest of the name ("CV Jansen"). The added
rows follow the file's last row, numbered on from it, and are checked as any row is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

from imports.pipeline.mapping import field_sources
from imports.pipeline.outcomes import CleanRow
from spreadsheets.reading import Row

MAX_DESTINATIONS = 1000  # destinations kept with their own counts; every one is counted
MAX_UNUSED_FILES = 500  # files no row uses, kept by name; every one is counted
LEAVE, ADD = "leave", "add"
ALL_OTHERS = "*"  # file_choices key: the choice for every file no row uses that is not listed
# The number a file's name starts with: a relation number, or a role number (E0001, D20001),
# then a separator (space, '-', '_', '.') or the end of the name.
LEADING_NUMBER = re.compile(r"^\s*(?P<number>[A-Za-z]{0,3}\d+)(?=[\s_.\-]|$)[\s_.\-]*(?P<rest>.*)$")


@dataclass
class Destination:
    """One destination and what the valid rows will make for it."""

    number: str
    name: str
    items: int = 0
    files: int = 0
    bytes: int = 0


class Landing:
    """The items, files and bytes the valid rows will make, per destination (a relation,
    by its number) and in total. Each item gets its own copy of each file of its row (R8)."""

    def __init__(self, limit: int = MAX_DESTINATIONS):
        self.limit = limit
        self.destinations: dict[str, Destination] = {}
        self.numbers: set[str] = set()  # every destination, also those past the limit
        self.items = self.files = self.bytes = 0
        self.without_destination = 0  # items without a relation (a course evaluation, say)

    def add(self, clean: CleanRow) -> None:
        files = len(clean.attachments)
        size = sum(member.size for member in clean.attachments)
        for item in clean.items:
            self.items += 1
            self.files += files
            self.bytes += size
            relation = item.get("relation")
            if relation is None:
                self.without_destination += 1
                continue
            number = relation.number
            self.numbers.add(number)
            destination = self.destinations.get(number)
            if destination is None:
                if len(self.destinations) >= self.limit:
                    continue
                destination = self.destinations[number] = Destination(number, relation.name)
            destination.items += 1
            destination.files += files
            destination.bytes += size

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON data, as the job keeps it (`ImportJob.landing`)."""
        return {
            "items": self.items,
            "files": self.files,
            "bytes": self.bytes,
            "destination_count": len(self.numbers),
            "without_destination": self.without_destination,
            "destinations": [asdict(d) for d in self.destinations.values()],
        }


def stored_destinations(stored: Any) -> list[Destination]:
    """The destinations a job keeps (`Landing.as_dict`); none for anything else."""
    entries = stored.get("destinations") if isinstance(stored, dict) else None
    found = []
    for entry in entries or ():
        try:
            found.append(Destination(**entry))
        except TypeError:
            continue
    return found


def stored_count(stored: Any, key: str) -> int:
    value = stored.get(key) if isinstance(stored, dict) else None
    return value if isinstance(value, int) else 0


def unused_files(members: Iterable[Any], limit: int = MAX_UNUSED_FILES) -> dict[str, Any]:
    """The files no row named (attachments.Member), as the job keeps them: the first `limit`
    by name and size, with the count and bytes of all of them."""
    files, count, size = [], 0, 0
    for member in members:
        count += 1
        size += member.size
        if len(files) < limit:
            files.append({"name": member.name, "size": member.size})
    return {"files": files, "count": count, "bytes": size} if count else {}


def name_parts(path: str) -> tuple[str, str]:
    """The number a file's name starts with and the rest of the name, without its extension,
    as a subject: "Sollicitaties/10081 CV Jansen.pdf" -> ("10081", "CV Jansen");
    "10083 - diploma.pdf" -> ("10083", "diploma"); ("", "brief") when no number leads."""
    stem = PurePosixPath(path).stem.strip()
    match = LEADING_NUMBER.match(stem)
    if match is None:
        return "", stem
    return match.group("number"), match.group("rest").strip()


def can_add_rows(headers: Sequence[str], mapping: dict[str, Any]) -> bool:
    """Whether a file can be added as a row: the mapping gives the attachment a column, and
    the relation a column or a fixed value."""
    sources = {source.code: source for source in field_sources(headers, mapping)}
    attachment, relation = sources.get("attachment"), sources.get("relation")
    return attachment is not None and attachment.position is not None and relation is not None


def added_rows(headers: Sequence[str], mapping: dict[str, Any], choices: Any) -> list[Row]:
    """A row for each file the user chose to add ({"choice": "add", "relation": ...,
    "subject": ...}), numbered from 1 (`with_added_rows` numbers them on): the file in the attachment's column,
    the relation number in the relation's column (a fixed relation stays as it is) and the
    subject in the subject's column, when the mapping has one. None when rows cannot be added."""
    if not isinstance(choices, dict) or not can_add_rows(headers, mapping):
        return []
    sources = {source.code: source for source in field_sources(headers, mapping)}
    rows = []
    for name, choice in choices.items():
        if name == ALL_OTHERS or not isinstance(choice, dict) or choice.get("choice") != ADD:
            continue
        cells: list[Any] = [None] * len(headers)
        cells[sources["attachment"].position] = name
        relation = sources["relation"]
        if relation.position is not None:
            cells[relation.position] = str(choice.get("relation") or "") or None
        subject = sources.get("subject")
        if subject is not None and subject.position is not None and choice.get("subject"):
            cells[subject.position] = str(choice["subject"])
        rows.append(Row(len(rows) + 1, tuple(cells)))
    return rows


def with_added_rows(rows: Iterable[Row], extra: Sequence[Row]) -> Iterator[Row]:
    """The file's rows, then `extra` (made by `added_rows`), numbered on after the last row."""
    last = 0
    for row in rows:
        last = row.number
        yield row
    for offset, row in enumerate(extra or (), start=1):
        yield Row(last + offset, row.cells)
