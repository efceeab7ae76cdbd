"""What the reaper does to an import whose worker died: end it failed (or cancelled) and remove
what it wrote. Which jobs are dead is told by `imports.tasks.reap_stale_imports`, which knows
the queue's task rows."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from dossier.models import Attachment
from imports.models import ImportJob
from imports.pipeline.committing import remove_listed
from imports.progress import cancel_mark, last_beat, manifest_path, remove_marks, staging_folder
from imports.services.staging import remove_staging, uuid_or_none

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
    remove_staging(job)
    remove_listed(manifest_path(job.pk), Attachment._meta.get_field("file").storage)
    remove_marks(job.pk)
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
