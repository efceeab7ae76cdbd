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
the AFAS connector names (Ds, SbTx, BcId, ...), a table of Dutch and English synonyms
(SYNONYMS), words inside a header, and fuzzily; the best matches first, each column to one
field at most; `suggest` also says how sure each match is (exact, likely, guess).
`check_mapping` refuses a mapping that cannot work; `field_sources` says where each field's
value comes from; `row_reader` turns a row into raw values.
"""

from __future__ import annotations

import collections
import difflib
import hashlib
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.utils import translation
from django.utils.translation import gettext as _

from dossier.spec import DATE_KINDS, NUMBER_KINDS, REFERENCE_KINDS, FieldSpec, ItemSpec, Kind
from dossier.values import ValueProblem
from imports.pipeline.reconciliation import is_status_column
from spreadsheets.column_formats import DATE_ORDERS, DECIMAL_SEPARATORS
from spreadsheets.messages import N_, Message, capitalised, listed
from spreadsheets.reading import column_letter
from spreadsheets.text import CONTROL_CHARACTERS

FUZZY_CUTOFF = 0.82

# The names administrators give their columns, beyond the field's code, AFAS name and labels:
# one line per field, Dutch first, then English. Compared after `normalise` (case, spaces
# and signs do not count: "Relatie nr." is "relatie nr"); a name of four letters or more
# also counts as a word inside a longer column name ("Onderwerp brief"), see `match_columns`.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "relation": (
        "relatienummer", "relatie", "relatie nr", "nummer", "persoon", "organisatie",
        "persoonsnummer", "organisatienummer", "klant", "klantnummer", "klantnr", "debiteur",
        "debiteurnummer", "debiteurnr", "bcco",
        "relation number", "relation", "customer", "customer number", "debtor", "debtor number",
    ),
    "contact": ("contactpersoon", "contactnummer", "contact id", "contact person"),
    "subject": ("onderwerp", "titel", "kop", "subject", "title", "heading"),
    "text": (
        "omschrijving", "opmerking", "opmerkingen", "notitie", "notities", "toelichting", "tekst", "memo",
        "description", "remark", "remarks", "note", "notes", "comment", "comments",
    ),
    "submitter": ("instuurder", "ingestuurd door", "gebruiker", "user", "submitted by"),
    "submitted_at": (
        "instuurdatum", "datum ingestuurd", "ingestuurd op", "ingestuurd", "datum ontvangen", "ontvangen op",
        "ontvangen", "ontvangstdatum", "datum verzonden", "verzonden op", "verzonden", "verzenddatum", "datum",
        "submitted on", "submitted", "submit date", "date received", "received on", "received", "date sent",
        "sent on", "date",
    ),
    "attachment": ("bijlage", "bestand", "bestandslocatie", "pad", "file", "path", "document"),
    "done": ("afgehandeld", "gereed", "finished"),
    "done_date": ("datum afgehandeld", "afhandeldatum", "date done", "finished on"),
    "begin_date": ("begindatum", "van", "startdatum", "start date", "from"),
    "end_date": ("einddatum", "tot", "end date", "until"),
    "responsible": (
        "verantwoordelijke", "behandelaar", "behandeld door", "eigenaar", "medewerker",
        "responsible", "handler", "handled by", "owner", "assigned to",
    ),
    "priority": ("prioriteit", "priority"),
    "project": ("projectcode",),
    "course": ("cursus", "cursuscode", "course code", "event"),
    "regarding_employee": ("betreft medewerker",),
    "regarding_sales": ("betreft verkooprelatie", "betreft debiteur"),
    "regarding_purchase": ("betreft inkooprelatie", "betreft crediteur"),
    "regarding_applicant": ("betreft sollicitant",),
    "regarding_relation": ("betreft organisatie/persoon",),
}  # fmt: skip

# How sure a suggested column is, shown on the mapping page (`Suggestion.sureness`).
EXACT = "exact"  # the column's name is the field's code, AFAS name or label
LIKELY = "likely"  # the column's name is one of the field's synonyms
GUESS = "guess"  # a word inside the column's name, or a name spelled nearly so
REMEMBERED = "remembered"  # the column the user's saved mapping names
# The score of each way a name matches (higher is surer); `match_columns` assigns the best
# first. A word inside and a near spelling score within GUESS_SCORE + 20 by how much of the
# column's name they cover.
CODE_SCORE, LABEL_SCORE, SYNONYM_SCORE, GUESS_SCORE = 100, 90, 80, 40
WORD_MIN = 4  # a name shorter than this ("van", "Ds") only matches a whole column name
PART_MIN = 5  # a name this long may also be the start or end of a word ("Klachtomschrijving")


NOT_IMPORTED = "not_imported"  # the key of the columns confirmed as not imported


@dataclass(frozen=True)
class MappingProblem:
    """Why a mapping cannot be used: the field it is about (None for the whole mapping), a
    code, and the sentence with its fix, a Message (kept language-free when stored)."""

    field: str | None
    code: str
    message: Message


def normalise(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(text).casefold())


def header_key(headers: Sequence[str]) -> str:
    """Identifies a header set, whatever the column order, for saved mappings. The
    reconciliation workbook's status column does not count: that workbook finds the mapping
    its file was imported with."""
    joined = "\n".join(sorted(normalise(h) for h in headers if not is_status_column(h)))
    return hashlib.sha256(joined.encode()).hexdigest()


def header_set(headers: Sequence[str]) -> frozenset[str]:
    """The column names as `header_key` counts them: normalised, the status column left out."""
    return frozenset(normalise(h) for h in headers if not is_status_column(h))


def new_columns(headers: Sequence[str], saved_headers: Sequence[str]) -> list[int]:
    """The positions of the columns of `headers` that a saved header row did not have (by
    name, as `header_key` compares them; the status column is never new)."""
    known = header_set(saved_headers)
    return [
        position
        for position, header in enumerate(headers)
        if normalise(header) not in known and not is_status_column(header)
    ]


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


def _letters(positions: Sequence[int]) -> Message | str:
    """Column letters as a list in words ("C, D and F"), in the reader's language."""
    return listed(column_letter(p) for p in positions)


