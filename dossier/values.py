"""Parsers that turn one raw cell or form value into a domain value.

Each parser accepts what a spreadsheet reader or a form hands over (str, int, float,
Decimal, date, datetime, bool or None) and raises `ValueProblem` with a message that says
how to write the value correctly. Empty input is the caller's business: parsers are only
called with something in it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from django.conf import settings
from django.utils import timezone, translation

from spreadsheets.column_formats import (
    DATE_ORDERS,
    ORDER_LABELS,
    SEPARATOR_LABELS,
    date_parts,
    full_year,
    thousands_grouped,
)
from spreadsheets.messages import N_, Message, comma_listed, grouped
from spreadsheets.text import CONTROL_CHARACTERS, WHITESPACE, without_controls


class ValueProblem(ValueError):
    """A raw value that cannot become the wanted type; `code` is stable, `message` says the fix
    (a Message, translated when shown: spreadsheets/messages.py; a text from older callers)."""

    def __init__(self, code: str, message: str | Message):
        super().__init__(message)
        self.code = code
        self.message = message


class ValueCorrected(Exception):
    """A raw value that became `value` only after a correction the user should know of: a
    warning with a stable `code` and a `message`. Not a ValueProblem, so that no caller takes
    it for an error."""

    def __init__(self, value: Any, code: str, message: str | Message):
        super().__init__(message)
        self.value = value
        self.code = code
        self.message = message


# The most characters of a raw value a message quotes: a cell may hold 131,072 characters, and
# a problem's message is shown on the check page and kept with the import job.
QUOTED_LENGTH = 60


def quoted(raw) -> str:
    """A raw value as a message quotes it: cut short (with "…") when it is long."""
    text = str(raw)
    return text if len(text) <= QUOTED_LENGTH else text[: QUOTED_LENGTH - 1] + "…"


def clean_text(raw, *, max_length: int | None = None) -> str:
    """A text value: trimmed, without control characters (ValueCorrected, with the cleaned
    text, when it held any) and at most `max_length` characters long (else ValueProblem)."""
    text = as_text(raw)
    corrected = not text.isprintable() and CONTROL_CHARACTERS.search(text) is not None
    if corrected:
        original, text = text, without_controls(text).strip(WHITESPACE)
    if max_length and len(text) > max_length:
        raise ValueProblem(
            "too_long",
            N_("The text is %(length)s characters long, and at most %(max)s fit: shorten it to %(max)s characters.")
            % {"length": grouped(len(text)), "max": grouped(max_length)},
        )
    if corrected:
        raise controls_removed(text, original)
    return text


def controls_removed(value: Any, text: str) -> ValueCorrected:
    """The warning that `text`, which holds control characters, became `value` without them."""
    found = CONTROL_CHARACTERS.search(text).group()
    return ValueCorrected(
        value,
        "control_characters_removed",
        N_("The cell held invisible control characters (such as U+%(code)04X), which were left out: check the value.")
        % {"code": ord(found)},
    )


def without_controls_first(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`parse` for cells that may hold control characters: a text holding any is parsed
    without them, and ValueCorrected says so."""
    search = CONTROL_CHARACTERS.search

    def parse_without_controls(raw):
        if raw.__class__ is str and not raw.isprintable() and search(raw):
            raise controls_removed(parse(without_controls(raw)), raw)
        return parse(raw)

    return parse_without_controls


def is_empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip(WHITESPACE))


def as_text(raw) -> str:
    """A cell as text; whole floats lose their '.0' so codes stay codes (10001.0 -> '10001')."""
    if raw.__class__ is str or isinstance(raw, str):  # the first test is the fast one
        return raw.strip(WHITESPACE)
    if isinstance(raw, bool):
        return "1" if raw else "0"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, Decimal) and raw == raw.to_integral_value():
        return str(raw.quantize(Decimal(1)))
    if isinstance(raw, dt.datetime | dt.date):
        return raw.isoformat()
    return str(raw).strip(WHITESPACE)


def parse_key(raw) -> str:
    """A number or code that names something (relation number, contact id, user name)."""
    return as_text(raw)


# --- dates ---------------------------------------------------------------------------------

EXCEL_EPOCHS = {1900: dt.datetime(1899, 12, 30), 1904: dt.datetime(1904, 1, 1)}
_ISO_START = re.compile(r"\d{4}-?\d{2}")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# How a date is written in each order, for the messages.
ORDER_FORMATS = {"dmy": "dd-mm-yyyy", "mdy": "mm-dd-yyyy", "ymd": "yyyy-mm-dd"}
ORDER_EXAMPLES = {"dmy": "31-12-2025", "mdy": "12-31-2025", "ymd": "2025-12-31"}


