"""A streaming .xlsx reader on expat: flat memory for the largest sheet Excel allows.

Measured by bench/import_bench.py on a 100,000-row, twelve-column sheet: python-calamine
reads it fastest but holds the whole sheet (memory grows with the file); openpyxl's read-only
mode streams but is the slowest; this reader streams at several times openpyxl's speed.

Only what an import needs is read: sheet names and which are hidden, the date system, shared
strings, which cell styles are dates or durations, and the cells' cached values (formulas are
never evaluated; one stored without its value is UNCOMPUTED). The package is found through its
relationships where it has them (Strict OOXML and other paths included) and at the usual
places where a small generator left them out; element names are matched without their prefix
(`x:c` is `c`). Values are what python-calamine gives (tests/imports/test_reader_corpus.py).
A workbook with macros is refused (XlsxMacros). The parser refuses DTDs and entity
declarations, as defusedxml does (xmlparts.py).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from spreadsheets.cells import MAX_CELL_LENGTH, UNCOMPUTED, CellTooLong, TooManyCells
from spreadsheets.xmlparts import (
    BYTES_PER_CHARACTER,
    CHUNK,
    Done,
    local,
    make_parser,
    member_info,
    open_member,
    parse_whole,
    tag_run,
)

BUILTIN_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}
DATE_TOKENS = re.compile(r"[dmyhs]", re.IGNORECASE)
QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)  # [h]:mm: a duration, not a time of day
EPOCHS = {False: dt.datetime(1899, 12, 30), True: dt.datetime(1904, 1, 1)}
LAST_SERIAL = 2958466  # 9999-12-31 in the 1900 system
ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
SURROGATE = re.compile("[\ud800-\udfff]")


class XlsxError(Exception):
    pass


class XlsxMacros(XlsxError):
    """The workbook holds macros (VBA)."""


RELATIONSHIP_DOCUMENT = "/officeDocument"
MACRO_CONTENT_TYPE = "macroEnabled.main+xml"  # application/vnd.ms-excel.sheet.macroEnabled.main+xml, and the template's


class _NoValue(tuple):
    """The text of a formula cell before its <v>: a formula that never got a value."""


class _FormulaText(list):
    """The text of a formula cell's <v>."""


NO_VALUE = _NoValue()


class _TooLong(str):
    """A shared string longer than the cell limit, kept as this marker instead of its text: a
    cell that uses it is refused with its row and column (CellTooLong)."""


TOO_LONG = _TooLong()


def column_index(reference: str) -> int:
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            index = index * 26 + ord(char) - 96
        else:
            break
    return index - 1


def unescape(text: str) -> str:
    """Excel's _xHHHH_ escapes decoded (_x000D_ is a carriage return, _x005F_ an underscore).
    Called only for a text that holds "_x"."""
    text = ESCAPE.sub(_escaped, text)
    if SURROGATE.search(text):  # a character outside the BMP, written as two escapes
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _escaped(match: re.Match) -> str:
    return chr(int(match.group(1), 16))


