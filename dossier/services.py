"""Operations on dossier items that span models, need a transaction or touch files.
Views, the import, tasks and tests all call these."""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from itertools import batched
from typing import Any

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import BooleanField, F, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from dossier import documents
from dossier.fingerprints import fingerprint_of_item
from dossier.models import (
    Attachment,
    CreationProfile,
    DocumentTemplate,
    DossierItem,
    ItemType,
    ReviewTask,
    Workflow,
    WorkflowInstance,
)
from dossier.spec import ItemSpec

logger = logging.getLogger(__name__)


def allocate_numbers(*, item_type: ItemType, count: int = 1) -> range:
    """R28: reserve the next `count` numbers of the type. Must run inside the transaction
    that stores the items: the row stays locked until it commits, so concurrent imports wait
    their turn (no duplicates) and a rollback returns the numbers (no gaps)."""
    if count < 1:
        return range(0)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_numbers must run inside the transaction that stores the items.")
    ItemType.objects.filter(pk=item_type.pk).update(last_number=F("last_number") + count)
    last = ItemType.objects.values_list("last_number", flat=True).get(pk=item_type.pk)
    return range(last - count + 1, last + 1)


def item_attributes(spec: ItemSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Validated values (as `ItemSpec.validate` returns them) -> DossierItem field values."""
    routes = spec.item_routes
    attributes: dict[str, Any] = {"free_values": {}}
    free_values = attributes["free_values"]
    for code, value in values.items():
        route = routes.get(code)
        if route is None:
            continue
        is_free, name = route
        if is_free:
            free_values[name] = json_value(value)
        else:
            attributes[name] = value
    return attributes


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def create_item(
    *,
    spec: ItemSpec,
    values: dict[str, Any],
    attachment: File | None = None,
    attachment_name: str | None = None,
) -> DossierItem:
    """Store one validated item with its number, attachment, workflow entry (R17) and, for a
    creation profile, its review tasks and generated document (R21). If any of it fails,
    nothing is stored, files included."""
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            item = DossierItem(
                item_type=spec.item_type,
                creation_profile=spec.profile,
                number=allocate_numbers(item_type=spec.item_type, count=1)[0],
                **item_attributes(spec, values),
            )
            item.save()
            if attachment is not None:
                stored.append(add_attachment(item=item, content=attachment, name=attachment_name or attachment.name))
            refresh_fingerprint(item)
            enter_workflows(entries=[(item, spec.workflow_id_for(values))])
            if spec.profile is not None:
                apply_creation_profile(items=[item], profile=spec.profile, stored=stored)
    except BaseException:
        remove_files(Attachment._meta.get_field("file").storage, [a.file.name for a in stored])
        raise
    return item


def change_item(
    *,
    item: DossierItem,
    spec: ItemSpec,
    values: dict[str, Any],
    user,
    attachment: File | None = None,
) -> bool:
    """Store validated values (`ItemSpec.validate`) on an existing item. Every field the spec
    shows takes its value from `values` or is emptied; fields the type hides keep what they
    hold, and so do the submitter and submit date. When anything changed (an attachment
    added included), `changed_at` and `changed_by` are set. A change never enters, leaves
    or switches a workflow: an item enters one when it is made (R17). Returns whether
    anything changed; nothing is stored if any of it fails, files included."""
    new = item_attributes(spec, values)
    stored_attachment: Attachment | None = None
    try:
        with transaction.atomic():
            stored = DossierItem.objects.select_for_update().get(pk=item.pk)
            attributes: dict[str, Any] = {}
            free_values = dict(stored.free_values)
            for field in spec.visible_fields:
                route = spec.item_routes.get(field.code)
                if route is None or field.code in ("submitter", "submitted_at"):
                    continue
                is_free, name = route
                if is_free:
                    if name in new["free_values"]:
                        free_values[name] = new["free_values"][name]
                    else:
                        free_values.pop(name, None)
                else:
                    attributes[name] = new.get(name, _empty_value(name))
            attributes["free_values"] = free_values
            changed = [name for name, value in attributes.items() if _differs(stored, name, value)]
            if not changed and attachment is None:
                return False
            for name, value in attributes.items():
                setattr(item, name, value)
            item.changed_at, item.changed_by = timezone.now(), user
            item.save(update_fields=[*changed, "changed_at", "changed_by"])
            if attachment is not None:
                stored_attachment = add_attachment(item=item, content=attachment, name=attachment.name)
            refresh_fingerprint(item)
    except BaseException:
        if stored_attachment is not None:
            remove_files(stored_attachment.file.storage, [stored_attachment.file.name])
        raise
    return True


def refresh_fingerprint(item: DossierItem) -> None:
    """Work out the item's fingerprint (dossier/fingerprints.py) from what it holds now and
    its attachments, so an import finds an item recorded or changed by hand as well. Only the
    files a person brought count: a generated document differs on every run (its dates)."""
    digests = Attachment.objects.filter(item=item, kind=Attachment.Kind.FILE).values_list("sha256", flat=True)
    fingerprint = fingerprint_of_item(item, attachment_sha256s=list(digests))
    if fingerprint != item.fingerprint:
        item.fingerprint = fingerprint
        DossierItem.objects.filter(pk=item.pk).update(fingerprint=fingerprint)


def _empty_value(name: str) -> Any:
    """What an item field holds when it is left empty."""
    field = DossierItem._meta.get_field(name)
    if field.null:
        return None
    return False if isinstance(field, BooleanField) else ""


def _differs(stored: DossierItem, name: str, value: Any) -> bool:
    field = DossierItem._meta.get_field(name)
    if field.is_relation:
        return getattr(stored, field.attname) != getattr(value, "pk", value)
    return getattr(stored, name) != value


def add_attachment(
    *,
    item: DossierItem,
    content: File,
    name: str,
    kind: str = Attachment.Kind.FILE,
    template: DocumentTemplate | None = None,
) -> Attachment:
    sha256, size = Attachment.digest(content)
    attachment = Attachment(
        item=item, original_name=visible_name(name), size=size, sha256=sha256, kind=kind, template=template
    )
    store_file(attachment.file, attachment.original_name, content)
    try:
        attachment.save()
    except BaseException:
        remove_files(attachment.file.storage, [attachment.file.name])
        raise
    return attachment


# Characters a name can hold without showing them: control characters (Cc), format characters
# (Cf: bidirectional overrides and isolates U+202A-202E and U+2066-2069, zero-width spaces and
# marks U+200B-200F, U+FEFF, ...) and line and paragraph separators (Zl, Zp).
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def visible_name(name: str) -> str:
    """A file name as it may be stored, shown and sent: without invisible characters, which
    could disguise it (U+202E turns 'cv\u202efdp.exe' into what reads as 'cvexe.pdf')."""
    if name.isascii() and name.isprintable():
        return name
    return "".join(c for c in name if unicodedata.category(c) not in INVISIBLE_CATEGORIES)


def store_file(file: FieldFile, name: str, content: File) -> None:
    """Write `content` to the storage of a file field (without saving its model), under the
    name its upload_to makes of `name`. If the writing fails (a full disk, storage that cannot
    be written), the part already written is removed before the error goes on."""
    field = file.field
    target = field.generate_filename(file.instance, name)
    # Our upload_to names are unique (a UUID), so the storage writes the name it was given;
    # a name that exists already is renamed by the storage and is none of ours to remove.
    ours = not file.storage.exists(target)
    try:
        file.name = file.storage.save(target, content, max_length=field.max_length)
    except BaseException:
        if ours:  # what was written of it; a storage that refuses that too must not hide why
            remove_files(file.storage, [target])
        raise
    setattr(file.instance, field.attname, file.name)
    file._committed = True


def enter_workflows(*, entries: Iterable[tuple[DossierItem, int | None]]) -> list[WorkflowInstance]:
    """R17: each stored item enters, at its start task, the workflow its characteristic
    values lead to (`ItemSpec.workflow_id_for`); entries are (item, workflow id or None)."""
    entering: dict[int, list[DossierItem]] = {}
    for item, workflow_id in entries:
        if workflow_id:
            entering.setdefault(workflow_id, []).append(item)
    if not entering:
        return []
    now = timezone.now()
    instances = []
    for workflow in Workflow.objects.filter(pk__in=entering).prefetch_related("tasks"):
        start = workflow.start_task()
        instances += [
            WorkflowInstance(item=item, workflow=workflow, current_task=start, started_at=now)
            for item in entering[workflow.pk]
        ]
    return WorkflowInstance.objects.bulk_create(instances)


def apply_creation_profile(
    *,
    items: list[DossierItem],
    profile: CreationProfile,
    stored: list[Attachment] | None = None,
    author=None,
) -> None:
    """R21: review tasks from the profile's review profile; its document, generated and
    attached (dossier.documents): marked as generated, or as a draft beside a file the item
    has of its own; `author` (the importing or recording user) is named in its properties.
    Each document is added to `stored` as soon as its file is written, so that a caller
    whose transaction fails can remove the files."""
    if profile.review_profile_id:
        review = profile.review_profile
        reviewers = list(review.reviewers.all())
        due = timezone.localdate() + dt.timedelta(days=review.days_to_review)
        ReviewTask.objects.bulk_create(
            ReviewTask(item=item, review_profile=review, reviewer=reviewer, due_date=due)
            for item in items
            for reviewer in reviewers
        )
    if profile.document_template_id and items:
        template = profile.document_template
        with template.file.open("rb") as source:
            content = source.read()
        free_fields = list(profile.item_type.free_fields.all())
        with_files = documents.items_with_files(items)
        language = documents.document_language(template, author) if author is not None else None
        now = timezone.now()
        for item in items:
            draft = item.pk in with_files
            rendered = documents.render_document(
                template=template,
                item=item,
                source=content,
                author=author,
                language=language,
                draft=draft,
                free_fields=free_fields,
                now=now,
            )
            document = add_attachment(
                item=item,
                content=ContentFile(rendered),
                name=document_name(template, item),
                kind=Attachment.Kind.DRAFT if draft else Attachment.Kind.GENERATED,
                template=template,
            )
            if stored is not None:
                stored.append(document)


document_name = documents.document_name
render_document = documents.render_document


DELETE_BATCH = 500


def delete_items(*, items: QuerySet[DossierItem], files: list[str] | None = None) -> int:
    """Delete items with everything that hangs on them, in batches that stay inside
    SQLite's limit of query variables; removes their attachment files once committed, or,
    given `files`, adds their names to it for the caller to remove.
    Call inside a transaction to make it all or nothing."""
    count = 0
    names: list[str] = [] if files is None else files
    ids = list(items.order_by().values_list("pk", flat=True))
    for batch in batched(ids, DELETE_BATCH):
        names += Attachment.objects.filter(item_id__in=batch).values_list("file", flat=True)
        DossierItem.objects.filter(pk__in=batch).delete()
        count += len(batch)
    if files is None:
        storage = Attachment._meta.get_field("file").storage
        transaction.on_commit(lambda: remove_files(storage, names))
    return count


def remove_files(storage, names: Iterable[str]) -> list[str]:
    """Remove stored files after their rows are gone: one already missing is fine, and one
    that cannot be removed is logged, never raised (the rows' transaction has committed).
    Any exception of the storage counts as a refusal (a remote storage raises its own).
    Returns the names it could not remove."""
    refused = []
    for name in names:
        try:
            storage.delete(name)
        except FileNotFoundError:
            pass
        except Exception:  # whatever the storage raises, the rows are gone
            logger.warning("The stored file %s could not be deleted.", name, exc_info=True)
            refused.append(name)
    return refused