def _date_problem(raw, order: str | None = None) -> ValueProblem:
    if order is None:
        return ValueProblem(
            "invalid_date",
            N_("'%(value)s' is not a date. Write it as dd-mm-yyyy (for example 31-12-2025) or yyyy-mm-dd.")
            % {"value": quoted(raw)},
        )
    return ValueProblem(
        "invalid_date",
        N_(
            "'%(value)s' is not a date %(order)s, the order decided for this column. Write it as %(format)s (for example %(example)s)."
        )
        % {
            "value": quoted(raw),
            "order": ORDER_LABELS[order],
            "format": ORDER_FORMATS[order],
            "example": ORDER_EXAMPLES[order],
        },
    )


def _order_contradicted(raw, order: str, others: list[str]) -> ValueProblem:
    other = ORDER_LABELS[others[0]]
    if len(others) > 1:
        other = N_("%(first)s or %(second)s") % {"first": other, "second": ORDER_LABELS[others[1]]}
    return ValueProblem(
        "date_order_contradicted",
        N_(
            "'%(value)s' does not fit %(order)s, the order decided for this column; it would be a date %(other)s. Correct the value, or change the column's date order in the mapping."
        )
        % {"value": quoted(raw), "order": ORDER_LABELS[order], "other": other},
    )


def _orders_that_fit(parts: tuple[str, str, str], order: str) -> list[str]:
    """The orders other than `order` in which three parts make a date."""
    fit = []
    for other in DATE_ORDERS:
        if other != order:
            with contextlib.suppress(ValueError):
                _date_in_order(parts, other)
                fit.append(other)
    return fit


def excel_serial_to_datetime(serial: float, epoch: int = 1900) -> dt.datetime:
    if not 0 < serial < 2958466:  # 9999-12-31 in the 1900 system
        raise ValueError(serial)
    return EXCEL_EPOCHS[epoch] + dt.timedelta(days=serial)


def _date_in_order(parts: tuple[str, str, str], order: str | None) -> dt.date:
    """The date three parts make in `order` (None: day first); a value that begins with a
    four-digit year is year-month-day in every order. Raises ValueError."""
    first, second, last = parts
    if len(first) == 4:
        if len(last) > 2:
            raise ValueError(parts)
        return dt.date(int(first), int(second), int(last))
    if len(first) == 3 or len(last) not in (2, 4):
        raise ValueError(parts)
    if order == "ymd":
        if len(last) == 4 or len(first) != 2:
            raise ValueError(parts)
        return dt.date(full_year(first), int(second), int(last))
    if order == "mdy":
        return dt.date(full_year(last), int(first), int(second))
    return dt.date(full_year(last), int(second), int(first))


def parse_date(raw, *, epoch: int = 1900, order: str | None = None) -> dt.date:
    """dd-mm-yyyy, d-m-yy (also with / or .), yyyy-mm-dd, an ISO date-time, a date object or
    an Excel serial number. Written dates are read in `order` ("dmy", "mdy" or "ymd": the
    order decided for the column, spreadsheets/column_formats.py); without one day comes
    before month: 03-04-2025 is 3 April. A value that begins with a four-digit year is
    year-month-day in every order. A value that does not fit the order decided but would
    fit another is `date_order_contradicted`."""
    if raw.__class__ is not str:  # text is the common case: it goes straight on
        if isinstance(raw, bool):
            raise _date_problem(raw, order)
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, int | float | Decimal):
            try:
                return excel_serial_to_datetime(float(raw), epoch).date()
            except ValueError:
                raise _date_problem(raw, order) from None
    text = as_text(raw)
    parts = date_parts(text)
    if parts is not None:
        try:
            return _date_in_order(parts, order)
        except ValueError:
            pass
        if order is not None and (others := _orders_that_fit(parts, order)):
            raise _order_contradicted(raw, order, others)
    elif re.fullmatch(r"\d+(\.\d+)?", text):
        with contextlib.suppress(ValueError):
            return excel_serial_to_datetime(float(text), epoch).date()
    raise _date_problem(raw, order)


