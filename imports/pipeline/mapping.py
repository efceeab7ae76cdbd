"""Mapping: which column (or which fixed value) feeds each field of the ItemSpec.

A mapping is plain data, stored as JSON on the ImportJob and in saved mappings. Each field
gets one source: a column by its name, a column by its letter, or a fixed value:

    {"relation": {"column": "Relatienummer"}, "subject": {"fixed": "Sollicitatiebrief"},
     "text": {"letter": "D"}}

A column name given twice in the header row (also when the two differ only in case or
spaces, "Naam" and "naam") names no column, and neither does an empty one: such a column is
mapped by its letter, as the spreadsheet program shows it ("A", "B", ..., "AA"; case and
spaces do not matter), in every language alike. Automatic matching never picks a repeated
name, and mapping a field to one is a problem that names the letters. A saved mapping's
letters are reused only when the saved header row had the same name at that letter (the
header set that finds a saved mapping ignores the order).

Columns that hold data no field takes are never left out unasked: the mapping lists them
under the key "not_imported", by name or letter (`ignored_positions`), and
imports/pipeline/columns.py finds those it does not list:

    {"relation": {"column": "Relatienummer"}, "not_imported": ["Opmerking", {"letter": "H"}]}

A date or number field's entry also keeps how its column is written, decided once for all
its rows (imports/pipeline/formats.py): `{"column": "Datum", "date_order": "mdy"}` ("dmy",
"mdy" or "ymd"), `{"column": "Bedrag", "decimal": ","}` ("," or "."); `field_sources` hands
them to the validation with the column.

`suggest_mapping` matches headers to fields on the field code, the English and Dutch labels,
the AFAS connector names (Ds, SbTx, BcId, ...), a few common Dutch words, and fuzzily.
`check_mapping` refuses a mapping that cannot work; `field_sources` says where each field's
value comes from; `row_reader` turns a row into raw values.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.utils import translation
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext as _

from dossier.spec import DATE_KINDS, NUMBER_KINDS, FieldSpec, ItemSpec
from imports.pipeline.reconciliation import is_status_column
from spreadsheets.column_formats import DATE_ORDERS, DECIMAL_SEPARATORS
from spreadsheets.reading import column_letter
from spreadsheets.text import CONTROL_CHARACTERS

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
    "submitted_at": (
        "instuurdatum",
        "datum ingestuurd",
        "ingestuurd op",
        "ingestuurd",
        "submitted on",
        "submitted",
        "submit date",
        "datum",
        "date",
    ),
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


NOT_IMPORTED = "not_imported"  # the key of the columns confirmed as not imported


@dataclass(frozen=True)
class MappingProblem:
    field: str | None
    code: str
    message: str


def normalise(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(text).casefold())


def header_key(headers: Sequence[str]) -> str:
    """Identifies a header set, whatever the column order, for saved mappings. The
    reconciliation workbook's status column does not count: that workbook finds the mapping
    its file was imported with."""
    joined = "\n".join(sorted(normalise(h) for h in headers if not is_status_column(h)))
    return hashlib.sha256(joined.encode()).hexdigest()


def same_name(header: str) -> str:
    """What two headers share when they are the same name: case and spaces do not count."""
    return "".join(header.split()).casefold()


def field_entries(mapping: dict[str, Any]) -> dict[str, Any]:
    """The mapping's fields and their sources, without its list of columns not imported."""
    return {code: source for code, source in mapping.items() if code != NOT_IMPORTED}


def ignored_entries(mapping: dict[str, Any]) -> list[dict[str, str]]:
    """The columns the mapping says are not imported, each as {"column": name} or
    {"letter": letter} (a plain name is short for the first)."""
    entries = mapping.get(NOT_IMPORTED) if isinstance(mapping, dict) else None
    if not isinstance(entries, list):
        return []
    return [
        {"column": entry} if isinstance(entry, str) else entry for entry in entries if isinstance(entry, str | dict)
    ]


def ignored_positions(headers: Sequence[str], mapping: dict[str, Any]) -> set[int]:
    """The positions of the columns the mapping says are not imported: by a name that one
    column has, or by a letter (also right of the last column name)."""
    positions = _name_positions(headers)
    found = set()
    for entry in ignored_entries(mapping):
        if entry.get("letter"):
            position = letter_position(entry["letter"])
        else:
            position = positions.get(same_name(str(entry.get("column", "")))) if entry.get("column") else None
        if position is not None:
            found.add(position)
    return found


