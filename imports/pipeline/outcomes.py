"""Typed results of the pipeline: problems with their place in the file, clean rows, counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from spreadsheets.messages import Message, render, restored, stored


@dataclass(frozen=True)
class Problem:
    """One problem in the file: where (spreadsheet row, column header), what (value, stable
    code) and how to fix it (message). Warnings are shown but do not block (R25).

    The message is a Message (spreadsheets/messages.py): kept as its msgid and parameters,
    stored so (`as_dict`) and translated when shown (`text`), in the reader's language. A
    plain text (stored before, or made by code that translates at once) is shown as it is."""

    row: int | None
    column: str | None
    value: str
    code: str
    message: str | Message
    field: str | None = None
    is_warning: bool = False

    @property
    def text(self) -> str:
        """The message in the active language: what every page, command and file shows."""
        return render(self.message)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON data, the same in every language (the job's `problems`)."""
        return asdict(replace(self, message="")) | {"message": stored(self.message)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(**(data | {"message": restored(data.get("message", ""))}))


def problem_message(problem: Problem | dict[str, Any]) -> str:
    """The text a reader sees for a stored problem: the one place a problem is rendered, for
    the check and history pages and the reconciliation workbook alike (so a change in how
    problems are rendered, such as the reader's language, reaches all of them)."""
    if isinstance(problem, Problem):
        return problem.text
    return render(problem.get("message"))


@dataclass
class CleanRow:
    """A valid row: one item per destination (R8), sharing values and attachments (each
    item gets its own copy of each file)."""

    number: int
    items: list[dict[str, Any]]  # validated values per destination (ItemSpec.validate output)
    attachments: list[Any] = field(default_factory=list)  # attachments.Member, in the cell's order
    # Per item, its fingerprint (dossier.fingerprints), set by imports.pipeline.duplicates.
    fingerprints: list[str] | None = None


@dataclass
class RowResult:
    number: int
    cells: tuple[Any, ...]
    clean: CleanRow | None
    problems: list[Problem] = field(default_factory=list)
    # A valid row that is probably imported before, or repeats an earlier row of the file
    # (imports.pipeline.duplicates): the user chooses to skip such rows or import them.
    duplicate: bool = False

    @property
    def is_valid(self) -> bool:
        if self.clean is None:
            return False
        for problem in self.problems:  # mostly none: asked of every row, more than once
            if not problem.is_warning:
                return False
        return True


# The problems of a cell that must be one of a list and is none of them: the check page
# offers the allowed values for each distinct such value (a value map, per field).
LISTED_VALUE_CODES = frozenset(
    {"invalid_choice", "ambiguous_choice", "invalid_boolean", "user_not_found", "project_not_found", "course_not_found"}
)
MAX_DISTINCT_VALUES = 1000  # per field; the rows of further values are counted only
LONGEST_VALUE = 199  # a problem's value cut short (200 characters, "…" last) is no value to map
FIRST_ROWS = 5


@dataclass
class UnknownValue:
    """One distinct value of a field's column that is not one of the field's values."""

    field: str
    column: str | None
    value: str
    rows: int = 0
    first_rows: list[int] = field(default_factory=list)


@dataclass
class UnknownValues:
    """The distinct values that are none of their field's allowed values, with their row
    counts and first rows, at most `limit` a field (memory stays bounded); the rows of the
    values beyond it are counted per field (`more_rows`). `codes` are the problems that say
    a value is not on the list (a field may add its own, such as an unknown relation)."""

    limit: int = MAX_DISTINCT_VALUES
    codes: frozenset[str] = LISTED_VALUE_CODES
    found: dict[str, dict[str, UnknownValue]] = field(default_factory=dict)
    more_rows: dict[str, int] = field(default_factory=dict)
    _last: tuple[int | None, str | None, str] | None = None

    def add(self, problem: Problem) -> None:
        if problem.is_warning or problem.code not in self.codes or not problem.field or not problem.value:
            return
        if len(problem.value) > LONGEST_VALUE:
            return
        key = (problem.row, problem.field, problem.value)
        if key == self._last:  # one row, several items (R8): counted once
            return
        self._last = key
        values = self.found.setdefault(problem.field, {})
        found = values.get(problem.value)
        if found is None:
            if len(values) >= self.limit:
                self.more_rows[problem.field] = self.more_rows.get(problem.field, 0) + 1
                return
            found = values[problem.value] = UnknownValue(problem.field, problem.column, problem.value)
        found.rows += 1
        if len(found.first_rows) < FIRST_ROWS and problem.row is not None:
            found.first_rows.append(problem.row)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON data (the job's `unknown_values`): the values, most rows first."""
        values = [value for per_field in self.found.values() for value in per_field.values()]
        return {
            "values": [asdict(value) for value in sorted(values, key=lambda v: -v.rows)],
            "more_rows": dict(self.more_rows),
        }


WARNING_SHARE = 5  # warnings are kept up to a fifth of the errors' limit


@dataclass
class Summary:
    """Counts of a whole file, and its problems: all of them counted, the first
    `problem_limit` errors and the first fifth as many warnings kept (a file of a million
    bad rows must not fill the memory; warnings on every row, such as a submit date filled
    in, must not crowd out the errors)."""

    rows: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0
    recognised_rows: int = 0  # created by an earlier import already: left alone
    items: int = 0  # items the valid rows will make (or made)
    error_count: int = 0
    warning_count: int = 0
    duplicate_rows: int = 0  # valid rows that are probably duplicates
    duplicate_items: int = 0  # the items those rows hold
    problems: list[Problem] = field(default_factory=list)
    problem_limit: int = 5000
    kept_warnings: int = 0
    unknown_values: UnknownValues = field(default_factory=UnknownValues)

    def add_recognised(self) -> None:
        """A row an earlier import created already (a reconciliation workbook uploaded again):
        counted, neither valid nor invalid; its problems do not count, nothing is made of it."""
        self.rows += 1
        self.recognised_rows += 1

    def add(self, result: RowResult) -> None:
        self.rows += 1
        if result.is_valid:
            self.valid_rows += 1
            self.items += len(result.clean.items)
            if result.duplicate:
                self.duplicate_rows += 1
                self.duplicate_items += len(result.clean.items)
        else:
            self.invalid_rows += 1
        for problem in result.problems:
            self.add_problem(problem)

    def add_problem(self, problem: Problem) -> None:
        """Count and keep one problem; also one of the file as a whole (without a row), such
        as a file of the attachments ZIP that no row names. Warnings keep at most a share of
        the kept problems, so that warnings on every row cannot crowd the errors out."""
        if problem.is_warning:
            self.warning_count += 1
            if self.kept_warnings < self.problem_limit // WARNING_SHARE:
                self.kept_warnings += 1
                self.problems.append(problem)
        else:
            self.error_count += 1
            self.unknown_values.add(problem)
            if len(self.problems) - self.kept_warnings < self.problem_limit:
                self.problems.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.is_warning]


@dataclass(frozen=True)
class ValidationResult:
    """What a validation found: the counts and problems (`summary`), and the earlier import of
    the same file for the same type (an ImportJob), which the user must confirm to import it
    again; None when there is none."""

    summary: Summary
    earlier: Any = None


@dataclass(frozen=True)
class CommitResult:
    """What a commit stored. The counts add up: rows_read = rows_imported + rows_left_out
    + rows_created_before + rows_skipped (rows left out as invalid, when the user chose to
    import only the valid rows; rows an earlier import created, in a reconciliation workbook
    uploaded again; rows left out as probable duplicates, when the user chose to skip them)."""

    items_created: int
    rows_read: int
    rows_imported: int
    rows_left_out: int
    rows_skipped: int = 0
    per_destination: dict[str, int] = field(default_factory=dict)  # relation number -> items
    duration: dt.timedelta | None = None
    rows_created_before: int = 0