def parse_datetime(raw, *, epoch: int = 1900, tz: dt.tzinfo | None = None, order: str | None = None) -> dt.datetime:
    """A date as in `parse_date` (in `order`), optionally followed by a time (hh:mm or
    hh:mm:ss). Naive values are taken in the current time zone."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time())
    elif isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        try:
            value = excel_serial_to_datetime(float(raw), epoch)
        except ValueError:
            raise _date_problem(raw, order) from None
        value = value.replace(microsecond=0)
    else:
        text = as_text(raw)
        value = None
        if _ISO_START.match(text):  # day first is not for fromisoformat
            with contextlib.suppress(ValueError):
                value = dt.datetime.fromisoformat(text)
        if value is None:
            date_text, _sep, time_text = text.replace("T", " ").partition(" ")
            day = parse_date(date_text, epoch=epoch, order=order)
            time = dt.time()
            if time_text.strip():
                match = _TIME.match(time_text.strip())
                if not match:
                    raise ValueProblem(
                        "invalid_datetime",
                        N_("'%(value)s' is not a date and time. Write it as %(format)s hh:mm.")
                        % {"value": quoted(raw), "format": ORDER_FORMATS[order or "dmy"]},
                    ) from None
                hour, minute, second = match.groups()
                try:
                    time = dt.time(int(hour), int(minute), int(second or 0))
                except ValueError:
                    raise ValueProblem(
                        "invalid_datetime",
                        N_("'%(value)s' has an invalid time. Write it as %(format)s hh:mm.")
                        % {"value": quoted(raw), "format": ORDER_FORMATS[order or "dmy"]},
                    ) from None
            value = dt.datetime.combine(day, time)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, tz)
    if value.year in (1, 9999):  # in UTC, as the database stores it, it may fall outside the calendar
        try:
            value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueProblem(
                "invalid_datetime",
                N_("'%(value)s' lies outside the calendar. Write a date and time as dd-mm-yyyy hh:mm.")
                % {"value": quoted(raw)},
            ) from None
    return value


# --- numbers and booleans ------------------------------------------------------------------


# Numbers are stored as JSON, which programs read as floating point: at most 15 digits before
# the decimal point keep every whole number exact (and a cell like 1e999999999 harmless).
MAX_WHOLE_DIGITS = 15


def _checked_size(value: Decimal, raw) -> Decimal:
    if value and value.adjusted() >= MAX_WHOLE_DIGITS:  # adjusted(): the exponent of its first digit
        raise ValueProblem(
            "number_too_large",
            N_("'%(value)s' is too large: a number holds at most %(digits)s digits before the decimal point.")
            % {"value": quoted(raw), "digits": MAX_WHOLE_DIGITS},
        )
    return value


def parse_decimal(raw, *, decimal: str | None = None) -> Decimal:
    """1234.56, 1234,56, 1.234,56 and 1,234.56. With `decimal` ("," or ".", the separator
    decided for the column: spreadsheets/column_formats.py) that one is the decimal
    separator and the other may only group thousands (1.234.567,5); a value that does not
    fit is `decimal_contradicted`. Without one the last separator is the decimal one, and a
    lone separator followed by exactly three digits and repeated (1.234.567) groups
    thousands. At most MAX_WHOLE_DIGITS digits before the decimal point."""
    if isinstance(raw, bool):
        raise ValueProblem("invalid_number", N_("'%(value)s' is not a number.") % {"value": quoted(raw)})
    if isinstance(raw, int):
        return _checked_size(Decimal(raw), raw)
    if isinstance(raw, Decimal):
        return _checked_size(raw, raw) if raw.is_finite() else _not_a_number(raw)
    if isinstance(raw, float):
        return _checked_size(Decimal(repr(raw)), raw) if math.isfinite(raw) else _not_a_number(raw)
    text = as_text(raw).replace(" ", "").replace("\u00a0", "").replace("€", "")
    if decimal is not None:
        text = _with_decimal_point(text, decimal, raw)
    else:
        comma, dot = text.rfind(","), text.rfind(".")
        if comma >= 0 and dot >= 0:
            decimal_sep = "," if comma > dot else "."
            thousands_sep = "." if decimal_sep == "," else ","
            text = text.replace(thousands_sep, "").replace(decimal_sep, ".")
        elif comma >= 0 or dot >= 0:
            sep = "," if comma >= 0 else "."
            text = text.replace(sep, "") if text.count(sep) > 1 else text.replace(sep, ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueProblem(
            "invalid_number",
            N_("'%(value)s' is not a number. Write it as 1234,56 or 1234.56.") % {"value": quoted(raw)},
        ) from None
    if not value.is_finite():
        _not_a_number(raw)
    return _checked_size(value, raw)


def _with_decimal_point(text: str, decimal: str, raw) -> str:
    """`text` written with `decimal` as its decimal separator, as Decimal reads it: the
    other separator only between groups of three digits before it, else
    `decimal_contradicted`. Text that is no number at all is left for Decimal to refuse."""
    thousands = "." if decimal == "," else ","
    if text.count(decimal) > 1 or (decimal in text and thousands in text.rpartition(decimal)[2]):
        raise _decimal_contradicted(raw, decimal)
    whole, _sep, fraction = text.partition(decimal)
    sign = whole[:1] if whole[:1] in "+-" else ""
    if thousands in whole:
        if not thousands_grouped(whole[len(sign) :], thousands):
            raise _decimal_contradicted(raw, decimal)
        whole = whole.replace(thousands, "")
    return f"{whole}.{fraction}" if _sep else whole


def _decimal_contradicted(raw, decimal: str) -> ValueProblem:
    return ValueProblem(
        "decimal_contradicted",
        N_(
            "'%(value)s' does not fit the %(separator)s decided for this column. Correct the value, or change the column's decimal separator in the mapping."
        )
        % {"value": quoted(raw), "separator": SEPARATOR_LABELS[decimal]},
    )


def _not_a_number(raw) -> NoReturn:
    raise ValueProblem("invalid_number", N_("'%(value)s' is not a number.") % {"value": quoted(raw)})


def parse_integer(raw, *, decimal: str | None = None) -> int:
    value = parse_decimal(raw, decimal=decimal)
    if value != value.to_integral_value():
        raise ValueProblem("invalid_integer", N_("'%(value)s' is not a whole number.") % {"value": quoted(raw)})
    return int(value)


TRUE_WORDS = {"ja", "j", "yes", "y", "true", "waar", "1", "x", "aan", "on", "wahr"}
FALSE_WORDS = {"nee", "n", "no", "false", "onwaar", "0", "uit", "off"}


def parse_boolean(raw) -> bool:
    """ja/nee, j/n, yes/no, true/false, waar/onwaar, 1/0, x."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float | Decimal) and raw in (0, 1):
        return bool(raw)
    word = as_text(raw).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueProblem(
        "invalid_boolean",
        N_("'%(value)s' is not yes or no. Write ja or nee (also accepted: yes/no, 1/0, x).") % {"value": quoted(raw)},
    )


