"""What makes a file acceptable as an attachment: one rule for every path that stores one.

The import asks it for each file a row names (imports/pipeline/attachments.py: the name and
size from the ZIP's directory before anything is read, the contents when the file is read),
the record page and the item's change page for the file a user chooses
(dossier.forms.AttachmentField). A file is refused when it is

- larger than IMPORT_ATTACHMENT_MAX_SIZE bytes (0: no limit), or than its item type's
  largest attachment;
- empty (0 bytes);
- a program or a web page by its extension (ALWAYS_REFUSED), whatever any setting says;
- not of a type its item type accepts (ItemType.attachment_types, empty: DOCUMENTS_AND_IMAGES),
  within IMPORT_ATTACHMENT_TYPES (an empty list there accepts every type);
- named longer than an attachment's name holds (255 characters);
- by its first bytes not what its extension says (`check_content`: a fake .docx, an HTML page
  or a program named .pdf).

    problems = check_attachment("Import/10001_cv.pdf", 120 * 1024**2, item_type=soll)
    problems[0].code       # "attachment_too_large"
    problems[0].message    # a Message naming the file and the limit, shown in the reader's language
    with open("10001_cv.pdf", "rb") as stream:
        check_content("10001_cv.pdf", stream)   # [] when it begins as a PDF does

The codes are the import's (docs/errors.md). The sentences say what to do where the file was
given: in a row's cell (Where.IMPORT) or on a page's file input (Where.FORM).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings
from django.utils.translation import gettext_noop

from dossier.filetypes import ALWAYS_REFUSED, DOCUMENTS_AND_IMAGES, type_setting
from dossier.models import Attachment, ItemType
from dossier.services import visible_name
from spreadsheets.messages import N_, Message, file_size, grouped

NAME_MAX_LENGTH = Attachment._meta.get_field("original_name").max_length

# How a file of each type begins (its "magic number"). A type not in these tables is not
# looked into, apart from being no program or web page (`content_problem`).
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc, .xls, .ppt and Outlook's .msg
BEGINNINGS = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "tif": (b"II*\x00", b"MM\x00*"),
    "tiff": (b"II*\x00", b"MM\x00*"),
    "bmp": (b"BM",),
    "rtf": (b"{\\rtf",),
    "doc": (OLE2,),
    "xls": (OLE2,),
    "ppt": (OLE2,),
    "msg": (OLE2,),
}
# Office Open XML and OpenDocument files are ZIPs holding a member that says what they are.
ZIP_MEMBERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
ODF_MIMETYPES = {
    "odt": b"application/vnd.oasis.opendocument.text",
    "ods": b"application/vnd.oasis.opendocument.spreadsheet",
    "odp": b"application/vnd.oasis.opendocument.presentation",
}
TEXT_TYPES = frozenset({"txt", "csv", "xml", "eml"})
PROGRAM_BEGINNINGS = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")  # Windows, Linux, macOS
WEB_PAGE_BEGINNINGS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg")
HEAD_SIZE = 1024


class Where(StrEnum):
    IMPORT = "import"  # a file a row of an import names
    FORM = "form"  # a file chosen on a page


# One msgid per problem and place, each with its parameters named (name, size, max, types,
# length, type), so that a message can be kept as code plus parameters and shown in the
# reader's language. A "+type" key is the sentence for a file of a given item type.
MESSAGES = {
    Where.IMPORT: {
        "attachment_too_large": gettext_noop(
            "'%(name)s' is %(size)s, more than the %(max)s an attachment may be: make the file smaller, or leave it out of this cell."
        ),
        "attachment_type_not_allowed": gettext_noop(
            "'%(name)s' is not of a type accepted as an attachment (accepted: %(types)s): save it as one of those, e.g. as PDF, or leave it out of this cell."
        ),
        "attachment_type_not_allowed+type": gettext_noop(
            "'%(name)s' is not of a type that items of type %(type)s accept (accepted: %(types)s): save it as one of those, e.g. as PDF, or leave it out of this cell; an administrator can change the types the item type accepts."
        ),
        "attachment_type_never_allowed": gettext_noop(
            "'%(name)s' is a program or a web page (.%(extension)s), which is never accepted as an attachment: save the document as PDF, or leave it out of this cell."
        ),
        "attachment_content_mismatch": gettext_noop(
            "'%(name)s' is named .%(extension)s, but its contents are not a .%(extension)s file (it may be damaged, or renamed): save the document again as .%(extension)s, or leave it out of this cell."
        ),
        "attachment_content_program": gettext_noop(
            "'%(name)s' is a program, whatever its name says; programs are never accepted as attachments: leave it out of this cell."
        ),
        "attachment_content_web_page": gettext_noop(
            "'%(name)s' is a web page (HTML), whatever its name says; web pages are never accepted as attachments: save the page as PDF, or leave it out of this cell."
        ),
        "attachment_empty": gettext_noop(
            "'%(name)s' is empty (0 bytes): put the file with its contents in the ZIP, or leave it out of this cell."
        ),
        "attachment_name_too_long": gettext_noop(
            "The file name is %(length)s characters long, and at most %(max)s fit: rename the file to at most %(max)s characters, in the ZIP and in this cell."
        ),
    },
    Where.FORM: {
        "attachment_too_large": gettext_noop(
            "'%(name)s' is %(size)s, more than the %(max)s an attachment may be: make the file smaller and choose it again."
        ),
        "attachment_type_not_allowed": gettext_noop(
            "'%(name)s' is not of a type accepted as an attachment (accepted: %(types)s): save it as one of those, e.g. as PDF, and choose it again."
        ),
        "attachment_type_not_allowed+type": gettext_noop(
            "'%(name)s' is not of a type that items of type %(type)s accept (accepted: %(types)s): save it as one of those, e.g. as PDF, and choose it again; an administrator can change the types the item type accepts."
        ),
        "attachment_type_never_allowed": gettext_noop(
            "'%(name)s' is a program or a web page (.%(extension)s), which is never accepted as an attachment: save the document as PDF and choose that."
        ),
        "attachment_content_mismatch": gettext_noop(
            "'%(name)s' is named .%(extension)s, but its contents are not a .%(extension)s file (it may be damaged, or renamed): save the document again as .%(extension)s and choose it again."
        ),
        "attachment_content_program": gettext_noop(
            "'%(name)s' is a program, whatever its name says; programs are never accepted as attachments."
        ),
        "attachment_content_web_page": gettext_noop(
            "'%(name)s' is a web page (HTML), whatever its name says; web pages are never accepted as attachments: save the page as PDF and choose that."
        ),
        "attachment_empty": gettext_noop("'%(name)s' is empty (0 bytes): choose the file with its contents."),
        "attachment_name_too_long": gettext_noop(
            "The name of '%(name)s' is %(length)s characters long, and at most %(max)s fit: rename the file to at most %(max)s characters and choose it again."
        ),
    },
}


@dataclass(frozen=True)
class AttachmentProblem:
    code: str
    message: Message


def check_attachment(
    name: str, size: int, *, where: Where = Where.IMPORT, item_type: ItemType | None = None
) -> list[AttachmentProblem]:
    """Every reason why a file of this name (a path in a ZIP, or a bare file name) and size
    cannot be an attachment (of an item of `item_type`, when given); none: it can. Only the
    name and the size are looked at; `check_content` looks into the file."""
    name = visible_name(name)  # what would be stored and shown
    file_name = PurePosixPath(name.replace("\\", "/")).name
    found: list[tuple[str, dict]] = []
    limit = max_size(item_type)
    if limit and size > limit:
        found.append(("attachment_too_large", {"size": file_size(size), "max": file_size(limit)}))
    elif size == 0:
        found.append(("attachment_empty", {}))
    ext = extension(file_name)
    if ext in ALWAYS_REFUSED:
        found.append(("attachment_type_never_allowed", {"extension": ext}))
    else:
        accepted = accepted_types(item_type)  # for an item type never "every type"
        if (accepted or item_type is not None) and ext not in accepted:
            by_type = {"type": item_type.code} if item_type is not None else {}
            found.append(("attachment_type_not_allowed", {"types": types_text(accepted), **by_type}))
    if len(file_name) > NAME_MAX_LENGTH:
        found.append(("attachment_name_too_long", {"length": grouped(len(file_name)), "max": grouped(NAME_MAX_LENGTH)}))
    return [problem(code, name, where, **params) for code, params in found]


def check_content(name: str, stream: IO[bytes], *, where: Where = Where.IMPORT) -> list[AttachmentProblem]:
    """The reason, if any, why the contents of a file of this name are not what its extension
    says, judged by its first bytes (and for a .docx, .xlsx, .pptx or OpenDocument file, the
    ZIP member that says what it is). `stream` is read from where it stands and must be
    seekable for the ZIP-based types; the caller rewinds it."""
    name = visible_name(name)
    code = content_problem(extension(PurePosixPath(name.replace("\\", "/")).name), stream)
    return [problem(code, name, where, extension=extension(name))] if code else []


def content_problem(ext: str, stream: IO[bytes]) -> str | None:
    """1. a program or a web page is refused whatever its extension; 2. a type with a known
    beginning must begin so; 3. a ZIP-based type must hold its member; 4. a text type must be
    text. An empty file is `check_attachment`'s problem, not this one's."""
    start = stream.tell() if stream.seekable() else 0
    head = stream.read(HEAD_SIZE)
    if not head:
        return None
    if head.startswith(PROGRAM_BEGINNINGS):
        return "attachment_content_program"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(WEB_PAGE_BEGINNINGS):
        return "attachment_content_web_page"
    if ext in BEGINNINGS:
        return None if head.startswith(BEGINNINGS[ext]) else "attachment_content_mismatch"
    if ext in ZIP_MEMBERS or ext in ODF_MIMETYPES:
        stream.seek(start)
        return None if is_office_zip(ext, stream) else "attachment_content_mismatch"
    if ext == "heic":
        return None if head[4:8] == b"ftyp" else "attachment_content_mismatch"
    if ext in TEXT_TYPES:
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        return None if utf16 or b"\x00" not in head else "attachment_content_mismatch"
    return None


def is_office_zip(ext: str, stream: IO[bytes]) -> bool:
    """Whether the stream is a ZIP holding the member that makes it a file of this type."""
    try:
        with zipfile.ZipFile(stream) as archive:
            if ext in ZIP_MEMBERS:
                return ZIP_MEMBERS[ext] in archive.namelist()
            with archive.open("mimetype") as member:
                return member.read(100).strip() == ODF_MIMETYPES[ext]
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, NotImplementedError):
        return False


def problem(code: str, name: str, where: Where, **params) -> AttachmentProblem:
    """The problem `code` about the file `name`, its sentence the one for `where`."""
    key = f"{code}+type" if "type" in params else code
    return AttachmentProblem(code, Message(MESSAGES[where][key], {"name": name, **params}))


def extension(file_name: str) -> str:
    """'Brief.PDF' -> 'pdf'; '' for a name without one."""
    return PurePosixPath(file_name).suffix.lower().lstrip(".")


def server_types() -> set[str]:
    """IMPORT_ATTACHMENT_TYPES without dots, in lower case; empty: every type is accepted."""
    return {t.strip().lower().lstrip(".") for t in settings.IMPORT_ATTACHMENT_TYPES if t.strip()}


def accepted_types(item_type: ItemType | None = None) -> set[str]:
    """The extensions an attachment may have: the item type's (documents and images when it
    says none) within the server's, never a program or web page. Empty: every type (only
    when no item type is given and the server accepts every type)."""
    server = server_types()
    if item_type is None:
        return server - ALWAYS_REFUSED if server else set()
    own = type_setting(item_type.attachment_types) or set(DOCUMENTS_AND_IMAGES)
    return (own & server if server else own) - ALWAYS_REFUSED


def max_size(item_type: ItemType | None = None) -> int:
    """The most bytes an attachment may have: the server's limit, or the item type's when it
    is smaller; 0: no limit."""
    limits = [settings.IMPORT_ATTACHMENT_MAX_SIZE]
    if item_type is not None and item_type.attachment_max_size:
        limits.append(item_type.attachment_max_size * 1024**2)
    limits = [limit for limit in limits if limit]
    return min(limits) if limits else 0


def types_text(types: set[str]) -> str:
    return ", ".join(f".{t}" for t in sorted(types))


def limits_text(item_type: ItemType | None = None) -> Message | None:
    """What a page says beside its file input: the largest size and the accepted types."""
    limit, accepted = max_size(item_type), accepted_types(item_type)
    if limit and accepted:
        return N_("At most %(max)s, of one of these types: %(types)s.") % {
            "max": file_size(limit),
            "types": types_text(accepted),
        }
    if limit:
        return N_("At most %(max)s.") % {"max": file_size(limit)}
    if accepted:
        return N_("Of one of these types: %(types)s.") % {"types": types_text(accepted)}
    return None


def accept_attribute(item_type: ItemType | None = None) -> str:
    """The file input's `accept`: the browser offers only the accepted types ("" for all)."""
    return ",".join(f".{t}" for t in sorted(accepted_types(item_type)))


def accepted_attachments(item_type: ItemType) -> Message:
    """Whether items of this type take attachments and of which types, as the type step says it."""
    if not item_type.attach_file:
        return N_("No attachments")
    if not type_setting(item_type.attachment_types):
        return N_("Attachments: documents and images")
    return N_("Attachments: %(types)s") % {"types": types_text(accepted_types(item_type))}
