"""A streaming .xlsx reader on expat: flat memory for the largest sheet Excel allows.

Measured by bench/import_bench.py on a 100,000-row, twelve-column sheet: python-calamine
reads it fastest but holds the whole sheet (memory grows with the file); openpyxl's read-only
mode streams but is the slowest; this reader streams at several times openpyxl's speed.

Only what an import needs is read: sheet names, the date system, shared strings, which cell
styles are dates, and the cells' cached values (formulas are never evaluated). Like
defusedxml, the parser refuses DTDs and entity declarations, so no entity expansion or
external reference can happen.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden

CHUNK = 1 << 16
BUILTIN_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}
DATE_TOKENS = re.compile(r"[dmyhs]", re.IGNORECASE)
QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
EPOCHS = {False: dt.datetime(1899, 12, 30), True: dt.datetime(1904, 1, 1)}


class XlsxError(Exception):
    pass


def _parser(namespaces: bool = False) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" " if namespaces else None)
    parser.buffer_text = True

    def forbid_dtd(name, sysid, pubid, has_internal_subset):
        raise DTDForbidden(name, sysid, pubid)

    def forbid_entity(name, *args):
        raise EntitiesForbidden(name, None, None, None, None, None)

    parser.StartDoctypeDeclHandler = forbid_dtd
    parser.EntityDeclHandler = forbid_entity
    parser.UnparsedEntityDeclHandler = forbid_entity
    parser.ExternalEntityRefHandler = lambda *args: False
    return parser


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1].rsplit(" ", 1)[-1]


def _parse_whole(stream: IO[bytes], start=None, end=None, chars=None) -> None:
    parser = _parser()
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if chars:
        parser.CharacterDataHandler = chars
    while chunk := stream.read(CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


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


class XlsxBook:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.sheets: dict[str, str] = {}  # name -> member path
        self.date1904 = False
        self.shared_strings: list[str] = []
        self.date_styles: set[int] = set()
        self._read_workbook()
        self._read_shared_strings()
        self._read_styles()

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def _member(self, path: str) -> IO[bytes] | None:
        try:
            return self.archive.open(path)
        except KeyError:
            return None

    def _read_workbook(self) -> None:
        targets: dict[str, str] = {}

        def relation(name, attrs):
            if _local(name) == "Relationship":
                targets[attrs.get("Id", "")] = attrs.get("Target", "")

        rels = self._member("xl/_rels/workbook.xml.rels")
        if rels is None:
            raise XlsxError("no workbook relations")
        with rels:
            _parse_whole(rels, start=relation)
        sheets: list[tuple[str, str]] = []

        def workbook(name, attrs):
            local = _local(name)
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                sheets.append((attrs.get("name", ""), rid))
            elif local == "workbookPr":
                self.date1904 = attrs.get("date1904", "0") in ("1", "true")

        book = self._member("xl/workbook.xml")
        if book is None:
            raise XlsxError("no workbook")
        with book:
            _parse_whole(book, start=workbook)
        for name, rid in sheets:
            target = targets.get(rid, "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            self.sheets[name] = path

    def _read_shared_strings(self) -> None:
        stream = self._member("xl/sharedStrings.xml")
        if stream is None:
            return
        strings = self.shared_strings
        state = {"parts": None, "in_text": False, "skip": 0}

        def start(name, attrs):
            local = _local(name)
            if local == "si":
                state["parts"] = []
            elif local == "rPh":
                state["skip"] += 1  # phonetic guides are not part of the text
            elif local == "t" and not state["skip"]:
                state["in_text"] = True

        def end(name):
            local = _local(name)
            if local == "si":
                strings.append("".join(state["parts"]))
            elif local == "rPh":
                state["skip"] -= 1
            elif local == "t":
                state["in_text"] = False

        def chars(data):
            if state["in_text"]:
                state["parts"].append(data)

        with stream:
            _parse_whole(stream, start, end, chars)

    def _read_styles(self) -> None:
        stream = self._member("xl/styles.xml")
        if stream is None:
            return
        custom: dict[int, str] = {}
        formats: list[int] = []
        state = {"in_xfs": False}

        def start(name, attrs):
            local = _local(name)
            if local == "numFmt":
                custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
            elif local == "cellXfs":
                state["in_xfs"] = True
            elif local == "xf" and state["in_xfs"]:
                formats.append(int(attrs.get("numFmtId", "0")))

        def end(name):
            if _local(name) == "cellXfs":
                state["in_xfs"] = False

        with stream:
            _parse_whole(stream, start, end)
        for index, format_id in enumerate(formats):
            if format_id in BUILTIN_DATE_FORMATS or (format_id in custom and _is_date_format(custom[format_id])):
                self.date_styles.add(index)

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, cells) for every row the sheet stores, in order."""
        stream = self._member(self.sheets[sheet])
        if stream is None:
            raise XlsxError(f"sheet {sheet} is missing")
        parser = _parser()
        ready: list[tuple[int, tuple[Any, ...]]] = []
        strings, date_styles, epoch = self.shared_strings, self.date_styles, EPOCHS[self.date1904]
        elements: dict[str, str] = {}  # tag as written (perhaps with a prefix) -> the local name, or ""
        row_number, cells, next_column = 0, {}, 0
        column, kind, style, text = 0, "n", None, None
        columns: dict[str, int] = {}  # column letters -> index

        def element(name: str) -> str:
            local = elements[name] = _local(name) if _local(name) in ("c", "v", "t", "row") else ""
            return local

        def start(name, attrs):
            nonlocal row_number, cells, next_column, column, kind, style, text
            local = elements[name] if name in elements else element(name)
            if local == "c":
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
            elif local == "v" or local == "t":
                if text is None:  # rich text: several runs make one value
                    text = []
            elif local == "row":
                reference = attrs.get("r")
                row_number = int(reference) if reference else row_number + 1
                cells = {}
                next_column = 0

        def end(name):
            nonlocal next_column, text
            local = elements[name] if name in elements else element(name)
            if local == "c":
                if text is not None:
                    value = text[0] if len(text) == 1 else "".join(text)
                    if kind == "s":
                        cells[column] = strings[int(value)]
                    elif kind == "inlineStr" or kind == "str":
                        cells[column] = value
                    else:
                        cells[column] = _value(kind, value, int(style or 0), date_styles, epoch)
                next_column = column + 1
            elif local == "row":
                if cells:
                    width = max(cells) + 1
                    ready.append((row_number, tuple([cells.get(i) for i in range(width)])))
                text = None

        def chars(data):
            if text is not None:
                text.append(data)

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars
        with stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
                if ready:
                    yield from ready
                    ready.clear()
            parser.Parse(b"", True)
        yield from ready


