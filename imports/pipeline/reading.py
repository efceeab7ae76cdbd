"""Reading: a spreadsheet file -> headers + streamed rows with their spreadsheet row numbers.

    table = open_table(path, file_name="docs.xlsx")
    table.headers            # ["Relatienummer", "Onderwerp", ...], unique and never empty
    for row in table.rows(): # Row(number=2, cells=("10001", "CV", ...)); empty rows skipped
        ...

.xlsx and .ods stream through our own expat readers (xlsx.py, ods.py), so memory stays flat
for the largest sheet Excel or Calc allows; .xls goes through python-calamine, which reads
the whole sheet (an .xls holds at most 65,536 rows); .csv streams through the csv module
with its encoding and delimiter detected.
Cells keep their type (str, int, float, bool, date, datetime); parsing is ItemSpec's job.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.utils.translation import gettext as _

from imports.pipeline.attachments import unpacks_too_far
from imports.pipeline.background import rows_in_background
from imports.pipeline.xlsx import clean_rows

FORMATS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods", ".csv": "csv", ".txt": "csv"}
CSV_DELIMITERS = ";,\t"
SAMPLE_BYTES = 64 * 1024
# A sheet whose XML unpacks to more than this is parsed by a second process (background.py).
BACKGROUND_READ_BYTES = 16 * 2**20


class ReadError(Exception):
    """The file cannot be read; the message is one sentence for the user."""


class Row(NamedTuple):
    number: int  # as the spreadsheet program shows it (1-based)
    cells: tuple[Any, ...]


@dataclass
class Table:
    """One sheet of a file, positioned at its header row."""

    headers: list[str]
    header_row: int
    sheet: str
    sheet_names: list[str]
    epoch: int = 1900  # Excel's date system, for serial-number dates
    _rows: Iterator[Row] | None = field(default=None, repr=False)
    _close: Any = field(default=None, repr=False)

    def rows(self) -> Iterator[Row]:
        """The data rows under the header, empty ones skipped, cells padded to the headers."""
        width = len(self.headers)
        try:
            for row in self._rows or ():
                cells = row.cells[:width]
                if len(cells) < width:
                    cells = cells + (None,) * (width - len(cells))
                yield Row(row.number, cells)
        finally:
            self.close()

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


def file_format(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix not in FORMATS:
        raise ReadError(
            _("'%(name)s' is not a spreadsheet: upload an .xlsx, .xls, .ods or .csv file.") % {"name": file_name}
        )
    return FORMATS[suffix]


def open_table(
    path: str | Path,
    *,
    file_name: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
) -> Table:
    """Open one sheet of a file at its header row (default: the first non-empty row).
    Raises ReadError with one clear sentence for every file it cannot use."""
    path = Path(path)
    name = file_name or path.name
    kind = file_format(name)
    try:
        size = path.stat().st_size
    except OSError:
        raise ReadError(_("The file '%(name)s' cannot be found.") % {"name": name}) from None
    if size == 0:
        raise ReadError(_("The file '%(name)s' is empty.") % {"name": name})
    if size > settings.IMPORT_MAX_FILE_SIZE:
        raise ReadError(
            _("The file is %(size)s MB; at most %(max)s MB can be imported. Split it into smaller files.")
            % {"size": size // 2**20, "max": settings.IMPORT_MAX_FILE_SIZE // 2**20}
        )
    readers = {"xlsx": _open_xlsx, "xls": _open_calamine, "ods": _open_ods, "csv": _open_csv}
    sheet_names, source, epoch, close = readers[kind](path, name, sheet)
    try:
        headers, found_row = _find_header(source, header_row)
    except BaseException:
        if close:
            close()
        raise
    if headers is None:
        if close:
            close()
        if header_row:
            raise ReadError(
                _("Row %(row)s of the sheet is empty: choose the row that holds the column names.")
                % {"row": header_row}
            )
        raise ReadError(_("The sheet '%(sheet)s' holds no data.") % {"sheet": sheet or sheet_names[0]})
    return Table(
        headers=unique_headers(headers),
        header_row=found_row,
        sheet=sheet or sheet_names[0],
        sheet_names=sheet_names,
        epoch=epoch,
        _rows=source,
        _close=close,
    )


def _find_header(source: Iterator[Row], header_row: int | None) -> tuple[list[Any] | None, int]:
    for row in source:
        if header_row and row.number < header_row:
            continue
        if header_row and row.number > header_row:
            return None, header_row
        return list(row.cells), row.number
    return None, header_row or 0


def unique_headers(cells: list[Any]) -> list[str]:
    """Header texts, trimmed, without control characters, never empty: an empty one (a
    merged or blank cell, or a formula without its value) gets its column letter. A name
    given twice stays as it is: mapping.py tells the columns apart by their letters."""
    from dossier.values import without_controls
    from imports.pipeline.cells import UNCOMPUTED

    while cells and cells[-1] is not UNCOMPUTED and _blank(cells[-1]):
        cells = cells[:-1]
    headers: list[str] = []
    for index, cell in enumerate(cells):
        text = "" if cell is UNCOMPUTED or _blank(cell) else " ".join(without_controls(str(cell)).split())
        if isinstance(cell, float) and cell.is_integer():
            text = str(int(cell))
        headers.append(text or _("Column %(letter)s") % {"letter": column_letter(index)})
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


# --- .xlsx ---------------------------------------------------------------------------------


def check_zip(path: Path, name: str) -> None:
    """Refuse a ZIP container that would unpack to too much before anything parses it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ReadError(
            _(
                "'%(name)s' is not a valid Excel file (it may be damaged, password-protected or another format). Save it again as .xlsx."
            )
            % {"name": name}
        ) from None
    if unpacks_too_far(members, settings.IMPORT_ZIP_LIMITS):
        raise ReadError(
            _(
                "'%(name)s' unpacks to more than this server accepts (too many parts or too many bytes). Save it again without embedded objects, or split it."
            )
            % {"name": name}
        )