class XlsxBook:
    """An opened .xlsx: its sheets (name -> member), which are hidden, the date system,
    shared strings and which cell styles are dates. `rows(sheet)` streams one sheet."""

    def __init__(self, archive: zipfile.ZipFile, cell_limit: int = MAX_CELL_LENGTH, max_cells: int | None = None):
        self.archive = archive
        self.cell_limit = cell_limit  # the most characters a cell may hold (CellTooLong)
        self.max_cells = max_cells  # the most cells a sheet may yield, rows as wide as their last value
        self.sheets: dict[str, str] = {}  # name -> member path
        self.hidden_sheets: list[str] = []
        self.date1904 = False
        self.shared_strings: list[str] = []
        self.date_styles: set[int] = set()
        self.duration_styles: set[int] = set()
        self.content_types: dict[str, str] = {}  # the last word of a part's content type -> its name
        if self._has_macros():
            raise XlsxMacros("the workbook holds macros")
        parts = self._read_workbook(self._workbook_path())
        self._read_shared_strings(parts["sharedStrings"])
        self._read_styles(parts["styles"])

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    @property
    def epoch(self) -> int:
        return 1904 if self.date1904 else 1900

    def sheet_size(self, sheet: str) -> int:
        """Bytes of the sheet's XML, unpacked: how much work reading it is."""
        info = member_info(self.archive, self.sheets.get(sheet, ""))
        return 0 if info is None else info.file_size

    def close(self) -> None:
        self.archive.close()

    def _member(self, path: str) -> IO[bytes] | None:
        return open_member(self.archive, path)

    def _has_macros(self) -> bool:
        if any(name.lower().endswith("vbaproject.bin") for name in self.archive.namelist()):
            return True
        types = self._member("[Content_Types].xml")
        if types is None:
            return False
        found: list[str] = []
        overrides = self.content_types

        def start(name, attrs):
            kind = attrs.get("ContentType", "")
            if MACRO_CONTENT_TYPE in kind:
                found.append(name)
                raise Done
            if local(name) == "Override" and (part := attrs.get("PartName")):
                # application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml
                overrides.setdefault(kind.rsplit(".", 1)[-1].split("+", 1)[0], part.replace("\\", "/").lstrip("/"))

        with types:
            parse_whole(types, start=start)
        return bool(found)

    def _relations(self, path: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id -> (type's last word, target member); empty when the
        package has no such file (small generators leave them out)."""
        folder, base = posixpath.split(path)
        stream = self._member(posixpath.join(folder, "_rels", base + ".rels"))
        found: dict[str, tuple[str, str]] = {}
        if stream is None:
            return found

        def start(name, attrs):
            if local(name) == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                if target.startswith("/"):
                    target = target.lstrip("/")
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
                found[attrs.get("Id", "")] = (attrs.get("Type", "").rsplit("/", 1)[-1], target)

        with stream:
            parse_whole(stream, start=start)
        return found

    def _workbook_path(self) -> str:
        for kind, target in self._relations("").values():
            if kind == RELATIONSHIP_DOCUMENT[1:] and target:
                return target
        return self.content_types.get("main") or "xl/workbook.xml"

    def _read_workbook(self, path: str) -> dict[str, str]:
        """Reads the sheets and the date system; returns where the shared strings and the
        styles are."""
        relations = self._relations(path)
        folder = posixpath.dirname(path)
        # where the relationships do not say, [Content_Types].xml does, else the usual place
        parts = {
            kind: self.content_types.get(kind) or posixpath.join(folder, f"{kind}.xml")
            for kind in ("sharedStrings", "styles")
        }
        for kind, target in relations.values():
            if kind in parts:
                parts[kind] = target
        sheets: list[tuple[str, str, str]] = []
        # Only the workbook's own workbookPr (a child of the root, in the root's namespace)
        # says which date system it uses: Excel also writes an x15ac or x14 workbookPr inside
        # extLst, whose attributes mean something else.
        scopes: list[dict[str, str]] = []  # per open element: its namespace declarations
        root: list[str | None] = []  # the root element's namespace
        found_properties = False

        def namespace(name: str, attrs: dict[str, str]) -> str | None:
            prefix = name.rsplit(":", 1)[0] if ":" in name else ""
            key = f"xmlns:{prefix}" if prefix else "xmlns"
            if key in attrs:
                return attrs[key]
            return next((scope[key] for scope in reversed(scopes) if key in scope), None)

        def workbook(name, attrs):
            nonlocal found_properties
            tag = local(name)
            depth = len(scopes)
            scopes.append({k: v for k, v in attrs.items() if k == "xmlns" or k.startswith("xmlns:")})
            if depth == 0:
                root.append(namespace(name, attrs))
            elif tag == "sheet":
                rid = next((v for k, v in attrs.items() if local(k) == "id"), "")
                sheets.append((attrs.get("name", ""), rid, attrs.get("state", "visible")))
            elif tag == "workbookPr" and depth == 1 and not found_properties and namespace(name, attrs) == root[0]:
                found_properties = True
                self.date1904 = attrs.get("date1904", "0").strip().lower() in ("1", "true")

        def workbook_end(name):
            scopes.pop()

        book = self._member(path)
        if book is None:
            raise XlsxError("no workbook")
        with book:
            parse_whole(book, start=workbook, end=workbook_end)
        for position, (name, rid, state) in enumerate(sheets, start=1):
            kind, target = relations.get(rid, ("", ""))
            # without relationships, the sheets are where every generator puts them
            self.sheets[name] = target or posixpath.join(folder, "worksheets", f"sheet{position}.xml")
            if state in ("hidden", "veryHidden"):
                self.hidden_sheets.append(name)
        return parts

    def _read_shared_strings(self, path: str) -> None:
        stream = self._member(path)
        if stream is None:
            return
        strings = self.shared_strings
        limit = self.cell_limit
        state = {"parts": None, "in_text": False, "skip": 0, "length": 0}

        def start(name, attrs):
            tag = local(name)
            if tag == "si":
                state["parts"] = []
                state["length"] = 0
            elif tag == "rPh":
                state["skip"] += 1  # phonetic guides are not part of the text
            elif tag == "t" and not state["skip"]:
                state["in_text"] = True

        def end(name):
            tag = local(name)
            if tag == "si":
                if state["length"] > limit:
                    strings.append(TOO_LONG)
                    return
                text = "".join(state["parts"])
                strings.append(unescape(text) if "_x" in text else text)
            elif tag == "rPh":
                state["skip"] -= 1
            elif tag == "t":
                state["in_text"] = False

        def chars(data):
            if state["in_text"]:
                length = state["length"] = state["length"] + len(data)
                if length <= limit:
                    state["parts"].append(data)
                elif state["parts"]:
                    state["parts"] = []  # past the limit: what was collected goes, nothing more comes

        with stream:
            parse_whole(stream, start, end, chars)

    def _read_styles(self, path: str) -> None:
        stream = self._member(path)
        if stream is None:
            return
        custom: dict[int, str] = {}
        formats: list[int] = []
        state = {"in_xfs": False}

        def start(name, attrs):
            tag = local(name)
            if tag == "numFmt":
                custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
            elif tag == "cellXfs":
                state["in_xfs"] = True
            elif tag == "xf" and state["in_xfs"]:
                formats.append(int(attrs.get("numFmtId", "0")))

        def end(name):
            if local(name) == "cellXfs":
                state["in_xfs"] = False

        with stream:
            parse_whole(stream, start, end)
        for index, format_id in enumerate(formats):
            code = custom.get(format_id)
            if format_id in BUILTIN_DATE_FORMATS or (code is not None and _is_date_format(code)):
                self.date_styles.add(index)
                if format_id == 46 or (code is not None and ELAPSED.search(code)):
                    self.duration_styles.add(index)

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, cells) for every row the sheet stores, in order.

        The text of a cell is collected only inside its <v> or <t> (not in phonetic runs);
        a formula (<f>) whose <v> is missing or empty is UNCOMPUTED. A cell whose text (its own
        or the shared string it uses) passes `cell_limit` characters raises CellTooLong as
        soon as it does."""
        stream = self._member(self.sheets[sheet])
        if stream is None:
            raise XlsxError(f"sheet {sheet} is missing")
        parser = make_parser()
        ready: list[tuple[int, tuple[Any, ...]]] = []
        strings, epoch = self.shared_strings, EPOCHS[self.date1904]
        date_styles, duration_styles = self.date_styles, self.duration_styles
        elements: dict[str, str] = {}  # tag as written (perhaps with a prefix) -> the local name, or ""
        ends: dict[str, str] = {}  # the same for end tags, where <v> and <t> are both "text"
        row_number, cells, next_column = 0, {}, 0
        column, kind, style, text = 0, "n", None, None
        limit, length = self.cell_limit, 0  # length: characters of the cell's text so far
        collecting = False  # inside a <v> or <t> of the cell's text
        phonetic = 0  # nesting inside <rPh>
        columns: dict[str, int] = {}  # column letters -> index
        max_cells = self.max_cells
        cells_left = max_cells if max_cells is not None else -1  # -1: no limit

        def element(name: str) -> str:
            tag = local(name)
            tag = elements[name] = tag if tag in ("c", "v", "t", "row", "f", "rPh") else ""
            return tag

        def end_element(name: str) -> str:
            tag = element(name)
            tag = ends[name] = "text" if tag in ("v", "t") else tag  # both end the cell's text
            return tag

        def start(name, attrs):
            nonlocal row_number, cells, next_column, column, kind, style, text, collecting, phonetic, length
            tag = elements[name] if name in elements else element(name)
            if tag == "c":
                reference = attrs.get("r")
                if reference:
                    letters = reference.rstrip("0123456789")
                    column = (
                        columns[letters] if letters in columns else columns.setdefault(letters, column_index(letters))
                    )
                else:
                    column = next_column
                kind = attrs.get("t", "n")
                style = attrs.get("s")
                text = None
                length = 0
            elif tag == "v":
                if text is None:
                    text = []
                elif text is NO_VALUE:
                    text = _FormulaText()
                collecting = True
            elif tag == "t":
                if text is None:  # rich text: several runs make one value
                    text = []
                elif text is NO_VALUE:
                    text = _FormulaText()
                collecting = not phonetic
            elif tag == "row":
                reference = attrs.get("r")
                row_number = int(reference) if reference else row_number + 1
                cells = {}
                next_column = 0
            elif tag == "f":
                if text is None:
                    text = NO_VALUE
            elif tag == "rPh":
                phonetic += 1

        def end(name):
            nonlocal next_column, text, collecting, phonetic, cells_left
            tag = ends[name] if name in ends else end_element(name)
            if tag == "c":
                if text is not None:
                    value = text[0] if len(text) == 1 else "".join(text)
                    if value:
                        if kind == "s":
                            shared = cells[column] = strings[int(value)]
                            if shared is TOO_LONG:
                                raise CellTooLong(row_number, column, limit)
                        elif kind == "inlineStr" or kind == "str":
                            cells[column] = value if "_x" not in value else unescape(value)
                        else:
                            cells[column] = _value(kind, value, int(style or 0), date_styles, duration_styles, epoch)
                    elif text.__class__ is not list and (text is NO_VALUE or kind != "str"):
                        cells[column] = UNCOMPUTED  # an empty text result is written as t="str"
                next_column = column + 1
            elif tag == "text":
                collecting = False
            elif tag == "row":
                if cells:
                    width = max(cells) + 1
                    if max_cells is not None:  # counted before the row is built: a far cell makes it wide
                        cells_left -= width
                        if cells_left < 0:
                            raise TooManyCells(row_number, max_cells)
                    if width == len(cells):  # every column written: the common case
                        ready.append((row_number, tuple([cells[i] for i in range(width)])))
                    else:  # a sparse row: the empty cells made at C speed
                        values = [None] * width
                        for index, value in cells.items():
                            values[index] = value
                        ready.append((row_number, tuple(values)))
                text = None
            elif tag == "rPh":
                phonetic -= 1

        def chars(data):
            nonlocal length
            if collecting:
                length += len(data)
                if length > limit:
                    raise CellTooLong(row_number, column, limit)
                text.append(data)

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars
        longest, run = limit * BYTES_PER_CHARACTER + CHUNK, 0
        with stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
                if ready:
                    yield from ready
                    ready.clear()
                run = tag_run(run, chunk)
                if run > longest:  # one tag (an attribute) longer than a cell may be: never held whole
                    raise CellTooLong(row_number, next_column, limit)
            parser.Parse(b"", True)
        yield from ready


def _value(
    kind: str, text: str, style: int, date_styles: set[int], duration_styles: set[int], epoch: dt.datetime
) -> Any:
    """A cell that is not text: a boolean, an error, an ISO date or a number (perhaps a date),
    as python-calamine gives it: a date-styled number is a date (whole days), a time of day
    (under one day), a timedelta (a duration format such as [h]:mm) or a datetime."""
    if kind == "b":
        return text == "1"
    if kind == "e":
        return None  # #N/A, #REF!: no value
    if kind == "d":
        return _iso(text)
    if style in date_styles:
        serial = float(text)
        if 61 <= serial < LAST_SERIAL and style not in duration_styles:  # the common case first
            moment = epoch + dt.timedelta(milliseconds=round(serial * 86_400_000))  # Excel keeps milliseconds
            return moment if serial % 1 else moment.date()
        if style in duration_styles:
            return dt.timedelta(milliseconds=round(serial * 86_400_000))
        if -LAST_SERIAL < serial < 61:
            if serial < 1:
                return (epoch + dt.timedelta(milliseconds=round(serial * 86_400_000))).time()
            if serial < 60 and epoch.year == 1899:
                serial += 1  # Excel counts a 29 February 1900 that never was
            moment = epoch + dt.timedelta(milliseconds=round(serial * 86_400_000))
            return moment if serial % 1 else moment.date()
        return serial
    if "." in text or "E" in text or "e" in text:
        number = float(text)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return int(text)


def _iso(text: str) -> Any:
    """An ISO date (t="d"): a date, a time of day or a naive datetime; anything else (a time
    zone) stays text, as in python-calamine."""
    try:
        if "T" in text:
            moment = dt.datetime.fromisoformat(text)
            return text if moment.tzinfo else moment
        if ":" in text:
            return dt.time.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def _is_date_format(code: str) -> bool:
    bare = QUOTED_OR_ESCAPED.sub("", code).split(";")[0]
    return bool(ELAPSED.search(code.split(";")[0])) or (bool(DATE_TOKENS.search(bare)) and "General" not in bare)


def open_book(path, cell_limit: int = MAX_CELL_LENGTH, max_cells: int | None = None) -> XlsxBook:
    archive = zipfile.ZipFile(path)
    try:
        return XlsxBook(archive, cell_limit, max_cells)
    except Exception:
        archive.close()
        raise
