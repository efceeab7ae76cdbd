"""Mapping: which column (or which fixed value) feeds each field of the ItemSpec.

A mapping is plain data, stored as JSON on the ImportJob and in saved mappings:

    {"relation": {"column": "Relatienummer"}, "subject": {"fixed": "Sollicitatiebrief"}}

`suggest_mapping` matches headers to fields on the field code, the English and Dutch labels,
the AFAS connector names (Ds, SbTx, BcId, ...), a few common Dutch words, and fuzzily.
`check_mapping` refuses a mapping that cannot work; `row_reader` turns a row into raw values.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.utils import translation
from django.utils.translation import gettext as _

from dossier.spec import FieldSpec, ItemSpec

FUZZY_CUTOFF = 0.82

# Words administrators put in their headers, beyond the labels (normalised when used).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "relation": (
        "relatienummer",
        "relatie",
        "nummer",
        "persoon",
        "organisatie",
        "persoonsnummer",
        "organisatienummer",
        "bcco",
        "relation number",
    ),
    "contact": ("contactpersoon", "contactnummer", "contact id", "contactid"),
    "subject": ("onderwerp", "omschrijving", "titel", "description", "title"),
    "text": ("toelichting", "tekst", "memo", "notes"),
    "submitter": ("instuurder", "gebruiker", "user"),
    "submitted_at": ("instuurdatum", "datum", "date"),
    "attachment": ("bijlage", "bestand", "bestandslocatie", "pad", "file", "path", "document"),
    "done": ("afgehandeld", "gereed"),
    "done_date": ("datum afgehandeld",),
    "begin_date": ("begindatum", "van", "start date"),
    "end_date": ("einddatum", "tot", "end date"),
    "responsible": ("verantwoordelijke",),
    "priority": ("prioriteit",),
    "project": ("projectcode", "project code"),
    "course": ("cursus", "cursuscode", "course code", "event"),
    "regarding_employee": ("betreft medewerker",),
    "regarding_sales": ("betreft verkooprelatie", "betreft debiteur"),
    "regarding_purchase": ("betreft inkooprelatie", "betreft crediteur"),
    "regarding_applicant": ("betreft sollicitant",),
    "regarding_relation": ("betreft organisatie/persoon",),
}


@dataclass(frozen=True)
class MappingProblem:
    field: str | None
    code: str
    message: str


def normalise(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(text).casefold())


def header_key(headers: Sequence[str]) -> str:
    """Identifies a header set, whatever the column order, for saved mappings."""
    joined = "\n".join(sorted(normalise(h) for h in headers))
    return hashlib.sha256(joined.encode()).hexdigest()


def field_names(field: FieldSpec) -> list[str]:
    """Every name a header may use for this field, most specific first."""
    names = [field.code, *field.afas_names]
    for language in ("en", "nl"):
        with translation.override(language):
            names.append(str(field.label))
    names += SYNONYMS.get(field.code, ())
    if field.free_field_code:
        names.append(field.free_field_code)
    return names


def suggest_mapping(spec: ItemSpec, headers: Sequence[str], saved: dict[str, Any] | None = None) -> dict[str, dict]:
    """A mapping for the fillable fields: a saved mapping's entries first (where its columns
    still exist), then exact name matches, then fuzzy ones. Each column feeds one field."""
    fields = spec.fillable_fields
    mapping: dict[str, dict] = {}
    used: set[str] = set()
    header_set = set(headers)
    for code, source in (saved or {}).items():
        if code in spec and not spec[code].is_hidden and (source.get("column") in header_set or "fixed" in source):
            mapping[code] = dict(source)
            used.add(source.get("column"))
    by_normal = {}
    for header in headers:
        by_normal.setdefault(normalise(header), header)
    for field in fields:  # exact matches, in field order
        if field.code in mapping:
            continue
        for name in field_names(field):
            header = by_normal.get(normalise(name))
            if header and header not in used:
                mapping[field.code] = {"column": header}
                used.add(header)
                break
    for field in fields:  # fuzzy matches for what is left
        if field.code in mapping:
            continue
        free = {normalise(h): h for h in headers if h not in used and normalise(h)}
        best = None
        for name in field_names(field):
            match = difflib.get_close_matches(normalise(name), list(free), n=1, cutoff=FUZZY_CUTOFF)
            if match:
                score = difflib.SequenceMatcher(None, normalise(name), match[0]).ratio()
                if best is None or score > best[0]:
                    best = (score, free[match[0]])
        if best:
            mapping[field.code] = {"column": best[1]}
            used.add(best[1])
    return mapping


def check_mapping(spec: ItemSpec, headers: Sequence[str], mapping: dict[str, dict]) -> list[MappingProblem]:
    """Everything that makes a mapping unusable, each with its fix."""
    problems = []
    header_set = set(headers)
    for code, source in mapping.items():
        field = spec.get(code)
        if field is None or field.is_hidden:
            problems.append(
                MappingProblem(
                    code,
                    "unknown_field",
                    _("Type %(type)s has no field '%(field)s': remove it from the mapping.")
                    % {"type": spec.item_type.code, "field": code},
                )
            )
            continue
        if field.auto:
            problems.append(
                MappingProblem(
                    code,
                    "field_set_by_type",
                    _("%(field)s is set on every item by the type: remove it from the mapping.")
                    % {"field": field.label},
                )
            )
        has_column, has_fixed = bool(source.get("column")), source.get("fixed") not in (None, "")
        if has_column and has_fixed:
            problems.append(
                MappingProblem(
                    code,
                    "fed_twice",
                    _("%(field)s gets both a column and a fixed value: choose one.") % {"field": field.label},
                )
            )
        if has_column and source["column"] not in header_set:
            problems.append(
                MappingProblem(
                    code,
                    "unknown_column",
                    _("The file has no column '%(column)s' for %(field)s: choose one of its columns.")
                    % {"column": source["column"], "field": field.label},
                )
            )
    for field in spec.fields:
        source = mapping.get(field.code) or {}
        if field.needs_value and not source.get("column") and source.get("fixed") in (None, ""):
            problems.append(
                MappingProblem(
                    field.code,
                    "required_unmapped",
                    _("%(field)s is required: choose the column that holds it, or a fixed value.")
                    % {"field": field.label},
                )
            )
    return problems


class FieldSource(NamedTuple):
    """Where one field's raw value comes from: a column (its position) or a fixed value."""

    code: str
    position: int | None
    column: str | None
    fixed: Any

    def raw(self, cells: Sequence[Any]) -> Any:
        return cells[self.position] if self.position is not None else self.fixed


def field_sources(headers: Sequence[str], mapping: dict[str, dict]) -> list[FieldSource]:
    """The fields a (checked) mapping feeds, in its order; a field with neither a column nor
    a fixed value is left out."""
    index = {header: position for position, header in enumerate(headers)}
    sources = []
    for code, source in mapping.items():
        if source.get("column"):
            sources.append(FieldSource(code, index[source["column"]], source["column"], None))
        elif source.get("fixed") not in (None, ""):
            sources.append(FieldSource(code, None, None, source["fixed"]))
    return sources


def row_reader(
    headers: Sequence[str], mapping: dict[str, dict]
) -> Callable[[Sequence[Any]], dict[str, tuple[Any, str | None]]]:
    """A function: row cells -> {field code: (raw value, column header, or None for a fixed value)}."""
    sources = field_sources(headers, mapping)
    return lambda cells: {source.code: (source.raw(cells), source.column) for source in sources}
