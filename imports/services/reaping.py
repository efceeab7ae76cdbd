"""What the reaper does to an import whose worker died: end it failed (or cancelled) and remove
what it wrote. Which jobs are dead is told by `imports.tasks.reap_stale_imports`, which knows
the queue's task rows.

Retention (`remove_expired_files`, every round of the reaper): after IMPORT_RETENTION_DAYS the
files of an import that was never continued (it ends cancelled), or that failed or was
cancelled, are removed; the job's record stays, saying so. An owner drops his own unfinished
import at once (`discard_import`): it ends cancelled, by him, and its files go."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossier.models import Attachment
from imports.models import ImportJob
from imports.pipeline.committing import remove_listed
from imports.progress import cancel_mark, last_beat, manifest_path, remove_marks, staging_folder
from imports.services.jobs import move_job
from imports.services.refusals import ImportRefused, storage_fault
from imports.services.staging import remove_job_files, remove_staging, uuid_or_none
from spreadsheets.messages import N_, sentences

logger = logging.getLogger(__name__)


def end_dead_import(*, job: ImportJob, message: str, cancelled: bool) -> bool:
    """Fail (or cancel) one dead job, unless it turns out alive: on PostgreSQL a live commit
    holds its row lock (skipped); on SQLite its write lock makes this wait and fail, and the
    next round tries again. Then remove what it wrote. True when it ended the job."""
    state = ImportJob.State.CANCELLED if cancelled else ImportJob.State.FAILED
    try:
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update(skip_locked=True).filter(
                pk=job.pk, state=job.state, heartbeat_at=job.heartbeat_at
            )
            if not list(locked.values_list("pk", flat=True)):
                return False
            latest = last_beat(job)
            if latest and timezone.now() - latest < dt.timedelta(seconds=settings.IMPORT_STALE_AFTER):
                return False  # it beat just now
            ended = {"state": state, "error_message": message, "finished_at": timezone.now(), "validated_at": None}
            if cancelled:  # who asked to cancel, and when (the cancel mark)
                ended["cancelled_by"], asked_at = cancel_mark(job.pk)
                ended["cancelled_at"] = asked_at or ended["finished_at"]
            locked.update(**ended)
    except OperationalError:
        logger.warning("The reaper could not end import %s now (the database is busy); it tries again.", job.pk)
        return False
    job.state, job.error_message = state, message
    try:  # what it wrote; storage that refuses now is tried again (retention, the manifest)
        remove_staging(job)
        remove_listed(manifest_path(job.pk), Attachment._meta.get_field("file").storage)
        remove_marks(job.pk)
    except OSError:
        logger.warning("The files of import %s could not all be removed now.", job.pk, exc_info=True)
    logger.warning("Import %s ended by the reaper: %s", job.pk, message)
    return True


def remove_leftover_manifests() -> None:
    """A manifest whose job is no longer importing: the process ended after the commit (its
    files belong to stored items) or the job was reaped; either way, it has served."""
    manifests = {
        uuid_or_none(path.name.removesuffix("-written.txt")): path for path in staging_folder().glob("*-written.txt")
    }
    if not manifests:
        return
    importing = set(
        ImportJob.objects.filter(pk__in=[pk for pk in manifests if pk], state=ImportJob.State.IMPORTING).values_list(
            "pk", flat=True
        )
    )
    storage = Attachment._meta.get_field("file").storage
    for job_id, path in manifests.items():
        if job_id not in importing:
            remove_listed(path, storage)


def discard_import(*, job: ImportJob, by=None) -> ImportJob:
    """The owner (`by`) drops an import that was not imported and does not run, a checked one
    he will not continue: its uploaded file, attachments ZIP and staged rows are removed
    through the storage API, and the job ends cancelled, by him, now; the history keeps its
    record. A job cancelled earlier keeps its state and who cancelled it; only its files go.
    Refused (ImportRefused, one sentence) for a job in another state, and when the storage
    cannot remove the files (the job then stays as it was)."""
    if not job.can_be_discarded:
        raise ImportRefused(
            _("This import has state '%(state)s' and cannot be discarded.") % {"state": job.get_state_display()},
            job=job,
        )
    try:
        remove_job_files(job)
    except OSError as error:
        message = storage_fault(error) or _("The server's storage failed; ask an administrator to check it.")
        raise ImportRefused(message, job=job) from None
    now = timezone.now()
    if job.state != ImportJob.State.CANCELLED:
        move_job(job, ImportJob.State.CANCELLED)
        job.error_message = N_("Dropped before it was imported; its files were removed.")
        job.finished_at = now
        job.cancelled_by, job.cancelled_at = by, now
    job.files_removed_at = now
    job.validated_at = None
    job.save(
        update_fields=[
            "state",
            "file",
            "attachments_zip",
            "files_removed_at",
            "finished_at",
            "validated_at",
            "error_message",
            "cancelled_by",
            "cancelled_at",
        ]
    )
    return job


NEVER_CONTINUED = (ImportJob.State.UPLOADED, ImportJob.State.MAPPED, ImportJob.State.VALIDATED)
ENDED_UNIMPORTED = (ImportJob.State.FAILED, ImportJob.State.CANCELLED)


def expired_imports(now: dt.datetime | None = None):
    """The jobs whose files are due for removal: never continued (uploaded, mapped or checked)
    and untouched for IMPORT_RETENTION_DAYS, or failed or cancelled that long ago. None when
    the setting is 0 (keep them)."""
    days = settings.IMPORT_RETENTION_DAYS
    if days <= 0:
        return ImportJob.objects.none()
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    untouched = (
        ImportJob.objects.filter(state__in=NEVER_CONTINUED, created_at__lt=cutoff)
        .exclude(started_at__gte=cutoff)
        .exclude(queued_at__gte=cutoff)
        .exclude(heartbeat_at__gte=cutoff)
        .exclude(validated_at__gte=cutoff)
    )
    ended = ImportJob.objects.filter(
        state__in=ENDED_UNIMPORTED, files_removed_at__isnull=True, created_at__lt=cutoff
    ).exclude(finished_at__gte=cutoff)
    return (untouched | ended).order_by("created_at")


def remove_expired_files(now: dt.datetime | None = None) -> list[ImportJob]:
    """Remove the files of the expired imports (`expired_imports`). One never continued ends
    cancelled (by nobody: the record says why); a failed or cancelled one keeps its state. Each record says its files were
    removed after IMPORT_RETENTION_DAYS days. A job that moved meanwhile (its user continued
    it) is left alone; one whose files the storage cannot remove is tried again next round.
    Returns the jobs it cleared."""
    now = now or timezone.now()
    days = settings.IMPORT_RETENTION_DAYS
    note = N_("Its files were removed after %(days)s days.") % {"days": days}
    cleared = []
    for job in expired_imports(now):
        state = ImportJob.State.CANCELLED if job.state in NEVER_CONTINUED else job.state
        message = sentences(job.error_message, note) if job.error_message else note
        claimed = ImportJob.objects.filter(pk=job.pk, state=job.state, files_removed_at__isnull=True).update(
            state=state, error_message=message, files_removed_at=now, finished_at=job.finished_at or now
        )
        if not claimed:
            continue
        try:
            remove_job_files(job)
        except OSError:
            logger.warning("The files of import %s could not be removed now; the next round tries again.", job.pk)
            ImportJob.objects.filter(pk=job.pk).update(
                state=job.state, error_message=job.error_message, files_removed_at=None, finished_at=job.finished_at
            )
            continue
        ImportJob.objects.filter(pk=job.pk).update(file="", attachments_zip="", validated_at=None)
        job.state, job.error_message, job.files_removed_at = state, message, now
        cleared.append(job)
        logger.info("Import %s: its files were removed after %s days.", job.pk, days)
    return cleared
