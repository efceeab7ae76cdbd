"""Reading: a spreadsheet file -> headers + streamed rows with their spreadsheet row numbers.

    table = open_table(path, file_name="docs.xlsx")
    table.headers            # ["Relatienummer", "Onderwerp", ...]; a name given twice is
                             # kept, a column without a name is "" (imports/pipeline/mapping.py
                             # tells them apart by their letters)
    for row in table.rows(): # Row(number=2, cells=("10001", "CV", ...)); empty rows skipped
        ...
    table.beyond             # {position: first row}: cells right of the last column name,
                             # which rows() leaves out, recorded as it reads them

.xlsx and .ods stream through our own expat readers (xlsx.py, ods.py), so memory stays flat
for the largest sheet Excel or Calc allows; .xls goes through python-calamine, which reads
the whole sheet (an .xls holds at most 65,536 rows); .csv streams through the csv module
with its encoding and delimiter detected.
Cells keep their type (str, int, float, bool, date, datetime, time, timedelta); a formula
stored without its computed value is `cells.UNCOMPUTED`; parsing is ItemSpec's job.

Each format's reader returns an `OpenedSheet` (the sheets, which are hidden, the chosen one,
its rows, the date system, how to close it, how to read another sheet); .xlsx and .ods share
one path (`_open_zip_book`). The sheet chosen by default is the first visible one with data.
A CSV's delimiter and line of column names come from its body (`detect_layout`), its
character set from `encodings.py`; a sheet's row of column names from its first rows
(`header_guess`), so a title or a note above them is left out (`Table.above` keeps it). Refused with one sentence (ReadError): a damaged,
encrypted or macro-enabled workbook, an .xlsb, a ZIP that unpacks too far, a CSV with a
quote that never closes, that is not written in one character set or whose character set
cannot be told, and in every format a cell longer than settings.IMPORT_MAX_CELL_LENGTH
characters (`cell_limit`), named by its row and column (the .xlsx and .ods readers stop
collecting a cell's text at the limit, and the csv module stops at its field limit, so a
longer text is never held whole), and a sheet with more than settings.IMPORT_MAX_CELLS cells,
repeated ones counted before they are expanded (`max_cells`).
"""

from __future__ import annotations

import collections
import csv
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings

from spreadsheets.background import rows_in_background
from spreadsheets.cells import MAX_CELL_LENGTH, MAX_CELLS, UNCOMPUTED, CellTooLong, TooManyCells, clean_rows
from spreadsheets.encodings import code_page_name, detect_encoding, encoding_name, possible_code_pages
from spreadsheets.messages import N_, Message, grouped
from spreadsheets.text import without_controls
from spreadsheets.zipguard import unpacks_too_far

BINARY_WORKBOOK = ".xlsb"
FORMATS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods", ".csv": "csv", ".txt": "csv"}
MACRO_SUFFIXES = (".xlsm",)
# Lead bytes of the UTF-8 sequences West-European text uses (Latin-1 letters and signs, Œ Š Ž,
# € ’ “ – …); in Windows-1252 text they are Â Ã Å â followed by a byte of 0x80-0xBF, which
# real text hardly ever has.
UTF8_LEADS = (b"\xc2", b"\xc3", b"\xc5", b"\xe2")
# Two Cyrillic or Greek letters in UTF-8, as Windows-1251 or -1253 would read them: a capital
# followed by a sign, twice ("РџСЂ"). One such pair is real Ukrainian ("Рі"); two are not.
UTF8_LETTERS = {
    "cp1251": re.compile(rb"[\xd0\xd1][\x80-\xbf][\xd0\xd1][\x80-\xbf]"),
    "cp1253": re.compile(rb"[\xce\xcf][\x80-\xbf][\xce\xcf][\x80-\xbf]"),
}
# A Central European, Turkish or Baltic letter in UTF-8 (Ä…, Ĺ‚ read as Windows-1250): a
# capital followed by a sign or a small letter, which text in these code pages hardly has.
for _latin in ("cp1250", "cp1254", "cp1257", "iso8859_2"):
    UTF8_LETTERS[_latin] = re.compile(rb"[\xc3\xc4\xc5][\x80-\xbf]")
SCAN_BYTES = 1 << 20
CSV_DELIMITERS = ";,\t|"  # in this order among equals
# Records of a CSV's first 64 KB that decide its delimiter and header line.
LAYOUT_RECORDS = 200
# Lines a title of one cell may take above the column names.
TITLE_LINES = 5
# A line above the column names that starts so is a comment, however many cells it has.
COMMENT_STARTS = ("# ", "## ", "#!")
VALUE = re.compile(r"[-+]?\d[\d.,:/ -]*")  # 10001, 1.234,56, 03-04-2025, 14:30
SAMPLE_BYTES = 64 * 1024
# A sheet's first non-empty rows that decide where its column names are (`header_guess`), and
# how many of the rows above them a Table keeps to show (`Table.above`).
HEADER_SCAN_ROWS = 50
ABOVE_KEPT = 3
# A column name longer than this is cut (with "…"): names are shown in every column choice of
# the mapping page, kept with the job and matched by the mapping; no real one is this long.
HEADER_MAX_LENGTH = 100
# A sheet whose XML unpacks to more than this is parsed by a second process (background.py).
BACKGROUND_READ_BYTES = 16 * 2**20


