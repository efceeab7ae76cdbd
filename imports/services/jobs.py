"""A job's moves that every step shares: a move its state allows (or a refusal), failing,
cancelling, queueing for the worker and the worker taking it up, and where it stands."""

from __future__ import annotations

import logging

from django.utils import timezone
from django.utils.translation import gettext as _

from imports.models import ImportJob
from imports.pipeline.attachments import ArchiveError
from imports.progress import (
    Progress,
    cancel_mark,
    cancel_requested,
    cancelled_message,
    mark_cancel,
    read_job_progress,
    remove_marks,
)
from imports.services.refusals import ImportRefused, storage_fault
from imports.services.staging import rejected_path, remove_staging, staging_path
from spreadsheets.messages import N_, Message, message_of
from spreadsheets.reading import ReadError

logger = logging.getLogger(__name__)


def move_job(job: ImportJob, state: str) -> None:
    """Set the job's state (not saved), or refuse when its state does not allow the move."""
    if not job.can_move_to(state):
        raise ImportRefused(
            N_("This import has state '%(state)s' and cannot continue from there.")
            % {"state": ImportJob.State(job.state).label},  # kept as its msgid (from_lazy)
            job=job,
        )
    job.state = state


def fail_job(job: ImportJob, message: str | Message) -> None:
    """The job failed with `message` (saved at once, whatever the job's other fields)."""
    job.state = ImportJob.State.FAILED
    job.error_message = message
    job.finished_at = timezone.now()
    job.validated_at = None  # a failed job validates again before a commit
    ImportJob.objects.filter(pk=job.pk).update(
        state=job.state, error_message=message, finished_at=job.finished_at, validated_at=None
    )
    remove_marks(job.pk, quietly=True)  # the storage may be what failed


def fail_job_on(job: ImportJob, error: BaseException, generic: str | Message, log: str) -> None:
    """Record why a validation or commit stopped, and turn what the user can act on into an
    ImportRefused (raised from here); any other error is logged and goes on as it is."""
    if isinstance(error, ImportRefused):
        fail_job(job, error.message)
        return
    message = message_of(error) if isinstance(error, (ReadError, ArchiveError)) else storage_fault(error)
    if message is not None:
        fail_job(job, message)
        raise ImportRefused(message, job=job) from None
    if isinstance(error, Exception):
        logger.exception(log, job.pk)
        fail_job(job, generic % {"error": error})
    else:  # Ctrl-C on the command line, a worker told to stop at once: no need to wait for the reaper
        fail_job(job, N_("The import was interrupted, so nothing was stored. Run it again."))


def end_cancelled(job: ImportJob) -> None:
    """The user cancelled a running job: it ends cancelled, with nothing staged or stored."""
    job.state = ImportJob.State.CANCELLED
    job.error_message = cancelled_message()
    job.finished_at = timezone.now()
    job.validated_at = None
    job.cancelled_by_id, asked_at = cancel_mark(job.pk)
    job.cancelled_at = asked_at or job.finished_at
    ImportJob.objects.filter(pk=job.pk).update(
        state=job.state,
        error_message=job.error_message,
        finished_at=job.finished_at,
        validated_at=None,
        cancelled_by=job.cancelled_by_id,
        cancelled_at=job.cancelled_at,
    )
    remove_staging(job)
    remove_marks(job.pk)


def cancel_import(*, job: ImportJob, reason: str | Message = "", by=None) -> None:
    """Stop an import that will not be committed (the command line gave up on it, with
    `reason`; or a user cancelled it, `by`): it is cancelled for good and its staged rows are
    removed."""
    move_job(job, ImportJob.State.CANCELLED)
    job.error_message = reason
    job.finished_at = timezone.now()
    if by is not None:
        job.cancelled_by, job.cancelled_at = by, job.finished_at
    job.save(update_fields=["state", "error_message", "finished_at", "cancelled_by", "cancelled_at"])
    staging_path(job).unlink(missing_ok=True)
    rejected_path(job).unlink(missing_ok=True)


def request_cancel(*, job: ImportJob, by=None) -> None:
    """Ask a running job to stop. A validation stops between batches and a commit rolls back
    (nothing stored); the job then ends cancelled. The mark is a file, never a database
    write, so the request does not wait on a running commit's transaction; it notes who asked
    (`by`: the owner, or an administrator in the history) and when, and the job records them
    as it ends (cancelled_by, cancelled_at). A job that is not running is cancelled at once;
    one that has ended cannot be."""
    if job.is_running:
        mark_cancel(job.pk, by=by)
        return
    if not job.can_move_to(ImportJob.State.CANCELLED):
        raise ImportRefused(
            _("This import has state '%(state)s' and cannot be cancelled.") % {"state": job.get_state_display()},
            job=job,
        )
    cancel_import(job=job, reason=cancelled_message(), by=by)


def mark_queued(*, job: ImportJob, state: str) -> None:
    """Move the job to `state` as queued for the worker: no heartbeat until a worker takes it.
    Not saved: the caller (`imports.tasks`) saves it and enqueues its task."""
    move_job(job, state)
    job.queued_at = timezone.now()
    job.heartbeat_at = None
    job.task_id = ""
    job.error_message = ""
    job.finished_at = None
    job.progress_done = 0
    remove_marks(job.pk)  # a cancel asked for an earlier run does not count


def claim_job(job: ImportJob, state: str) -> bool:
    """The worker takes a queued job: its first heartbeat, unless the job was cancelled or
    reaped meanwhile (then False, and nothing is done)."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job.pk, state=state, heartbeat_at__isnull=True).update(heartbeat_at=now)
    job.heartbeat_at = now
    if claimed and cancel_requested(job.pk):
        end_cancelled(job)
        return False
    return bool(claimed)


def load_job(job_id) -> ImportJob | None:
    """The job a task names, with what its run reads; None when it is gone."""
    return ImportJob.objects.select_related("user", "item_type", "creation_profile").filter(pk=job_id).first()


def job_progress(job: ImportJob) -> Progress:
    """Where the job stands (`imports.progress.Progress`): read from its progress file while
    it runs, never waiting on the import's own transaction; from its row otherwise."""
    return read_job_progress(job)