def _open_xlsx(path: Path, name: str, sheet: str | None):
    from imports.pipeline.xlsx import open_book, sheet_size

    if _is_encrypted_office_file(path):
        raise ReadError(
            _("'%(name)s' is protected with a password. Remove the password and upload it again.") % {"name": name}
        )
    check_zip(path, name)
    damaged = _(
        "'%(name)s' is not a valid Excel file (it may be damaged or another format). Save it again as .xlsx."
    ) % {"name": name}
    try:
        book = open_book(path)
    except Exception:
        raise ReadError(damaged) from None
    names = book.sheet_names
    chosen = _pick_sheet_of_book(book, sheet, name)
    background = sheet_size(book, chosen) >= BACKGROUND_READ_BYTES

    def rows():
        try:
            yield from rows_in_background(path, chosen, "xlsx") if background else clean_rows(book.rows(chosen))
        except Exception:
            raise ReadError(damaged) from None

    return names, _non_empty(rows(), cleaned=True), 1904 if book.date1904 else 1900, book.archive.close


def _is_encrypted_office_file(path: Path) -> bool:
    """Password-protected Office files are OLE2 containers, not ZIPs."""
    with path.open("rb") as handle:
        return handle.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _pick_sheet_of_book(book, sheet: str | None, file_name: str) -> str:
    """`_pick_sheet` for an opened .xlsx or .ods book, which is closed when that fails."""
    try:
        return _pick_sheet(book.sheet_names, sheet, file_name)
    except ReadError:
        book.archive.close()
        raise


def _pick_sheet(names: list[str], sheet: str | None, file_name: str) -> str:
    if not names:
        raise ReadError(_("'%(name)s' has no sheets.") % {"name": file_name})
    if sheet is None:
        return names[0]
    if sheet not in names:
        raise ReadError(
            _("The file has no sheet '%(sheet)s'. Its sheets are: %(names)s.")
            % {"sheet": sheet, "names": ", ".join(names)}
        )
    return sheet


