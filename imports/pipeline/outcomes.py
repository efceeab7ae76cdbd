"""Typed results of the pipeline: problems with their place in the file, clean rows, counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One problem in the file: where (spreadsheet row, column header), what (value, stable
    code) and how to fix it (message). Warnings are shown but do not block (R25)."""

    row: int | None
    column: str | None
    value: str
    code: str
    message: str
    field: str | None = None
    is_warning: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(**data)


@dataclass
class CleanRow:
    """A valid row: one item per destination (R8), sharing values and attachment."""

    number: int
    items: list[dict[str, Any]]  # validated values per destination (ItemSpec.validate output)
    attachment: Any = None  # an attachments.Member, or None
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
        return self.clean is not None and not any(not p.is_warning for p in self.problems)


@dataclass
class Summary:
    """Counts of a whole file, and its problems: all of them counted, the first
    `problem_limit` kept (a file of a million bad rows must not fill the memory)."""

    rows: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0
    items: int = 0  # items the valid rows will make (or made)
    error_count: int = 0
    warning_count: int = 0
    duplicate_rows: int = 0  # valid rows that are probably duplicates
    duplicate_items: int = 0  # the items those rows hold
    problems: list[Problem] = field(default_factory=list)
    problem_limit: int = 5000

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
            if problem.is_warning:
                self.warning_count += 1
            else:
                self.error_count += 1
            if len(self.problems) < self.problem_limit:
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
    (rows left out as invalid, when the user chose to import only the valid rows) +
    rows_skipped (rows left out as probable duplicates, when the user chose to skip them)."""

    items_created: int
    rows_read: int
    rows_imported: int
    rows_left_out: int
    rows_skipped: int = 0
    per_destination: dict[str, int] = field(default_factory=dict)  # relation number -> items
    duration: dt.timedelta | None = None
