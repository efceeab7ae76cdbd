"""Validation: mapped rows -> clean rows or problems, with every lookup prefetched in bulk.

Rows are taken in batches. For each batch:
1. every mapped cell is cleaned by ItemSpec (dates, numbers, booleans, choices, keys);
2. the keys the batch names (relation numbers, contact ids, user names, extra codes, ...)
   that are not known yet are loaded with one query per kind: the number of queries does
   not grow with the number of rows;
3. each row is resolved, expanded to one item per destination (R8) and checked as a whole
   by ItemSpec.validate; attachments are found in the ZIP (R22-R25), several a cell when
   separated by semicolons, and checked by dossier.attachments; a file whose name starts with
   the number of another existing relation than the row's fails the row, and the same
   contents (sha256) given to two destinations are a warning naming both rows.
Every problem names the spreadsheet row, the column, the value and the fix (R26). After the
last row, `file_problems` lists the files of the ZIP that no row named (warnings: they are
not stored).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import batched
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from dossier.models import EXTRA_MODELS, ROLE_MODELS, Contact, DossierItem, Relation
from dossier.services import visible_name
from dossier.spec import (
    FILLED_IN,
    FILLED_IN_MEMORY,
    REFERENCE_KINDS,
    FieldProblem,
    ItemSpec,
    Kind,
    unknown_relation_message,
)
from dossier.values import ValueCorrected, ValueProblem, as_text, quoted, without_controls_first
from imports.pipeline.attachments import (
    AttachmentArchive,
    AttachmentSource,
    Member,
    PathProblem,
    attachment_message,
    attachment_names,
)
from imports.pipeline.destinations import UnknownDestinations, mapped
from imports.pipeline.mapping import FieldSource, field_sources, value_map
from imports.pipeline.outcomes import CleanRow, Problem, RowResult
from spreadsheets.cells import UNCOMPUTED
from spreadsheets.messages import N_, Message, capitalised, sentences
from spreadsheets.reading import Row
from spreadsheets.text import without_controls

# The number a file name starts with ("10081 CV.pdf", "E0001_contract.pdf"): a relation's or a role's.
NAME_NUMBER = re.compile(r"[A-Za-z]{0,3}\d+")


def name_number(path: str) -> str:
    """The number the file name (not its folders) starts with, or ""."""
    match = NAME_NUMBER.match(visible_name(path).replace("\\", "/").rsplit("/", 1)[-1].strip())
    return match.group(0) if match else ""


# Rows validated at once: their references are looked up together, and their duplicates in one
# query (imports.pipeline.duplicates.QUERY_CHUNK); a batch is what the check holds in memory.
BATCH_SIZE = 900
# Parsed values are immutable and depend on the text alone: worth remembering for these.
REPEATING_KINDS = frozenset(
    {Kind.DATE, Kind.DATETIME, Kind.DECIMAL, Kind.INTEGER, Kind.BOOLEAN, Kind.CHOICE, Kind.CHARACTERISTIC}
)
PARSE_MEMORY = 4096  # texts per column
FORGOTTEN = object()
QUERY_CHUNK = 900  # keys per IN (...) query, inside SQLite's variable limit everywhere
DESTINATION_SEPARATORS = re.compile(r"[;,]")
SHOWN_VALUE_LENGTH = 200
# The most characters of a problem's message kept (its values are quoted cut short already:
# dossier.values.quoted), so no cell makes the job or the check page grow.
SHOWN_MESSAGE_LENGTH = 1000
MAX_ITEM_NUMBER = 2**31 - 1  # a PositiveIntegerField holds this much on every database


def _remembering(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`parse`, remembering what each text gave: dates, amounts, yes/no and choices repeat
    from row to row. Only text is remembered (1 and True are equal keys, but not equal
    cells), only what parsed (a problem is raised again), and at most PARSE_MEMORY texts."""
    remembered: dict[str, Any] = {}

    def parse_remembering(cell: Any) -> Any:
        if cell.__class__ is not str:
            return parse(cell)
        value = remembered.get(cell, FORGOTTEN)
        if value is FORGOTTEN:
            value = parse(cell)
            if len(remembered) < PARSE_MEMORY:
                remembered[cell] = value
        return value

    return parse_remembering