def field_names(field: FieldSpec) -> list[str]:
    """Every name a header may use for this field, most specific first."""
    return [name for name, _score in _scored_names(field)]


def _scored_names(field: FieldSpec) -> list[tuple[str, int]]:
    """The field's names with the score of a column named so: code and AFAS names, labels in
    English and Dutch, synonyms."""
    names = [(field.code, CODE_SCORE), *((name, CODE_SCORE) for name in field.afas_names)]
    if field.free_field_code:
        names.append((field.free_field_code, CODE_SCORE))
    for language in ("en", "nl"):
        with translation.override(language):
            names.append((str(field.label), LABEL_SCORE))
    names += [(name, SYNONYM_SCORE) for name in SYNONYMS.get(field.code, ())]
    return names


def _words(text: str) -> tuple[str, ...]:
    """The words of a name, without case or accents ("Datum ontvangen" -> datum, ontvangen)."""
    plain = unicodedata.normalize("NFKD", str(text).casefold())
    return tuple(re.findall(r"[0-9a-z]+", "".join(char for char in plain if not unicodedata.combining(char))))


class Match(NamedTuple):
    """A column suggested for a field: its position, its score and how sure it is."""

    position: int
    score: float
    sureness: str


@dataclass(frozen=True)
class Suggestion:
    """A suggested mapping, and for each field it feeds from a column how sure that is
    (EXACT, LIKELY, GUESS, or REMEMBERED for a saved mapping's column)."""

    mapping: dict[str, Any]
    sureness: dict[str, str]


