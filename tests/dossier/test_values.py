"""The value parsers: no database needed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from dossier.values import (
    ValueCorrected,
    ValueProblem,
    as_text,
    clean_text,
    parse_boolean,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_integer,
)
from spreadsheets.messages import N_


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("31-12-2025", dt.date(2025, 12, 31)),
        ("03-04-2025", dt.date(2025, 4, 3)),  # day first, never month first
        ("3-4-25", dt.date(2025, 4, 3)),
        ("3-4-85", dt.date(1985, 4, 3)),
        ("03/04/2025", dt.date(2025, 4, 3)),
        ("03.04.2025", dt.date(2025, 4, 3)),
        ("2025-04-03", dt.date(2025, 4, 3)),
        ("2025-04-03T10:15:00", dt.date(2025, 4, 3)),
        ("  31-12-2025 ", dt.date(2025, 12, 31)),
        (45658, dt.date(2025, 1, 1)),
        (45658.0, dt.date(2025, 1, 1)),
        ("45658", dt.date(2025, 1, 1)),
        (dt.datetime(2025, 1, 1, 9, 30), dt.date(2025, 1, 1)),
        (dt.date(2025, 1, 1), dt.date(2025, 1, 1)),
    ],
)
def test_it_parses_dates_day_first(raw, expected):
    assert parse_date(raw) == expected


def test_it_parses_excel_serial_dates_in_the_1904_system():
    assert parse_date(44196, epoch=1904) == dt.date(2025, 1, 1)


@pytest.mark.parametrize("raw", ["31-02-2025", "12/31/2025", "tomorrow", "2025-13-01", -5, True])
def test_it_refuses_impossible_dates_with_the_accepted_notation(raw):
    with pytest.raises(ValueProblem) as caught:
        parse_date(raw)
    assert caught.value.code == "invalid_date"
    assert "dd-mm-yyyy" in caught.value.message


def test_it_parses_date_times_in_the_current_time_zone(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    value = parse_datetime("31-12-2025 14:30")
    assert (value.year, value.month, value.day, value.hour, value.minute) == (2025, 12, 31, 14, 30)
    assert value.utcoffset() == dt.timedelta(hours=1)
    assert parse_datetime("2025-12-31T14:30:00+00:00").utcoffset() == dt.timedelta(0)
    assert parse_datetime("31-12-2025").hour == 0


def test_it_refuses_a_date_time_with_an_impossible_time():
    with pytest.raises(ValueProblem) as caught:
        parse_datetime("31-12-2025 25:61")
    assert caught.value.code == "invalid_datetime"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.234,56", Decimal("1234.56")),
        ("1234,56", Decimal("1234.56")),
        ("1234.56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("1.234.567", Decimal("1234567")),
        ("€ 3.500,00", Decimal("3500.00")),
        (3500, Decimal(3500)),
        (0.1, Decimal("0.1")),
        ("-12,5", Decimal("-12.5")),
    ],
)
def test_it_parses_decimals_with_comma_or_dot(raw, expected):
    assert parse_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["twelve", "1,2,3.4.5", "NaN", "Infinity", True])
def test_it_refuses_what_is_no_number(raw):
    with pytest.raises(ValueProblem):
        parse_decimal(raw)


def test_it_parses_integers_and_refuses_fractions():
    assert parse_integer("42") == 42
    assert parse_integer(42.0) == 42
    with pytest.raises(ValueProblem) as caught:
        parse_integer("4,5")
    assert caught.value.code == "invalid_integer"


@pytest.mark.parametrize("raw", ["ja", "JA", "j", "yes", "y", "true", "waar", "1", "x", "X", 1, True])
def test_it_reads_yes(raw):
    assert parse_boolean(raw) is True


@pytest.mark.parametrize("raw", ["nee", "n", "no", "false", "onwaar", "0", 0, False])
def test_it_reads_no(raw):
    assert parse_boolean(raw) is False


def test_it_refuses_a_boolean_it_cannot_read():
    with pytest.raises(ValueProblem) as caught:
        parse_boolean("misschien")
    assert "ja or nee" in caught.value.message


def test_it_matches_choices_by_code_or_label():
    choices = {"VAST": "Vast contract", "TIJDELIJK": "Tijdelijk contract"}
    assert parse_choice("vast", choices) == "VAST"
    assert parse_choice("Tijdelijk contract", choices) == "TIJDELIJK"
    with pytest.raises(ValueProblem) as caught:
        parse_choice("oproep", choices)
    assert "Vast contract, Tijdelijk contract" in caught.value.message  # labels, in the reader's language


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_translatable_choice_is_read_by_its_code_and_its_dutch_and_english_label_in_either_language(language):
    choices = {"high": N_("high"), "normal": N_("normal"), "low": N_("low")}
    with translation.override(language):
        assert [parse_choice(text, choices) for text in ("hoog", "High", "normaal", "normal", "LOW", "laag")] == [
            "high",
            "high",
            "normal",
            "normal",
            "low",
            "low",
        ]


def test_a_text_that_is_the_label_of_two_choices_names_neither_and_the_problem_says_so():
    # "hoog" is the Dutch label of the one and the label typed for the other.
    choices = {"high": N_("high"), "TOP": "Hoog"}
    with pytest.raises(ValueProblem) as caught:
        parse_choice("HOOG", choices)
    assert caught.value.code == "ambiguous_choice"
    assert (
        str(caught.value.message) == "'HOOG' is the label of more than one allowed value (high, TOP): write the code."
    )
    assert parse_choice("top", choices) == "TOP"  # a code is never ambiguous
    assert parse_choice("high", choices) == "high"


def test_a_code_wins_over_the_label_of_another_choice():
    assert parse_choice("b", {"a": "B", "b": "A"}) == "b"


def test_codes_keep_their_text():
    assert as_text(10001.0) == "10001"
    assert as_text("00123") == "00123"
    assert as_text(" 10001 ") == "10001"
    assert as_text(Decimal("10001")) == "10001"


# --- limits and control characters -------------------------------------------------------


@pytest.mark.parametrize("raw", ["1e999999999", "-1e15", 10**15, 1e300, "1.000.000.000.000.000,5", Decimal("1E+20")])
def test_a_number_with_more_than_fifteen_whole_digits_is_too_large(raw):
    with pytest.raises(ValueProblem) as caught:
        parse_decimal(raw)
    assert caught.value.code == "number_too_large"
    assert "at most 15 digits before the decimal point" in caught.value.message


def test_fifteen_whole_digits_and_any_zero_fit():
    assert parse_integer("999999999999999") == 10**15 - 1
    assert parse_decimal("-999.999.999.999.999,99") == Decimal("-999999999999999.99")
    assert parse_decimal("0E+30") == 0
    with pytest.raises(ValueProblem) as caught:
        parse_integer("1e999999999")  # refused before it becomes a billion-digit int
    assert caught.value.code == "number_too_large"


@pytest.mark.parametrize("raw", [float("inf"), float("nan"), Decimal("NaN")])
def test_infinite_numbers_from_a_reader_are_no_numbers(raw):
    with pytest.raises(ValueProblem) as caught:
        parse_decimal(raw)
    assert caught.value.code == "invalid_number"


def test_a_date_time_that_falls_before_the_calendar_in_utc_is_refused(settings):
    with pytest.raises(ValueProblem) as caught:
        parse_datetime("01-01-0001 00:00")  # Amsterdam is ahead of UTC: the year 0 in UTC
    assert caught.value.code == "invalid_datetime"
    assert parse_datetime("31-12-9999 23:59").year == 9999


def test_clean_text_returns_a_clean_text_and_reports_a_corrected_one():
    assert clean_text("  Brief  ") == "Brief"
    with pytest.raises(ValueCorrected) as caught:
        clean_text("Brief\u202e fdp.exe\x1b ", max_length=20)
    assert caught.value.value == "Brief fdp.exe"
    assert caught.value.code == "control_characters_removed"
    assert "U+202E" in caught.value.message


def test_clean_text_measures_the_cleaned_text_against_the_limit():
    with pytest.raises(ValueProblem) as caught:
        clean_text("x" * 11, max_length=10)
    assert caught.value.code == "too_long"
    assert caught.value.message == "The text is 11 characters long, and at most 10 fit: shorten it to 10 characters."
    with pytest.raises(ValueCorrected):
        clean_text("x" * 10 + "\x00" * 5, max_length=10)


# --- the column's decisions: date order and decimal separator ---------------------------


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("03-04-2025", "dmy", dt.date(2025, 4, 3)),
        ("03-04-2025", "mdy", dt.date(2025, 3, 4)),
        ("12/31/2025", "mdy", dt.date(2025, 12, 31)),
        ("3/4/25", "mdy", dt.date(2025, 3, 4)),
        ("2025-04-03", "mdy", dt.date(2025, 4, 3)),  # a four-digit year first reads the same in any order
        ("2025/04/03", "dmy", dt.date(2025, 4, 3)),
        ("2025-04-03", "ymd", dt.date(2025, 4, 3)),
        ("25-04-03", "ymd", dt.date(2025, 4, 3)),
        (dt.date(2025, 4, 3), "mdy", dt.date(2025, 4, 3)),
        (45658, "mdy", dt.date(2025, 1, 1)),
    ],
)
def test_a_date_is_read_in_the_order_decided_for_its_column(raw, order, expected):
    assert parse_date(raw, order=order) == expected


@pytest.mark.parametrize(
    ("raw", "order", "other"),
    [
        ("03/25/2026", "dmy", "month first (12-31-2025)"),
        ("25/03/2026", "mdy", "day first (31-12-2025)"),
        ("03-04-2025", "ymd", "day first (31-12-2025) or month first (12-31-2025)"),
    ],
)
def test_a_date_that_contradicts_the_order_decided_says_so_and_how_it_would_read(raw, order, other):
    with pytest.raises(ValueProblem) as caught, translation.override("en"):
        parse_date(raw, order=order)
    assert caught.value.code == "date_order_contradicted"
    with translation.override("en"):
        message = str(caught.value.message)
    assert f"it would be a date {other}" in message
    assert "the order decided for this column" in message


def test_a_date_in_no_order_names_the_order_decided():
    with pytest.raises(ValueProblem) as caught:
        parse_date("13/25/2026", order="dmy")
    assert caught.value.code == "invalid_date"
    with translation.override("en"):
        assert str(caught.value.message) == (
            "'13/25/2026' is not a date day first (31-12-2025), the order decided for this column. Write it as dd-mm-yyyy (for example 31-12-2025)."
        )


def test_a_date_and_time_is_read_in_the_order_decided(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    value = parse_datetime("03/25/2026 14:30", order="mdy")
    assert (value.year, value.month, value.day, value.hour) == (2026, 3, 25, 14)
    with pytest.raises(ValueProblem) as caught:
        parse_datetime("03/25/2026 14:30", order="dmy")
    assert caught.value.code == "date_order_contradicted"
    with pytest.raises(ValueProblem) as caught, translation.override("en"):
        parse_datetime("03/25/2026 25:30", order="mdy")
    assert "mm-dd-yyyy hh:mm" in str(caught.value.message)


@pytest.mark.parametrize(
    ("raw", "decimal", "expected"),
    [
        ("1.234,56", ",", Decimal("1234.56")),
        ("1.234", ",", Decimal("1234")),
        ("1,234", ",", Decimal("1.234")),
        ("-1.234.567,5", ",", Decimal("-1234567.5")),
        ("12", ",", Decimal("12")),
        ("1,234.56", ".", Decimal("1234.56")),
        ("1,234", ".", Decimal("1234")),
        ("1.234", ".", Decimal("1.234")),
        ("€ 1.250,00", ",", Decimal("1250.00")),
        (3.5, ",", Decimal("3.5")),  # a number cell needs no separator
    ],
)
def test_a_number_is_read_with_the_separator_decided_for_its_column(raw, decimal, expected):
    assert parse_decimal(raw, decimal=decimal) == expected


@pytest.mark.parametrize(
    ("raw", "decimal"),
    [("12.5", ","), ("1,234.56", ","), ("1,2,3", ","), ("1.23,4", ","), ("12,5", "."), ("1.234,56", ".")],
)
def test_a_number_that_contradicts_the_separator_decided_says_so(raw, decimal):
    with pytest.raises(ValueProblem) as caught:
        parse_decimal(raw, decimal=decimal)
    assert caught.value.code == "decimal_contradicted"
    with translation.override("en"):
        assert "decided for this column" in str(caught.value.message)


def test_a_whole_number_is_read_with_the_separator_decided():
    assert parse_integer("1.234", decimal=",") == 1234
    with pytest.raises(ValueProblem) as caught:
        parse_integer("1.234", decimal=".")
    assert caught.value.code == "invalid_integer"


def test_without_a_decision_the_reading_is_as_before():
    assert parse_date("03-04-2025") == dt.date(2025, 4, 3)
    assert parse_decimal("1,234") == Decimal("1.234")
    assert parse_decimal("1.234.567") == Decimal("1234567")
