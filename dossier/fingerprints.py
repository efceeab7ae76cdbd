"""The fingerprint of a dossier item: what makes two items "probably the same document".

Two items are probably the same when they are of the same type, land on the same
destinations (relation, contact, the roles they regard, project and course), have the same
subject (spaces and case aside), the same submit date (to the second) and the same attached
files (their SHA-256s, in any order). The fingerprint is worked out from validated values,
never from the text of a cell, so a .csv and an .xlsx of the same rows, or a file in Dutch
and one in English, give the same fingerprints. An item whose submit date was not given (R10: the moment of the
import) has no date in its fingerprint: the same row without a date imported twice is the
same item twice.

The import stores it on each item it creates (`DossierItem.fingerprint`, indexed) and looks
for it before it imports (imports/pipeline/duplicates.py); migration 0013 filled it in for the
items made before, from their stored values and attachments. An item recorded or changed by
hand gets it from what it holds then (dossier.services.refresh_fingerprint). An item with none
(NULL) is never taken for a duplicate.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from hashlib import sha256
from typing import Any

FINGERPRINT_LENGTH = 32  # hex characters: 128 bits of a SHA-256
REGARDING_FIELDS = (
    "regarding_relation",
    "regarding_employee",
    "regarding_sales",
    "regarding_purchase",
    "regarding_applicant",
)
SEPARATOR = "\x1f"  # the unit separator: no value the parts are made of holds it


def item_fingerprint(
    *,
    item_type_id: int,
    relation_id: int | None,
    contact_id: int | None,
    regarding: tuple[str, ...] = (),
    project_id: int | None = None,
    course_id: int | None = None,
    subject: str = "",
    submitted_at: dt.datetime | None = None,
    attachment_sha256s: Iterable[str] = (),
) -> str:
    """The fingerprint of one item from its parts (ids of what it refers to). `regarding`:
    the regarding fields that are set; `submitted_at` None: the date was not given;
    `attachment_sha256s`: the SHA-256 of each attached file (sorted here: order does not
    matter)."""
    return _fingerprint(
        item_type_id,
        relation_id,
        contact_id,
        regarding,
        project_id,
        course_id,
        subject,
        submitted_at,
        attachment_sha256s,
    )


def fingerprint_of_values(
    item_type_id: int, values: dict[str, Any], *, attachment_sha256s: Iterable[str], date_given: bool
) -> str:
    """The fingerprint of an item from its validated values (`ItemSpec.validate`'s output:
    model instances for references). `date_given`: the submit date came from the file, not
    from the moment of the import (R10)."""
    get = values.get
    relation, contact, project, course = get("relation"), get("contact"), get("project"), get("course")
    return _fingerprint(
        item_type_id,
        None if relation is None else relation.pk,
        None if contact is None else contact.pk,
        [code for code in REGARDING_FIELDS if get(code)],
        None if project is None else project.pk,
        None if course is None else course.pk,
        get("subject") or "",
        get("submitted_at") if date_given else None,
        attachment_sha256s,
    )


def fingerprint_of_item(item, *, attachment_sha256s: Iterable[str]) -> str:
    """The fingerprint of a stored item (a DossierItem, or the migration's historical one),
    from its stored values and its attachments' SHA-256s."""
    return item_fingerprint(
        item_type_id=item.item_type_id,
        relation_id=item.relation_id,
        contact_id=item.contact_id,
        regarding=tuple(code for code in REGARDING_FIELDS if getattr(item, code)),
        project_id=item.project_id,
        course_id=item.course_id,
        subject=item.subject,
        submitted_at=item.submitted_at,
        attachment_sha256s=attachment_sha256s,
    )


def _fingerprint(
    item_type_id, relation_id, contact_id, regarding, project_id, course_id, subject, submitted_at, attachment_sha256s
) -> str:
    parts = (
        str(item_type_id),
        "" if relation_id is None else str(relation_id),
        "" if contact_id is None else str(contact_id),
        ",".join(sorted(regarding)) if regarding else "",
        "" if project_id is None else str(project_id),
        "" if course_id is None else str(course_id),
        _subject(subject),
        "" if submitted_at is None else _moment(submitted_at),
        ",".join(sorted(digest.lower() for digest in attachment_sha256s)) if attachment_sha256s else "",
    )
    return sha256(SEPARATOR.join(parts).encode()).hexdigest()[:FINGERPRINT_LENGTH]


def _subject(subject: str) -> str:
    """The subject as compared: composed the same way, spaces collapsed, case left out."""
    if subject.isascii():  # composed already, and casefold() is lower() (the usual case, faster)
        return " ".join(subject.split()).lower()
    return " ".join(unicodedata.normalize("NFC", subject).split()).casefold()


_moments: dict[dt.datetime | dt.date, str] = {}  # a file's rows share few dates: each worked out once
MOMENTS_KEPT = 4096


def _moment(value: dt.datetime | dt.date) -> str:
    """The submit date in UTC to the nearest second (a spreadsheet's date cell and a text
    date may differ by a rounding of microseconds)."""
    text = _moments.get(value)  # equal datetimes are the same instant, whatever their zone
    if text is None:
        text = _utc_second(value)
        if len(_moments) >= MOMENTS_KEPT:
            _moments.clear()
        _moments[value] = text
    return text


def _utc_second(value: dt.datetime | dt.date) -> str:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    rounded = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0, tzinfo=None)
    return rounded.isoformat()
