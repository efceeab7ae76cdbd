"""Committing: clean rows -> dossier items, in batches, inside one transaction (R27).

For each batch: numbers from the type's sequence (R28), one bulk insert of the items (one
per destination, R8), then their attachments (a full copy per item), workflow entries from
characteristics (R17) and, for a creation profile, review tasks and the generated document
(R21). The outgoing-post choice is never acted on (R7). Files written to storage by a commit
that fails are removed again, so a failed import leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from itertools import batched

from django.core.files.base import ContentFile
from django.db import transaction

from dossier.models import Attachment, DossierItem
from dossier.services import allocate_numbers, apply_creation_profile, enter_workflows, item_attributes
from dossier.spec import ItemSpec
from imports.pipeline.attachments import AttachmentArchive
from imports.pipeline.outcomes import CleanRow

BATCH_SIZE = 1000


class Committer:
    def __init__(
        self,
        spec: ItemSpec,
        *,
        job=None,
        archive: AttachmentArchive | None = None,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
    ):
        self.spec = spec
        self.job = job
        self.archive = archive
        self.batch_size = batch_size
        self.progress = progress or (lambda done: None)
        self._stored_files: list = []

    def commit(self, rows: Iterable[CleanRow]) -> int:
        """Store every row, or nothing. Returns the number of items created."""
        created = 0
        try:
            with transaction.atomic():
                for batch in batched(rows, self.batch_size):
                    created += self._commit_batch(batch)
                    self.progress(created)
        except BaseException:
            for stored in self._stored_files:
                stored.storage.delete(stored.name)
            raise
        return created

    def _commit_batch(self, batch: tuple[CleanRow, ...]) -> int:
        pairs = [(row, values) for row in batch for values in row.items]
        numbers = allocate_numbers(item_type=self.spec.item_type, count=len(pairs))
        items = [
            DossierItem(
                item_type=self.spec.item_type,
                number=number,
                creation_profile=self.spec.profile,
                import_job=self.job,
                **item_attributes(self.spec, values),
            )
            for number, (_row, values) in zip(numbers, pairs, strict=True)
        ]
        DossierItem.objects.bulk_create(items)
        self._attach_files(items, pairs)
        enter_workflows(
            spec=self.spec, pairs=[(item, values) for item, (_row, values) in zip(items, pairs, strict=True)]
        )
        if self.spec.profile is not None:
            apply_creation_profile(items=items, profile=self.spec.profile)
        return len(items)

    def _attach_files(self, items: list[DossierItem], pairs) -> None:
        if self.archive is None:
            return
        attachments = []
        for item, (row, _values) in zip(items, pairs, strict=True):
            member = row.attachment
            if member is None:
                continue
            with self.archive.open_member(member) as stream:
                content = stream.read()
            attachment = Attachment(
                item=item, original_name=member.file_name, size=len(content), sha256=hashlib.sha256(content).hexdigest()
            )
            attachment.file.save(member.file_name, ContentFile(content), save=False)
            self._stored_files.append(attachment.file)
            attachments.append(attachment)
        Attachment.objects.bulk_create(attachments)
