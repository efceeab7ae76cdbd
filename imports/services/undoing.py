"""Undo: what taking an import back removes and which of its items were changed since
(`undo_preview`), and the undo itself (`undo_import`). Who may undo is `undo_refusal`
(`refusals.py`)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from dossier.models import Attachment, DossierItem, Reaction, ReviewTask, WorkflowInstance
from dossier.services import delete_items
from imports.models import ImportJob
from imports.services.refusals import ImportRefused, state_refusal, undo_refusal

logger = logging.getLogger(__name__)
CHANGED_ITEMS_SHOWN = 100


@dataclass(frozen=True)
class ChangedItem:
    """An item of the import that someone changed or reacted to since: undoing loses that."""

    item: DossierItem
    changed_at: dt.datetime | None
    changed_by: str
    reactions: int
    last_reaction_at: dt.datetime | None
    last_reaction_by: str


@dataclass(frozen=True)
class UndoPreview:
    """What an undo removes, and the items changed since the import: those the viewer may
    see (at most CHANGED_ITEMS_SHOWN, most recently changed first) and how many more."""

    items: int
    attachments: int
    reactions: int
    workflow_entries: int
    review_tasks: int
    changed: list[ChangedItem]
    changed_total: int
    changed_hidden: int

    @property
    def changed_not_shown(self) -> int:
        """Changed items the viewer may see beyond the ones listed."""
        return self.changed_total - self.changed_hidden - len(self.changed)


def changed_since_import(job: ImportJob):
    """The job's items changed after the import (`changed_at` set) or with reactions (never
    imported, R6, so every reaction was added since)."""
    return DossierItem.objects.filter(import_job=job).filter(
        Q(changed_at__isnull=False) | Exists(Reaction.objects.filter(item=OuterRef("pk")))
    )


def undo_preview(*, job: ImportJob, user) -> UndoPreview:
    """The counts and the changed items for the confirmation page and the command line; a
    fixed number of queries whatever the number of items."""
    parts = {"item__import_job": job}
    changed = changed_since_import(job)
    visible = changed.filter(pk__in=DossierItem.objects.visible_to(user).filter(import_job=job).values("pk"))
    last_reaction = Reaction.objects.filter(item=OuterRef("pk")).order_by("-created_at", "-pk")
    shown = (
        visible.select_related("item_type", "changed_by", "relation")
        .annotate(
            reaction_count=Count("reactions"),
            last_reaction_at=Max("reactions__created_at"),
            last_reaction_by=Subquery(last_reaction.values("author__username")[:1]),
        )
        .annotate(
            last_change=Greatest(Coalesce("changed_at", "last_reaction_at"), Coalesce("last_reaction_at", "changed_at"))
        )
        .order_by("-last_change", "-pk")[:CHANGED_ITEMS_SHOWN]
    )
    changed_total = changed.count()
    listed = [
        ChangedItem(
            item=item,
            changed_at=item.changed_at,
            changed_by=item.changed_by.get_username() if item.changed_by else "",
            reactions=item.reaction_count,
            last_reaction_at=item.last_reaction_at,
            last_reaction_by=item.last_reaction_by or "",
        )
        for item in shown
    ]
    return UndoPreview(
        items=DossierItem.objects.filter(import_job=job).count(),
        attachments=Attachment.objects.filter(**parts).count(),
        reactions=Reaction.objects.filter(**parts).count(),
        workflow_entries=WorkflowInstance.objects.filter(**parts).count(),
        review_tasks=ReviewTask.objects.filter(**parts).count(),
        changed=listed,
        changed_total=changed_total,
        changed_hidden=changed_total - visible.count(),
    )


def undo_import(*, job: ImportJob, user) -> int:
    """Take a whole import back, in one transaction: its items with their attachments
    (generated documents included), reactions, workflow entries and review tasks; the job
    becomes undone, by `user`, now. The attachments' files are removed once the transaction
    has committed. Only the job's owner or an administrator, only a done job (ImportRefused
    otherwise). Returns the number of items removed.

    Two undos at once, or an undo beside a running commit, never half-undo: the job moves
    from done to undone by a conditional UPDATE first, which holds the job's row (PostgreSQL)
    or the database's write lock (SQLite) until the end; the second undo then finds the job
    undone and is refused."""
    if reason := undo_refusal(job=job, user=user):
        raise ImportRefused(reason, job=job)
    now = timezone.now()
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.DONE).update(
            state=ImportJob.State.UNDONE, undone_at=now, undone_by=user
        )
        if not claimed:
            job.refresh_from_db()
            raise ImportRefused(state_refusal(job) or _("This import cannot be undone now."), job=job)
        count = delete_items(items=DossierItem.objects.filter(import_job=job))
    job.state, job.undone_at, job.undone_by = ImportJob.State.UNDONE, now, user
    logger.info("Import %s undone by %s: %s items removed.", job.pk, user.get_username(), count)
    return count
