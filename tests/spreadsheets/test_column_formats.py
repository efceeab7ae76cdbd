"""How a column writes its dates and numbers, decided from its own values: no database."""

import datetime as dt

import pytest
from django.utils import translation

from spreadsheets.column_formats import date_evidence, decimal_evidence, full_year, separator_kind


def texts(lines) -> list[str]:
    return [str(line) for line in lines]


# --- dates ---------------------------------------------------------------------------------


def test_a_month_first_column_is_detected():
    values = ["03/25/2026", "04/13/2026", "03/04/2026", "12/31/2025", "01/02/2026"]
    evidence = date_evidence(values)
    assert evidence.order == "mdy"
    assert not evidence.ambiguous
    assert (evidence.month_first, evidence.day_first, evidence.undecided) == (3, 0, 2)
    with translation.override("en"):
        assert str(evidence.headline()) == (
            "Month first: 3 of 5 values have a second part above 12 (such as 03/25/2026)."
        )


def test_a_day_first_column_is_detected_with_its_evidence():
    values = ["14-03-2025", *["03-04-2025"] * 185, *["25-12-2025"] * 13, "01-01-2026"]
    evidence = date_evidence(values)
    assert evidence.order == "dmy"
    with translation.override("en"):
        assert (
            str(evidence.headline()) == "Day first: 14 of 200 values have a first part above 12 (such as 14-03-2025)."
        )
        assert texts(evidence.lines()) == [
            "Both parts at most 12, read in the order decided: 186 of 200 values (such as 03-04-2025)."
        ]


def test_a_column_of_iso_dates_is_year_first():
    evidence = date_evidence(["2025-04-03", "2025-12-31T10:00", "2026-01-02 09:30"])
    assert evidence.order == "ymd"
    assert evidence.year_first == 3


def test_iso_dates_beside_written_dates_leave_the_order_to_those():
    evidence = date_evidence(["2025-04-03", "13-04-2025"])
    assert evidence.order == "dmy"
    evidence = date_evidence(["2025-04-03", "03-04-2025"])
    assert evidence.order is None and evidence.ambiguous


def test_a_column_whose_values_do_not_decide_is_ambiguous():
    evidence = date_evidence(["03-04-2025", "04-04-2025", "12/11/2025"])
    assert evidence.order is None
    assert evidence.ambiguous
    with translation.override("en"):
        assert "none of the 3 values has a part above 12 (such as 03-04-2025)" in str(evidence.headline())


def test_as_many_day_first_as_month_first_values_decide_nothing():
    evidence = date_evidence(["13-04-2025", "04-13-2025"])
    assert evidence.order is None
    assert evidence.ambiguous


def test_the_larger_evidence_decides_and_the_rest_is_said_not_to_fit():
    evidence = date_evidence(["13-04-2025", "14-04-2025", "04-13-2025"])
    assert evidence.order == "dmy"
    assert evidence.misfits("dmy") == 1
    with translation.override("en"):
        assert str(evidence.misfit_line("dmy")) == (
            "Not fitting day first (31-12-2025), so row problems unless the order is changed: 1 of 3 values (such as 04-13-2025)."
        )
    assert evidence.misfit_line("mdy") is not None
    assert date_evidence(["13-04-2025"]).misfit_line("dmy") is None


def test_two_digit_years_are_counted_and_the_rule_is_shown_with_an_example():
    evidence = date_evidence(["13-04-25", "03-04-85", "01-02-2025"])
    assert evidence.two_digit_years == 2
    with translation.override("en"):
        line = texts(evidence.lines())[-1]
    assert line == (
        "A two-digit year: 2 values (such as 13-04-25, year 2025); a two-digit year from 00 to 68 is read as 2000 to 2068, from 69 to 99 as 1969 to 1999."
    )


def test_the_two_digit_year_rule():
    assert [full_year(y) for y in ("00", "25", "68", "69", "99", "2025")] == [2000, 2025, 2068, 1969, 1999, 2025]


def test_cells_that_are_dates_already_need_no_decision():
    evidence = date_evidence([dt.date(2025, 4, 3), dt.datetime(2025, 4, 3, 10), 45658, None, ""])
    assert (evidence.typed, evidence.values) == (3, 0)
    assert evidence.order is None
    assert not evidence.ambiguous
    with translation.override("en"):
        assert "are dates in the spreadsheet itself" in str(evidence.headline())


def test_values_that_are_no_date_are_counted_and_decide_nothing():
    evidence = date_evidence(["tomorrow", "13-13-2025", "2025-13-01", "32-01-2025"])
    assert evidence.unreadable == 4
    assert evidence.order is None
    assert not evidence.ambiguous


def test_the_evidence_is_said_in_dutch():
    with translation.override("nl"):
        headline = str(date_evidence(["14-03-2025", "03-04-2025"]).headline())
    assert headline.startswith("Dag eerst: 1 van 2 waarden")


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1.234,56", "comma"),
        ("12,5", "comma"),
        ("0,125", "comma"),
        ("1.234.567", "comma"),
        ("€ 1.234,50", "comma"),
        ("1,234.56", "point"),
        ("12.5", "point"),
        ("1,234,567", "point"),
        ("-0.125", "point"),
        ("1,234", "undecided"),
        ("1.234", "undecided"),
        ("-1.234", "undecided"),
        ("1234", "plain"),
        ("abc", "unreadable"),
        ("12,5 kg", "unreadable"),
    ],
)
def test_what_one_number_says_about_its_separator(text, kind):
    assert separator_kind(text) == kind


def test_a_decimal_comma_column_is_detected():
    evidence = decimal_evidence(["1.234,56", "12,5", "1,234", "7", 3.5])
    assert evidence.separator == ","
    assert (evidence.comma, evidence.undecided, evidence.plain, evidence.typed) == (2, 1, 1, 1)
    with translation.override("en"):
        assert str(evidence.headline()) == "Decimal comma: 2 of 4 values show it (such as 1.234,56)."


def test_a_decimal_point_column_is_detected():
    assert decimal_evidence(["1,234.56", "0.5", "12"]).separator == "."


def test_only_one_separator_followed_by_three_digits_is_ambiguous():
    evidence = decimal_evidence(["1,234", "2,500", "17"])
    assert evidence.separator is None
    assert evidence.ambiguous
    with translation.override("en"):
        assert "2 of 3 values have one separator followed by three digits (such as 1,234)" in str(evidence.headline())


def test_whole_numbers_need_no_decision():
    evidence = decimal_evidence(["12", "1500", 7])
    assert evidence.separator is None
    assert not evidence.ambiguous


def test_a_chosen_separator_says_which_values_do_not_fit():
    evidence = decimal_evidence(["1,5", "2,5", "3.5"])
    assert evidence.separator == ","
    assert evidence.misfits(",") == 1
    with translation.override("en"):
        assert "1 of 3 values (such as 3.5)" in str(evidence.misfit_line(","))
