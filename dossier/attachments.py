"""What makes a file acceptable as an attachment: one rule for every path that stores one.

The import asks it for each file a row names (imports/pipeline/attachments.py, from the ZIP's
directory before anything is read), the record page and the item's change page for the file
a user chooses (dossier.forms.AttachmentField). A file is refused when it is

- larger than IMPORT_ATTACHMENT_MAX_SIZE bytes (0: no limit);
- not of a type in IMPORT_ATTACHMENT_TYPES, by its extension (an empty list accepts every type);
- empty (0 bytes);
- named longer than an attachment's name holds (255 characters).

    problems = check_attachment("Import/10001_cv.pdf", 120 * 1024**2)
    problems[0].code       # "attachment_too_large"
    problems[0].message    # a Message naming the file and the limit, shown in the reader's language

The codes are the import's (docs/errors.md). The sentences say what to do where the file was
given: in a row's cell (Where.IMPORT) or on a page's file input (Where.FORM).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from django.conf import settings
from django.utils.translation import gettext_noop

from dossier.models import Attachment
from dossier.services import visible_name
from spreadsheets.messages import N_, Message, file_size, grouped

NAME_MAX_LENGTH = Attachment._meta.get_field("original_name").max_length


class Where(StrEnum):
    IMPORT = "import"  # a file a row of an import names
    FORM = "form"  # a file chosen on a page


# One msgid per problem and place, each with its parameters named (name, size, max, types,
# length), so that a message can be kept as code plus parameters and shown in the reader's
# language.
MESSAGES = {
    Where.IMPORT: {
        "attachment_too_large": gettext_noop(
            "'%(name)s' is %(size)s, more than the %(max)s an attachment may be: make the file smaller, or leave it out of this cell."
        ),
        "attachment_type_not_allowed": gettext_noop(
            "'%(name)s' is not of a type accepted as an attachment (accepted: %(types)s): save it as one of those, e.g. as PDF, or leave it out of this cell."
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


def check_attachment(name: str, size: int, *, where: Where = Where.IMPORT) -> list[AttachmentProblem]:
    """Every reason why a file of this name (a path in a ZIP, or a bare file name) and size
    cannot be an attachment; none: it can. Only the name and the size are looked at."""
    name = visible_name(name)  # what would be stored and shown
    file_name = PurePosixPath(name.replace("\\", "/")).name
    found: list[tuple[str, dict]] = []
    limit = settings.IMPORT_ATTACHMENT_MAX_SIZE
    if limit and size > limit:
        found.append(("attachment_too_large", {"size": file_size(size), "max": file_size(limit)}))
    elif size == 0:
        found.append(("attachment_empty", {}))
    accepted = accepted_types()
    if accepted and extension(file_name) not in accepted:
        found.append(("attachment_type_not_allowed", {"types": types_text(accepted)}))
    if len(file_name) > NAME_MAX_LENGTH:
        found.append(("attachment_name_too_long", {"length": grouped(len(file_name)), "max": grouped(NAME_MAX_LENGTH)}))
    messages = MESSAGES[where]
    return [AttachmentProblem(code, Message(messages[code], {"name": name, **params})) for code, params in found]


def extension(file_name: str) -> str:
    """'Brief.PDF' -> 'pdf'; '' for a name without one."""
    return PurePosixPath(file_name).suffix.lower().lstrip(".")


def accepted_types() -> set[str]:
    """IMPORT_ATTACHMENT_TYPES without dots, in lower case; empty: every type is accepted."""
    return {t.strip().lower().lstrip(".") for t in settings.IMPORT_ATTACHMENT_TYPES if t.strip()}


def types_text(types: set[str]) -> str:
    return ", ".join(f".{t}" for t in sorted(types))


def limits_text() -> Message | None:
    """What a page says beside its file input: the largest size and the accepted types."""
    limit, accepted = settings.IMPORT_ATTACHMENT_MAX_SIZE, accepted_types()
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


def accept_attribute() -> str:
    """The file input's `accept`: the browser offers only the accepted types ("" for all)."""
    return ",".join(f".{t}" for t in sorted(accepted_types()))