def match_columns(spec: ItemSpec, headers: Sequence[str], taken: Collection[int] = ()) -> dict[str, Match]:
    """The column each fillable field of `spec` most likely reads from, by name.

    1. Every field scores every column: its name is the field's code or AFAS name, its label
       in English or Dutch, or a synonym (SYNONYMS) after `normalise`; else a name of the
       field stands as words inside the column's name ("Onderwerp brief"), or at the start
       or end of one of its words ("Klachtomschrijving"); else it is spelled nearly so.
    2. The best scores are assigned first, and each column and each field only once, so one
       column never feeds two fields. Fields the type hides or sets by its rules take part
       with their exact names only: a column named for them is meant for them, and nothing
       else guesses at it ("Betreft debiteur" is no relation). They are left out of the result.
    3. Never matched: a column in `taken`, without a name, named as another column is (after
       normalising), or the status column of a reconciliation workbook."""
    counts = collections.Counter(normalise(header) for header in headers)
    columns = [
        (position, normalise(header), _phrase(_words(header)), difflib.SequenceMatcher(None, "", normalise(header)))
        for position, header in enumerate(headers)
        if position not in taken
        and normalise(header)
        and counts[normalise(header)] == 1
        and not is_status_column(header)
    ]
    fillable = {field.code for field in spec.fillable_fields}
    candidates = []
    for order, field in enumerate(spec.fields):
        exact_only = field.code not in fillable
        names = [(normalise(name), _words(name), score) for name, score in _scored_names(field)]
        names = [(normal, _phrase(words), len(words), score) for normal, words, score in names if normal]
        for position, normal, phrase, matcher in columns:
            best = _name_score(names, normal, phrase, matcher, exact_only)
            if best:
                candidates.append((-best, exact_only, order, position, field.code))
    matches: dict[str, Match] = {}
    claimed_fields: set[str] = set()
    claimed_columns: set[int] = set()
    for negative, exact_only, _order, position, code in sorted(candidates):
        if code in claimed_fields or position in claimed_columns:
            continue
        claimed_fields.add(code)
        claimed_columns.add(position)
        if not exact_only:
            score = -negative
            sureness = EXACT if score >= LABEL_SCORE else LIKELY if score >= SYNONYM_SCORE else GUESS
            matches[code] = Match(position, score, sureness)
    return matches


def _phrase(words: tuple[str, ...]) -> str:
    """Words with a space on each side, so that `in` finds whole words."""
    return f" {' '.join(words)} "


def _name_score(
    names: list[tuple[str, str, int, int]],
    normal: str,
    phrase: str,
    matcher: difflib.SequenceMatcher,
    exact_only: bool,
) -> float:
    """The best score of a field's names (normalised, as a phrase, its number of words, its
    score) for one column (its name normalised and as a phrase; 0: no match)."""
    best = 0.0
    for name, name_phrase, size, score in names:
        if name == normal:
            return score  # the names come surest first, and any guess scores less
        if exact_only or len(name) < WORD_MIN:
            continue
        cover = 0.0
        if name_phrase in phrase:
            cover = len(name) / len(normal)
        elif size == 1 and len(name) >= PART_MIN and (f" {name}" in phrase or f"{name} " in phrase):
            cover = len(name) / len(normal) * 0.9  # the start or end of a word
        elif 2 * min(len(name), len(normal)) >= FUZZY_CUTOFF * (len(name) + len(normal)):
            matcher.set_seq1(name)  # the column's name is its second sequence, prepared once
            if matcher.quick_ratio() >= FUZZY_CUTOFF and (similar := matcher.ratio()) >= FUZZY_CUTOFF:
                cover = similar
        if cover:
            best = max(best, GUESS_SCORE + 20 * min(cover, 1.0))
    return best


def suggest_mapping(
    spec: ItemSpec,
    headers: Sequence[str],
    saved: dict[str, Any] | None = None,
    saved_headers: Sequence[str] | None = None,
) -> dict[str, dict]:
    """The mapping `suggest` offers (see there)."""
    return suggest(spec, headers, saved, saved_headers).mapping


