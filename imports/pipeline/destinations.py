"""Destinations the file names that are no relation number or contact id: collected per
distinct value during the check, and the user's choices applied on the next one.

The check collects them (`UnknownDestinations`, bounded: MAX_VALUES values a field, the
first MAX_ROWS rows of each, every row counted) and keeps them on the job; the check page
and the command line resolve them to candidates (dossier.resolving) and the user's choices
are stored in the mapping entry of the field, as every value map is:

    {"relation": {"column": "Klant", "values": {"D20004": "20004", "Jansen BV": "20007"}}}

The map is applied to the raw reference before the relation (or contact) is looked up:
to the cell's whole text first, then to each relation number it names (R8: several are
separated by ';' or ',').
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dossier.values import as_text
from imports.pipeline.mapping import VALUES
from imports.pipeline.mapping import value_map as entry_value_map

DESTINATION_FIELDS = ("relation", "contact")
MAX_VALUES = 200  # distinct values kept per field
MAX_ROWS = 5  # first rows kept per value
# A longer reference is no number or name of a relation (its name holds at most 200): it stays
# a problem of its rows, and is neither kept nor searched.
MAX_VALUE_LENGTH = 200


@dataclass
class UnknownValue:
    value: str
    count: int = 0
    rows: list[int] = field(default_factory=list)
    relations: set[str] = field(default_factory=set)  # contacts: the relation numbers of its rows

    @property
    def relation(self) -> str:
        """A contact's relation number, when all its rows name the same one."""
        return next(iter(self.relations)) if len(self.relations) == 1 else ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"value": self.value, "count": self.count, "rows": self.rows}
        if self.relation:
            data["relation"] = self.relation
        return data


class UnknownDestinations:
    """The references of the relation and contact columns that named nothing, per distinct
    value with its row count and first rows."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, UnknownValue]] = {code: {} for code in DESTINATION_FIELDS}
        self.others: dict[str, int] = dict.fromkeys(DESTINATION_FIELDS, 0)  # rows of values not kept

    def add(self, code: str, value: str, row: int, *, relation: str = "") -> None:
        if len(value) > MAX_VALUE_LENGTH:
            return
        values = self.values[code]
        entry = values.get(value)
        if entry is None:
            if len(values) >= MAX_VALUES:
                self.others[code] += 1
                return
            entry = values[value] = UnknownValue(value)
        entry.count += 1
        if len(entry.rows) < MAX_ROWS and row not in entry.rows:
            entry.rows.append(row)
        if len(entry.relations) < 2:  # a row without a relation counts as another one
            entry.relations.add(relation)

    def as_dict(self) -> dict[str, Any]:
        """As kept on the job: field -> values, the most rows first; "<field>_others": the
        rows with values past MAX_VALUES."""
        data: dict[str, Any] = {}
        for code, values in self.values.items():
            if values:
                data[code] = [v.as_dict() for v in sorted(values.values(), key=lambda v: (-v.count, v.value))]
            if self.others[code]:
                data[f"{code}_others"] = self.others[code]
        return data


def unknown_values(stored: Any, code: str) -> list[dict[str, Any]]:
    """The values of one field as `UnknownDestinations.as_dict` stored them (none when the
    job holds none, or holds something else)."""
    if not isinstance(stored, dict) or not isinstance(stored.get(code), list):
        return []
    return [entry for entry in stored[code] if isinstance(entry, dict) and isinstance(entry.get("value"), str)]


def value_map(mapping: Any, code: str) -> dict[str, str]:
    """The value map of a field's mapping entry: raw text -> what the field takes."""
    entry = mapping.get(code) if isinstance(mapping, dict) else None
    return entry_value_map(entry or {})


def with_values(mapping: dict[str, Any], code: str, chosen: dict[str, str]) -> dict[str, Any]:
    """The mapping with `chosen` (raw -> relation number or contact id) added to the field's
    value map; a value chosen as '' (not found: leave the rows invalid) is taken out."""
    entry = dict(mapping.get(code) or {})
    values = {**value_map(mapping, code), **chosen}
    values = {raw: number for raw, number in values.items() if number}
    if values:
        entry[VALUES] = values
    else:
        entry.pop(VALUES, None)
    return {**mapping, code: entry}


def mapped(parse: Callable[[Any], Any], values: dict[str, str]) -> Callable[[Any], Any]:
    """`parse` for a destination cell, the value map applied: to the cell's whole text
    first, then to each key `parse` returns (one, or a list of relation numbers)."""
    if not values:
        return parse

    def parse_mapped(cell: Any) -> Any:
        text = as_text(cell)
        keys = parse(values.get(text, cell))
        if isinstance(keys, list):
            return list(dict.fromkeys(values.get(key, key) for key in keys))
        return values.get(keys, keys)

    return parse_mapped
