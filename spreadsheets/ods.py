"""A streaming .ods reader on expat: flat memory for the largest sheet Calc allows.

An .ods is a ZIP whose `content.xml` holds every sheet, one `table:table` after another.
Reading one sheet takes two passes over that member:

1. The sheet names: a byte scan for the `table:table` tags (an expat pass calls Python for
   every element and takes ten times as long). It is only trusted for a plain file: UTF-8,
   the namespaces declared once on the root, no comments, CDATA sections or processing
   instructions that could hide a tag. Anything else gets a full expat pass instead.
2. The rows of the chosen sheet, parsed by expat and yielded per chunk; parsing stops where
   that sheet ends. Repeated rows and cells are not expanded until they hold a value, so
   the million empty rows and thousands of empty columns Calc writes at the end cost nothing.

Cells come back as python-calamine returned them: numbers as float, dates as date or
datetime, times of day as time, booleans as bool, text as str, empty cells as None. Where
calamine was wrong this reader is not: a cell hidden by a merge and an error cell (#DIV/0!)
are empty, tabs and line breaks inside a text stay, comments stay out; a formula cell stored
without a value or text is UNCOMPUTED. A sheet whose table style says table:display="false"
is hidden (`hidden_sheets`). Like defusedxml, the parser refuses DTDs and entity declarations
(xmlparts.py).
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from spreadsheets.cells import MAX_CELL_LENGTH, UNCOMPUTED, CellTooLong, TooManyCells
from spreadsheets.xmlparts import BYTES_PER_CHARACTER, CHUNK, Done, make_parser, open_member, parse_whole, tag_run

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_SPACES_PER_ROW = 1 << 20  # what <text:s text:c="..."/> may add to one row: no amplification
SCAN_TAG_BYTES = 1 << 20  # a table tag longer than this is no table tag

NAMESPACES = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
}
ENCRYPTION_DATA = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0 encryption-data"
SPREADSHEET_TYPES = {
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.spreadsheet-template",
}
XML_ENCODING = re.compile(rb"""\A<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
TAG_REST = re.compile(rb"""(?:[^>"']|"[^"]*"|'[^']*')*>""")
REDECLARATION = re.compile(rb"\sxmlns[:=\s]")
DURATION = re.compile(r"PT?(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?")
NUMBER_TYPES = frozenset({"float", "percentage", "currency"})
UNDECLARED = "\0:"  # the prefix of a namespace the file does not declare: no name has it
TEXT = object()  # a cell whose value is its text


class OdsError(Exception):
    pass


class OdsEncrypted(OdsError):
    pass


@dataclass(frozen=True)
class _Names:
    """Element and attribute names as expat reports them: 'table:table-cell' for a plain
    file (namespaces off, the root's prefixes), '<uri> table-cell' for any other."""

    prefixes: dict[str, str]
    qualified: bool

    def __call__(self, space: str, local: str) -> str:
        return self.prefixes[space] + local

    @classmethod
    def plain(cls, declared: dict[str, str]) -> _Names:
        return cls(
            {space: declared[uri] + ":" if uri in declared else UNDECLARED for space, uri in NAMESPACES.items()},
            qualified=False,
        )

    @classmethod
    def full(cls) -> _Names:
        return cls({space: uri + " " for space, uri in NAMESPACES.items()}, qualified=True)