def suggest(
    spec: ItemSpec,
    headers: Sequence[str],
    saved: dict[str, Any] | None = None,
    saved_headers: Sequence[str] | None = None,
) -> Suggestion:
    """A mapping for the fillable fields: a saved mapping's entries first (where its columns
    still exist), then the columns matched by name (`match_columns`), each with how sure it
    is. Each column feeds one field, and a name several columns share (or that reads the same
    after normalising) is never matched. A saved entry by letter needs `saved_headers`, the
    header row it was saved with."""
    mapping: dict[str, Any] = {}
    sureness: dict[str, str] = {}
    # The reconciliation workbook's status column is never a field.
    used: set[int] = {position for position, header in enumerate(headers) if is_status_column(header)}
    positions = _name_positions(headers)
    ignored = []
    for entry in ignored_entries(saved or {}):
        if (position := _saved_position(entry, headers, positions, saved_headers, beyond=True)) is not None:
            ignored.append({"column": headers[position]} if entry.get("column") else entry)
    for code, source in field_entries(saved or {}).items():
        if code not in spec or spec[code].is_hidden or not isinstance(source, dict):
            continue
        if "fixed" in source:
            mapping[code] = dict(source)
        elif (position := _saved_position(source, headers, positions, saved_headers)) is not None:
            # A name is written as this file writes it ("omschrijving" for "Omschrijving").
            mapping[code] = {**source, "column": headers[position]} if source.get("column") else dict(source)
            sureness[code] = REMEMBERED
            used.add(position)
    # A column the saved mapping leaves out on purpose is not matched again.
    used |= ignored_positions(headers, {NOT_IMPORTED: ignored})
    matches = match_columns(spec, headers, used)
    for field in spec.fillable_fields:  # in the type's order
        if field.code not in mapping and (match := matches.get(field.code)) is not None:
            mapping[field.code] = {"column": headers[match.position]}
            sureness[field.code] = match.sureness
    if ignored:
        mapping[NOT_IMPORTED] = ignored
    return Suggestion(mapping, sureness)


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
    """The column a saved entry still names in these headers, or None: by a name one column
    has (case and spaces aside), or by a letter where the saved header row had the same name.
    `beyond`: a letter right of the last column name counts too, when the saved header row
    was as wide."""
    column, letter = source.get("column"), source.get("letter")
    if column and not letter:
        return positions.get(same_name(str(column)))
    if letter and not column and saved_headers is not None:
        position = letter_position(letter)
        if position is not None and position < min(len(headers), len(saved_headers)):
            return position if same_name(headers[position]) == same_name(saved_headers[position]) else None
        if beyond and position is not None and position >= len(headers) == len(saved_headers):
            return position
    return None


SOURCE_KEYS = ("column", "letter", "fixed")
VALUES = "values"  # an entry's value map: raw cell text -> the value the field takes
OPTION_KEYS = (VALUES,)  # what an entry may hold besides its source
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
                N_('A mapping is a JSON object such as {"relation": "Relatienummer"}, not a list or a single value.'),
            )
        ]
    problems = []
    for code, source in mapping.items():
        message, key = None, ""
        if code == NOT_IMPORTED:
            problems += _ignored_shape_problems(source)
            continue
        if (
            not isinstance(source, dict)
            or not set(source) & set(SOURCE_KEYS)
            or not set(source) <= {*SOURCE_KEYS, *OPTION_KEYS, *DECISION_KEYS}
        ):
            message = N_(
                "The mapping of '%(field)s' must be a column name or an object with exactly one of"
                ' "column", "letter" or "fixed".'
            )
        for key in SOURCE_KEYS if message is None else ():
            if key not in source:
                continue
            value = source[key]
            if key != "fixed" and not isinstance(value, str):
                message = N_("The %(key)s of '%(field)s' in the mapping must be text.")
            elif key == "fixed" and (value is None or not isinstance(value, str | int | float | bool)):
                message = N_("The fixed value of '%(field)s' in the mapping must be a text, a number or yes/no.")
            elif key == "fixed" and isinstance(value, str) and CONTROL_CHARACTERS.search(value):
                message = N_(
                    "The fixed value of '%(field)s' in the mapping holds an invisible control character: remove it."
                )
            if message:
                break
        if message is None and VALUES in source:
            message = value_map_shape_message(source[VALUES])
        if message is None:
            message = _decision_shape_problem(source)
        if message:
            problems.append(MappingProblem(str(code), "mapping_malformed", message % {"field": code, "key": key}))
    return problems


def value_map_shape_message(values: Any) -> str | None:
    """Why an entry's "values" is no value map (an object of texts to texts or numbers), or None."""
    if isinstance(values, dict) and all(
        isinstance(raw, str)
        and raw.strip()
        and isinstance(target, str | int)
        and not isinstance(target, bool)
        and str(target).strip()
        and not CONTROL_CHARACTERS.search(str(target))
        for raw, target in values.items()
    ):
        return None
    return N_(
        'The "values" of \'%(field)s\' in the mapping must be an object of the values in the file and the values to use, such as {"middel": "MIDDEN"}.'
    )


def value_map(source: dict) -> dict[str, str]:
    """The entry's value map (raw cell text -> value to use), {} when it has none."""
    values = source.get(VALUES) if isinstance(source, dict) else None
    return {raw.strip(): str(target).strip() for raw, target in values.items()} if isinstance(values, dict) else {}