def ignored_entry(headers: Sequence[str], position: int) -> dict[str, str]:
    """How a mapping names the column at `position` as not imported: by its name when one
    column has it (so the entry holds for the same columns in another order), else by letter."""
    if position < len(headers) and _name_positions(headers).get(same_name(headers[position])) == position:
        return {"column": headers[position]}
    return {"letter": column_letter(position)}


def column_title(headers: Sequence[str], position: int) -> str:
    """A column as problems and refusals name it, the same in every language: its header,
    with its letter when the header is repeated ("Naam (D)"), its letter alone in brackets
    when it has no name or lies right of the last name ("(F)")."""
    header = headers[position] if position < len(headers) else ""
    if not header:
        return f"({column_letter(position)})"
    if _name_positions(headers).get(same_name(header)) != position:
        return f"{header} ({column_letter(position)})"
    return header


def duplicated_columns(headers: Sequence[str]) -> dict[str, list[int]]:
    """Each name given to more than one column (as first written) -> the columns' positions;
    columns without a name are no name given twice."""
    positions: dict[str, list[int]] = {}
    first: dict[str, str] = {}
    for position, header in enumerate(headers):
        if not header:
            continue
        key = same_name(header)
        positions.setdefault(key, []).append(position)
        first.setdefault(key, header)
    return {first[key]: found for key, found in positions.items() if len(found) > 1}


def letter_position(letter: Any) -> int | None:
    """The position of a column letter ("A" -> 0, "ab" -> 27), or None when it is no letter."""
    text = "".join(str(letter).split()).upper()
    if not text.isascii() or not text.isalpha() or len(text) > 3:
        return None
    position = 0
    for char in text:
        position = position * 26 + ord(char) - 64
    return position - 1


def duplicate_column_warnings(headers: Sequence[str]) -> list[str]:
    """One sentence per name given to more than one column, saying how to map them."""
    return [
        _(
            'The column name \'%(column)s\' is given to columns %(letters)s: such a column is mapped by its letter, for example {"letter": "%(letter)s"}.'
        )
        % {"column": name, "letters": _letters(positions), "letter": column_letter(positions[0])}
        for name, positions in duplicated_columns(headers).items()
    ]


def _letters(positions: Sequence[int]) -> str:
    return get_text_list([column_letter(p) for p in positions], _("and"))


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


def suggest_mapping(
    spec: ItemSpec,
    headers: Sequence[str],
    saved: dict[str, Any] | None = None,
    saved_headers: Sequence[str] | None = None,
) -> dict[str, dict]:
    """A mapping for the fillable fields: a saved mapping's entries first (where its columns
    still exist), then exact name matches, then fuzzy ones. Each column feeds one field, and
    a name several columns share (or that reads the same after normalising) is never matched.
    A saved entry by letter needs `saved_headers`, the header row it was saved with."""
    fields = spec.fillable_fields
    mapping: dict[str, Any] = {}
    # The reconciliation workbook's status column is never a field.
    used: set[int] = {position for position, header in enumerate(headers) if is_status_column(header)}
    positions = _name_positions(headers)
    ignored = [
        entry
        for entry in ignored_entries(saved or {})
        if _saved_position(entry, headers, positions, saved_headers, beyond=True) is not None
    ]
    for code, source in field_entries(saved or {}).items():
        if code not in spec or spec[code].is_hidden or not isinstance(source, dict):
            continue
        if "fixed" in source:
            mapping[code] = dict(source)
        elif (position := _saved_position(source, headers, positions, saved_headers)) is not None:
            mapping[code] = dict(source)
            used.add(position)
    by_normal: dict[str, int | None] = {}  # None: more than one column reads this way
    for position, header in enumerate(headers):
        key = normalise(header)
        by_normal[key] = None if key in by_normal else position
    for field in fields:  # exact matches, in field order
        if field.code in mapping:
            continue
        for name in field_names(field):
            position = by_normal.get(normalise(name))
            if position is not None and position not in used:
                mapping[field.code] = {"column": headers[position]}
                used.add(position)
                break
    for field in fields:  # fuzzy matches for what is left
        if field.code in mapping:
            continue
        free = {
            key: position
            for key, position in by_normal.items()
            if key and position is not None and position not in used
        }
        best = None
        for name in field_names(field):
            match = difflib.get_close_matches(normalise(name), list(free), n=1, cutoff=FUZZY_CUTOFF)
            if match:
                score = difflib.SequenceMatcher(None, normalise(name), match[0]).ratio()
                if best is None or score > best[0]:
                    best = (score, free[match[0]])
        if best:
            mapping[field.code] = {"column": headers[best[1]]}
            used.add(best[1])
    if ignored:
        mapping[NOT_IMPORTED] = ignored
    return mapping


