"""What the two expat readers (xlsx.py, ods.py) share: a parser that refuses DTDs and entity
declarations as defusedxml does, the chunk size they read in, local names, whole-member
parsing and ZIP member access.

    parser = make_parser()
    parse_whole(stream, start=handler)
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import IO
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden

CHUNK = 1 << 16
# Bytes of XML one character of a cell may take at most: &#1114111; is ten.
BYTES_PER_CHARACTER = 10


class Done(Exception):
    """Raised from a handler to stop expat once it has what it came for."""


def make_parser(namespaces: bool = False) -> expat.XMLParserType:
    """An expat parser without DTDs, entity declarations or external references.
    With `namespaces`, names come as '<uri> <local>'."""
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


def tag_run(run: int, chunk: bytes) -> int:
    """Bytes since the last '<' once `chunk` is read too. Expat holds a tag whole before a
    handler sees it (an attribute value of any length); a cell's text between tags is at most
    its limit times BYTES_PER_CHARACTER. A longer run is a cell too long for the readers."""
    last = chunk.rfind(b"<")
    return run + len(chunk) if last < 0 else len(chunk) - last - 1


def local(name: str) -> str:
    """'x:sheet', '<uri> sheet' and 'sheet' are all 'sheet'."""
    return name.rsplit(":", 1)[-1].rsplit(" ", 1)[-1]


def parse_whole(
    stream: IO[bytes],
    start: Callable | None = None,
    end: Callable | None = None,
    chars: Callable | None = None,
    *,
    namespaces: bool = False,
) -> None:
    """Feed a whole member to a parser with these handlers; a handler may raise Done to stop."""
    parser = make_parser(namespaces)
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if chars:
        parser.CharacterDataHandler = chars
    try:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except Done:
        pass


def member_info(archive: zipfile.ZipFile, path: str) -> zipfile.ZipInfo | None:
    """A member of the package by its part name, or None when the package does not have it.
    Part names are case-insensitive (OPC), and some writers put backslashes in the ZIP's
    names (`xl\\SharedStrings.xml`): when the exact name is missing, the member whose name
    folds to the same is taken."""
    try:
        return archive.getinfo(path)
    except KeyError:
        pass
    folded = getattr(archive, "_folded_names", None)
    if folded is None:
        folded = {}
        for info in archive.infolist():
            folded.setdefault(fold(info.filename), info)
        archive._folded_names = folded  # type: ignore[attr-defined]
    return folded.get(fold(path))


def fold(name: str) -> str:
    """A part name as compared: forward slashes, no leading slash, lower case."""
    return name.replace("\\", "/").lstrip("/").lower()


def open_member(archive: zipfile.ZipFile, path: str) -> IO[bytes] | None:
    """A member of the package (see `member_info`), or None when the package does not have it."""
    info = member_info(archive, path)
    return None if info is None else archive.open(info)