def _value(kind: str, text: str, style: int, date_styles: set[int], epoch: dt.datetime) -> Any:
    """A cell that is not text: a boolean, an error, an ISO date or a number (perhaps a date)."""
    if kind == "b":
        return text == "1"
    if kind == "e":
        return None  # #N/A, #REF!: no value
    if kind == "d":
        return dt.datetime.fromisoformat(text)
    if not text:
        return None
    if style in date_styles:
        return epoch + dt.timedelta(milliseconds=round(float(text) * 86_400_000))  # Excel keeps milliseconds
    if "." in text or "E" in text or "e" in text:
        number = float(text)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return int(text)


def clean_rows(rows: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Text cells trimmed (blank text becomes None), empty rows left out. Used for every
    file format (reading.py), and by the second process of background.py so the first need not."""
    for number, cells in rows:
        cleaned = tuple([(cell.strip() or None) if cell.__class__ is str else cell for cell in cells])
        if cleaned.count(None) != len(cleaned):
            yield number, cleaned


def _is_date_format(code: str) -> bool:
    bare = QUOTED_OR_ESCAPED.sub("", code).split(";")[0]
    return bool(DATE_TOKENS.search(bare)) and "General" not in bare


def open_book(path) -> XlsxBook:
    archive = zipfile.ZipFile(path)
    try:
        return XlsxBook(archive)
    except Exception:
        archive.close()
        raise


def sheet_size(book: XlsxBook, sheet: str) -> int:
    """Bytes of the sheet's XML, unpacked: how much work reading it is."""
    try:
        return book.archive.getinfo(book.sheets[sheet]).file_size
    except KeyError:
        return 0