def _mapped(parse: Callable[[Any], Any], values: dict[str, str]) -> Callable[[Any], Any]:
    """`parse`, given the value the mapping's value map names for a cell's text (its
    "values", chosen once per distinct value) instead of the cell itself."""
    if not values:
        return parse

    def parse_mapped(cell: Any) -> Any:
        return parse(values.get(as_text(cell), cell))

    return parse_mapped


def _destination_keys(cell: Any) -> list[str]:
    """R8: the relation numbers one cell names, without repeats."""
    text = as_text(cell)
    if ";" not in text and "," not in text:
        return [text] if text else []
    keys = [key.strip() for key in DESTINATION_SEPARATORS.split(text) if key.strip()]
    return list(dict.fromkeys(keys))


def _shown(value: Any) -> str:
    """A cell as a problem quotes it: without control characters, and a long text cut short
    (the job keeps up to 5,000 problems; the message gives a text's length)."""
    text = without_controls(as_text(value))
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[: SHOWN_VALUE_LENGTH - 1] + "…"


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _clean_text(text: str) -> str:
    return _cut(without_controls(text), SHOWN_MESSAGE_LENGTH)


def _is_item_number(key: str) -> bool:
    """Can `key` be an item number? Others (such as 1e30 or ²) would fail the query."""
    return key.isascii() and key.isdigit() and len(key) <= 10 and int(key) <= MAX_ITEM_NUMBER


def _chunks(keys: Iterable[str]) -> Iterator[list[str]]:
    for chunk in batched(sorted(keys), QUERY_CHUNK):
        yield list(chunk)


class Lookups:
    """Everything the rows refer to, loaded in bulk and kept for the whole file."""

    def __init__(self, spec: ItemSpec):
        self.spec = spec
        self.relations: dict[str, Relation | None] = {}
        self.role_holders: dict[str, tuple[str, Relation]] = {}  # R19: role number -> (role, relation)
        self.roles: dict[int, set[str]] = {}
        self.contacts: dict[str, Contact | None] = {}
        self.users: dict[str, Any] = {}
        self.extras: dict[str, dict[str, Any]] = {code: {} for code in EXTRA_MODELS}
        self.items: dict[str, DossierItem | None] = {}

    def load(self, wanted: dict[str, set[str]]) -> None:
        """wanted: kind or extra code -> keys; loads only keys not seen before."""
        relation_keys = wanted.get("relation", set()) - self.relations.keys()
        for chunk in _chunks(relation_keys):
            found = {r.number: r for r in Relation.objects.filter(number__in=chunk)}
            for key in chunk:
                self.relations[key] = found.get(key)
        self.role_holders.update(
            Relation.objects.holders_of_role_numbers(k for k in relation_keys if self.relations[k] is None)
        )

        contact_keys = wanted.get("contact", set()) - self.contacts.keys()
        for chunk in _chunks(contact_keys):
            found = {
                c.contact_id: c
                for c in Contact.objects.filter(contact_id__in=chunk).select_related("organisation", "person")
            }
            for key in chunk:
                self.contacts[key] = found.get(key)
                if found.get(key):
                    self.relations.setdefault(found[key].organisation.number, found[key].organisation)

        user_keys = wanted.get("user", set()) - self.users.keys()
        for chunk in _chunks(user_keys):
            found = {u.username.casefold(): u for u in get_user_model().objects.filter(username__in=chunk)}
            for key in chunk:
                self.users[key] = found.get(key.casefold())

        for code, model in EXTRA_MODELS.items():
            extra_keys = wanted.get(code, set()) - self.extras[code].keys()
            for chunk in _chunks(extra_keys):
                found = {e.code.casefold(): e for e in model.objects.filter(code__in=chunk)}
                for key in chunk:
                    self.extras[code][key] = found.get(key.casefold())

        item_keys = wanted.get("item", set()) - self.items.keys()
        numbers = [k for k in item_keys if _is_item_number(k)]
        for chunk in _chunks(numbers):
            found = {
                str(i.number): i for i in DossierItem.objects.filter(item_type=self.spec.item_type, number__in=chunk)
            }
            for key in chunk:
                self.items[key] = found.get(key)
        for key in item_keys - set(numbers):
            self.items[key] = None

        self._load_roles({r.pk for r in self.relations.values() if r is not None} - self.roles.keys())

    def _load_roles(self, relation_ids: set[int]) -> None:
        if not relation_ids:
            return
        for pk in relation_ids:
            self.roles[pk] = set()
        for role, model in ROLE_MODELS.items():
            for chunk in batched(sorted(relation_ids), QUERY_CHUNK):
                for relation_id in model.objects.filter(relation_id__in=chunk).values_list("relation_id", flat=True):
                    self.roles[relation_id].add(role)

    def roles_of(self, relation: Relation) -> set[str]:
        return self.roles.get(relation.pk, set())


