"""How a column writes its dates and its numbers, decided from the column's own values.

A date such as 03-04-2025 is the 3rd of April day first and the 4th of March month first;
1,234 is a thousand and more with a decimal point and one and a bit with a decimal comma.
Row-by-row guessing swaps such values silently, so the order and the separator are decided
once per column, from the evidence of all its values (or a sample of them), and the decision
is kept with the mapping:

    evidence = date_evidence(["14-03-2025", "03-04-2025", ...])
    evidence.order        # "dmy": a value has a first part above 12
    evidence.ambiguous    # True when no value says which comes first
    evidence.lines()      # the evidence, as sentences (Messages)

Cells that are dates or numbers in the spreadsheet itself (an .xlsx date cell) need no
decision: they are counted apart. Plain data and sentences only: no app is imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spreadsheets.messages import N_, Message

DATE_ORDERS = ("dmy", "mdy", "ymd")
DECIMAL_SEPARATORS = (",", ".")
ORDER_LABELS: dict[str, Message] = {
    "dmy": N_("day first (31-12-2025)"),
    "mdy": N_("month first (12-31-2025)"),
    "ymd": N_("year first (2025-12-31)"),
}
SEPARATOR_LABELS: dict[str, Message] = {
    ",": N_("decimal comma (1.234,56)"),
    ".": N_("decimal point (1,234.56)"),
}

# Two-digit years as POSIX and Python's %y read them: 00-68 are 2000-2068, 69-99 1969-1999.
TWO_DIGIT_PIVOT = 69
TWO_DIGIT_RULE = N_("a two-digit year from 00 to 68 is read as 2000 to 2068, from 69 to 99 as 1969 to 1999")

# A date's three parts, separated by -, / or . (a time after a space or a T is not part of it).
DATE_PARTS = re.compile(r"^(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})$")
# A number as written by hand: digits with commas and points, an optional sign and spaces,
# an optional euro sign.
_NUMBER = re.compile(r"^[+-]?[\d.,]*\d[\d.,]*$")
_NUMBER_NOISE = str.maketrans("", "", " \u00a0\u202f€")
_NUMBER_START = frozenset("+-0123456789.,€ \u00a0\u202f")


# The most characters of a value the evidence quotes: a cell may be long, a sentence not.
EXAMPLE_LENGTH = 40


def example(text: str) -> str:
    """A value as the evidence quotes it: cut short (with "…") when it is long."""
    return text if len(text) <= EXAMPLE_LENGTH else text[: EXAMPLE_LENGTH - 1] + "…"


def full_year(text: str) -> int:
    """A year as written: two digits by TWO_DIGIT_PIVOT, else as it is."""
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < TWO_DIGIT_PIVOT else 1900
    return year


def date_text(text: str) -> str:
    """The date part of a date (and time) text: before a T or a space."""
    if "T" in text or " " in text:
        return text.partition("T")[0].partition(" ")[0]
    return text


def date_parts(text: str) -> tuple[str, str, str] | None:
    """The three parts of a date written with separators, or None."""
    match = DATE_PARTS.match(date_text(text))
    return match.groups() if match else None  # type: ignore[return-value]


class CountedEvidence:
    """What DateEvidence and DecimalEvidence both say, each in its own words (its class
    sentences): how many of a column's text values (`values`) are of one kind, with the first
    example; the headline when nothing is decided; the cells typed by the spreadsheet and the
    values that are none of the kinds (`typed`, `unreadable`).

    COUNTED: (kind, the decision it stands for, sentence) of each kind that may be a line;
    a kind's line is said when the values have it and the decision is another (the
    undecided kind stands for no decision: said once something is decided). TIE, UNDECIDED,
    ONLY_TYPED, NOTHING: the undecided headlines; TYPED, UNREADABLE: the closing lines."""

    values: int
    typed: int
    unreadable: int
    examples: dict[str, str]
    ambiguous: bool
    COUNTED: tuple[tuple[str, str | None, Message], ...]
    TIE: Message
    UNDECIDED: Message
    ONLY_TYPED: Message
    NOTHING: Message
    TYPED: Message
    UNREADABLE: Message

    def counted(self, message: Message, kind: str) -> Message:
        """`message` with the count of the `kind` values, the total and their first example."""
        return message % {"count": getattr(self, kind), "total": self.values, "example": self.examples[kind]}

    def counted_lines(self, decision: str | None) -> list[Message]:
        """A line for each kind of COUNTED the values have and `decision` is not."""
        return [
            self.counted(message, kind)
            for kind, own, message in self.COUNTED
            if getattr(self, kind) and decision != own
        ]

    def undecided_headline(self, tie_count: int) -> Message:
        """The headline when the values decide nothing: as many say one as the other (TIE,
        `tie_count` each), none says (UNDECIDED), they are all typed cells, or nothing."""
        if self.ambiguous and tie_count:
            return self.TIE % {"count": tie_count}
        if self.ambiguous:
            return self.counted(self.UNDECIDED, "undecided")
        if self.typed and not self.values:
            return self.ONLY_TYPED % {"count": self.typed}
        return self.NOTHING

    def closing_lines(self) -> list[Message]:
        """The typed cells beside text values, and the values that are none of the kinds."""
        lines = []
        if self.typed and self.values:
            lines.append(self.TYPED % {"count": self.typed})
        if self.unreadable:
            lines.append(self.UNREADABLE % {"count": self.unreadable, "example": self.examples["unreadable"]})
        return lines


# --- dates ---------------------------------------------------------------------------------


@dataclass
class DateEvidence(CountedEvidence):
    """What a column's text values say about the order of day and month.

    `day_first`: values with a first part above 12 (and a second part of at most 12);
    `month_first`: values with a second part above 12; `year_first`: values that begin
    with a four-digit year (read year-month-day whatever the order); `undecided`: values
    whose first two parts are both 12 or less (03-04-2025); `two_digit_years`: values
    with a two-digit year; `typed`: cells that are dates or numbers already; `unreadable`:
    values that are no date in any order. `examples`: the first value of each."""

    values: int = 0
    typed: int = 0
    day_first: int = 0
    month_first: int = 0
    year_first: int = 0
    undecided: int = 0
    two_digit_years: int = 0
    unreadable: int = 0
    examples: dict[str, str] = field(default_factory=dict)

    COUNTED = (
        (
            "day_first",
            "dmy",
            N_("A first part above 12, day first: %(count)s of %(total)s values (such as %(example)s)."),
        ),
        (
            "month_first",
            "mdy",
            N_("A second part above 12, month first: %(count)s of %(total)s values (such as %(example)s)."),
        ),
        (
            "year_first",
            "ymd",
            N_(
                "A four-digit year first, read year-month-day in any order: %(count)s of %(total)s values (such as %(example)s)."
            ),
        ),
        (
            "undecided",
            None,
            N_(
                "Both parts at most 12, read in the order decided: %(count)s of %(total)s values (such as %(example)s)."
            ),
        ),
    )
    TIE = N_("Not decided: as many values have a first part above 12 as a second part above 12 (%(count)s each).")
    UNDECIDED = N_(
        "Not decided: none of the %(total)s values has a part above 12 (such as %(example)s), so they do not say whether the day or the month comes first."
    )
    ONLY_TYPED = N_("Nothing to decide: the %(count)s cells looked at are dates in the spreadsheet itself.")
    NOTHING = N_("Nothing to decide: none of the values looked at is a date written as text.")
    TYPED = N_("Dates in the spreadsheet itself, which need no decision: %(count)s cells.")
    UNREADABLE = N_("No date in any order, so row problems: %(count)s values (such as %(example)s).")

    @property
    def order(self) -> str | None:
        """The order the values decide: the larger of day first and month first; year
        first when every value that has an order begins with its year; None when no value
        decides (or as many say day first as month first)."""
        if self.day_first or self.month_first:
            if self.day_first == self.month_first:
                return None
            return "dmy" if self.day_first > self.month_first else "mdy"
        if self.year_first and not self.undecided:
            return "ymd"
        return None

    @property
    def ambiguous(self) -> bool:
        """A decision is needed and no value gives it: someone has to say."""
        return self.order is None and bool(self.undecided or (self.day_first and self.month_first))

    def misfits(self, order: str | None) -> int:
        """How many of the values do not fit `order` (they will be row problems)."""
        if order == "dmy":
            return self.month_first
        if order == "mdy":
            return self.day_first
        if order == "ymd":
            return self.day_first + self.month_first + self.undecided
        return 0

    def misfit_line(self, order: str | None) -> Message | None:
        """The values that do not fit `order` (the order chosen), which will be row
        problems; None when all fit."""
        count = self.misfits(order)
        if not count:
            return None
        kinds = {"dmy": ("month_first",), "mdy": ("day_first",), "ymd": ("day_first", "month_first", "undecided")}
        shown = next(self.examples[kind] for kind in kinds[order] if kind in self.examples)
        return N_(
            "Not fitting %(order)s, so row problems unless the order is changed: %(count)s of %(total)s values (such as %(example)s)."
        ) % {"order": ORDER_LABELS[order], "count": count, "total": self.values, "example": shown}

    def headline(self) -> Message:
        """The decision in one sentence, with its evidence: "Day first: 14 of 200 ..."."""
        match self.order:
            case "dmy":
                return self.counted(
                    N_("Day first: %(count)s of %(total)s values have a first part above 12 (such as %(example)s)."),
                    "day_first",
                )
            case "mdy":
                return self.counted(
                    N_("Month first: %(count)s of %(total)s values have a second part above 12 (such as %(example)s)."),
                    "month_first",
                )
            case "ymd":
                return self.counted(
                    N_("Year first: %(count)s of %(total)s values begin with a four-digit year (such as %(example)s)."),
                    "year_first",
                )
        return self.undecided_headline(self.day_first)

    def lines(self) -> list[Message]:
        """The rest of the evidence, one sentence each (the headline not included)."""
        order = self.order
        lines = self.counted_lines(order)
        if self.two_digit_years:
            example = self.examples["two_digit_years"]
            lines.append(
                N_("A two-digit year: %(count)s values (such as %(example)s, year %(year)s); %(rule)s.")
                % {
                    "count": self.two_digit_years,
                    "example": example,
                    "year": two_digit_year_of(example, order),
                    "rule": TWO_DIGIT_RULE,
                }
            )
        return lines + self.closing_lines()


def two_digit_year_of(text: str, order: str | None) -> int | str:
    """The year a value with a two-digit year is read as, in `order`."""
    parts = date_parts(text)
    if parts is None:
        return ""
    year = parts[0] if order == "ymd" else parts[2]
    return full_year(year) if len(year) == 2 else int(year)


def date_evidence(values: Iterable[Any]) -> DateEvidence:
    """The evidence of a column's values (text; empty ones skipped; anything else counted
    as a cell typed by the spreadsheet)."""
    evidence = DateEvidence()
    examples = evidence.examples
    for value in values:
        if value is None:
            continue
        if not isinstance(value, str):
            evidence.typed += 1
            continue
        text = value.strip()
        if not text:
            continue
        evidence.values += 1
        parts = date_parts(text) if text[0].isdigit() else None
        kind = _date_kind(parts) if parts else "unreadable"
        setattr(evidence, kind, getattr(evidence, kind) + 1)
        if kind not in examples:
            examples[kind] = example(text)
        if kind not in ("unreadable", "year_first") and len(parts[2]) == 2:
            evidence.two_digit_years += 1
            examples.setdefault("two_digit_years", text)  # a date: short
    return evidence


def _date_kind(parts: tuple[str, str, str]) -> str:
    first, second, last = parts
    if len(first) == 4:
        return "year_first" if len(last) <= 2 and 1 <= int(second) <= 12 and 1 <= int(last) <= 31 else "unreadable"
    if len(first) == 3 or len(last) not in (2, 4):
        return "unreadable"
    a, b = int(first), int(second)
    if not (1 <= a <= 31 and 1 <= b <= 31):
        return "unreadable"
    if a > 12 and b > 12:
        return "unreadable"
    if a > 12:
        return "day_first"
    if b > 12:
        return "month_first"
    return "undecided"


# --- numbers -------------------------------------------------------------------------------


@dataclass
class DecimalEvidence(CountedEvidence):
    """What a column's text values say about the decimal separator.

    `comma` and `point`: values that show it (1.234,56 and 12,5 the comma; 1,234.56 and
    12.5 the point; 1.234.567 the comma, as its points group thousands); `undecided`:
    values with one separator followed by exactly three digits (1,234 and 1.234);
    `plain`: values without a separator; `typed`: cells that are numbers already;
    `unreadable`: values that are no number."""

    values: int = 0
    typed: int = 0
    comma: int = 0
    point: int = 0
    undecided: int = 0
    plain: int = 0
    unreadable: int = 0
    examples: dict[str, str] = field(default_factory=dict)

    COUNTED = (
        ("comma", ",", N_("A decimal comma: %(count)s of %(total)s values (such as %(example)s).")),
        ("point", ".", N_("A decimal point: %(count)s of %(total)s values (such as %(example)s).")),
        (
            "undecided",
            None,
            N_(
                "One separator followed by three digits, read with the separator decided: %(count)s of %(total)s values (such as %(example)s)."
            ),
        ),
    )
    TIE = N_("Not decided: as many values show a decimal comma as a decimal point (%(count)s each).")
    UNDECIDED = N_(
        "Not decided: %(count)s of %(total)s values have one separator followed by three digits (such as %(example)s), a thousand and more with a decimal point but one and a bit with a decimal comma."
    )
    ONLY_TYPED = N_("Nothing to decide: the %(count)s cells looked at are numbers in the spreadsheet itself.")
    NOTHING = N_("Nothing to decide: none of the values looked at has a decimal separator.")
    TYPED = N_("Numbers in the spreadsheet itself, which need no decision: %(count)s cells.")
    UNREADABLE = N_("No number, so row problems: %(count)s values (such as %(example)s).")

    @property
    def separator(self) -> str | None:
        if self.comma == self.point:
            return None
        return "," if self.comma > self.point else "."

    @property
    def ambiguous(self) -> bool:
        return self.separator is None and bool(self.undecided or self.comma)

    def misfits(self, separator: str | None) -> int:
        if separator == ",":
            return self.point
        if separator == ".":
            return self.comma
        return 0

    def misfit_line(self, separator: str | None) -> Message | None:
        """The values that do not fit `separator` (the one chosen), which will be row
        problems; None when all fit."""
        count = self.misfits(separator)
        if not count:
            return None
        example = self.examples["point" if separator == "," else "comma"]
        return N_(
            "Not fitting the %(separator)s, so row problems unless it is changed: %(count)s of %(total)s values (such as %(example)s)."
        ) % {"separator": SEPARATOR_LABELS[separator], "count": count, "total": self.values, "example": example}

    def headline(self) -> Message:
        match self.separator:
            case ",":
                return self.counted(
                    N_("Decimal comma: %(count)s of %(total)s values show it (such as %(example)s)."), "comma"
                )
            case ".":
                return self.counted(
                    N_("Decimal point: %(count)s of %(total)s values show it (such as %(example)s)."), "point"
                )
        return self.undecided_headline(self.comma)

    def lines(self) -> list[Message]:
        """The rest of the evidence, one sentence each (the headline not included)."""
        return self.counted_lines(self.separator) + self.closing_lines()


def decimal_evidence(values: Iterable[Any]) -> DecimalEvidence:
    """The evidence of a column's values (text; empty ones skipped; anything else counted
    as a cell typed by the spreadsheet)."""
    evidence = DecimalEvidence()
    examples = evidence.examples
    for value in values:
        if value is None:
            continue
        if not isinstance(value, str):
            evidence.typed += 1
            continue
        text = value.strip()
        if not text:
            continue
        evidence.values += 1
        kind = separator_kind(text)
        setattr(evidence, kind, getattr(evidence, kind) + 1)
        if kind not in examples:
            examples[kind] = example(text)
    return evidence


def separator_kind(text: str) -> str:
    """What one number written as text says: "comma", "point", "undecided", "plain" or
    "unreadable"."""
    if text[0] not in _NUMBER_START:
        return "unreadable"
    number = text.translate(_NUMBER_NOISE)
    if not _NUMBER.match(number):
        return "unreadable"
    number = number.lstrip("+-")
    commas, points = number.count(","), number.count(".")
    if commas and points:
        return "comma" if number.rfind(",") > number.rfind(".") else "point"
    if not commas and not points:
        return "plain"
    separator, count = (",", commas) if commas else (".", points)
    if count > 1:  # 1.234.567: the separator groups thousands, so the other one is decimal
        return "point" if separator == "," else "comma"
    whole, _sep, fraction = number.partition(separator)
    if len(fraction) != 3 or whole in ("", "0", "-0"):  # 12,5 or 0,125 or ,125: decimal
        return "comma" if separator == "," else "point"
    return "undecided"


def thousands_grouped(whole: str, separator: str) -> bool:
    """Is `whole` (the digits before the decimal separator) grouped in thousands by
    `separator` as it should be (1.234.567), or not grouped at all?"""
    if separator not in whole:
        return True
    groups = whole.split(separator)
    return (
        1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:]) and all(g.isdigit() for g in groups)
    )