def _name_positions(headers: Sequence[str]) -> dict[str, int | None]:
    """Each header name (as `same_name` reads it) -> its position; None when it is repeated.
    A column without a name has none."""
    positions: dict[str, int | None] = {}
    for position, header in enumerate(headers):
        if not header:
            continue
        key = same_name(header)
        positions[key] = None if key in positions else position
    return positions


def _saved_position(
    source: dict,
    headers: Sequence[str],
    positions: dict[str, int | None],
    saved_headers: Sequence[str] | None,
    *,
    beyond: bool = False,
) -> int | None:
    """The column a saved entry still names in these headers, or None. `beyond`: a letter
    right of the last column name counts too, when the saved header row was as wide."""
    column, letter = source.get("column"), source.get("letter")
    if column and not letter:
        return positions.get(same_name(str(column))) if column in headers else None
    if letter and not column and saved_headers is not None:
        position = letter_position(letter)
        if position is not None and position < min(len(headers), len(saved_headers)):
            return position if same_name(headers[position]) == same_name(saved_headers[position]) else None
        if beyond and position is not None and position >= len(headers) == len(saved_headers):
            return position
    return None


SOURCE_KEYS = ("column", "letter", "fixed")
# How a column writes its dates and numbers, decided once (imports/pipeline/formats.py):
# key -> the values it takes.
DECISION_KEYS: dict[str, tuple[str, ...]] = {"date_order": DATE_ORDERS, "decimal": DECIMAL_SEPARATORS}


def shape_problems(mapping: Any) -> list[MappingProblem]:
    """What makes `mapping` (as read from JSON, from any caller) no mapping at all: it must be
    an object whose values each are an object with column, letter (text) or fixed (text
    without control characters, a number, or yes/no). More than one of them is `fed_twice`,
    which check_mapping reports."""
    if not isinstance(mapping, dict):
        return [
            MappingProblem(
                None,
                "mapping_malformed",
                _('A mapping is a JSON object such as {"relation": "Relatienummer"}, not a list or a single value.'),
            )
        ]
    problems = []
    for code, source in mapping.items():
        message, key = None, ""
        if code == NOT_IMPORTED:
            problems += _ignored_shape_problems(source)
            continue
        if not isinstance(source, dict) or not source or not set(source) <= {*SOURCE_KEYS, *DECISION_KEYS}:
            message = _(
                "The mapping of '%(field)s' must be a column name or an object with exactly one of"
                ' "column", "letter" or "fixed".'
            )
        for key in SOURCE_KEYS if message is None else ():
            if key not in source:
                continue
            value = source[key]
            if key != "fixed" and not isinstance(value, str):
                message = _("The %(key)s of '%(field)s' in the mapping must be text.")
            elif key == "fixed" and (value is None or not isinstance(value, str | int | float | bool)):
                message = _("The fixed value of '%(field)s' in the mapping must be a text, a number or yes/no.")
            elif key == "fixed" and isinstance(value, str) and CONTROL_CHARACTERS.search(value):
                message = _(
                    "The fixed value of '%(field)s' in the mapping holds an invisible control character: remove it."
                )
            if message:
                break
        if message is None:
            message = _decision_shape_problem(source)
        if message:
            problems.append(MappingProblem(str(code), "mapping_malformed", message % {"field": code, "key": key}))
    return problems