class ReadError(Exception):
    """The file cannot be read; the message is one sentence for the user, a Message
    (spreadsheets/messages.py) kept language-free where it is stored (`message_of`)."""


class Row(NamedTuple):
    number: int  # as the spreadsheet program shows it (1-based)
    cells: tuple[Any, ...]


@dataclass
class OpenedSheet:
    """What each format's reader gives `open_table`: one sheet of a file, opened."""

    sheet_names: list[str]
    sheet: str  # the chosen one
    rows: Iterator[Row]
    close: Callable[[], None]
    hidden_sheets: list[str] = field(default_factory=list)
    epoch: int = 1900
    # the rows of another sheet of the same open book (None: the file has one sheet)
    rows_of: Callable[[str], Iterator[Row]] | None = None
    header_row: int | None = None  # where the column names are when nobody says (a CSV's guess)
    encoding: str | None = None  # a CSV's
    guesses_header: bool = False  # header_row is the format's own guess (a CSV's layout)


@dataclass
class Table:
    """One sheet of a file, positioned at its header row."""

    headers: list[str]
    header_row: int
    sheet: str
    sheet_names: list[str]
    epoch: int = 1900  # Excel's date system, for serial-number dates
    hidden_sheets: list[str] = field(default_factory=list)
    encoding: str | None = None  # the character set a CSV was read in ("cp1251"), else None
    # The row the reader takes for the column names when nobody says: below a title it found,
    # else the first non-empty one (also when `guess_header` was off, to propose it).
    found_header_row: int | None = None
    # The first non-empty rows above the header row (ABOVE_KEPT at most): a title, a comment.
    above: list[Row] = field(default_factory=list)
    # Cells right of the last column name that hold something (ragged rows, a last column
    # without a name): their position -> the first row with one. Filled while rows() reads,
    # so that what it leaves out is never dropped without a word.
    beyond: dict[int, int] = field(default_factory=dict)
    _rows: Iterator[Row] | None = field(default=None, repr=False)
    _close: Any = field(default=None, repr=False)

    def rows(self) -> Iterator[Row]:
        """The data rows under the header, empty ones skipped, cells padded or cut to the
        headers (what is cut is recorded in `beyond`)."""
        width = len(self.headers)
        beyond = self.beyond
        try:
            for row in self._rows or ():
                cells = row.cells
                if len(cells) > width:
                    for position in range(width, len(cells)):
                        if cells[position] is not None and position not in beyond:
                            beyond[position] = row.number
                    cells = cells[:width]
                elif len(cells) < width:
                    cells = cells + (None,) * (width - len(cells))
                yield Row(row.number, cells)
        finally:
            self.close()

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


def cell_limit() -> int:
    """The most characters one cell may hold, in every format (settings.IMPORT_MAX_CELL_LENGTH)."""
    return getattr(settings, "IMPORT_MAX_CELL_LENGTH", MAX_CELL_LENGTH)


def max_cells() -> int:
    """The most cells one sheet may hand to an import, repeats counted (settings.IMPORT_MAX_CELLS)."""
    return getattr(settings, "IMPORT_MAX_CELLS", MAX_CELLS)


def too_many_cells_message(sheet: str, row: int, limit: int) -> Message:
    """The refusal of a sheet with more cells than the limit (`cells.TooManyCells`)."""
    return N_(
        "Sheet '%(sheet)s' holds more than %(limit)s cells by row %(row)s (empty cells between values and cells the file repeats count too), more than one import reads. Delete the rows and columns that are not to be imported, or split the sheet over several files."
    ) % {
        "sheet": sheet,
        "row": grouped(row),
        "limit": grouped(limit),
    }


def cell_too_long_message(row: int, column: int, limit: int) -> Message:
    """The refusal of a cell longer than the limit; `column` is 0-based."""
    return N_(
        "Row %(row)s, column %(column)s holds more than %(limit)s characters, more than a cell may hold. Shorten it and upload the file again."
    ) % {"row": row, "column": column_letter(column), "limit": grouped(limit)}


