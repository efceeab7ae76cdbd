"""How the mapped date and number columns are written, decided once per column.

A date field's column gets a date order (day, month or year first), a number field's column
its decimal separator (comma or point): from the mapping entry when it holds one (its
"date_order" or "decimal", remembered and shared with the mapping), else from the column's
own values (spreadsheets/column_formats.py: the first SAMPLE_ROWS rows). A column whose
values decide nothing (03-04-2025, 1,234) must be decided by the user, once:

    formats = column_formats(spec, headers, mapping, sampled_values(rows, positions))
    [f for f in formats if f.undecided]      # to ask
    mapping = with_decisions(mapping, formats)  # the decisions kept in the entries

Every row of the column is then read in the decided way (the validation passes the entry's
decision to the field's parser), also the rows after the sample: a value that does not fit
is a problem on its row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from dossier.spec import DATE_KINDS, NUMBER_KINDS, ItemSpec
from imports.pipeline.mapping import field_sources
from spreadsheets.column_formats import (
    ORDER_LABELS,
    SEPARATOR_LABELS,
    DateEvidence,
    DecimalEvidence,
    date_evidence,
    decimal_evidence,
)
from spreadsheets.messages import Message
from spreadsheets.reading import Row

SAMPLE_ROWS = 1000  # the rows whose values decide; the check reads them all


@dataclass(frozen=True)
class ColumnFormat:
    """One mapped date or number column: what its values say (`evidence`) and what the
    mapping says (`given`, None when it says nothing)."""

    code: str
    label: Any  # the field's label (a Message or a name typed in the admin)
    column: str  # the column as problems name it (mapping.column_title)
    key: str  # "date_order" or "decimal"
    evidence: DateEvidence | DecimalEvidence
    given: str | None = None

    @property
    def detected(self) -> str | None:
        evidence = self.evidence
        return evidence.order if isinstance(evidence, DateEvidence) else evidence.separator

    @property
    def decision(self) -> str | None:
        return self.given or self.detected

    @property
    def undecided(self) -> bool:
        """No decision, and one is needed: the values do not say it."""
        return self.decision is None and self.evidence.ambiguous

    @property
    def is_date(self) -> bool:
        return self.key == "date_order"

    def label_of(self, decision: str | None) -> Message | None:
        return (ORDER_LABELS if self.is_date else SEPARATOR_LABELS).get(decision or "")

    @property
    def decision_label(self) -> Message | None:
        return self.label_of(self.decision)

    def lines(self) -> list[Message]:
        """The evidence: what the values say, then what does not fit the decision."""
        lines = [self.evidence.headline(), *self.evidence.lines()]
        misfit = self.evidence.misfit_line(self.decision)
        return [*lines, misfit] if misfit else lines

    def refusal(self) -> str:
        """The sentence for a run that cannot go on undecided: the column, the key to add."""
        if self.is_date:
            return _(
                'Column \'%(column)s\' (%(field)s) does not say whether the day or the month comes first (such as %(example)s): add "date_order": "dmy" (day first) or "mdy" (month first) to its entry in the mapping, for example {"%(code)s": {"column": "%(column)s", "date_order": "dmy"}}.'
            ) % {
                "column": self.column,
                "field": self.label,
                "example": self.evidence.examples.get("undecided") or self.evidence.examples.get("day_first", ""),
                "code": self.code,
            }
        return _(
            'Column \'%(column)s\' (%(field)s) does not say whether its numbers have a decimal comma or a decimal point (such as %(example)s): add "decimal": "," (comma) or "." (point) to its entry in the mapping, for example {"%(code)s": {"column": "%(column)s", "decimal": ","}}.'
        ) % {
            "column": self.column,
            "field": self.label,
            "example": self.evidence.examples.get("undecided") or self.evidence.examples.get("comma", ""),
            "code": self.code,
        }

    def summary(self) -> str:
        """One line on the decision taken and why, for the command line."""
        if self.given:
            return _("Column '%(column)s' (%(field)s): %(decision)s, as the mapping says.") % {
                "column": self.column,
                "field": self.label,
                "decision": self.decision_label,
            }
        if self.decision:
            return _("Column '%(column)s' (%(field)s): %(decision)s. %(evidence)s") % {
                "column": self.column,
                "field": self.label,
                "decision": self.decision_label,
                "evidence": self.evidence.headline(),
            }
        return _("Column '%(column)s' (%(field)s): %(evidence)s") % {
            "column": self.column,
            "field": self.label,
            "evidence": self.evidence.headline(),
        }


def decision_key(spec: ItemSpec, code: str) -> str | None:
    """The mapping entry's key that decides how the field's column is written, if any."""
    field = spec.get(code)
    if field is None:
        return None
    if field.kind in DATE_KINDS:
        return "date_order"
    if field.kind in NUMBER_KINDS:
        return "decimal"
    return None


def decided_positions(spec: ItemSpec, headers: Sequence[str], mapping: dict[str, Any]) -> set[int]:
    """The columns of the mapping's date and number fields."""
    return {
        source.position
        for source in field_sources(headers, mapping)
        if source.position is not None and decision_key(spec, source.code)
    }


def sampled_values(rows: Iterable[Row], positions: Iterable[int], limit: int = SAMPLE_ROWS) -> dict[int, list[Any]]:
    """The cells of the columns at `positions` in the first `limit` rows."""
    wanted = sorted(positions)
    values: dict[int, list[Any]] = {position: [] for position in wanted}
    if not wanted:
        return values
    for count, row in enumerate(rows):
        if count >= limit:
            break
        cells = row.cells
        for position in wanted:
            if position < len(cells):
                values[position].append(cells[position])
    return values


def evidence_of(key: str, values: Iterable[Any]) -> DateEvidence | DecimalEvidence:
    return date_evidence(values) if key == "date_order" else decimal_evidence(values)


def column_formats(
    spec: ItemSpec, headers: Sequence[str], mapping: dict[str, Any], values: dict[int, list[Any]]
) -> list[ColumnFormat]:
    """Every date and number field the mapping feeds from a column, in the mapping's order,
    with its column's evidence (from `values`: position -> cells) and the entry's decision."""
    formats = []
    for source in field_sources(headers, mapping):
        key = decision_key(spec, source.code)
        if key is None or source.position is None:
            continue
        formats.append(
            ColumnFormat(
                code=source.code,
                label=spec[source.code].label,
                column=source.column,
                key=key,
                evidence=evidence_of(key, values.get(source.position, ())),
                given=getattr(source, key),
            )
        )
    return formats


def with_decisions(mapping: dict[str, Any], formats: Iterable[ColumnFormat]) -> dict[str, Any]:
    """The mapping with each decision kept in its field's entry (entries copied, not changed)."""
    decided = dict(mapping)
    for column_format in formats:
        if column_format.decision and column_format.code in decided:
            decided[column_format.code] = {**decided[column_format.code], column_format.key: column_format.decision}
    return decided