# --- .ods ----------------------------------------------------------------------------------


def _open_ods(path: Path, name: str, sheet: str | None):
    from imports.pipeline.ods import OdsEncrypted, open_book

    damaged = _(
        "'%(name)s' is not a valid spreadsheet (it may be damaged or another format). Save it again as .xlsx."
    ) % {"name": name}
    if not zipfile.is_zipfile(path):
        raise ReadError(damaged)
    check_zip(path, name)
    try:
        book = open_book(path)
    except OdsEncrypted:
        raise ReadError(
            _("'%(name)s' is protected with a password. Remove the password and upload it again.") % {"name": name}
        ) from None
    except Exception:
        raise ReadError(damaged) from None
    names = book.sheet_names
    chosen = _pick_sheet_of_book(book, sheet, name)
    background = book.archive.getinfo("content.xml").file_size >= BACKGROUND_READ_BYTES

    def rows():
        try:
            yield from rows_in_background(path, chosen, "ods") if background else clean_rows(book.rows(chosen))
        except Exception:
            raise ReadError(damaged) from None

    return names, _non_empty(rows(), cleaned=True), 1900, book.archive.close


# --- .xls ----------------------------------------------------------------------------------


def _open_calamine(path: Path, name: str, sheet: str | None):
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise ReadError(
            _("'%(name)s' is protected with a password. Remove the password and upload it again.") % {"name": name}
        ) from None
    except Exception:
        raise ReadError(
            _("'%(name)s' is not a valid spreadsheet (it may be damaged or another format). Save it again as .xlsx.")
            % {"name": name}
        ) from None
    names = list(workbook.sheet_names)
    chosen = _pick_sheet(names, sheet, name)
    try:
        worksheet = workbook.get_sheet_by_name(chosen)
        start_column = (worksheet.start or (0, 0))[1]
        source = worksheet.iter_rows()
    except Exception:
        raise ReadError(_("'%(name)s' could not be read.") % {"name": name}) from None

    def rows():
        # iter_rows starts at the sheet's first row, but at its first used column
        padding = (None,) * start_column
        for index, cells in enumerate(source):
            yield index + 1, padding + tuple(None if cell == "" else cell for cell in cells)

    return names, _non_empty(rows()), 1900, workbook.close


# --- .csv ----------------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (by its BOM) or else Windows-1252."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 3:  # not just a character cut off by the sample's end
            return "cp1252"
    return "utf-8"


def detect_delimiter(text: str) -> str:
    """The delimiter among ; , and tab that splits the first lines most consistently."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ";"
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in CSV_DELIMITERS}
        return max(counts, key=counts.get) if any(counts.values()) else ";"


def _unescape_formula(cell: str) -> str:
    """Undo the apostrophe our rejected-rows CSV puts before = + - @ (formula injection)."""
    if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return cell[1:]
    return cell


def _open_csv(path: Path, name: str, sheet: str | None):
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadError(
            _("'%(name)s' is not a text (CSV) file. Upload it as .xlsx or save it as CSV.") % {"name": name}
        )
    encoding = detect_encoding(sample)
    text_sample = sample.decode(encoding, errors="ignore")
    delimiter = detect_delimiter(text_sample)
    handle = path.open("r", encoding=encoding, errors="strict", newline="")

    def rows():
        reader = csv.reader(handle, delimiter=delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):  # a record is a row, even with quoted newlines
                yield number, tuple(map(_unescape_formula, cells))
        except UnicodeDecodeError:
            raise ReadError(
                _("'%(name)s' mixes character sets after row %(row)s. Save it again as CSV UTF-8.")
                % {"name": name, "row": number}
            ) from None
        except csv.Error as error:
            raise ReadError(
                _("'%(name)s' row %(row)s cannot be read: %(error)s.") % {"name": name, "row": number, "error": error}
            ) from None

    return [sheet or Path(name).stem], _non_empty(rows()), 1900, handle.close


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