class RowValidator:
    def __init__(
        self,
        spec: ItemSpec,
        headers: Sequence[str],
        mapping: dict[str, dict],
        *,
        user,
        now: dt.datetime | None = None,
        epoch: int = 1900,
        attachments: AttachmentSource | AttachmentArchive | None = None,
        batch_size: int = BATCH_SIZE,
        unknown: UnknownDestinations | None = None,
    ):
        self.spec = spec
        self.unknown = unknown  # collects the relation and contact references that named nothing
        self.mapping = mapping
        self.user = user
        self.now = now or timezone.now()
        self.epoch = epoch
        self.attachments = attachments
        self.batch_size = batch_size
        self.lookups = Lookups(spec)
        self._key_kinds = {code: self._key_kind(code) for code in mapping}
        self._kinds = {code: spec[code].kind for code in mapping if code in spec}
        self._attachment_owners: dict[tuple[str, str], int] = {}
        self._content_owners: dict[str, tuple[int, str, str]] = {}  # sha256 -> (row, relation, name)
        self._filled_in: dict[int, tuple[FieldProblem, Problem]] = {}
        # Worked out once, used per row: where each mapped field's cell is and how it is
        # parsed; which fields name something to look up; which need more than parsing.
        self._sources = {source.code: source for source in field_sources(headers, mapping) if source.code in spec}
        self.columns = {code: source.column for code, source in self._sources.items()}  # as problems name them
        self._plan = [
            (source.code, source.position, source.fixed, self._parser(source)) for source in self._sources.values()
        ]
        self._wanted_codes = [(code, self._key_kinds[code]) for code, *_rest in self._plan if self._key_kinds[code]]
        self._special_codes = [
            (code, self._kinds[code])
            for code, *_rest in self._plan
            if self._kinds[code] in REFERENCE_KINDS or self._kinds[code] is Kind.FILE
        ]

    def validate(self, rows: Iterable[Row]) -> Iterator[RowResult]:
        for results in self.validate_batches(rows):
            yield from results

    def validate_batches(self, rows: Iterable[Row]) -> Iterator[list[RowResult]]:
        """The rows validated, a batch (`batch_size` rows) at a time: what is looked up in
        the database is looked up once a batch."""
        for batch in batched(rows, self.batch_size):
            parsed: list = [self._parse(row) for row in batch]
            del batch
            wanted: dict[str, set[str]] = {}
            for code, kind in self._wanted_codes:
                keys = wanted.setdefault(kind, set())
                for _row, values, _problems in parsed:
                    value = values.get(code)
                    if value is not None:
                        keys.update(value) if isinstance(value, list) else keys.add(value)
            if "attachment" in self.mapping:  # the numbers file names start with, to compare
                keys = wanted.setdefault("relation", set())
                for _row, values, _problems in parsed:
                    for path in attachment_names(values.get("attachment") or ""):
                        if number := name_number(path):
                            keys.add(number)
            self.lookups.load(wanted)
            results = []
            for index, (row, values, problems) in enumerate(parsed):
                parsed[index] = None  # so a batch is held once, parsed or finished
                results.append(self._finish(row, values, problems))
            del parsed
            yield results

    def _key_kind(self, code: str) -> str | None:
        field = self.spec.get(code)
        if field is None or field.kind not in REFERENCE_KINDS:
            return None
        return code if field.kind == Kind.EXTRA else str(field.kind)

    def _parser(self, source: FieldSource) -> Callable[[Any], Any]:
        return _mapped(self._field_parser(source), value_map(self.mapping.get(source.code) or {}))

    def _field_parser(self, source: FieldSource) -> Callable[[Any], Any]:
        kind = self.spec[source.code].kind
        if kind is Kind.RELATION:  # the value map also for each relation number of the cell (R8)
            return without_controls_first(mapped(_destination_keys, value_map(self.mapping.get(source.code) or {})))
        if kind is Kind.FILE:
            return without_controls_first(as_text)
        # A column's decided date order and decimal separator hold for all its rows.
        parse = self.spec.parser(source.code, epoch=self.epoch, date_order=source.date_order, decimal=source.decimal)
        return _remembering(parse) if kind in REPEATING_KINDS else parse

    def _cell(self, row: Row, code: str) -> Any:
        """The raw value a field got in this row: its cell, or its fixed value."""
        source = self._sources.get(code)
        return source.raw(row.cells) if source else None

    # 1. one cell at a time
    def _parse(self, row: Row) -> tuple[Row, dict[str, Any], list[Problem]]:
        cells = row.cells
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for code, position, fixed, parse in self._plan:
            cell = cells[position] if position is not None else fixed
            if cell.__class__ is str:
                if not cell:  # the reader trims cells and makes empty ones None
                    continue
            elif cell is None:
                continue
            elif cell is UNCOMPUTED:
                problems.append(self._formula_without_value(row.number, code))
                continue
            try:
                values[code] = parse(cell)
            except ValueProblem as problem:
                problems.append(self._problem(row.number, code, cell, problem.code, problem.message))
            except ValueCorrected as corrected:
                values[code] = corrected.value
                problems.append(self._problem(row.number, code, cell, corrected.code, corrected.message, warning=True))
        return row, values, problems

    # 3. one row as a whole
    def _finish(self, row: Row, values: dict[str, Any], problems: list[Problem]) -> RowResult:
        resolved = dict(values)
        relations: list[Relation | None] = [None]
        for code, kind in self._special_codes:
            if code not in values:
                continue
            value = resolved.pop(code)
            if kind is Kind.RELATION:
                relations = []
                for key in value:
                    relation = self.lookups.relations.get(key)
                    if relation is None:
                        if self.unknown is not None:
                            self.unknown.add(code, key, row.number)
                        problems.append(
                            self._problem(
                                row.number,
                                code,
                                self._cell(row, code),
                                "relation_not_found",
                                self._unknown_relation(key),
                            )
                        )
                    else:
                        relations.append(relation)
                if not relations:
                    relations = [None]
            elif kind is not Kind.FILE:
                found = self._resolve(code, kind, value)
                if found is None:
                    if kind is Kind.CONTACT and self.unknown is not None:
                        keys = values.get("relation") or ()
                        self.unknown.add(code, value, row.number, relation=keys[0] if len(keys) == 1 else "")
                    problems.append(
                        self._problem(
                            row.number,
                            code,
                            self._cell(row, code),
                            f"{self._key_kinds[code]}_not_found",
                            self._unknown(self.spec[code], value),
                        )
                    )
                else:
                    resolved[code] = found

        members: list[Member] = []
        if "attachment" in values and not self.spec["attachment"].is_hidden:
            members = self._attachments(row.number, self._cell(row, "attachment"), values["attachment"], problems)

        # A field whose value was refused is reported once, not again as missing.
        failed = {p.field for p in problems if not p.is_warning}
        if "relation" in failed:
            failed |= {"regarding_" + role for role in ("relation", "employee", "sales", "purchase", "applicant")}
        items, seen = [], set()
        for relation in relations:
            item_values = dict(resolved)
            if relation is not None:
                item_values["relation"] = relation
            if "attachment" in values:
                item_values["attachment"] = values["attachment"]
            completed, field_problems = self.spec.validate(
                item_values, user=self.user, now=self.now, roles_of=self.lookups.roles_of, report_filled=True
            )
            for fp in field_problems:
                if fp.field in failed:
                    continue
                problem = self._field_problem(row, fp)
                if len(relations) == 1:
                    problems.append(problem)
                elif problem not in seen:  # the same for each relation the row names: once
                    seen.add(problem)
                    problems.append(problem)
            completed.pop("attachment", None)
            items.append(completed)
            if relation is not None:
                for member in members:
                    problems.extend(
                        self._attachment_warnings(
                            row.number, self._cell(row, "attachment"), member, relation, relations
                        )
                    )

        is_valid = not any(not p.is_warning for p in problems)
        clean = CleanRow(number=row.number, items=items, attachments=members) if is_valid else None
        cells = row.cells
        if not is_valid and UNCOMPUTED in cells:  # the rejected rows file gets plain values
            cells = tuple(None if cell is UNCOMPUTED else cell for cell in cells)
        return RowResult(number=row.number, cells=cells, clean=clean, problems=problems)

    def _resolve(self, code: str, kind: Kind, key: str):
        if kind == Kind.CONTACT:
            return self.lookups.contacts.get(key)
        if kind == Kind.USER:
            return self.lookups.users.get(key)
        if kind == Kind.EXTRA:
            return self.lookups.extras[code].get(key)
        if kind == Kind.ITEM:
            return self.lookups.items.get(key)
        return None

    def _attachments(self, number: int, cell, text: str, problems: list[Problem]) -> list[Member]:
        """The files a cell names (separated by semicolons), each found and checked on its
        own; a file named twice is attached once, with a warning."""
        members: list[Member] = []
        for path in attachment_names(text):
            member = self._attachment(number, cell, path, problems)
            if member is None:
                continue
            if member in members:
                problems.append(
                    self._problem(
                        number,
                        "attachment",
                        cell,
                        "attachment_named_twice",
                        attachment_message("attachment_named_twice", name=member.name),
                        warning=True,
                    )
                )
                continue
            members.append(member)
        return members

    def _attachment(self, number: int, cell, path: str, problems: list[Problem]) -> Member | None:
        if self.attachments is None:
            if any(p.code == "attachment_no_archive" and p.row == number for p in problems):
                return None  # once a row, however many files its cell names
            problems.append(
                self._problem(
                    number,
                    "attachment",
                    cell,
                    "attachment_no_archive",
                    N_(
                        "The file names an attachment, but no attachments ZIP was uploaded: upload the ZIP with the files, or leave the column unmapped."
                    ),
                )
            )
            return None
        try:
            # found, and acceptable for the type (dossier.attachments)
            return self.attachments.resolve(path, item_type=self.spec.item_type)
        except PathProblem as problem:
            problems.append(self._problem(number, "attachment", cell, problem.code, problem.message))
            return None

    def _attachment_warnings(self, number: int, cell, member, relation: Relation, row_relations) -> list[Problem]:
        """R25: a file name should start with the relation number (a warning), never with the
        number of an existing relation the row does not name (an error); one file should not be
        named twice for the same relation, nor the same contents given to two relations in two
        rows (warnings)."""
        warnings = []
        owner = self._name_owner(member.file_name)
        if owner is not None and owner not in row_relations:
            warnings.append(
                self._problem(
                    number,
                    "attachment",
                    cell,
                    "attachment_name_other_relation",
                    N_(
                        "'%(name)s' starts with %(key)s, the number of relation %(other)s, but this row files it for relation %(number)s: name relation %(other)s in this row, or rename the file."
                    )
                    % {
                        "name": member.file_name,
                        "key": name_number(member.file_name),
                        "other": owner.number,
                        "number": relation.number,
                    },
                )
            )
        elif owner != relation and not member.file_name.startswith(relation.number):
            warnings.append(
                self._problem(
                    number,
                    "attachment",
                    cell,
                    "attachment_name_without_number",
                    N_(
                        "'%(name)s' does not start with relation number %(number)s; check that the file belongs to this relation."
                    )
                    % {"name": member.file_name, "number": relation.number},
                    warning=True,
                )
            )
        key = (relation.number, member.name)
        first = self._attachment_owners.setdefault(key, number)
        if first != number:
            warnings.append(
                self._problem(
                    number,
                    "attachment",
                    cell,
                    "attachment_used_twice",
                    N_(
                        "'%(name)s' is also attached for relation %(number)s in row %(row)s; give each document its own file."
                    )
                    % {"name": member.file_name, "number": relation.number, "row": first},
                    warning=True,
                )
            )
        digest = self.attachments.digest(member) if self.attachments is not None else ""
        if digest:
            earlier = self._content_owners.setdefault(digest, (number, relation.number, member.name))
            if earlier[0] != number and earlier[1] != relation.number:
                warnings.append(
                    self._problem(
                        number,
                        "attachment",
                        cell,
                        "attachment_same_content",
                        N_(
                            "'%(name)s' has the same contents as '%(other_name)s' in row %(other_row)s, which is filed for relation %(other)s; this row files it for relation %(number)s: check that each person gets his own document."
                        )
                        % {
                            "name": member.name,
                            "other_name": earlier[2],
                            "other_row": earlier[0],
                            "other": earlier[1],
                            "number": relation.number,
                        },
                        warning=True,
                    )
                )
        return warnings

    def _name_owner(self, file_name: str) -> Relation | None:
        """The existing relation whose number (or employee, applicant, debtor or creditor
        number) the file name starts with; None when it starts with no such number."""
        key = name_number(file_name)
        if not key:
            return None
        relation = self.lookups.relations.get(key)
        if relation is None and key in self.lookups.role_holders:
            relation = self.lookups.role_holders[key][1]
        return relation

    def file_problems(self) -> list[Problem]:
        """After the last row: a warning for each file of the ZIP that no row named (it is
        not stored), without a row or column; its value is the file's path in the ZIP."""
        if self.attachments is None:
            return []
        return [
            Problem(
                row=None,
                column=None,
                value=_shown(member.name),
                code="attachment_not_named",
                message=attachment_message("attachment_not_named", name=member.name).with_texts(_clean_text),
                is_warning=True,
            )
            for member in self.attachments.unnamed()
        ]

    # --- messages --------------------------------------------------------------------------

    def _problem(
        self, row: int, field: str, value, code: str, message: str | Message, *, warning: bool = False
    ) -> Problem:
        """A problem at a row and a field's column. Its value and message hold no control
        characters: they are shown on terminals and pages and written to .xlsx. The message
        stays a Message (translated when shown), its texts cleaned the same way."""
        return Problem(
            row=row,
            column=self.columns.get(field),
            value="" if value is None or value is UNCOMPUTED else _shown(value),
            code=code,
            message=message.with_texts(_clean_text) if isinstance(message, Message) else _clean_text(message),
            field=field if field in self.spec else None,
            is_warning=warning,
        )

    def _formula_without_value(self, row: int, field: str) -> Problem:
        return self._problem(
            row,
            field,
            None,
            "formula_without_value",
            N_(
                "This cell holds a formula whose result the file does not store. Open the file in your spreadsheet program and save it again, so that the program calculates the formulas; then import it again."
            ),
        )

    def _field_problem(self, row: Row, problem: FieldProblem) -> Problem:
        if problem.code in FILLED_IN:  # on many rows: its Problem made once, then per row
            # The spec hands out the same FieldProblem for the same warning: found by its id
            # (and checked to be that very one, as an id may be taken again once freed).
            known = self._filled_in.get(id(problem))
            if known is not None and known[0] is problem:
                made = known[1]
            else:
                made = self._problem(0, problem.field, None, problem.code, problem.message, warning=True)
                if len(self._filled_in) < FILLED_IN_MEMORY:
                    self._filled_in[id(problem)] = (problem, made)
            return Problem(row.number, made.column, "", made.code, made.message, made.field, True)
        field = problem.field
        if field not in self._sources and problem.code.startswith("regarding_"):
            field = "relation"  # a regarding role the type sets: the relation is what to fix
        problem_at = self._problem(
            row.number, field, self._cell(row, field), problem.code, problem.message, warning=problem.is_warning
        )
        return problem_at if field == problem.field else replace(problem_at, field=problem.field)

    def _unknown_relation(self, key: str) -> Message:
        return unknown_relation_message(key, self.lookups.role_holders.get(key))

    def _unknown(self, field, key: str) -> Message:
        fixes = {
            Kind.CONTACT: N_("Use the contact id of a person at the organisation."),
            Kind.USER: N_("Use the user name of an existing user."),
            Kind.EXTRA: N_("Use the code of an existing %(extra)s.") % {"extra": field.label},
            Kind.ITEM: N_("Use the number of an existing item of this type."),
        }
        unknown = N_("%(field)s %(key)s does not exist.") % {"field": capitalised(field.label), "key": quoted(key)}
        return sentences(unknown, fixes[field.kind])
