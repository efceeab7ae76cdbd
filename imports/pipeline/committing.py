"""Committing: validated rows -> dossier items, in batches, inside one transaction (R27).

Validation stages every valid row as plain database values (one JSON line per row, in a
private file); the commit reads them back, so the file is neither read nor validated twice.
The numbers come from the type's sequence at the start (R28); then the items are inserted in
batches (one per destination, R8), each batch followed by its attachments (a full copy per
item), workflow entries from characteristics (R17) and, for a creation profile, review tasks
and the generated document (R21). An import without any of those goes in inserts of 20
batches (on PostgreSQL a COPY each). The outgoing-post choice is never acted on (R7). Files
written to storage by a commit that fails are removed again, so a failed import leaves
nothing behind; each is named in a manifest file before it is written, so that the reaper
can remove them when the process was killed halfway (`WrittenFiles`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import batched, groupby
from operator import attrgetter, methodcaller
from pathlib import Path
from typing import IO, Any

from django.core.files.base import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from dossier.documents import ITEM_RELATIONS
from dossier.models import Attachment, DossierItem
from dossier.services import (
    allocate_numbers,
    apply_creation_profile,
    enter_workflows,
    json_value,
    remove_files,
    store_file,
    visible_name,
)
from dossier.spec import ItemSpec
from imports.pipeline.attachments import AttachmentSource, Member
from imports.pipeline.outcomes import CleanRow, Problem, RowResult
from spreadsheets.cells import UNCOMPUTED
from spreadsheets.messages import restored, stored

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
BATCHES_PER_INSERT = 20  # without follow-ups: on PostgreSQL one COPY per 20,000 rows
COMMIT_TIME_COLUMNS = ("number", "created_at")
NEVER_AT_CREATION = ("changed_at", "changed_by")  # left NULL by the insert


class ItemRows:
    """DossierItem rows as lists of database values in a fixed column order: what the
    staging file holds and what the insert takes."""

    def __init__(self, spec: ItemSpec, *, job=None):
        self.spec = spec
        self.fields = [
            f
            for f in DossierItem._meta.concrete_fields
            if not f.primary_key and f.name not in COMMIT_TIME_COLUMNS + NEVER_AT_CREATION
        ]
        constants = {
            "item_type": spec.item_type.pk,
            "creation_profile": spec.profile.pk if spec.profile else None,
            "import_job": job.pk if job else None,
        }
        position = {f.name: index for index, f in enumerate(self.fields)}
        # Worked out once, used per row: the row of defaults and constants, and for each
        # field code of the spec its position in the row with its converter, or its free field.
        self._template = [
            _column_value(f, constants[f.name]) if f.name in constants else _default(f) for f in self.fields
        ]
        self._slots: dict[str, tuple[int, Callable[[Any], Any] | None]] = {}
        self._free: dict[str, str] = {}
        for code, (is_free, name) in spec.item_routes.items():
            if is_free:
                self._free[code] = name
            elif name in position and name not in constants:
                field = self.fields[position[name]]
                self._slots[code] = (position[name], _converter(field))
        # What a row stages: the columns a value of the spec can set, the free values and the
        # fingerprint, in this order (STAGED_COLUMNS heads the staging file); the others hold
        # the same for every row and are added at the commit.
        staged = sorted({index for index, _convert in self._slots.values()} | {position["free_values"]})
        staged.append(position["fingerprint"])
        self.staged_columns = [self.fields[index].name for index in staged]
        at = {index: place for place, index in enumerate(staged)}
        self._slots = {code: (at[index], convert) for code, (index, convert) in self._slots.items()}
        self._staged_template = [self._template[index] for index in staged]
        self._free_values = at[position["free_values"]]
        self._fingerprint = len(staged) - 1
        self.take_layout(self.staged_columns)

    def prepare(self, values: dict[str, Any], fingerprint: str | None = None) -> list[Any]:
        """Validated values (as `ItemSpec.validate` returns them) and the item's fingerprint
        (dossier.fingerprints) -> one staged row (`staged_columns`); the same storing as
        `dossier.services.item_attributes`, without building a model."""
        row = self._staged_template.copy()
        row[self._fingerprint] = fingerprint
        free: dict[str, Any] = {}
        slots, free_names = self._slots, self._free
        for code, value in values.items():
            slot = slots.get(code)
            if slot is not None:
                index, convert = slot
                row[index] = convert(value) if convert and value is not None else value
            elif code in free_names:
                free[free_names[code]] = json_value(value)
        row[self._free_values] = free  # encoded by `database_row`, at the commit
        return row

    def staging_header(self) -> str:
        """The staging file's first line: the columns of its rows."""
        return STAGING_ENCODER.encode({STAGED_COLUMNS: self.staged_columns}) + "\n"

    def take_layout(self, names: list[str] | None) -> None:
        """Insert rows staged with the columns `names` (a staging file's header), the other
        columns from the defaults and constants; None: a staging file without a header
        (written before the header was), whose rows hold every column in the model's order."""
        by_name = {f.name: index for index, f in enumerate(self.fields)}
        names = [f.name for f in self.fields] if names is None else names
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise ValueError(f"The staged rows hold columns the item table does not have: {unknown}")
        rest = [index for index in range(len(self.fields)) if self.fields[index].name not in set(names)]
        self._insert_fields = [self.fields[by_name[name]] for name in names] + [self.fields[index] for index in rest]
        self._tail = [self._template[index] for index in rest]
        self._staged_free_values = names.index("free_values") + len(COMMIT_TIME_COLUMNS)

    def database_row(self, number: int, created_at: Any, prepared: list[Any]) -> list[Any]:
        """A staged row as the insert takes it: (number, created_at, *staged values, *the rest)."""
        row = [number, created_at, *prepared, *self._tail]
        at = self._staged_free_values
        row[at] = FREE_VALUES_ENCODER.encode(row[at])
        return row

    @contextmanager
    def inserter(self) -> Iterator[Callable[[list[list[Any]]], None]]:
        """A function that inserts database rows. On PostgreSQL its calls feed one COPY,
        so the server stores rows while this process prepares the next ones. Elsewhere
        executemany (SQLite runs in this process, so that is as fast)."""
        quote = connection.ops.quote_name
        table = quote(DossierItem._meta.db_table)
        names = ", ".join(quote(c) for c in (*COMMIT_TIME_COLUMNS, *(f.column for f in self._insert_fields)))
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if connection.vendor == "postgresql" and hasattr(raw, "copy"):
                with connection.wrap_database_errors, raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    write = copy.write_row

                    def insert(rows: list[list[Any]]) -> None:
                        for row in rows:
                            write(row)

                    yield insert
                return
            placeholders = ", ".join(["%s"] * (len(COMMIT_TIME_COLUMNS) + len(self._insert_fields)))
            sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
            yield lambda rows: cursor.executemany(sql, rows)


