"""Our .xlsx and .ods readers against python-calamine on a corpus of workbooks written by
different programs and libraries (tests/files/corpus/README.md says who wrote which).

Every sheet of every file is read by both; they must agree on every cell. Normalised, because
it is only representation: calamine's "" is an empty cell (our None), and a whole number may
be 3 or 3.0. Where we differ on purpose, DIFFERENCES names the file, sheet and cell with our
value and the reason; a listed difference that no longer occurs fails too, so the list stays
true."""

from pathlib import Path

import pytest
import python_calamine

from spreadsheets import ods, xlsx
from spreadsheets.cells import UNCOMPUTED
from spreadsheets.reading import column_letter

FILES = Path(__file__).resolve().parent.parent / "files"
CORPUS = FILES / "corpus"
PATHS = sorted(CORPUS.glob("*.xlsx")) + sorted(CORPUS.glob("*.ods"))
PATHS += [FILES / "calc_source.xlsx", FILES / "calc_source.ods"]

UNCALCULATED = "a formula saved without its value: UNCOMPUTED (a row problem), calamine gives an empty cell"
EMPTY_V = (
    "an empty <v/> without t='str' is what openpyxl writes for a formula it never calculated; xlsxwriter "
    "writes the same for a formula whose text is empty, and the two cannot be told apart: UNCOMPUTED"
)
NO_VALUE_TYPE = "a cell without office:value-type shows its text in LibreOffice; calamine leaves it out"

DIFFERENCES = {
    ("hand_prefixed.xlsx", "Blad1", "F1"): ("emoji 😀", "two escapes of one character outside the BMP are decoded"),
    ("hand_uncomputed.xlsx", "Blad1", "B2"): (UNCOMPUTED, UNCALCULATED),
    ("hand_uncomputed.xlsx", "Blad1", "B3"): (UNCOMPUTED, UNCALCULATED),
    ("hand_uncomputed.xlsx", "Blad1", "B4"): (UNCOMPUTED, UNCALCULATED),
    ("openpyxl_types.xlsx", "Gegevens", "I2"): (UNCOMPUTED, UNCALCULATED),
    ("openpyxl_types.xlsx", "Gegevens", "I4"): (UNCOMPUTED, UNCALCULATED),
    ("xlsxwriter_1904.xlsx", "Blad1", "G3"): (UNCOMPUTED, EMPTY_V),
    ("hand_calc.ods", "Data", "B2"): (UNCOMPUTED, UNCALCULATED),
    ("hand_calc.ods", "Data", "C3"): (None, "a cell hidden by a merge is empty, as Calc shows it"),
    ("odfpy.ods", "Blad1", "A1"): ("Nummer", NO_VALUE_TYPE),
    ("odfpy.ods", "Blad1", "B1"): ("Tekst", NO_VALUE_TYPE),
    ("odfpy.ods", "Blad1", "C1"): ("Datum", NO_VALUE_TYPE),
    ("odfpy.ods", "Blad1", "D1"): ("Tijd", NO_VALUE_TYPE),
    ("odfpy.ods", "Blad1", "E1"): ("Procent", NO_VALUE_TYPE),
    ("odfpy.ods", "Blad1", "F1"): ("Ja", NO_VALUE_TYPE),
    ("odfpy.ods", "Blad1", "G1"): ("Formule", NO_VALUE_TYPE),
    ("odfpy.ods", "Blad1", "B2"): ("tekst", NO_VALUE_TYPE),
    ("odfpy.ods", "Blad1", "G2"): (UNCOMPUTED, UNCALCULATED),
    ("odfpy.ods", "Blad1", "A3"): ("Samengevoegd", NO_VALUE_TYPE),
    ("odfpy.ods", "Blad1", "C3"): ("na", NO_VALUE_TYPE),
    ("hand_text_markup.ods", "Blad1", "A2"): (
        "a   b\tc\nd",
        "<text:tab/> and <text:line-break/> are a tab and a line break in the cell, as Calc shows them; calamine drops them",
    ),
}

# python-calamine refuses these; we read them (what each holds is asserted instead)
CALAMINE_REFUSES = {
    "hand_no_relationships.xlsx": {"Blad1": {"A1": "Nummer", "B1": "Naam", "A2": 10001, "B2": "Jansen"}},
}


def ours(path: Path) -> dict[str, dict[str, object]]:
    book = (ods if path.suffix == ".ods" else xlsx).open_book(path)
    try:
        return {name: _cells(book.rows(name)) for name in book.sheet_names}
    finally:
        book.close()


def calamine(path: Path) -> dict[str, dict[str, object]]:
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return {
            name: _cells(enumerate(workbook.get_sheet_by_name(name).to_python(skip_empty_area=False), start=1))
            for name in workbook.sheet_names
        }
    finally:
        workbook.close()


def _cells(rows) -> dict[str, object]:
    """The non-empty cells by reference (A1); "" and None are both empty."""
    return {
        f"{column_letter(index)}{number}": value
        for number, cells in rows
        for index, value in enumerate(cells)
        if value is not None and value != ""
    }


def _same(a, b) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return not isinstance(b, bool) and a == b  # 3 and 3.0
    return type(a) is type(b) and a == b


def test_the_corpus_holds_every_kind_of_writer():
    names = {path.name for path in PATHS}
    assert {"openpyxl_types.xlsx", "xlsxwriter_1904.xlsx", "libreoffice.xlsx", "libreoffice.ods"} <= names
    assert {"odfpy.ods", "pyexcel_ods3.ods", "hand_prefixed.xlsx", "hand_strict.xlsx", "hand_minimal.xlsx"} <= names
    assert all(path.stat().st_size < 16_000 for path in PATHS)


@pytest.mark.parametrize("path", [p for p in PATHS if p.name not in CALAMINE_REFUSES], ids=lambda p: p.name)
def test_our_readers_agree_with_calamine_on_every_cell(path):
    mine, theirs = ours(path), calamine(path)
    assert list(mine) == list(theirs)  # the same sheets, in the same order
    for sheet in mine:
        for reference in sorted(set(mine[sheet]) | set(theirs[sheet])):
            value, expected = mine[sheet].get(reference), theirs[sheet].get(reference)
            listed = DIFFERENCES.get((path.name, sheet, reference))
            if listed is None:
                assert _same(value, expected), f"{path.name} {sheet}!{reference}: ours {value!r}, calamine {expected!r}"
            else:
                wanted, reason = listed
                assert _same(value, wanted) and not _same(value, expected), (
                    f"{path.name} {sheet}!{reference} is listed ({reason}) but reads {value!r}, calamine {expected!r}"
                )
    for name, sheet, reference in DIFFERENCES:
        if name == path.name:
            assert reference in mine[sheet] or reference in theirs[sheet], f"{name} {sheet}!{reference} is listed"


@pytest.mark.parametrize("name", sorted(CALAMINE_REFUSES))
def test_files_calamine_refuses_are_read(name):
    with pytest.raises(Exception):  # noqa: B017 (calamine's own error types)
        calamine(CORPUS / name)
    assert ours(CORPUS / name) == CALAMINE_REFUSES[name]