class OdsBook:
    def __init__(self, archive: zipfile.ZipFile, cell_limit: int = MAX_CELL_LENGTH, max_cells: int | None = None):
        self.archive = archive
        self.cell_limit = cell_limit  # the most characters a cell may hold (CellTooLong)
        self.max_cells = max_cells  # the most cells a sheet may yield, repeats counted (TooManyCells)
        if self._encrypted():
            raise OdsEncrypted("the document is encrypted")
        self._check_mimetype()
        self.sheet_names, styles, self._names = self._read_sheet_names()
        hidden_styles = self._hidden_table_styles() if any(styles) else set()
        self.hidden_sheets = [
            name for name, style in zip(self.sheet_names, styles, strict=True) if style in hidden_styles
        ]

    epoch = 1900  # an .ods stores dates as dates

    def sheet_size(self, sheet: str) -> int:
        """Bytes of content.xml, unpacked (it holds every sheet): how much work reading is."""
        return self.archive.getinfo("content.xml").file_size

    def close(self) -> None:
        self.archive.close()

    def _member(self, path: str) -> IO[bytes] | None:
        return open_member(self.archive, path)

    def _hidden_table_styles(self) -> set[str]:
        """The automatic table styles (before the body of content.xml) that hide a table."""
        n = _Names.full()
        style, family, name = n("style", "style"), n("style", "family"), n("style", "name")
        properties, display = n("style", "table-properties"), n("table", "display")
        body = n("office", "body")
        hidden: set[str] = set()
        current: list[str] = [""]

        def start(tag, attrs):
            if tag == style:
                current[0] = attrs.get(name, "") if attrs.get(family) == "table" else ""
            elif tag == properties and current[0] and attrs.get(display) == "false":
                hidden.add(current[0])
            elif tag == body:
                raise Done

        with self._content() as stream:
            parse_whole(stream, start=start, namespaces=True)
        return hidden

    def _encrypted(self) -> bool:
        manifest = self._member("META-INF/manifest.xml")
        if manifest is None:
            return False
        found: list[str] = []

        def start(name, attrs):
            if name == ENCRYPTION_DATA:
                found.append(name)

        parser = make_parser(namespaces=True)
        parser.StartElementHandler = start
        with manifest:
            while chunk := manifest.read(CHUNK):
                parser.Parse(chunk, False)
                if found:
                    return True
            parser.Parse(b"", True)
        return False

    def _check_mimetype(self) -> None:
        stream = self._member("mimetype")
        if stream is None:
            return  # optional: a producer may leave it out
        with stream:
            kind = stream.read(200).strip()
        if kind not in SPREADSHEET_TYPES:
            raise OdsError(f"not a spreadsheet but {kind[:80]!r}")

    def _content(self) -> IO[bytes]:
        stream = self._member("content.xml")
        if stream is None:
            raise OdsError("no content.xml")
        return stream

    def _read_sheet_names(self) -> tuple[list[str], list[str], _Names]:
        """The sheets' names and table style names, and how names are spelled."""
        with self._content() as stream:
            found = _scan_sheet_names(stream)
        if found is not None:
            return found
        with self._content() as stream:
            return *_parse_sheet_names(stream), _Names.full()

    def rows(self, sheet: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, cells) for every row of the sheet that holds a value, in order; a cell
        whose text passes `cell_limit` characters raises CellTooLong as soon as it does."""
        reader = _SheetReader(self._names, self.sheet_names.index(sheet), self.cell_limit, self.max_cells)
        with self._content() as stream:
            yield from reader.read(stream)


def open_book(path, cell_limit: int = MAX_CELL_LENGTH, max_cells: int | None = None) -> OdsBook:
    archive = zipfile.ZipFile(path)
    try:
        return OdsBook(archive, cell_limit, max_cells)
    except Exception:
        archive.close()
        raise


# --- sheet names ---------------------------------------------------------------------------


def _scan_sheet_names(stream: IO[bytes]) -> tuple[list[str], list[str], _Names] | None:
    """The names and style names of the top-level tables found by a byte scan, or None for a
    file the scan cannot be trusted on."""
    buffer = stream.read(CHUNK)
    root = _root(buffer)
    while root is None and len(buffer) < SCAN_TAG_BYTES and (more := stream.read(CHUNK)):
        buffer += more
        root = _root(buffer)
    if root is None:
        return None
    declared, position = root
    names = _Names.plain(declared)
    prefix = names.prefixes["table"]
    if prefix == UNDECLARED:
        return None
    tag = re.compile(re.escape(prefix.encode()) + rb"table[\s/>]")
    keep = len(prefix) + 8  # enough to find a tag the chunk's end cut off
    sheets: list[str] = []
    styles: list[str] = []
    depth = 0
    while True:
        chunk = stream.read(CHUNK)
        if _hides_tags(buffer, position):
            return None
        for match in tag.finditer(buffer, position):
            start = match.start()
            if buffer[start - 2 : start] == b"</":
                depth -= 1
                position = match.end()
                continue
            if buffer[start - 1 : start] != b"<":
                continue  # 'table:table' inside another name or in text
            end = TAG_REST.match(buffer, match.end() - 1)
            if end is None:  # the tag goes on in the next chunk
                if not chunk or len(buffer) - start > SCAN_TAG_BYTES:
                    raise OdsError("a table tag does not end")
                position = start - 1
                break
            element = buffer[start - 1 : end.end()]
            if depth == 0:
                name, style = _tag_attributes(element, names("table", "name"), names("table", "style-name"))
                sheets.append(name)
                styles.append(style)
            if not element.endswith(b"/>"):
                depth += 1
            position = end.end()
        else:
            position = max(position, len(buffer) - keep)
        if not chunk:
            return sheets, styles, names
        # two bytes before `position` stay so that a '</' before it is still seen
        cut = max(position - 2, 0)
        buffer = buffer[cut:] + chunk
        position -= cut


def _hides_tags(buffer: bytes, position: int) -> bool:
    """Whether markup after `position` could hide a tag from the scan or change what a
    prefix means: a comment, CDATA section or processing instruction (<! <?) or a namespace
    declaration. Single bytes first: memchr is many times faster than a two-byte search."""
    if (b"!" in buffer or b"?" in buffer) and (buffer.find(b"<!", position) >= 0 or buffer.find(b"<?", position) >= 0):
        return True
    return b"xmlns" in buffer and REDECLARATION.search(buffer, position) is not None


def _root(head: bytes) -> tuple[dict[str, str], int] | None:
    """The namespaces the root element declares (uri -> prefix) and where its tag ends, for
    a UTF-8 document; None if the head is anything else or does not hold the whole tag."""
    text = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    encoding = XML_ENCODING.match(text)
    if not text.startswith(b"<") or (encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8")):
        return None
    found: list[tuple[int, dict[str, str]]] = []
    parser = make_parser()

    def first(name, attrs):
        found.append((parser.CurrentByteIndex, attrs))
        raise Done

    parser.StartElementHandler = first
    with contextlib.suppress(Done):
        parser.Parse(head, False)
    if not found:
        return None
    start, attrs = found[0]
    end = TAG_REST.match(head, start + 1)
    if end is None or "xmlns" in attrs:  # a default namespace: a name without prefix may be ours
        return None
    return {uri: key[6:] for key, uri in attrs.items() if key.startswith("xmlns:")}, end.end()


def _tag_attributes(element: bytes, *attributes: str) -> list[str]:
    """Attributes of a start tag, entities and character references resolved by expat."""
    if not element.endswith(b"/>"):
        element = element[:-1] + b"/>"
    values: list[str] = []
    parser = make_parser()
    parser.StartElementHandler = lambda name, attrs: values.extend(attrs.get(a, "") for a in attributes)
    parser.Parse(element, True)
    return values


def _parse_sheet_names(stream: IO[bytes]) -> tuple[list[str], list[str]]:
    names = _Names.full()
    table, name_attribute, style_attribute = (
        names("table", "table"),
        names("table", "name"),
        names("table", "style-name"),
    )
    sheets: list[str] = []
    styles: list[str] = []
    depth = 0

    def start(name, attrs):
        nonlocal depth
        if name == table:
            if depth == 0:
                sheets.append(attrs.get(name_attribute, ""))
                styles.append(attrs.get(style_attribute, ""))
            depth += 1

    def end(name):
        nonlocal depth
        if name == table:
            depth -= 1

    parse_whole(stream, start, end, namespaces=True)
    return sheets, styles


# --- rows ----------------------------------------------------------------------------------


class _SheetReader:
    """The expat handlers for one sheet: they skip to the index-th top-level table, then
    collect its rows into `ready` and stop at its end."""

    def __init__(self, names: _Names, index: int, cell_limit: int = MAX_CELL_LENGTH, max_cells: int | None = None):
        self.names = names
        self.index = index
        self.cell_limit = cell_limit
        self.max_cells = max_cells
        self.ready: list[tuple[int, tuple[Any, ...], int]] = []  # (row number, cells, repeats)

    def read(self, stream: IO[bytes]) -> Iterator[tuple[int, tuple[Any, ...]]]:
        parser = make_parser(namespaces=self.names.qualified)
        self._install(parser)
        ready = self.ready
        longest, run = self.cell_limit * BYTES_PER_CHARACTER + CHUNK, 0
        try:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
                if ready:
                    yield from _expand(ready)
                    ready.clear()
                run = tag_run(run, chunk)
                if run > longest:  # one tag (an attribute) longer than a cell may be: never held whole
                    raise CellTooLong(*self.position(), self.cell_limit)
            parser.Parse(b"", True)
        except Done:
            pass
        yield from _expand(ready)
        ready.clear()

    def _install(self, parser) -> None:
        n = self.names
        table, row, cell, covered = (n("table", x) for x in ("table", "table-row", "table-cell", "covered-table-cell"))
        paragraph, heading = n("text", "p"), n("text", "h")
        space, tab, line_break = n("text", "s"), n("text", "tab"), n("text", "line-break")
        skipped = {n("office", "annotation"), n("text", "note"), n("text", "ruby-text")}
        draw = n("draw", "")
        rows_repeated, columns_repeated = n("table", "number-rows-repeated"), n("table", "number-columns-repeated")
        space_count, formula = n("text", "c"), n("table", "formula")
        value_type, error_type = n("office", "value-type"), n("calcext", "value-type")
        string_value, number_value = n("office", "string-value"), n("office", "value")
        attributes = {
            "value": number_value,
            "date": n("office", "date-value"),
            "time": n("office", "time-value"),
            "boolean": n("office", "boolean-value"),
            "string": string_value,
        }
        ready = self.ready
        target = self.index
        tables_seen = 0
        depth = 0  # while seeking: table nesting; inside a cell: element nesting
        nested = 0  # tables inside the sheet's own table (spreadsheets write none)
        number = 1  # the row number of the row being read
        repeat = 1
        cells: list[Any] = []
        empty = 0  # empty cells after the last value, not yet added to `cells`
        spaces_left = MAX_SPACES_PER_ROW
        in_cell = False
        value: Any = None
        columns = 1
        parts: list[str] = []  # the text of a cell whose value is its text
        limit, length = self.cell_limit, 0  # length: characters in `parts`
        cells_left = MAX_ROWS * MAX_COLUMNS if self.max_cells is None else self.max_cells
        paragraphs = 0
        in_paragraph = collecting = False
        uncomputed = False  # a formula cell without a value: UNCOMPUTED unless it has text
        skip = 0  # nesting inside a comment or drawing: text that is not the cell's

        def seek_start(name, attrs):
            nonlocal depth, tables_seen
            if name == table:
                if depth == 0:
                    if tables_seen == target:
                        parser.StartElementHandler = start
                        parser.EndElementHandler = end
                        parser.CharacterDataHandler = characters
                        return
                    tables_seen += 1
                depth += 1

        def seek_end(name):
            nonlocal depth
            if name == table:
                depth -= 1

        def start(name, attrs):
            nonlocal depth, nested, number, repeat, cells, empty, spaces_left, in_cell, value, columns
            nonlocal parts, paragraphs, in_paragraph, collecting, skip, uncomputed, length
            if in_cell:
                depth += 1
                if value is not TEXT:
                    return
                if skip:
                    skip += 1
                elif name in skipped or name.startswith(draw):
                    skip = 1
                    collecting = False
                elif depth == 1:
                    if name in (paragraph, heading):
                        if paragraphs:
                            add("\n")
                        paragraphs += 1
                        in_paragraph = collecting = True
                elif collecting:
                    if name == space:
                        count = min(_count(attrs.get(space_count)), spaces_left)
                        spaces_left -= count
                        add(" " * min(count, limit + 1))
                    elif name == tab:
                        add("\t")
                    elif name == line_break:
                        add("\n")
            elif name in (cell, covered):
                in_cell = True
                depth = 0
                repeated = attrs.get(columns_repeated)
                columns = 1 if repeated is None else _count(repeated)
                kind = attrs.get(value_type)
                if name == covered or attrs.get(error_type) == "error":
                    value = None  # hidden by a merge, or #DIV/0! and the like: no value
                elif kind == "string" or kind is None:  # the common kinds first, as in _typed
                    value = attrs.get(string_value, TEXT) or None
                elif kind == "float":
                    try:
                        value = float(attrs[number_value])
                    except (KeyError, ValueError):
                        value = TEXT
                else:
                    value = _typed(kind, attrs, attributes)
                if value.__class__ is str and len(value) > limit:  # office:string-value and the like
                    raise CellTooLong(number, len(cells) + empty, limit)
                if value is TEXT:
                    parts = []
                    length = 0
                    paragraphs = 0
                    uncomputed = formula in attrs
            elif name == row:
                if number > MAX_ROWS:
                    raise Done
                repeat = min(_count(attrs.get(rows_repeated)), MAX_ROWS - number + 1)
                cells = []
                empty = 0
                spaces_left = MAX_SPACES_PER_ROW
            elif name == table:
                nested += 1

        def end(name):
            nonlocal depth, nested, number, cells, empty, in_cell, value, in_paragraph, collecting, skip, cells_left
            if in_cell:
                if depth:
                    depth -= 1
                    if value is not TEXT:
                        return
                    if skip:
                        skip -= 1
                        collecting = in_paragraph and not skip
                    elif depth == 0:
                        in_paragraph = collecting = False
                    return
                in_cell = False
                if value is TEXT:
                    if parts:
                        value = "".join(parts) if len(parts) > 1 else parts[0]
                    else:
                        value = UNCOMPUTED if uncomputed else None
                if value is None:
                    empty += columns
                    return
                room = MAX_COLUMNS - len(cells) - empty
                if room > 0:
                    if empty:
                        cells.extend([None] * empty)
                        empty = 0
                    if columns == 1:
                        cells.append(value)
                    else:
                        cells.extend([value] * min(columns, room))
            elif name == row:
                if cells:
                    cells_left -= repeat * len(cells)  # repeated rows count before they are expanded
                    if cells_left < 0:
                        raise TooManyCells(number, self.max_cells)
                    ready.append((number, tuple(cells), repeat))
                    cells = []
                number += repeat
            elif name == table:
                if not nested:
                    raise Done
                nested -= 1

        def position() -> tuple[int, int]:
            """The row and column being read (a cell's start tag not yet handled: its own)."""
            return number, len(cells) + empty

        self.position = position

        def add(text):
            nonlocal length
            length += len(text)
            if length > limit:
                raise CellTooLong(number, len(cells) + empty, limit)
            parts.append(text)

        def characters(data):
            if collecting:
                add(data)

        parser.StartElementHandler = seek_start
        parser.EndElementHandler = seek_end


def _expand(ready: list[tuple[int, tuple[Any, ...], int]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, cells, repeat in ready:
        if repeat == 1:
            yield number, cells
        else:
            for offset in range(repeat):
                yield number + offset, cells


def _count(text: str | None) -> int:
    """A repeat or space count: at least 1 (the attribute's default)."""
    if text is None:
        return 1
    return max(int(text), 1)


def _typed(kind: str | None, attrs: dict[str, str], attributes: dict[str, str]) -> Any:
    """A cell's value from its attributes, or TEXT when the value is the cell's text."""
    if kind is None or kind == "string":
        string = attrs.get(attributes["string"])
        if string is None:
            return TEXT
        return string or None
    if kind in NUMBER_TYPES:
        try:
            return float(attrs[attributes["value"]])
        except (KeyError, ValueError):
            return TEXT
    if kind == "date":
        raw = attrs.get(attributes["date"], "")
        try:
            return dt.datetime.fromisoformat(raw) if "T" in raw else dt.date.fromisoformat(raw)
        except ValueError:
            return raw or TEXT
    if kind == "time":
        raw = attrs.get(attributes["time"])
        return _time(raw) if raw else TEXT
    if kind == "boolean":
        raw = attrs.get(attributes["boolean"])
        return TEXT if raw is None else raw in ("true", "1")
    if kind == "void":
        return None
    return TEXT


def _time(raw: str) -> Any:
    """PT14H30M05S as a time of day, as python-calamine gives it; a duration of a day or
    more, or a negative one, stays the text it is."""
    match = DURATION.fullmatch(raw)
    if not match:
        return raw
    days, hours, minutes, seconds = match.groups()
    total = dt.timedelta(
        days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0)
    )
    if total >= dt.timedelta(days=1):
        return raw
    return (dt.datetime.min + total).time()
