"""Committing: validated rows -> dossier items, in batches, inside one transaction (R27).

Validation stages every valid row as plain database values (one JSON line per row, in a
private file); the commit reads them back, so the file is neither read nor validated twice.
For each batch: numbers from the type's sequence (R28), one multi-row insert of the items
(one per destination, R8), then their attachments (a full copy per item), workflow entries
from characteristics (R17) and, for a creation profile, review tasks and the generated
document (R21). The outgoing-post choice is never acted on (R7). Files written to storage by
a commit that fails are removed again, so a failed import leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import batched
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from dossier.models import Attachment, DossierItem
from dossier.services import allocate_numbers, apply_creation_profile, enter_workflows, item_attributes
from dossier.spec import ItemSpec
from imports.pipeline.attachments import AttachmentSource, Member
from imports.pipeline.outcomes import CleanRow

BATCH_SIZE = 1000
COMMIT_TIME_COLUMNS = ("number", "created_at")


class ItemRows:
    """DossierItem rows as lists of database values in a fixed column order: what the
    staging file holds and what the insert takes."""

    def __init__(self, spec: ItemSpec, *, job=None):
        self.spec = spec
        self.fields = [
            f for f in DossierItem._meta.concrete_fields if not f.primary_key and f.name not in COMMIT_TIME_COLUMNS
        ]
        self.constants = {
            "item_type": spec.item_type.pk,
            "creation_profile": spec.profile.pk if spec.profile else None,
            "import_job": job.pk if job else None,
        }
        # (attribute, value when absent, converter or None): worked out once, used per row
        self._plan = [(f.name, _default(f), self._converter(f)) for f in self.fields]

    def _converter(self, field: models.Field) -> Callable[[Any], Any] | None:
        if field.name in self.constants:
            constant = field.target_field.get_db_prep_save(self.constants[field.name], connection)
            return lambda value: constant
        if field.is_relation:
            return lambda value: value.pk if value is not None else None  # int keys go as they are
        if isinstance(field, models.JSONField):
            return lambda value: json.dumps(value, cls=field.encoder or DjangoJSONEncoder)
        if isinstance(field, models.DateTimeField):
            return lambda value: field.get_db_prep_save(value, connection)
        if isinstance(field, models.DateField):
            return lambda value: value.isoformat() if value is not None else None
        return None

    def prepare(self, values: dict[str, Any]) -> list[Any]:
        get = item_attributes(self.spec, values).get
        return [convert(get(name, default)) if convert else get(name, default) for name, default, convert in self._plan]

    def insert(self, rows: list[list[Any]]) -> None:
        """Insert rows of (number, created_at, *prepared values): COPY on PostgreSQL (psycopg
        3), executemany elsewhere (SQLite runs in this process, so that is as fast)."""
        quote = connection.ops.quote_name
        table = quote(DossierItem._meta.db_table)
        names = ", ".join(quote(c) for c in (*COMMIT_TIME_COLUMNS, *(f.column for f in self.fields)))
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if connection.vendor == "postgresql" and hasattr(raw, "copy"):
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            placeholders = ", ".join(["%s"] * (len(COMMIT_TIME_COLUMNS) + len(self.fields)))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608


def _default(field: models.Field) -> Any:
    return field.get_default()  # "" for text fields, None for nullable ones, else the default


# --- staging -------------------------------------------------------------------------------


def stage_row(handle: IO[str], row: CleanRow, rows: ItemRows) -> None:
    """One valid row as one JSON line: its row number, attachment and items."""
    member = row.attachment
    items = [[rows.spec.workflow_id_for(values), rows.prepare(values)] for values in row.items]
    line = [row.number, [member.name, member.size, member.zip_name, member.path] if member else None, items]
    handle.write(json.dumps(line, separators=(",", ":"), default=str) + "\n")


def read_staged(handle: IO[str]) -> Iterator[tuple[int, Member | None, list]]:
    for line in handle:
        number, member, items = json.loads(line)
        yield number, Member(*member) if member else None, items


# --- commit --------------------------------------------------------------------------------


class Committer:
    def __init__(
        self,
        spec: ItemSpec,
        *,
        job=None,
        attachments: AttachmentSource | None = None,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
    ):
        self.spec = spec
        self.rows = ItemRows(spec, job=job)
        self.attachments = attachments
        self.batch_size = batch_size
        self.progress = progress or (lambda done: None)
        self._stored_files: list = []

    def commit(self, staged: Iterable[tuple[int, Member | None, list]]) -> int:
        """Store every staged row, or nothing. Returns the number of items created."""
        created = 0
        rows_done = 0
        try:
            with transaction.atomic():
                for batch in batched(staged, self.batch_size):
                    created += self._commit_batch(batch)
                    rows_done += len(batch)
                    self.progress(rows_done)
        except BaseException:
            for stored in self._stored_files:
                stored.storage.delete(stored.name)
            raise
        return created

    def _commit_batch(self, batch) -> int:
        entries = [(member, workflow_id, values) for _number, member, items in batch for workflow_id, values in items]
        numbers = allocate_numbers(item_type=self.spec.item_type, count=len(entries))
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.rows.insert([[number, now, *values] for number, (_m, _w, values) in zip(numbers, entries, strict=True)])
        needs_ids = self.attachments is not None or self.spec.profile is not None or any(w for _m, w, _v in entries)
        if not needs_ids:
            return len(entries)
        ids = dict(
            DossierItem.objects.filter(
                item_type=self.spec.item_type, number__range=(numbers[0], numbers[-1])
            ).values_list("number", "pk")
        )
        item_ids = [ids[number] for number in numbers]
        self._attach_files(item_ids, [member for member, _w, _v in entries])
        enter_workflows(
            entries=[
                (DossierItem(pk=item_id), workflow_id)
                for item_id, (_m, workflow_id, _v) in zip(item_ids, entries, strict=True)
            ]
        )
        if self.spec.profile is not None:
            items = list(DossierItem.objects.filter(pk__in=item_ids).select_related("relation", "contact", "item_type"))
            apply_creation_profile(items=items, profile=self.spec.profile)
        return len(entries)

    def _attach_files(self, item_ids: list[int], members: list[Member | None]) -> None:
        if self.attachments is None:
            return
        attachments = []
        for item_id, member in zip(item_ids, members, strict=True):
            if member is None:
                continue
            with self.attachments.open_member(member) as stream:
                content = stream.read()
            attachment = Attachment(
                item_id=item_id,
                original_name=member.file_name,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
            attachment.file.save(member.file_name, ContentFile(content), save=False)
            self._stored_files.append(attachment.file)
            attachments.append(attachment)
        Attachment.objects.bulk_create(attachments)