def _decision_shape_problem(source: dict) -> str | None:
    """A "date_order" is "dmy", "mdy" or "ymd"; a "decimal" is "," or "."."""
    if source.get("date_order", "dmy") not in DATE_ORDERS:
        return _(
            'The "date_order" of \'%(field)s\' in the mapping must be "dmy" (day first), "mdy" (month first) or "ymd" (year first).'
        )
    if source.get("decimal", ",") not in DECIMAL_SEPARATORS:
        return _('The "decimal" of \'%(field)s\' in the mapping must be "," (decimal comma) or "." (decimal point).')
    return None


def _ignored_shape_problems(entries: Any) -> list[MappingProblem]:
    """The list of columns not imported holds column names, or objects with a column name
    or a letter."""
    if isinstance(entries, list) and all(
        (isinstance(entry, str) and entry)
        or (
            isinstance(entry, dict)
            and len(entry) == 1
            and set(entry) <= {"column", "letter"}
            and all(isinstance(value, str) and value for value in entry.values())
        )
        for entry in entries
    ):
        return []
    return [
        MappingProblem(
            None,
            "mapping_malformed",
            _(
                'The columns "not_imported" in the mapping must be a list of column names or letters, such as ["Opmerking", {"letter": "H"}].'
            ),
        )
    ]


def check_mapping(spec: ItemSpec, headers: Sequence[str], mapping: dict[str, dict]) -> list[MappingProblem]:
    """Everything that makes a mapping unusable, each with its fix (first: its shape)."""
    problems = shape_problems(mapping)
    if problems:
        return problems
    header_set = set(headers) - {""}
    duplicated = {same_name(name): positions for name, positions in duplicated_columns(headers).items()}
    problems += _ignored_problems(headers, header_set, duplicated, mapping)
    for code, source in field_entries(mapping).items():
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
        problems += _decision_problems(code, field, source)
        has_column, has_letter = bool(source.get("column")), bool(source.get("letter"))
        has_fixed = source.get("fixed") not in (None, "")
        if has_column + has_letter + has_fixed > 1:
            problems.append(
                MappingProblem(
                    code,
                    "fed_twice",
                    _("%(field)s gets both a column and a fixed value: choose one.") % {"field": field.label}
                    if not has_letter
                    else _("%(field)s gets a column letter and also a column name or a fixed value: choose one.")
                    % {"field": field.label},
                )
            )
        elif has_column or has_letter:
            problems += _column_problems(code, field, source, headers, header_set, duplicated)
    for field in spec.fields:
        source = mapping.get(field.code) or {}
        if field.needs_value and not _is_fed(source):
            problems.append(
                MappingProblem(
                    field.code,
                    "required_unmapped",
                    _("%(field)s is required: choose the column that holds it, or a fixed value.")
                    % {"field": field.label},
                )
            )
    return problems


def _decision_problems(code: str, field: FieldSpec, source: dict) -> list[MappingProblem]:
    """A date order only for a date field, a decimal separator only for a number field."""
    problems = []
    for key, kinds, message in (
        ("date_order", DATE_KINDS, _('%(field)s is no date: remove "date_order" from its mapping.')),
        ("decimal", NUMBER_KINDS, _('%(field)s is no number: remove "decimal" from its mapping.')),
    ):
        if key in source and field.kind not in kinds:
            problems.append(MappingProblem(code, "decision_not_for_field", message % {"field": capfirst(field.label)}))
    return problems


def _ignored_problems(
    headers: Sequence[str], header_set: set[str], duplicated: dict[str, list[int]], mapping: dict
) -> list[MappingProblem]:
    """A column said to be not imported must be one column of the file (a letter may also lie
    right of the last column name, where cells without a name are)."""
    problems = []
    for entry in ignored_entries(mapping):
        column = entry.get("column")
        if entry.get("letter"):
            if letter_position(entry["letter"]) is None:
                problems.append(
                    MappingProblem(
                        None,
                        "unknown_column",
                        _("'%(letter)s' in \"not_imported\" is no column letter: write A, B, ..., Z, AA, ...")
                        % {"letter": entry["letter"]},
                    )
                )
        elif same_name(str(column)) in duplicated:
            positions = duplicated[same_name(str(column))]
            problems.append(
                MappingProblem(
                    None,
                    "duplicate_column",
                    _(
                        'Columns %(letters)s share the name \'%(column)s\', so "not_imported" cannot name them by it: name each by its letter, for example {"letter": "%(letter)s"}.'
                    )
                    % {"letters": _letters(positions), "column": column, "letter": column_letter(positions[0])},
                )
            )
        elif column not in header_set:
            problems.append(
                MappingProblem(
                    None,
                    "unknown_column",
                    _("The file has no column '%(column)s' to leave out: choose one of its columns.")
                    % {"column": column},
                )
            )
    return problems


