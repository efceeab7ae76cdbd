"""Probable duplicates: valid rows whose items were imported before, or repeat an earlier row
of the same file, found by their fingerprints (dossier.fingerprints: type, destinations,
subject, submit date and the SHA-256 of each attachment, from the validated values).

The validator's batches of rows pass through `DuplicateFinder.mark`, 900 rows at a time:
1. each valid row's items get their fingerprints (an attachment is read once for its SHA-256);
   rows in `recognised` (created by an earlier import, left alone) are not compared;
2. the batch's fingerprints are looked up among the type's items, one indexed query per 900
   fingerprints (one a batch, unless rows name several relations) (`DossierItem.fingerprint`, item_fingerprint_idx), never one per row;
3. a row with an item found there, or whose item an earlier row of the file has already, is
   marked `duplicate` and gets a warning per such item ("probably imported before: item N,
   import of DATE by USER", "the same as row R").
The user then chooses to skip those rows or import them anyway (ImportJob.duplicates); the
commit stores the fingerprints on the items it makes, for the next file.

A row is a duplicate when any of its items is (R8: a row naming two relations, one of which
has the item already); skipped, it is left out whole. The warnings are Messages (MESSAGES),
stored language-free and rendered in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from array import array
from collections.abc import Callable, Container
from itertools import batched
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop

from dossier.fingerprints import fingerprint_of_values
from dossier.models import DossierItem
from imports.pipeline.attachments import ArchiveError, AttachmentSource, Member
from imports.pipeline.outcomes import Problem, RowResult
from spreadsheets.messages import Message

QUERY_CHUNK = 900  # fingerprints per IN (...) query, inside SQLite's variable limit everywhere
# Rows compared at once: as many as one query takes (one item a row), so a batch is one query
# (more only for rows naming several relations).
BATCH_SIZE = QUERY_CHUNK

# The stable codes of the warnings (docs/errors.md).
IMPORTED_BEFORE = "probably_imported_before"
ENTERED_BEFORE = "probably_entered_before"
SAME_AS_ROW = "same_as_earlier_row"
DUPLICATE_CODES = frozenset({IMPORTED_BEFORE, ENTERED_BEFORE, SAME_AS_ROW})


MESSAGES = {
    SAME_AS_ROW: gettext_noop(
        "The same as row %(row)s (same type, destination, subject, submit date and attachment): skip such rows, or import them anyway."
    ),
    ENTERED_BEFORE: gettext_noop(
        "Probably entered before: item %(item)s of %(date)s has the same type, destination, subject, submit date and attachment; skip such rows, or import them anyway."
    ),
    IMPORTED_BEFORE: gettext_noop(
        "Probably imported before: item %(item)s, import of %(date)s by another user; skip such rows, or import them anyway."
    ),
}
# IMPORTED_BEFORE when it may name the user.
IMPORTED_BEFORE_BY = gettext_noop(
    "Probably imported before: item %(item)s, import of %(date)s by %(user)s; skip such rows, or import them anyway."
)


def duplicate_message(code: str, params: dict[str, Any]) -> Message:
    """The message of a duplicate warning, from its code and parameters: the one place these
    messages are made, kept language-free (rendered in the reader's language). IMPORTED_BEFORE
    names the user only when `params` holds him (the importing user's own import, or he is an
    administrator; `may_name`)."""
    if code == IMPORTED_BEFORE and params.get("user"):
        return Message(IMPORTED_BEFORE_BY, params)
    return Message(MESSAGES[code], params)


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M") if moment else "-"


class FirstRows:
    """The first row of the file with each fingerprint, by the fingerprint's first 64 bits (an
    int): open addressing in two arrays, at most 24 bytes an entry where a dict of ints takes
    about 120, so that a file of a million rows adds some 25 MB, not 120 (memory stays flat).
    At most half the slots are used; a lookup walks on from its slot to an empty one."""

    def __init__(self, size: int = 1 << 12):
        self._keys = array("Q", bytes(8 * size))  # 0: empty (a key is never 0: see `first`)
        self._rows = array("I", bytes(4 * size))
        self._mask = size - 1
        self._count = 0

    def first(self, key: int, row: int) -> int:
        key |= 1  # never 0
        keys, mask = self._keys, self._mask
        slot = (key >> 1) & mask
        while True:
            found = keys[slot]
            if found == key:
                return self._rows[slot]
            if not found:
                break
            slot = (slot + 1) & mask
        keys[slot] = key
        self._rows[slot] = row
        self._count += 1
        if self._count * 2 > mask:
            self._grow()
        return row

    def _grow(self) -> None:
        old = zip(self._keys, self._rows, strict=True)
        size = (self._mask + 1) * 2
        self._keys = array("Q", bytes(8 * size))
        self._rows = array("I", bytes(4 * size))
        self._mask = size - 1
        keys, rows, mask = self._keys, self._rows, self._mask
        for key, row in old:
            if key:
                slot = (key >> 1) & mask
                while keys[slot]:
                    slot = (slot + 1) & mask
                keys[slot] = key
                rows[slot] = row


class DuplicateFinder:
    """Marks the probable duplicates among validated rows of one type (see the module).
    `now`: the moment the validator filled in for a row without a submit date (R10), which
    then has no date in its fingerprint. `may_name(user_id)`: whether the warning may name the
    user of an earlier import (issue 14: his own, or the reader is an administrator)."""

    def __init__(
        self,
        item_type,
        *,
        now: dt.datetime,
        may_name: Callable[[int], bool],
        attachments: AttachmentSource | None = None,
        batch_size: int = BATCH_SIZE,
        recognised: Container[int] = (),
    ):
        self.item_type = item_type
        self.now = now
        self.may_name = may_name
        self.attachments = attachments
        self.batch_size = batch_size
        self.recognised = recognised
        self._first_rows = FirstRows()
        self._digests: dict[str, str] = {}  # attachment -> its SHA-256

    def mark(self, results: list[RowResult]) -> None:
        """Mark the duplicates among a batch of validated rows (the validator's batch: the
        rows are held once)."""
        for batch in batched(results, self.batch_size):
            valid = [result for result in batch if result.is_valid and result.number not in self.recognised]
            for result in valid:
                clean = result.clean
                digests = sorted(self._digest(member) for member in clean.attachments) if clean.attachments else ()
                clean.fingerprints = [
                    fingerprint_of_values(
                        self.item_type.pk,
                        values,
                        attachment_sha256s=digests,
                        date_given=values.get("submitted_at") is not self.now,
                    )
                    for values in clean.items
                ]
            found = self._existing({fp for result in valid for fp in result.clean.fingerprints})
            for result in valid:
                self._mark_row(result, found)

    def _mark_row(self, result: RowResult, found: dict[str, tuple]) -> None:
        warnings = []
        for fingerprint in result.clean.fingerprints:
            if fingerprint in found:
                warnings.append(self._imported_before(result.number, found[fingerprint]))
            first = self._first_rows.first(int(fingerprint[:16], 16), result.number)
            if first != result.number:
                warnings.append(self._warning(result.number, SAME_AS_ROW, {"row": first}))
        if warnings:
            result.duplicate = True
            result.problems.extend(dict.fromkeys(warnings))  # one each, in order

    def _existing(self, fingerprints: set[str]) -> dict[str, tuple]:
        """The items with these fingerprints (the latest of each), with their import; a
        fingerprint holds the item's type, so they are items of the type."""
        found: dict[str, tuple] = {}
        for chunk in batched(sorted(self._stored(fingerprints)), QUERY_CHUNK):
            rows = (
                # By the fingerprint alone, which holds the type: so the database can only take
                # item_fingerprint_idx (with the type too, SQLite may walk the type's items).
                DossierItem.objects.filter(fingerprint__in=chunk)
                .order_by()
                .values_list(
                    "fingerprint",
                    "number",
                    "created_at",
                    "import_job_id",
                    "import_job__finished_at",
                    "import_job__user_id",
                    "import_job__user__username",
                )
            )
            for row in rows:
                if row[0] not in found or row[1] > found[row[0]][1]:
                    found[row[0]] = row
        return found

    @staticmethod
    def _stored(fingerprints: set[str]) -> set[str]:
        """Those of the fingerprints that an item has: a look at item_fingerprint_idx alone,
        written out (the ORM takes longer to build the query than the database to answer),
        so that the query with the items and their imports runs for the few found."""
        table = connection.ops.quote_name(DossierItem._meta.db_table)
        column = connection.ops.quote_name(DossierItem._meta.get_field("fingerprint").column)
        stored: set[str] = set()
        with connection.cursor() as cursor:
            for chunk in batched(fingerprints, QUERY_CHUNK):
                placeholders = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({placeholders})", chunk)  # noqa: S608
                stored.update(row[0] for row in cursor.fetchall())
        return stored

    def _imported_before(self, number: int, item: tuple) -> Problem:
        _fingerprint, item_number, created_at, job_id, finished_at, user_id, username = item
        if job_id is None:
            return self._warning(number, ENTERED_BEFORE, {"item": item_number, "date": _when(created_at)})
        params = {"item": item_number, "date": _when(finished_at or created_at)}
        if self.may_name(user_id):
            params["user"] = username
        return self._warning(number, IMPORTED_BEFORE, params)

    @staticmethod
    def _warning(number: int, code: str, params: dict[str, Any]) -> Problem:
        return Problem(
            row=number, column=None, value="", code=code, message=duplicate_message(code, params), is_warning=True
        )

    def _digest(self, member: Member) -> str:
        """The SHA-256 of an attachment, read once however many rows name it. A member that
        turns out damaged gets no digest here (the commit refuses it with its sentence)."""
        key = member.path or member.zip_name or member.name
        if key not in self._digests:
            digest = hashlib.sha256()
            try:
                with self.attachments.open_member(member) as stream:
                    for chunk in iter(lambda: stream.read(1 << 20), b""):
                        digest.update(chunk)
            except (ArchiveError, OSError):
                self._digests[key] = "unreadable:" + key
            else:
                self._digests[key] = digest.hexdigest()
        return self._digests[key]
