"""What the wizard does with an upload before the import services see it: stop reading a file
that passes its size limit, and name the spreadsheet by what it holds, not by its extension.

The readers (spreadsheets/reading.py) choose the format by the file name's extension. A
browser upload's name is whatever the user's computer called it: an Excel workbook saved as
"rows.csv", a CSV export named "rows.xlsx". `recognised_name` looks at the first bytes and
gives the name the readers need (the user's name with the right extension):

- a ZIP holding `xl/workbook.xml` is an .xlsx, one holding `xl/workbook.bin` an .xlsb (which
  the reader refuses as what it is); one whose `mimetype` says OpenDocument spreadsheet is an
  .ods; any other ZIP keeps its name (the reader says what is wrong); part names are compared
  without case and with backslashes read as slashes;
- an OLE2 container is an .xls, unless it holds an `EncryptedPackage` (a password-protected
  .xlsx, which the .xlsx reader refuses with the password message);
- text (no NUL byte in the first 64 KB, or a UTF-16 byte order mark) is a .csv;
- anything else keeps its name: the readers refuse it with one sentence.
"""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
TEXT_SAMPLE = 64 * 1024
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsb", ".xls", ".ods", ".csv", ".txt")


class SizeLimitedUploadHandler(FileUploadHandler):
    """Skips a file field once more than its limit has arrived, so a file that is too large
    is never stored whole; `too_large` then names the field and its limit for the message."""

    def __init__(self, request=None, *, limits: dict[str, int]):
        super().__init__(request)
        self.limits = limits
        self.too_large: dict[str, int] = {}
        self.received = 0

    def new_file(self, field_name, *args, **kwargs) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit = self.limits.get(self.field_name, settings.MAX_UPLOAD_SIZE)
        if self.received > limit:
            self.too_large[self.field_name] = limit
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file


def upload_limits() -> dict[str, int]:
    """The most each field of the upload form accepts, in bytes."""
    return {
        "file": min(settings.MAX_UPLOAD_SIZE, settings.IMPORT_MAX_FILE_SIZE),
        "attachments": settings.MAX_UPLOAD_SIZE,
    }


def content_format(handle: IO[bytes]) -> str | None:
    """ "xlsx", "ods", "xls" or "csv" by the content of an open binary file (left at its
    start), or None when it is none of them."""
    handle.seek(0)
    head = handle.read(TEXT_SAMPLE)
    handle.seek(0)
    try:
        if head.startswith(ZIP_MAGIC):
            return _zip_format(handle)
        if head.startswith(OLE2_MAGIC):
            return "xlsx" if _is_encrypted_package(head) else "xls"
    finally:
        handle.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (head and b"\x00" not in head):
        return None if head.startswith(b"%PDF") else "csv"
    return None


def _zip_format(handle: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(handle) as archive:
            # part names are case-insensitive, and some writers use backslashes
            names = {name.replace("\\", "/").lower(): name for name in archive.namelist()}
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"  # the reader refuses it as what it is
            if "mimetype" in names and archive.read(names["mimetype"]).strip().startswith(ODS_MIMETYPE):
                return "ods"
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def _is_encrypted_package(head: bytes) -> bool:
    """A password-protected .xlsx is an OLE2 file with an EncryptedPackage stream; its small
    directory sits within the first bytes of the file."""
    return ENCRYPTED_PACKAGE in head


def recognised_name(handle: IO[bytes], file_name: str) -> tuple[str, str | None]:
    """The name to read the upload by, and the format it was recognised as when that differs
    from what its extension said (None when the extension was right or nothing was
    recognised). A macro workbook (.xlsm) keeps its name, so the reader refuses it."""
    name = Path(file_name).name or "upload"
    suffix = Path(name).suffix.lower()
    found = content_format(handle)
    if found is None or suffix == ".xlsm":
        return name, None
    said = {".xlsx": "xlsx", ".xlsb": "xlsb", ".xls": "xls", ".ods": "ods", ".csv": "csv", ".txt": "csv"}.get(suffix)
    if said == found:
        return name, None
    stem = Path(name).stem if suffix in SPREADSHEET_SUFFIXES else name
    return f"{stem}.{found}", found