def _is_fed(source: dict) -> bool:
    return bool(source.get("column") or source.get("letter")) or source.get("fixed") not in (None, "")


def _column_problems(
    code: str,
    field: FieldSpec,
    source: dict,
    headers: Sequence[str],
    header_set: set[str],
    duplicated: dict[str, list[int]],
) -> list[MappingProblem]:
    """Why a column source names no single column of the file (nothing when it does)."""
    if source.get("letter"):
        position = letter_position(source["letter"])
        if position is not None and position < len(headers):
            return []
        return [
            MappingProblem(
                code,
                "unknown_column",
                _("The file has no column %(letter)s for %(field)s: its columns are %(first)s to %(last)s.")
                % {
                    "letter": source["letter"],
                    "field": field.label,
                    "first": column_letter(0),
                    "last": column_letter(len(headers) - 1),
                },
            )
        ]
    column = source["column"]
    positions = duplicated.get(same_name(str(column)))
    if positions:
        return [
            MappingProblem(
                code,
                "duplicate_column",
                _(
                    'Columns %(letters)s share the name \'%(column)s\', so %(field)s cannot be mapped by that name: map it by its column letter, for example {"letter": "%(letter)s"}.'
                )
                % {
                    "letters": _letters(positions),
                    "column": column,
                    "field": field.label,
                    "letter": column_letter(positions[0]),
                },
            )
        ]
    if column not in header_set:
        return [
            MappingProblem(
                code,
                "unknown_column",
                _("The file has no column '%(column)s' for %(field)s: choose one of its columns.")
                % {"column": column, "field": field.label},
            )
        ]
    return []


class FieldSource(NamedTuple):
    """Where one field's raw value comes from: a column (its position) or a fixed value.
    `column` names the column in problems (`column_title`): its header, with its letter
    when the header is repeated ("Naam (D)"), its letter alone when it has none ("(F)")."""

    code: str
    position: int | None
    column: str | None
    fixed: Any
    date_order: str | None = None  # the column's decisions (DECISION_KEYS)
    decimal: str | None = None

    def raw(self, cells: Sequence[Any]) -> Any:
        return cells[self.position] if self.position is not None else self.fixed


def field_sources(headers: Sequence[str], mapping: dict[str, dict]) -> list[FieldSource]:
    """The fields a (checked) mapping feeds, in its order; a field with neither a column nor
    a fixed value is left out. Raises ValueError for a column the mapping cannot name."""
    positions = _name_positions(headers)
    sources = []
    for code, source in field_entries(mapping).items():
        if source.get("column") or source.get("letter"):
            position = _position(source, headers, positions)
            decisions = (source.get("date_order"), source.get("decimal"))
            sources.append(FieldSource(code, position, column_title(headers, position), None, *decisions))
        elif source.get("fixed") not in (None, ""):
            sources.append(FieldSource(code, None, None, source["fixed"]))
    return sources


def _position(source: dict, headers: Sequence[str], positions: dict[str, int | None]) -> int:
    if source.get("letter"):
        position = letter_position(source["letter"])
        if position is None or position >= len(headers):
            raise ValueError(f"The file has no column {source['letter']}.")
        return position
    position = positions.get(same_name(str(source["column"]))) if source["column"] in headers else None
    if position is None:
        raise ValueError(f"The file has no single column {source['column']!r}.")
    return position


def row_reader(
    headers: Sequence[str], mapping: dict[str, dict]
) -> Callable[[Sequence[Any]], dict[str, tuple[Any, str | None]]]:
    """A function: row cells -> {field code: (raw value, column, or None for a fixed value)}."""
    sources = field_sources(headers, mapping)
    return lambda cells: {source.code: (source.raw(cells), source.column) for source in sources}