FREE_VALUES_ENCODER = DjangoJSONEncoder()
STAGING_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)


def _default(field: models.Field) -> Any:
    return field.get_default()  # "" for text fields, None for nullable ones, else the default


def _column_value(field: models.Field, value: Any) -> Any:
    return field.target_field.get_db_prep_save(value, connection) if field.is_relation else value


DATETIMES_KEPT = 4096
# SQLite's page cache while a commit runs (its default is 2 MiB): the item table's indexes
# take each row at another place, and with too small a cache SQLite writes pages out and
# reads them back within the transaction (a quarter of the commit's time at 2 MiB).
COMMIT_PAGE_CACHE_KIB = 4096


@contextmanager
def page_cache(kibibytes: int) -> Iterator[None]:
    """SQLite's page cache of this connection set to `kibibytes` for the block, then back."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-int(kibibytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    if field.is_relation:
        return attrgetter(field.target_field.attname)  # validated references are model instances
    if isinstance(field, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        texts: dict[dt.datetime, str] = {}  # a file's rows share few moments: each adapted once

        def datetime_text(value: dt.datetime) -> str:  # an aware datetime, as text both databases take
            text = texts.get(value)  # equal datetimes are one instant, whatever their zone
            if text is None:
                text = str(adapt(value))
                if len(texts) >= DATETIMES_KEPT:
                    texts.clear()
                texts[value] = text
            return text

        return datetime_text
    if isinstance(field, models.DateField):
        return methodcaller("isoformat")
    return None


# --- staging -------------------------------------------------------------------------------


def stage_row(handle: IO[str], row: CleanRow, rows: ItemRows, *, duplicate: bool = False) -> None:
    """One valid row as one JSON line: its row number, attachments and items, and a 1 last
    when it is probably a duplicate (imports.pipeline.duplicates)."""
    fingerprints = row.fingerprints or [None] * len(row.items)
    items = [
        [rows.spec.workflow_id_for(values), rows.prepare(values, fingerprint)]
        for values, fingerprint in zip(row.items, fingerprints, strict=True)
    ]
    members = [[m.name, m.size, m.zip_name, m.path] for m in row.attachments]
    line = [row.number, members or None, items]
    if duplicate:
        line.append(1)
    handle.write(STAGING_ENCODER.encode(line) + "\n")


STAGED_COLUMNS = "columns"


def read_staging_header(handle: IO[str]) -> list[str] | None:
    """The columns of a staging file's rows (its first line), read past; None for a file
    written before it had a header (the handle is then back at its start)."""
    first = handle.readline()
    if first.startswith("{"):
        return json.loads(first)[STAGED_COLUMNS]
    handle.seek(0)
    return None


def read_staged(handle: IO[str], *, skip_duplicates: bool = False) -> Iterator[tuple[int, list[Member], list]]:
    """The staged rows: (row number, its attachments, its items); without the probable
    duplicates when `skip_duplicates`."""
    for line in handle:
        number, members, items, *duplicate = json.loads(line)
        if duplicate and skip_duplicates:
            continue
        if members and isinstance(members[0], str):  # staged before a row could name several
            members = [members]
        yield number, [Member(*member) for member in members or ()], items


def stage_rejected(handle: IO[str], result: RowResult) -> None:
    """One invalid row as one JSON line: its row number, its cells as read and its errors,
    what the rejected-rows file needs, so it is written without reading the file again."""
    errors = [[p.column, p.value, p.code, stored(p.message), p.field] for p in result.problems if not p.is_warning]
    line = [result.number, [_cell_to_json(cell) for cell in result.cells], errors]
    handle.write(STAGING_ENCODER.encode(line) + "\n")


def read_rejected(handle: IO[str]) -> Iterator[RowResult]:
    for line in handle:
        number, cells, errors = json.loads(line)
        problems = [
            Problem(number, column, value, code, restored(message), field)
            for column, value, code, message, field in errors
        ]
        yield RowResult(number, tuple(_cell_from_json(cell) for cell in cells), None, problems)


# A cell keeps its type through the staging: a date stays a date cell in the rejected rows.
CELL_TYPES = {"datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat, "time": dt.time.fromisoformat}


def _cell_to_json(cell: Any) -> Any:
    if cell is None or cell.__class__ in (str, int, float, bool):
        return cell
    if cell is UNCOMPUTED:
        return {"uncomputed": ""}
    for kind in CELL_TYPES:  # datetime before date: a datetime is a date too
        if isinstance(cell, getattr(dt, kind)):
            return {kind: cell.isoformat()}
    return str(cell)


def _cell_from_json(cell: Any) -> Any:
    if cell.__class__ is not dict:
        return cell
    ((kind, text),) = cell.items()
    return UNCOMPUTED if kind == "uncomputed" else CELL_TYPES[kind](text)


# --- commit --------------------------------------------------------------------------------


class WrittenFiles:
    """The files a commit writes to `storage` (attachments, generated documents), each named
    before it is written: kept in memory and, with a `manifest`, appended to that file too,
    so that what a killed process wrote can be found and removed (`remove_listed`).

    While `recording()`, every file this thread saves through the storage is noted, whichever
    code saves it (the commit's attachments, a creation profile's documents)."""

    def __init__(self, storage, manifest: Path | None = None):
        self.storage = storage
        self.manifest = manifest
        self.names: list[str] = []

    @contextmanager
    def recording(self) -> Iterator[WrittenFiles]:
        storage, thread = self.storage, threading.get_ident()
        handle = open(self.manifest, "a", encoding="utf-8", opener=_owner_only) if self.manifest else None  # noqa: SIM115
        save = storage._save  # the one place every write of the storage passes

        def noted_save(name: str, content) -> str:
            if threading.get_ident() != thread:
                return save(name, content)
            self._note(name, handle)
            written = save(name, content)
            if written != name:  # renamed by the storage at the last moment
                self._note(written, handle)
            return written

        own = vars(storage).get("_save")  # a storage may carry its own (a test's fault)
        storage._save = noted_save
        try:
            yield self
        finally:
            if own is None:
                del storage._save
            else:
                storage._save = own
            if handle is not None:
                handle.close()

    def _note(self, name: str, handle) -> None:
        self.names.append(name)
        if handle is not None:
            handle.write(name + "\n")
            handle.flush()

    def remove(self) -> None:
        """Remove every file written (the transaction that would have kept them failed)."""
        remove_files(self.storage, self.names)  # the reaper's manifest has what it refuses
        self.names.clear()


def remove_listed(manifest: Path, storage) -> int:
    """Remove the files a manifest names that no attachment refers to (a killed commit's),
    then the manifest. Returns how many files were removed."""
    try:
        names = [line for line in manifest.read_text(encoding="utf-8").splitlines() if line]
    except FileNotFoundError:
        return 0
    kept = set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
    gone = [name for name in dict.fromkeys(names) if name not in kept]
    refused = remove_files(storage, gone)
    if not refused:  # else the manifest stays and the next round tries again
        try:
            manifest.unlink(missing_ok=True)
        except OSError:
            logger.warning("The manifest %s could not be removed; the next round tries again.", manifest)
    return len(gone) - len(refused)


class Committer:
    def __init__(
        self,
        spec: ItemSpec,
        *,
        job=None,
        attachments: AttachmentSource | None = None,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
        written: WrittenFiles | None = None,
    ):
        self.spec = spec
        self.job = job
        self.rows = ItemRows(spec, job=job)
        self.attachments = attachments
        self.batch_size = batch_size
        self.progress = progress or (lambda done: None)
        # The files written until the transaction commits, removed if it does not.
        self.written = written or WrittenFiles(Attachment._meta.get_field("file").storage)
        # Attachments, workflow entries (R17) and profiles (R21) need the ids of the stored items.
        self.first_number: int | None = None  # the first item's number, once allocated
        self.follows_up = attachments is not None or spec.profile is not None or bool(spec.workflow_of_combination)

    def commit(
        self,
        staged: Iterable[tuple[int, list[Member], list]],
        *,
        item_count: int,
        finish: Callable[[int], None] | None = None,
    ) -> int:
        """Store every staged row, or nothing. `item_count`: the items the staged rows hold
        (a row naming several destinations holds several). Returns the items created.
        `progress` is called between inserts, inside the transaction: what it writes to the
        database stays invisible to others until the commit, so it should report elsewhere;
        it may raise to stop (everything is rolled back). `finish(items)` runs last inside the
        transaction, so what it records commits with the items or not at all."""
        rows_done = 0
        try:
            with self.written.recording(), page_cache(COMMIT_PAGE_CACHE_KIB), transaction.atomic():
                allocated = allocate_numbers(item_type=self.spec.item_type, count=item_count)
                # The items are numbered on from here in the order of the staged rows.
                self.first_number = allocated.start if allocated else None
                numbers = iter(allocated)
                if self.follows_up:  # each batch its own insert, so its items can be followed up
                    for batch in batched(staged, self.batch_size):
                        with self.rows.inserter() as insert:
                            entries = self._commit_batch(batch, insert, numbers)
                        self._follow_up(entries)
                        rows_done += len(batch)
                        self.progress(rows_done)
                else:  # an insert for every BATCHES_PER_INSERT batches, read as they go in
                    numbered = enumerate(batched(staged, self.batch_size))
                    for _insert, batches in groupby(numbered, key=lambda pair: pair[0] // BATCHES_PER_INSERT):
                        with self.rows.inserter() as insert:
                            for _index, batch in batches:
                                self._commit_batch(batch, insert, numbers)
                                rows_done += len(batch)
                        self.progress(rows_done)  # not during a COPY, which holds the connection
                if next(numbers, None) is not None:
                    raise RuntimeError("The staged rows hold fewer items than the validation counted.")
                if finish is not None:
                    finish(item_count)
        except BaseException:
            self.written.remove()
            raise
        return item_count

    def _commit_batch(self, batch, insert, numbers: Iterator[int]) -> list[tuple[int, list[Member], int | None]]:
        """Insert one batch; returns (number, attachments, workflow id) of each item."""
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        entries, rows = [], []
        for _row_number, members, items in batch:
            for workflow_id, values in items:
                number = next(numbers, None)
                if number is None:
                    raise RuntimeError("The staged rows hold more items than the validation counted.")
                entries.append((number, members, workflow_id))
                rows.append(self.rows.database_row(number, now, values))
        insert(rows)
        return entries

    def _follow_up(self, entries: list[tuple[int, list[Member], int | None]]) -> None:
        if not entries:
            return
        ids = dict(
            DossierItem.objects.filter(
                item_type=self.spec.item_type, number__range=(entries[0][0], entries[-1][0])
            ).values_list("number", "pk")
        )
        item_ids = [ids[number] for number, _m, _w in entries]
        self._attach_files(item_ids, [member for _n, member, _w in entries])
        enter_workflows(
            entries=[
                (DossierItem(pk=item_id), workflow_id)
                for item_id, (_n, _m, workflow_id) in zip(item_ids, entries, strict=True)
            ]
        )
        if self.spec.profile is not None:
            items = list(DossierItem.objects.filter(pk__in=item_ids).select_related(*ITEM_RELATIONS))
            author = self.job.user if self.job is not None else None
            apply_creation_profile(items=items, profile=self.spec.profile, author=author)

    def _attach_files(self, item_ids: list[int], members_of_items: list[list[Member]]) -> None:
        """Each item its own copy of each file its row names. A file is copied out of the ZIP
        once for the items of its row, in chunks, to a temporary file (SPOOL_IN_MEMORY bytes
        at most stay in memory), and stored from there for each item."""
        if self.attachments is None:
            return
        attachments = []
        spooled: list[tuple[Member, IO[bytes], str, int]] = []
        row_members: list[Member] | None = None
        try:
            for item_id, members in zip(item_ids, members_of_items, strict=True):
                if members is not row_members:  # the items of one row share its list
                    _close_all(spooled)
                    spooled = [(member, *self._spool(member)) for member in members]
                    row_members = members
                for member, copy, sha256, size in spooled:
                    copy.seek(0)
                    attachment = Attachment(
                        item_id=item_id, original_name=visible_name(member.file_name), size=size, sha256=sha256
                    )
                    store_file(attachment.file, attachment.original_name, File(copy))
                    attachments.append(attachment)
        finally:
            _close_all(spooled)
        Attachment.objects.bulk_create(attachments)

    def _spool(self, member: Member) -> tuple[IO[bytes], str, int]:
        """The member copied to a temporary file in chunks: (the copy, its sha256, its size)."""
        copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (closed by the caller)
        digest, size = hashlib.sha256(), 0
        try:
            with self.attachments.open_member(member) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    copy.write(chunk)
        except BaseException:
            copy.close()
            raise
        return copy, digest.hexdigest(), size


SPOOL_IN_MEMORY = 1 << 20  # an attachment up to this size is copied in memory, a larger one to disk
CHUNK = 1 << 20


def _close_all(spooled: list[tuple[Member, IO[bytes], str, int]]) -> None:
    for _member, copy, _sha256, _size in spooled:
        copy.close()


def _owner_only(name: str, flags: int) -> int:
    """Open the manifest readable by the application's user only (0600, whatever the umask)."""
    descriptor = os.open(name, flags, 0o600)
    os.fchmod(descriptor, 0o600)
    return descriptor
