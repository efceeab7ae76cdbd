"""Undo: what taking an import back removes and which of its items were changed since
(`undo_preview`), and the undo itself. Who may undo is `undo_refusal` (`refusals.py`).

The history's undo page queues it (`claim_undo`, by `imports.tasks.start_undo`: the job moves
from done to undoing) and the task worker does it (`run_undo`), with its progress in the
job's progress file (`undo_progress`); `manage.py undo_import` does both in its own process
(`undo_import`). The removal is one transaction: an undo that fails, or whose worker dies
(`end_dead_undo`, by the reaper), leaves the import done with all its items, and says why.
Once it has committed, the import's uploaded sheet and attachments ZIP (they hold personal
documents), its staged and rejected rows and the removed items' attachments go from storage
too; the history keeps the record: file name, checksum, counts, who undid it and when. The
commit writes their names on the job (`files_left`); a storage that refuses to remove some
(read-only, or any error of its own) neither fails nor half-does the undo: the names it
refused stay, the history says so in one sentence, and the reaper tries again
(`remove_undone_files`)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from dossier.models import Attachment, DossierItem, Reaction, ReviewTask, WorkflowInstance
from dossier.services import DELETE_BATCH, delete_items, remove_files
from imports.models import ImportJob, WithdrawnReviewTask
from imports.progress import JobMonitor, last_beat, read_progress_file, remove_marks, staging_folder
from imports.services.refusals import ImportRefused, state_refusal, undo_refusal
from imports.services.staging import rejected_path, row_record_path, staging_path
from spreadsheets.messages import N_, Message

logger = logging.getLogger(__name__)
CHANGED_ITEMS_SHOWN = 100
UNDOING = "undoing"  # the phase in the progress file


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


def claim_undo(*, job: ImportJob, user) -> ImportJob:
    """Move a done job to undoing, for `user` (its owner or an administrator), to be worked
    off by `run_undo`. The move is a conditional UPDATE: of two undos at once, the second
    finds the job undoing (or undone) and is refused with a sentence (ImportRefused), as is
    anyone who may not undo it. Nothing is removed yet."""
    if reason := undo_refusal(job=job, user=user):
        raise ImportRefused(reason, job=job)
    now = timezone.now()
    total = DossierItem.objects.filter(import_job=job).count()
    fields = {
        "state": ImportJob.State.UNDOING,
        "undone_at": now,
        "undone_by": user,
        "queued_at": now,
        "heartbeat_at": None,
        "task_id": "",
        "progress_done": 0,
        "progress_total": total,
        "error_message": "",
    }
    with transaction.atomic():
        if not ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.DONE).update(**fields):
            job.refresh_from_db()
            raise ImportRefused(state_refusal(job) or _("This import cannot be undone now."), job=job)
    for name, value in fields.items():
        setattr(job, name, value)
    return job


def run_undo(*, job_id) -> int:
    """The undo of a job claimed by `claim_undo` (the task worker's part): remove its items in
    one transaction, batch by batch with the progress in the job's progress file (read by
    `undo_progress`: SQLite's write lock keeps the row's unseen until the end), then mark it
    undone, now. A failure rolls everything back and puts the job back to done with one
    sentence in its error; it is raised again for the worker's log. A job that is no longer
    undoing (reaped meanwhile) is left alone. Returns the number of items removed."""
    job = ImportJob.objects.select_related("undone_by").filter(pk=job_id).first()
    if job is None or job.state != ImportJob.State.UNDOING:
        return 0
    try:
        with JobMonitor(job, progress_optional=True) as monitor:
            count = _remove(job, monitor)
    except Exception:
        logger.exception("The undo of import %s failed; nothing was removed.", job.pk)
        ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.UNDOING).update(
            state=ImportJob.State.DONE,
            undone_at=None,
            undone_by=None,
            heartbeat_at=timezone.now(),
            error_message=undo_failed_message(),
        )
        job.refresh_from_db()
        raise
    if count is None:
        return 0
    remove_marks(job.pk, quietly=True)
    logger.info("Import %s undone by %s: %s items removed.", job.pk, _username(job.undone_by), count)
    return count


def undo_import(*, job: ImportJob, user) -> int:
    """Take a whole import back in this process (`manage.py undo_import`): `claim_undo`, then
    `run_undo`. Only the job's owner or an administrator, only a done job (ImportRefused
    otherwise). Returns the number of items removed."""
    claim_undo(job=job, user=user)
    count = run_undo(job_id=job.pk)
    job.refresh_from_db()
    return count


def _remove(job: ImportJob, monitor: JobMonitor) -> int | None:
    """The removal itself, in one transaction. Its first statement writes the job's row: it
    holds the row (PostgreSQL) or the database's write lock (SQLite) to the end, so the
    reaper cannot end the undo while it works, and an undo the reaper ended is not done
    (None)."""
    monitor.start_phase(UNDOING, total=job.progress_total, in_database=False)  # counted by claim_undo
    with transaction.atomic():
        if not ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.UNDOING).update(heartbeat_at=timezone.now()):
            return None
        ids = list(DossierItem.objects.filter(import_job=job).order_by().values_list("pk", flat=True))
        monitor.total = len(ids)
        count = 0
        attachments: list[str] = []
        for start in range(0, len(ids), DELETE_BATCH):
            items = DossierItem.objects.filter(pk__in=ids[start : start + DELETE_BATCH])
            record_withdrawn_review_tasks(job=job, items=items)
            count += delete_items(items=items, files=attachments)
            monitor.update(count)
        files = [name for name in (job.file.name, job.attachments_zip.name) if name]
        staged = (staging_path(job), rejected_path(job), row_record_path(job))  # its rows are open again
        files += [
            staged_name(path) for path in (*staged, *(p.with_suffix(".partial") for p in staged)) if path.exists()
        ]
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.UNDONE,
            undone_at=timezone.now(),
            progress_done=count,
            progress_total=count,
            file="",
            attachments_zip="",
            files_left=files + attachments,
            heartbeat_at=timezone.now(),
        )
        transaction.on_commit(lambda: remove_import_files(job))
    return count


def record_withdrawn_review_tasks(*, job: ImportJob, items) -> list[WithdrawnReviewTask]:
    """Tell each reviewer whose task goes with the undone items: one notice per task (the
    item's type, number, subject and relation as text, the import, who undid it, when), shown
    on his "my review tasks" until he dismisses it. Runs inside the undo's transaction, so an
    undo that fails tells nobody."""
    tasks = ReviewTask.objects.filter(item__in=items).select_related(
        "item__relation", "item__contact__organisation", "item__contact__person"
    )
    now = timezone.now()
    notices = [
        WithdrawnReviewTask(
            reviewer_id=task.reviewer_id,
            import_job=job,
            item_type_id=task.item.item_type_id,
            item_number=task.item.number,
            item_subject=task.item.subject[:255],
            relation=str(task.item.relation or task.item.contact or "")[:300],
            state=task.state,
            undone_by_id=job.undone_by_id,
            withdrawn_at=now,
        )
        for task in tasks.order_by("pk").iterator(chunk_size=DELETE_BATCH)
    ]
    return WithdrawnReviewTask.objects.bulk_create(notices, batch_size=DELETE_BATCH)


def staged_name(path) -> str:
    """The storage name of a file the import keeps in the staging folder."""
    return f"{staging_folder().name}/{path.name}"


def remove_import_files(job: ImportJob) -> bool:
    """Remove what an undone import still keeps in storage (its `files_left`: the uploaded
    sheet and attachments ZIP, its staged and rejected rows, the attachments of its removed
    items). Never raises: the names the storage refused stay on the job, with one sentence
    in its history, and are logged; the reaper tries again. True when none is left."""
    job.refresh_from_db(fields=["state", "files_left", "error_message"])
    if job.state != ImportJob.State.UNDONE:
        return False
    names = list(job.files_left)
    refused = remove_files(ImportJob._meta.get_field("file").storage, names) if names else []
    update = {"files_left": refused}
    if refused:
        update["error_message"] = files_left_message(len(refused))
        logger.warning(
            "Undone import %s: the storage refused to remove %s of its files; the reaper tries again.",
            job.pk,
            len(refused),
        )
    else:
        update["error_message"] = ""
        update["files_removed_at"] = timezone.now()
    ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.UNDONE).update(**update)
    for name, value in update.items():
        setattr(job, name, value)
    return not refused


def remove_undone_files() -> list[ImportJob]:
    """For the reaper: try again to remove the files of undone imports that the storage
    refused (or that a worker which died after the undo's commit never got to). Returns the
    jobs that have none left now."""
    pending = ImportJob.objects.filter(state=ImportJob.State.UNDONE, files_removed_at__isnull=True)
    return [job for job in pending.order_by("undone_at") if remove_import_files(job)]


def files_left_message(count: int) -> Message:
    return N_(
        "The items were removed, but the server's storage refused to remove files of this import (%(count)s); they are removed later, automatically."
    ) % {"count": count}


def undo_progress(job: ImportJob) -> tuple[int, int]:
    """Items removed so far and items in total, for the undo's progress page: from the
    progress file while the worker removes them, else from the job's row."""
    if job.state == ImportJob.State.UNDOING:
        data = read_progress_file(job.pk)
        if data and data.get("phase") == UNDOING:
            return int(data.get("done", 0)), int(data.get("total", 0))
        return 0, job.progress_total
    return job.progress_done, job.progress_total


def undo_waiting(job: ImportJob) -> bool:
    """Queued: no worker has taken the undo up yet."""
    return job.state == ImportJob.State.UNDOING and job.heartbeat_at is None and read_progress_file(job.pk) is None


def end_dead_undo(*, job: ImportJob, message: str) -> bool:
    """For the reaper: put back to done an undo whose worker died (its transaction never
    committed, so nothing was removed), with `message`, unless it turns out alive: on
    PostgreSQL a working undo holds its row (skipped), on SQLite its write lock makes this
    fail and the next round tries again. True when it ended the undo."""
    try:
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update(skip_locked=True).filter(
                pk=job.pk, state=ImportJob.State.UNDOING, heartbeat_at=job.heartbeat_at
            )
            if not list(locked.values_list("pk", flat=True)):
                return False
            latest = last_beat(job)
            if latest and timezone.now() - latest < dt.timedelta(seconds=settings.IMPORT_STALE_AFTER):
                return False
            locked.update(state=ImportJob.State.DONE, undone_at=None, undone_by=None, error_message=message)
    except OperationalError:
        logger.warning("The reaper could not end the undo of import %s now (the database is busy).", job.pk)
        return False
    job.state, job.error_message, job.undone_at, job.undone_by = ImportJob.State.DONE, message, None, None
    remove_marks(job.pk)
    logger.warning("The undo of import %s ended by the reaper: %s", job.pk, message)
    return True


def undo_failed_message() -> Message:
    return N_(
        "The undo failed, so nothing was removed: the import is done as before. Try again, or ask an administrator."
    )


def undo_stale_message(seconds: float) -> Message:
    return N_(
        "The undo stopped: its worker gave no sign of life for %(seconds)s seconds, so nothing was removed. Undo it again."
    ) % {"seconds": int(seconds)}


def undo_never_started_message() -> Message:
    return N_(
        "The undo never started: no task worker took it up, so nothing was removed. Ask an administrator to start the worker, then undo it again."
    )


def _username(user) -> str:
    return user.get_username() if user else "-"
