"""Reading attachments where they are filed (issue 17, part 4): one file shown in the browser
or downloaded, and many files in one ZIP.

Which attachments a user may read is never decided here: callers pass attachments they
took from `DossierItem.objects.visible_to(user)` (or `Attachment.objects.visible_to`). Files
are read through the storage API (private storage), never a local path.

1. Shown in the browser: only PDFs and raster images whose first bytes say they are what
   their name says (`inline_type`). Everything else, HTML and SVG always, is downloaded.
2. A shown file gets `Content-Disposition: inline`, its own content type, `nosniff` and a
   Content-Security-Policy that sandboxes it and lets it load nothing (`VIEW_POLICY`).
3. A ZIP is written while it is sent (`zip_stream`): zipfile writes into a buffer that is
   emptied after every chunk, so memory stays flat for any number of files. Entry names are
   made safe (no folders from the name, no `..`, no invisible characters) and unique."""

from __future__ import annotations

import mimetypes
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.http import FileResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from dossier.models import Attachment
from dossier.services import visible_name

CHUNK = 1 << 16

# The first bytes each type shown in the browser starts with; a file that does not is
# downloaded, whatever its name says (X-Content-Type-Options: nosniff keeps the browser
# from guessing otherwise).
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}

# Policies of a file shown in the browser: sandboxed (an opaque origin: no cookies, no
# storage, no forms, no top navigation), nothing loaded from anywhere, no script. An image
# gets the strict sandbox. Chromium refuses to render a PDF in a sandbox without
# allow-scripts (its viewer is an extension frame, it shows nothing at all), so a PDF's
# sandbox allows scripts and `script-src 'none'` forbids every script of the document.
IMAGE_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
PDF_POLICY = (
    "sandbox allow-scripts; default-src 'none'; script-src 'none'; object-src 'none'; "
    "style-src 'unsafe-inline'; frame-ancestors 'none'"
)


def inline_type(attachment: Attachment, head: bytes) -> str | None:
    """The content type to show the attachment with in the browser, or None: download it.
    `head` is the file's first bytes."""
    guessed, _encoding = mimetypes.guess_type(attachment.original_name, strict=False)
    signatures = SIGNATURES.get(guessed or "")
    if not signatures or not head.startswith(signatures):
        return None
    if guessed == "image/webp" and head[8:12] != b"WEBP":
        return None
    return guessed


def may_show_inline(attachment: Attachment) -> bool:
    """Whether the page offers a "view" link: by the name alone (the view itself checks the
    first bytes, and downloads what does not match)."""
    guessed, _encoding = mimetypes.guess_type(attachment.original_name, strict=False)
    return guessed in SIGNATURES


def file_response(attachment: Attachment, content, *, inline: bool) -> FileResponse:
    """The attachment's open file as a response: shown in the browser when asked and allowed
    (`inline_type`), else downloaded under its visible name."""
    name = visible_name(attachment.original_name)
    shown_as = None
    if inline:
        head = content.read(16)
        content.seek(0)
        shown_as = inline_type(attachment, head)
    if shown_as is None:
        # Never a type a browser would render (text/html, image/svg+xml), even when saved.
        response = FileResponse(content, as_attachment=True, filename=name, content_type="application/octet-stream")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    response = FileResponse(content, as_attachment=False, filename=name, content_type=shown_as)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = PDF_POLICY if shown_as == "application/pdf" else IMAGE_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- many files in one ZIP -----------------------------------------------------------------


@dataclass(frozen=True)
class ZipEntry:
    """One file of a ZIP: where it is in storage and the name it gets in the ZIP."""

    storage_name: str
    name: str


UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]+')


def safe_part(text: str, fallback: str = "file") -> str:
    """A file or folder name that is one name in a ZIP on every system: no separators, no
    control or invisible characters, no leading dots or spaces (no `..`, no hidden file)."""
    cleaned = UNSAFE.sub("_", visible_name(text)).strip().lstrip(".").strip()
    return cleaned[:150] or fallback


def entry_name(attachment: Attachment, *, folder: str = "") -> str:
    """`[folder/]TYPE-number name`: the item the file is on, then its name."""
    item = attachment.item
    name = safe_part(f"{item.item_type.code}-{item.number} {attachment.original_name}")
    return f"{safe_part(folder)}/{name}" if folder else name


def unique_entries(named: Iterable[tuple[str, str]]) -> list[ZipEntry]:
    """(storage name, wished name) pairs as ZIP entries whose names are unique, ignoring
    case (Windows and macOS would otherwise overwrite one with another): a second `a.pdf`
    becomes `a (2).pdf`."""
    taken: set[str] = set()
    entries = []
    for storage_name, wished in named:
        name, number = wished, 1
        stem, ext = posixpath.splitext(wished)
        while name.lower() in taken:
            number += 1
            name = f"{stem} ({number}){ext}"
        taken.add(name.lower())
        entries.append(ZipEntry(storage_name=storage_name, name=name))
    return entries


class _Pipe:
    """A file zipfile writes into and the response reads from: emptied after every chunk.
    It has no tell(), so zipfile writes each file's sizes after its data."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_stream(storage, entries: list[ZipEntry], *, language: str | None = None) -> Iterator[bytes]:
    """The ZIP of `entries`, read from `storage`, in chunks as it is written. A file the
    storage cannot give is left out and named in a note inside the ZIP (the response has
    started: no error page can be sent any more)."""
    pipe = _Pipe()
    missing = []
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for entry in entries:
            try:
                source = storage.open(entry.storage_name, "rb")
            except OSError:
                missing.append(entry.name)
                continue
            with source, archive.open(entry.name, mode="w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield pipe.take()
            yield pipe.take()
        if missing:
            with translation.override(language):
                note = _("These files could not be read from the server's storage and are not in this ZIP:")
            archive.writestr("_missing.txt", "\r\n".join([note, *missing]) + "\r\n")
    yield pipe.take()


def zip_response(attachments: Iterable[Attachment], *, filename: str, folder_of=None) -> StreamingHttpResponse:
    """A streamed ZIP download of the attachments (each with its item and the item's type
    fetched), named `filename`. `folder_of(attachment)` may give each file a folder."""
    storage = Attachment._meta.get_field("file").storage
    entries = unique_entries(
        (attachment.file.name, entry_name(attachment, folder=folder_of(attachment) if folder_of else ""))
        for attachment in attachments
    )
    response = StreamingHttpResponse(
        zip_stream(storage, entries, language=translation.get_language()), content_type="application/zip"
    )
    response.headers["Content-Disposition"] = content_disposition_header(True, safe_part(filename, "files.zip"))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