def file_format(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix in MACRO_SUFFIXES:
        raise ReadError(_macros_message(file_name))
    if suffix == BINARY_WORKBOOK:
        raise ReadError(
            N_(
                "'%(name)s' is an Excel binary workbook (.xlsb), which is not read. Save it as .xlsx (Excel workbook) and upload that file."
            )
            % {"name": file_name}
        )
    if suffix not in FORMATS:
        raise ReadError(
            N_("'%(name)s' is not a spreadsheet: upload an .xlsx, .xls, .ods or .csv file.") % {"name": file_name}
        )
    return FORMATS[suffix]


def open_table(
    path: str | Path,
    *,
    file_name: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    guess_header: bool = True,
) -> Table:
    """Open one sheet of a file at its header row (default: the first non-empty row, or the
    row of column names under a title or comment: in a CSV the first as wide as the rows
    under it, see `detect_layout`, in a sheet see `header_guess`; unless `guess_header` is
    false, when the guess is only kept in `Table.found_header_row`). Without a sheet, the
    first visible one with data. Raises ReadError with one clear sentence for every file it
    cannot use."""
    path = Path(path)
    name = file_name or path.name
    kind = file_format(name)
    try:
        size = path.stat().st_size
    except OSError:
        raise ReadError(N_("The file '%(name)s' cannot be found.") % {"name": name}) from None
    if size == 0:
        raise ReadError(N_("The file '%(name)s' is empty.") % {"name": name})
    if size > settings.IMPORT_MAX_FILE_SIZE:
        raise ReadError(
            N_("The file is %(size)s MB; at most %(max)s MB can be imported. Split it into smaller files.")
            % {"size": grouped(size // 2**20), "max": grouped(settings.IMPORT_MAX_FILE_SIZE // 2**20)}
        )
    readers = {"xlsx": _open_xlsx, "xls": _open_calamine, "ods": _open_ods, "csv": _open_csv}
    opened = readers[kind](path, name, sheet)
    guess = None
    try:
        if header_row is None:
            opened.rows, guess = _guessed(opened)
        headers, found_row, above = _find_header(opened.rows, header_row or (guess if guess_header else None))
        if headers is None and sheet is None and header_row is None:
            headers, found_row, above, guess = _first_sheet_with_data(opened, guess_header)
    except BaseException:
        opened.close()
        raise
    if headers is None:
        opened.close()
        if header_row:
            raise ReadError(
                N_("Row %(row)s of the sheet is empty: choose the row that holds the column names.")
                % {"row": header_row}
            )
        if sheet is None and len(_sheets_to_try(opened)) > 1:
            raise ReadError(N_("None of the sheets of '%(name)s' holds data.") % {"name": name})
        raise ReadError(N_("The sheet '%(sheet)s' holds no data.") % {"sheet": opened.sheet})
    return Table(
        headers=header_names(headers),
        header_row=found_row,
        sheet=opened.sheet,
        sheet_names=opened.sheet_names,
        epoch=opened.epoch,
        hidden_sheets=opened.hidden_sheets,
        encoding=opened.encoding,
        found_header_row=(guess or found_row) if header_row is None else None,
        above=above,
        _rows=opened.rows,
        _close=opened.close,
    )


def _guessed(opened: OpenedSheet, rows: Iterator[Row] | None = None) -> tuple[Iterator[Row], int | None]:
    """The rows again (the first ones looked at, then the rest) and the row that holds the
    column names when a title stands above them (None: the first non-empty row): a CSV's
    guess from its layout, a sheet's from its first rows (`header_guess`). A row that cannot
    be read is refused where it is reached, as it would be without the look ahead."""
    rows = opened.rows if rows is None else rows
    if opened.guesses_header:
        return rows, opened.header_row
    head: list[Row] = []
    fault: ReadError | None = None
    try:
        for row in rows:
            head.append(row)
            if len(head) >= HEADER_SCAN_ROWS:
                break
    except ReadError as error:
        fault = error

    def again() -> Iterator[Row]:
        yield from head
        if fault is not None:
            raise fault
        yield from rows

    return again(), header_guess(head)


def header_guess(rows: list[Row]) -> int | None:
    """The row of a sheet's first `rows` (non-empty, in order) that holds the column names
    when a title, a comment or a note stands above them; None when it is the first row (or
    nothing can be told).

    1. The body's width is the width most rows have (the wider among equals), at least 2 and
       had by at least two rows; a row's width counts up to its last value.
    2. The column names are on the first row at least that wide. When that row holds values
       (a number, a date), it is the first row of data, and the names are on the row above
       it if that one looks like names and is at most one column narrower (a last column
       without a name).
    3. Names look like names: at least two different texts, and no numbers or dates."""
    records = [(row.number, _cells_width(row.cells), row.cells) for row in rows]
    counts = collections.Counter(width for _number, width, _cells in records)
    if not counts:
        return None
    body, support = max(counts.items(), key=lambda item: (item[1], item[0]))
    if support < 2 or body < 2:
        return None
    first = next(index for index, (_number, width, _cells) in enumerate(records) if width >= body)
    if first > 0 and _holds_typed_values(records[first][2]):
        _number, width, cells = records[first - 1]
        if width >= max(2, body - 1) and looks_like_names(cells):
            first -= 1
    if first == 0 or not looks_like_names(records[first][2]):
        return None
    return records[first][0]


def looks_like_names(cells: tuple[Any, ...] | list[Any]) -> bool:
    """Whether a row reads as column names: two different texts at least, no values."""
    filled = [cell for cell in cells if not _blank(cell)]
    if _holds_typed_values(filled) or not all(isinstance(cell, str) for cell in filled):
        return False
    return len({" ".join(cell.split()).casefold() for cell in filled}) >= 2


def _holds_typed_values(cells: tuple[Any, ...] | list[Any]) -> bool:
    """Whether cells hold a number or a date, typed or as text (see `_holds_values`)."""
    return any(
        (isinstance(cell, str) and VALUE.fullmatch(cell.strip()))
        or not (cell is None or cell is UNCOMPUTED or isinstance(cell, str))
        for cell in cells
    )


def _cells_width(cells: tuple[Any, ...]) -> int:
    width = len(cells)
    while width and _blank(cells[width - 1]):
        width -= 1
    return width


def _sheets_to_try(opened: OpenedSheet) -> list[str]:
    """The sheets a default choice may fall on: the visible ones (all, when all are hidden)."""
    visible = [name for name in opened.sheet_names if name not in opened.hidden_sheets]
    return visible or list(opened.sheet_names)


def _first_sheet_with_data(
    opened: OpenedSheet, guess_header: bool = True
) -> tuple[list[Any] | None, int, list[Row], int | None]:
    """When the sheet chosen by default is empty: the first sheet after it that is not, made
    the chosen one (`opened` changes), its column names found as on any sheet. A workbook
    whose first sheet is a blank cover sheet is read, and the wizard offers its sheet step
    (there is more than one sheet)."""
    if opened.rows_of is None:
        return None, 0, [], None
    candidates = _sheets_to_try(opened)
    start = candidates.index(opened.sheet) + 1 if opened.sheet in candidates else 0
    for other in candidates[start:]:
        rows, guess = _guessed(opened, opened.rows_of(other))
        headers, found_row, above = _find_header(rows, guess if guess_header else None)
        if headers is not None:
            opened.rows, opened.sheet = rows, other
            return headers, found_row, above, guess
    return None, 0, [], None


def _find_header(source: Iterator[Row], header_row: int | None) -> tuple[list[Any] | None, int, list[Row]]:
    """The cells of the header row (the first non-empty one when none is given), its number,
    and the first non-empty rows above it (ABOVE_KEPT at most)."""
    above: list[Row] = []
    for row in source:
        if header_row and row.number < header_row:
            if len(above) < ABOVE_KEPT:
                above.append(row)
            continue
        if header_row and row.number > header_row:
            return None, header_row, above
        return list(row.cells), row.number, above
    return None, header_row or 0, above


def header_names(cells: list[Any]) -> list[str]:
    """Header texts, trimmed, without control characters. An empty one (a merged or blank
    cell, or a formula without its value) stays "": such a column has no name in any
    language, and is mapped by its letter, as a name given twice is. Blank cells after the
    last name are left out. A name longer than HEADER_MAX_LENGTH is cut short."""
    while cells and cells[-1] is not UNCOMPUTED and _blank(cells[-1]):
        cells = cells[:-1]
    headers: list[str] = []
    for cell in cells:
        text = "" if cell is UNCOMPUTED or _blank(cell) else " ".join(without_controls(str(cell)).split())
        if isinstance(cell, float) and cell.is_integer():
            text = str(int(cell))
        if len(text) > HEADER_MAX_LENGTH:
            text = text[: HEADER_MAX_LENGTH - 1] + "…"
        headers.append(text)
    return headers


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _non_empty(rows: Iterator[tuple[int, tuple[Any, ...]]], *, cleaned: bool = False) -> Iterator[Row]:
    """Rows, trimmed and without the empty ones (see `clean_rows`), as Row."""
    for number, cells in rows if cleaned else clean_rows(rows):
        yield Row(number, cells)


# --- .xlsx and .ods -----------------------------------------------------------------------


def check_zip(path: Path, name: str, damaged: str | Message | None = None) -> None:
    """Refuse a ZIP container that would unpack to too much before anything parses it;
    `damaged` is the message for a file that is no ZIP at all."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ReadError(
            damaged
            or N_(
                "'%(name)s' is not a valid Excel file (it may be damaged, password-protected or another format). Save it again as .xlsx."
            )
            % {"name": name}
        ) from None
    reason = unpacks_too_far(members, settings.IMPORT_ZIP_LIMITS)
    if reason == "ratio":
        raise ReadError(
            N_(
                "'%(name)s' is packed suspiciously tight, as a ZIP bomb is: open it in the spreadsheet program and save it again."
            )
            % {"name": name}
        )
    if reason:
        raise ReadError(
            N_(
                "'%(name)s' unpacks to more than this server accepts (too many parts or too many bytes). Save it again without embedded objects, or split it."
            )
            % {"name": name}
        )


def _open_xlsx(path: Path, name: str, sheet: str | None) -> OpenedSheet:
    return _open_zip_book(path, name, sheet, "xlsx")


def _open_ods(path: Path, name: str, sheet: str | None) -> OpenedSheet:
    return _open_zip_book(path, name, sheet, "ods")


def _open_zip_book(path: Path, name: str, sheet: str | None, kind: str) -> OpenedSheet:
    """The .xlsx and .ods path: encryption, the ZIP's limits, the book, the sheet, and whether
    a second process reads it (background.py)."""
    if kind == "xlsx":
        from spreadsheets.xlsx import XlsxMacros as Refused
        from spreadsheets.xlsx import open_book

        damaged = N_(
            "'%(name)s' is not a valid Excel file (it may be damaged or another format). Save it again as .xlsx."
        ) % {"name": name}
    else:
        from spreadsheets.ods import OdsEncrypted as Refused
        from spreadsheets.ods import open_book

        damaged = N_(
            "'%(name)s' is not a valid spreadsheet (it may be damaged or another format). Save it again as .xlsx."
        ) % {"name": name}
    if _is_encrypted_office_file(path):
        raise ReadError(_password_message(name))
    check_zip(path, name, None if kind == "xlsx" else damaged)
    try:
        book = open_book(path, limit := cell_limit(), max_cells())
    except CellTooLong as error:  # a shared string is only refused where a cell uses it
        raise ReadError(cell_too_long_message(error.row, error.column, error.limit)) from None
    except Refused:
        raise ReadError(_macros_message(name) if kind == "xlsx" else _password_message(name)) from None
    except Exception:
        raise ReadError(damaged) from None
    try:
        chosen = _pick_sheet(book.sheet_names, sheet, name, book.hidden_sheets)
    except ReadError:
        book.close()
        raise

    def rows(name: str):
        try:
            if book.sheet_size(name) >= BACKGROUND_READ_BYTES:
                yield from rows_in_background(path, name, kind, limit, book.max_cells)
            else:
                yield from clean_rows(book.rows(name))
        except CellTooLong as error:
            raise ReadError(cell_too_long_message(error.row, error.column, error.limit)) from None
        except TooManyCells as error:
            raise ReadError(too_many_cells_message(name, error.row, error.limit)) from None
        except Exception:
            raise ReadError(damaged) from None

    return OpenedSheet(
        sheet_names=book.sheet_names,
        sheet=chosen,
        rows=_non_empty(rows(chosen), cleaned=True),
        close=book.close,
        hidden_sheets=list(book.hidden_sheets),
        epoch=book.epoch,
        rows_of=lambda name: _non_empty(rows(name), cleaned=True),
    )


def _is_encrypted_office_file(path: Path) -> bool:
    """Password-protected Office files are OLE2 containers, not ZIPs."""
    with path.open("rb") as handle:
        return handle.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _password_message(name: str) -> Message:
    return N_("'%(name)s' is protected with a password. Remove the password and upload it again.") % {"name": name}


def _macros_message(name: str) -> Message:
    return N_(
        "'%(name)s' is a workbook with macros, which are not imported. Save it as .xlsx (Excel workbook) and upload that file."
    ) % {"name": name}


def _pick_sheet(names: list[str], sheet: str | None, file_name: str, hidden: Collection[str] = ()) -> str:
    """The sheet asked for (hidden or not), else the first visible one."""
    if not names:
        raise ReadError(N_("'%(name)s' has no sheets.") % {"name": file_name})
    if sheet is None:
        return next((name for name in names if name not in hidden), names[0])
    if sheet not in names:
        raise ReadError(
            N_("The file has no sheet '%(sheet)s'. Its sheets are: %(names)s.")
            % {"sheet": sheet, "names": ", ".join(names)}
        )
    return sheet


# --- .xls ----------------------------------------------------------------------------------


def _open_calamine(path: Path, name: str, sheet: str | None) -> OpenedSheet:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise ReadError(_password_message(name)) from None
    except Exception:
        raise ReadError(
            N_("'%(name)s' is not a valid spreadsheet (it may be damaged or another format). Save it again as .xlsx.")
            % {"name": name}
        ) from None
    names = list(workbook.sheet_names)
    hidden = [
        sheet.name for sheet in workbook.sheets_metadata if sheet.visible != python_calamine.SheetVisibleEnum.Visible
    ]
    try:
        chosen = _pick_sheet(names, sheet, name, hidden)
    except ReadError:
        workbook.close()
        raise

    limit, most = cell_limit(), max_cells()

    def rows(chosen: str):
        try:
            worksheet = workbook.get_sheet_by_name(chosen)
            start_column = (worksheet.start or (0, 0))[1]
            source = worksheet.iter_rows()
        except Exception:
            raise ReadError(N_("'%(name)s' could not be read.") % {"name": name}) from None
        # iter_rows starts at the sheet's first row, but at its first used column
        padding = (None,) * start_column
        cells_left = most
        for index, cells in enumerate(source):
            row = padding + tuple(None if cell == "" else cell for cell in cells)
            cells_left -= len(row)
            if cells_left < 0:
                raise ReadError(too_many_cells_message(chosen, index + 1, most))
            for column, cell in enumerate(row):  # python-calamine reads the whole sheet, an .xls
                if cell.__class__ is str and len(cell) > limit:  # is no larger than its file
                    raise ReadError(cell_too_long_message(index + 1, column, limit))
            yield index + 1, row

    return OpenedSheet(
        sheet_names=names,
        sheet=chosen,
        rows=_non_empty(rows(chosen)),
        close=workbook.close,
        hidden_sheets=hidden,
        rows_of=lambda other: _non_empty(rows(other)),
    )


# --- .csv ----------------------------------------------------------------------------------


def detect_delimiter(text: str) -> str:
    """The delimiter of a CSV whose first lines are `text` (see `detect_layout`)."""
    return detect_layout(text)[0]


def detect_layout(text: str, *, complete: bool = True) -> tuple[str, int | None]:
    """The delimiter among ; , tab and | and the record that holds the column names (None:
    the first non-empty one), from the first records of a CSV (`complete`: `text` is the
    whole file, else its last record may be cut off).

    The body decides, not the first line. Each delimiter splits the records into some number
    of cells; the body's width is the number most records have, and the delimiter that gives
    most records that width wins (then the wider, then the earlier in CSV_DELIMITERS). The
    column names are on the first record as wide as the body, so a title or a comment above
    them ("Export of 3 March", "# made by Profit, 2025") is left out; when that record holds
    values (a number, a date), it is the first row of data and the names are on the record
    just above it, narrower or wider than the body (a last column without a name)."""
    lines = _records(text, complete)
    best: tuple[int, int, int] | None = None
    chosen = ";"
    for rank, delimiter in enumerate(CSV_DELIMITERS):
        counts = collections.Counter(len(cells) for _number, cells in _split(lines, delimiter) if _filled(cells))
        if not counts:
            continue
        width, support = max(counts.items(), key=lambda item: (item[1], item[0]))
        if width < 2:
            continue
        score = (support, width, -rank)
        if best is None or score > best:
            best, chosen = score, delimiter
    if best is None:
        return ";", None
    records = [
        (number, _width(cells), cells)
        for number, cells in _split(lines, chosen)
        if _filled(cells) and not cells[0].startswith(COMMENT_STARTS)
    ]
    counts = collections.Counter(width for _number, width, _cells in records)
    body, support = max(counts.items(), key=lambda item: (item[1], item[0]))
    first = next((index for index, (_number, width, _cells) in enumerate(records) if width == body), None)
    top = next((number for number, cells in _split(lines, chosen) if _filled(cells)), None)
    if first is None or support < 2 or body < 2:
        return chosen, _names_below_title(records, top)  # no body to go by
    if _holds_values(records[first][2]) and first > 0:
        above = records[first - 1]
        if above[0] == records[first][0] - 1 and above[1] >= 2 and not _holds_values(above[2]):
            first -= 1
    if any(width >= body for _number, width, _cells in records[:first]):
        return chosen, _names_below_title(records, top)  # what is above is no title
    return chosen, (records[first][0] if records[first][0] != top else None)


def _names_below_title(records: list[tuple[int, int, list[str]]], top: int | None) -> int | None:
    """The record with the column names under a title of one cell ("Export klachten;;;;",
    as wide as the rows but with one text), when the body does not tell: the first record of
    at least two cells, most of them filled and distinct and none a number or a date. None
    when the first record is no such title or no names follow it."""
    if not records or records[0][0] != top or sum(1 for cell in records[0][2] if cell.strip()) != 1:
        return None
    for number, width, cells in records[1:TITLE_LINES]:
        texts = [cell.strip() for cell in cells[:width] if cell.strip()]
        if len(texts) < 2:
            continue  # another line of the title
        if _holds_values(cells) or len(texts) * 3 < width * 2 or len(set(texts)) * 5 < len(texts) * 4:
            return None  # a row of data, or no names
        return number
    return None


def _filled(cells: list[str]) -> bool:
    return any(map(str.strip, cells))


def _width(cells: list[str]) -> int:
    """Cells up to the last one that is not blank."""
    width = len(cells)
    while width and not cells[width - 1].strip():
        width -= 1
    return width


def _holds_values(cells: list[str]) -> bool:
    """Whether a record holds a number or a date, as rows of data do and column names seldom."""
    return any(VALUE.fullmatch(cell.strip()) for cell in cells)


def _records(text: str, complete: bool) -> list[str]:
    """The lines of `text` as the reader splits them, the last left out when it may be cut off."""
    lines = io.StringIO(text, newline="").readlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]
    return lines


def _split(lines: list[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(record number, cells) as the reader numbers them, for the first LAYOUT_RECORDS; a
    record the reader cannot read ends them (the open_table's reader names it)."""
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        yield from itertools.islice(enumerate(reader, start=1), LAYOUT_RECORDS)
    except csv.Error:
        return


def _unescape_formula(cell: str) -> str:
    """Undo the apostrophe our rejected-rows CSV puts before = + - @ (formula injection)."""
    if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return cell[1:]
    return cell


def _open_csv(path: Path, name: str, sheet: str | None) -> OpenedSheet:
    """1. The encoding and delimiter from the first 64 KB; a Windows-1252 file is scanned once
       for UTF-8 text (memchr-fast), a UTF-8 one fails to decode where another set starts.
    2. The csv reader reads the records; one that spans lines (a quoted line break, or a quote
       that never closes) is read again strictly from its lines (`_RawLines`), which only
       such records cost. An empty line after the file makes a quote left open on the last
       line span two lines too."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES + 4)  # four more: a character the sample's end cuts off
    complete = len(sample) < SAMPLE_BYTES + 4
    encoding = detect_encoding(sample, complete=complete)
    if encoding is None and b"\x00" in sample:
        raise ReadError(
            N_("'%(name)s' is not a text (CSV) file. Upload it as .xlsx or save it as CSV.") % {"name": name}
        )
    if encoding is None and (pages := possible_code_pages(sample)):
        raise ReadError(
            N_(
                "'%(name)s' is not written in UTF-8, and its character set cannot be told for sure: it may be %(code_pages)s. Read in the wrong one, letters with accents would change. Save it as CSV UTF-8 (Excel: Save As, CSV UTF-8; LibreOffice Calc: Save As, Text CSV, character set Unicode (UTF-8)) and upload it again."
            )
            % {"name": name, "code_pages": either(pages)}
        )
    if encoding is None:
        raise ReadError(
            N_(
                "'%(name)s' is not written in UTF-8 or Windows-1252 (West European), and its character set cannot be told for sure (Cyrillic and Greek can). Save it as CSV UTF-8 and upload it again."
            )
            % {"name": name}
        )
    text_sample = sample.decode(encoding, errors="ignore")
    delimiter, names_row = detect_layout(text_sample, complete=complete)
    if encoding in ("cp1252", *UTF8_LETTERS) and (utf8 := _utf8_text_offset(path, encoding)) is not None:
        raise ReadError(_mixed_message(name, path, encoding, delimiter, max(utf8, _undecodable_offset(path, "utf-8"))))
    handle = path.open("r", encoding=encoding, errors="strict", newline="")
    raw = _RawLines(path, encoding)

    limit = cell_limit()

    sheet_name = sheet or Path(name).stem
    most = max_cells()

    def rows():
        reader = csv.reader(itertools.chain(handle, ("\n",)), delimiter=delimiter)
        number = extra = 0  # the last record; the lines beyond one per record so far
        cells_left = most
        # the csv module's field limit is the cell limit (one per process: set while reading)
        previous = csv.field_size_limit(limit)
        try:
            for number, cells in enumerate(reader, start=1):  # a record is a row, even with quoted newlines
                if reader.line_num != number + extra:  # this record spans lines
                    _check_quotes(raw.lines(number + extra, reader.line_num), number, delimiter)
                    extra = reader.line_num - number
                cells_left -= len(cells)
                if cells_left < 0:
                    raise ReadError(too_many_cells_message(sheet_name, number, most))
                yield number, tuple(map(_unescape_formula, cells))
        except UnicodeDecodeError:
            if encoding.startswith("utf-16"):
                message = N_(
                    "'%(name)s' is not written in one character set (from row %(row)s on). Save it as CSV UTF-8 and upload it again."
                ) % {"name": name, "row": number + 1}
                raise ReadError(message) from None
            codec = "utf-8" if encoding.startswith("utf-8") else encoding
            raise ReadError(_mixed_message(name, path, encoding, delimiter, _undecodable_offset(path, codec))) from None
        except csv.Error as error:
            lines = raw.lines(number + extra + 1, reader.line_num)
            fields = _fields_of_line(lines[0] if lines else "", delimiter)
            if "field limit" in str(error):
                if len(lines) > 1 and any(unclosed for _length, unclosed in fields):
                    _check_quotes(lines, number + 1, delimiter)
                column = next((i for i, (length, _unclosed) in enumerate(fields) if length > limit), len(fields) - 1)
                raise ReadError(cell_too_long_message(number + 1, column, limit)) from None
            raise ReadError(
                N_("'%(name)s' row %(row)s cannot be read: %(error)s.")
                % {"name": name, "row": number + 1, "error": error}
            ) from None
        finally:
            csv.field_size_limit(previous)

    def close():
        handle.close()
        raw.close()

    return OpenedSheet(
        sheet_names=[sheet_name],
        sheet=sheet_name,
        rows=_non_empty(rows()),
        close=close,
        header_row=names_row,
        encoding=encoding,
        guesses_header=True,
    )


class _RawLines:
    """The file's lines once more, through a second handle that only moves forward: the text
    of a record that spans lines, to read it again strictly."""

    def __init__(self, path: Path, encoding: str):
        self.path, self.encoding = path, encoding
        self.handle = None
        self.position = 0  # lines read so far

    def lines(self, first: int, last: int) -> list[str]:
        """Lines first..last (1-based), fewer at the end of the file."""
        if self.handle is None:
            self.handle = self.path.open("r", encoding=self.encoding, errors="replace", newline="")
        if first - 1 > self.position:
            collections.deque(itertools.islice(self.handle, first - 1 - self.position), maxlen=0)
            self.position = first - 1
        lines = list(itertools.islice(self.handle, max(last - self.position, 0)))
        self.position += len(lines)
        return lines

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _check_quotes(lines: list[str], number: int, delimiter: str) -> None:
    """A record that spans lines is either a quoted cell with line breaks (fine) or a quote
    that never closes, which swallowed the rows after it (refused)."""
    try:
        collections.deque(csv.reader(lines, delimiter=delimiter, strict=True), maxlen=0)
    except csv.Error:
        fields = _fields_of_line(lines[0] if lines else "", delimiter)
        column = next((i for i, (_length, unclosed) in enumerate(fields) if unclosed), len(fields) - 1)
        raise ReadError(
            N_(
                'Row %(row)s, column %(column)s: a quote (") opens the cell but never closes, so the rows after it would be read into that cell. Close the quote or remove it, and upload the file again.'
            )
            % {"row": number, "column": column_letter(column)}
        ) from None


def _fields_of_line(line: str, delimiter: str) -> list[tuple[int, bool]]:
    """Per cell of one line: its length, and whether it opens a quote the line does not close;
    the csv module's rules, in Python: only for a line that went wrong."""
    fields: list[tuple[int, bool]] = []
    state, length = "start", 0
    for char in line.rstrip("\r\n"):
        if state == "start" and char == '"':
            state = "quoted"
        elif state in ("start", "field", "after quote") and char == delimiter:
            fields.append((length, False))
            state, length = "start", 0
        elif state == "quoted":
            if char == '"':
                state = "after quote"
            else:
                length += 1
        elif state == "after quote" and char == '"':
            state, length = "quoted", length + 1
        else:
            state, length = "field", length + 1
    fields.append((length, state == "quoted"))
    return fields


def _utf8_text_offset(path: Path, encoding: str = "cp1252") -> int | None:
    """Where a file read in a code page first holds UTF-8 text (see UTF8_LEADS and
    UTF8_LETTERS), if it does."""
    offset, tail = 0, b""
    letters = UTF8_LETTERS.get(encoding)
    with path.open("rb") as handle:
        while chunk := handle.read(SCAN_BYTES):
            data, base = tail + chunk, offset - len(tail)
            found = None
            if letters is not None:
                match = letters.search(data)
                found = match.start() if match else None
            elif not data.isascii():
                for lead in UTF8_LEADS:
                    size = 3 if lead == b"\xe2" else 2
                    start = data.find(lead)
                    while 0 <= start <= len(data) - size and (found is None or start < found):
                        if all(0x80 <= byte <= 0xBF for byte in data[start + 1 : start + size]):
                            found = start
                            break
                        start = data.find(lead, start + 1)
            if found is not None:
                return base + found
            offset += len(chunk)
            tail = data[-3:]
    return None


def _undecodable_offset(path: Path, codec: str) -> int:
    """The first byte of the file that `codec` cannot decode (the end when there is none)."""
    offset = 0
    with path.open("rb") as handle:
        for raw in handle:
            try:
                raw.decode(codec)
            except UnicodeDecodeError as error:
                return offset + error.start
            offset += len(raw)
    return offset


def either(encodings: list[str]) -> Message | str:
    """Code pages named as alternatives: "Windows-1250 (Central European) or Windows-1254
    (Turkish)", translated when shown."""
    names = [code_page_name(encoding) for encoding in encodings]
    if len(names) == 1:
        return names[0]
    listed = names[0]
    for name in names[1:-1]:
        listed = N_("%(first)s, %(second)s") % {"first": listed, "second": name}
    return N_("%(some)s or %(last)s") % {"some": listed, "last": names[-1]}


def _mixed_message(name: str, path: Path, encoding: str, delimiter: str, offset: int) -> Message:
    """The refusal of a file in two character sets, naming the row and column of `offset`."""
    row, cells = 0, []
    with path.open("rb") as handle:
        head = io.TextIOWrapper(
            io.BufferedReader(_Prefix(handle, offset)), encoding=encoding, errors="replace", newline=""
        )
        try:
            for record in csv.reader(head, delimiter=delimiter):
                row, cells = row + 1, record
        except csv.Error:
            pass
        handle.seek(max(offset - 1, 0))
        at_line_start = offset == 0 or handle.read(1) in (b"\n", b"\r")
    if at_line_start:
        row, column = row + 1, 0
    else:
        column = max(len(cells) - 1, 0)
    if encoding.startswith("utf-8") or encoding == "cp1252":
        return N_(
            "'%(name)s' mixes character sets (UTF-8 and Windows-1252), first in row %(row)s, column %(column)s. Save it as CSV UTF-8 and upload it again."
        ) % {"name": name, "row": row, "column": column_letter(column)}
    return N_(
        "'%(name)s' was read as %(encoding)s, but from row %(row)s, column %(column)s on it holds text in another character set. Save it as CSV UTF-8 and upload it again."
    ) % {"name": name, "row": row, "column": column_letter(column), "encoding": encoding_name(encoding)}


class _Prefix(io.RawIOBase):
    """The first `limit` bytes of a binary file."""

    def __init__(self, handle, limit: int):
        self.handle, self.left = handle, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.handle.read(min(len(buffer), self.left))
        buffer[: len(data)] = data
        self.left -= len(data)
        return len(data)


def sample(
    path: str | Path,
    *,
    file_name: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    size: int = 10,
) -> tuple[Table, list[Row]]:
    """The headers and the first rows, for the mapping step; never reads the whole file."""
    table = open_table(path, file_name=file_name, sheet=sheet, header_row=header_row)
    rows: list[Row] = []
    iterator = table.rows()
    try:
        for row in iterator:
            rows.append(row)
            if len(rows) >= size:
                break
    finally:
        iterator.close()
        table.close()
    return table, rows