def _decision_shape_problem(source: dict) -> str | None:
    """A "date_order" is "dmy", "mdy" or "ymd"; a "decimal" is "," or "."."""
    if source.get("date_order", "dmy") not in DATE_ORDERS:
        return N_(
            'The "date_order" of \'%(field)s\' in the mapping must be "dmy" (day first), "mdy" (month first) or "ymd" (year first).'
        )
    if source.get("decimal", ",") not in DECIMAL_SEPARATORS:
        return N_('The "decimal" of \'%(field)s\' in the mapping must be "," (decimal comma) or "." (decimal point).')
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
            N_(
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
                    N_("Type %(type)s has no field '%(field)s': remove it from the mapping.")
                    % {"type": spec.item_type.code, "field": code},
                )
            )
            continue
        if field.auto:
            problems.append(
                MappingProblem(
                    code,
                    "field_set_by_type",
                    N_("%(field)s is set on every item by the type: remove it from the mapping.")
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
                    N_("%(field)s gets both a column and a fixed value: choose one.") % {"field": field.label}
                    if not has_letter
                    else N_("%(field)s gets a column letter and also a column name or a fixed value: choose one.")
                    % {"field": field.label},
                )
            )
        elif has_column or has_letter:
            problems += _column_problems(code, field, source, headers, header_set, duplicated)
        if VALUES in source:
            problems += value_map_problems(spec, code, value_map(source))
    for field in spec.fields:
        source = mapping.get(field.code) or {}
        if field.needs_value and not _is_fed(source):
            problems.append(
                MappingProblem(
                    field.code,
                    "required_unmapped",
                    N_("%(field)s is required: choose the column that holds it, or a fixed value.")
                    % {"field": field.label},
                )
            )
    return problems


# Kinds whose cells must be one of a list, so that a value map can say which one a text means.
LISTED_KINDS = frozenset({Kind.CHOICE, Kind.CHARACTERISTIC, Kind.BOOLEAN, *REFERENCE_KINDS})


def value_map_problems(spec: ItemSpec, code: str, values: dict[str, str]) -> list[MappingProblem]:
    """A value map is for a field whose cells must be one of a list, and each value it gives
    must be one the field takes (what it names, a user or a project, the check looks up)."""
    field = spec[code]
    if not values:
        return []
    if field.kind not in LISTED_KINDS:
        return [
            MappingProblem(
                code,
                "values_not_listed",
                N_('%(field)s takes any value, so the mapping cannot give it "values": remove them.')
                % {"field": capitalised(field.label)},
            )
        ]
    if field.kind not in (Kind.CHOICE, Kind.CHARACTERISTIC, Kind.BOOLEAN):
        return []
    problems = []
    for raw, target in values.items():
        try:
            spec.clean(code, target)
        except ValueProblem:
            problems.append(
                MappingProblem(
                    code,
                    "unknown_value_target",
                    N_(
                        "%(field)s cannot take '%(target)s', given in the mapping for '%(raw)s': choose one of %(allowed)s."
                    )
                    % {
                        "field": capitalised(field.label),
                        "target": target,
                        "raw": raw,
                        "allowed": ", ".join(field.choices) if field.choices else N_("yes, no"),
                    },
                )
            )
    return problems


def _decision_problems(code: str, field: FieldSpec, source: dict) -> list[MappingProblem]:
    """A date order only for a date field, a decimal separator only for a number field."""
    problems = []
    for key, kinds, message in (
        ("date_order", DATE_KINDS, N_('%(field)s is no date: remove "date_order" from its mapping.')),
        ("decimal", NUMBER_KINDS, N_('%(field)s is no number: remove "decimal" from its mapping.')),
    ):
        if key in source and field.kind not in kinds:
            problems.append(
                MappingProblem(code, "decision_not_for_field", message % {"field": capitalised(field.label)})
            )
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
                        N_("'%(letter)s' in \"not_imported\" is no column letter: write A, B, ..., Z, AA, ...")
                        % {"letter": entry["letter"]},
                    )
                )
        elif same_name(str(column)) in duplicated:
            positions = duplicated[same_name(str(column))]
            problems.append(
                MappingProblem(
                    None,
                    "duplicate_column",
                    N_(
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
                    N_("The file has no column '%(column)s' to leave out: choose one of its columns.")
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
                N_("The file has no column %(letter)s for %(field)s: its columns are %(first)s to %(last)s.")
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
                N_(
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
                N_("The file has no column '%(column)s' for %(field)s: choose one of its columns.")
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