def parse_choice(raw, choices: dict[str, Any]) -> str:
    """A choice by its code or its label, case-insensitively; returns the code."""
    return choice_parser(choices)(raw)


def choice_labels(label: Any) -> list[str]:
    """A choice's label as written in each language of the site: a translatable label
    (a Message, a lazy text) in each, a label typed in the admin as it is."""
    if isinstance(label, str):
        return [label]
    labels = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            text = str(label)
        if text not in labels:
            labels.append(text)
    return labels


def choice_parser(choices: dict[str, Any]) -> Callable[[Any], str]:
    """`parse_choice` for one set of choices, with the folded codes and labels worked out once.

    A choice is named by its code or by its label in any language of the site, whatever the
    active one (hoog and high are both the priority high), so a file gives the same values
    under every language. A code wins over a label; a text that is the label of two choices
    (in two languages, or twice in the list) names neither: the problem says which."""
    codes: dict[str, str] = {}
    by_label: dict[str, list[str]] = {}
    for code, label in choices.items():
        codes.setdefault(code.casefold(), code)
        for text in choice_labels(label):
            found = by_label.setdefault(text.casefold(), [])
            if code not in found:
                found.append(code)
    words = {text: found[0] for text, found in by_label.items() if len(found) == 1}
    # The values a problem lists: their labels, in the reader's language when shown.
    allowed = comma_listed([label or code for code, label in choices.items()]) if choices else "-"
    ambiguous = {text: found for text, found in by_label.items() if len(found) > 1}
    words.update(codes)

    def parse(raw) -> str:
        text = as_text(raw).casefold()
        code = words.get(text)
        if code is not None:
            return code
        if text in ambiguous:
            raise ValueProblem(
                "ambiguous_choice",
                N_("'%(value)s' is the label of more than one allowed value (%(codes)s): write the code.")
                % {"value": quoted(raw), "codes": ", ".join(ambiguous[text])},
            )
        raise ValueProblem(
            "invalid_choice",
            N_("'%(value)s' is not one of the allowed values: %(allowed)s.")
            % {"value": quoted(raw), "allowed": allowed},
        )

    return parse
