"""The destinations the check could not find, resolved to candidates for the job's user, and
his choices kept in the job's mapping (issue 16, part 2). The check page and the command
line show the same rows; applying choices checks the file again (imports.tasks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dossier.resolving import Resolution, resolve_contacts, resolve_relations
from imports.models import ImportJob
from imports.pipeline.destinations import DESTINATION_FIELDS, unknown_values, with_values
from spreadsheets.messages import N_, Message

FIELD_LABELS = {"relation": N_("organisation/person"), "contact": N_("contact")}


@dataclass(frozen=True)
class UnknownDestination:
    """One distinct reference of a relation or contact column that named nothing."""

    field: str
    index: int
    value: str
    count: int
    rows: tuple[int, ...]
    resolution: Resolution

    @property
    def name(self) -> str:
        """The name of its choice in a form: the field and the value's place on the job."""
        return f"{self.field}-{self.index}"

    @property
    def field_label(self) -> Message:
        return FIELD_LABELS[self.field]

    @property
    def more_rows(self) -> bool:
        return self.count > len(self.rows)

    @property
    def warnings(self) -> list[Message]:
        return [c.warning for c in self.resolution.candidates if c.warning is not None]


def unknown_destinations(*, job: ImportJob, user) -> list[UnknownDestination]:
    """The job's references that named nothing, each with the relations (or contacts) it may
    mean among those `user` may see, the most rows first per field."""
    found = []
    for code in DESTINATION_FIELDS:
        stored = unknown_values(job.unknown_destinations, code)
        if not stored:
            continue
        raws = [entry["value"] for entry in stored]
        if code == "relation":
            resolved = resolve_relations(raws, user=user)
        else:
            relations = {entry["value"]: str(entry.get("relation") or "") for entry in stored}
            resolved = resolve_contacts(raws, user=user, relations=relations)
        for index, entry in enumerate(stored):
            found.append(
                UnknownDestination(
                    field=code,
                    index=index,
                    value=entry["value"],
                    count=entry["count"] if isinstance(entry.get("count"), int) else 0,
                    rows=tuple(row for row in entry.get("rows") or () if isinstance(row, int)),
                    resolution=resolved[entry["value"]],
                )
            )
    return found


def rows_not_shown(job: ImportJob) -> int:
    """Rows with a reference that named nothing, past the values kept per field."""
    stored = job.unknown_destinations if isinstance(job.unknown_destinations, dict) else {}
    counts = [stored.get(f"{code}_others") for code in DESTINATION_FIELDS]
    return sum(count for count in counts if isinstance(count, int))


def choose_destinations(*, job: ImportJob, user, choices: Mapping[str, str]) -> int:
    """Keep the user's choices in the job's mapping (the field's "values"): `choices` maps
    `UnknownDestination.name` to the chosen relation number or contact id. Only a candidate
    offered for the value is taken; '' (not found) leaves the rows invalid. Returns how many
    values got a destination. Nothing is created: only existing relations are chosen."""
    chosen: dict[str, dict[str, str]] = {}
    for unknown in unknown_destinations(job=job, user=user):
        number = str(choices.get(unknown.name) or "")
        if number and number in {c.number for c in unknown.resolution.candidates}:
            chosen.setdefault(unknown.field, {})[unknown.value] = number
    mapping = job.mapping
    for code, values in chosen.items():
        if code in mapping:
            mapping = with_values(mapping, code, values)
    if chosen:
        job.mapping = mapping
        job.save(update_fields=["mapping"])
    return sum(len(values) for values in chosen.values())
