"""The import's background work, and the one module that knows the queue (django.tasks; by
default django-tasks-db, worked off by `manage.py run_worker`). The wizard queues a job's
validation or commit here (`start_validation`, `start_commit`): the job moves to validating or
importing, and its task is enqueued once the transaction commits; the history's undo page
queues an undo (`start_undo`: the job moves to undoing). Each task is one service call with
the job's id (`services.run_validation`, `services.run_commit`, `services.run_undo`), and the
job records what came of it. A task whose worker dies is ended by the reaper (`reap_stale_imports`,
`manage.py reap_imports`), which reads the queue's task rows to tell a job that waits from one
whose task died.

The services never import this module: this layer calls down into them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from dossier import masterdata
from dossier.access import import_refusal
from imports import services
from imports.models import ImportJob
from imports.progress import cancel_requested, cancelled_message, last_beat, never_started_message, stale_message
from imports.services.staging import uuid_or_none


@task()
def validate_job(job_id: str) -> str:
    try:
        return services.run_validation(job_id=job_id)
    except OSError as error:
        return _storage_failed(job_id, error)


@task()
def commit_job(job_id: str, skip_invalid: bool = False, again: bool = False) -> str:
    try:
        return services.run_commit(job_id=job_id, skip_invalid=skip_invalid, again=again)
    except OSError as error:
        return _storage_failed(job_id, error)


def _storage_failed(job_id: str, error: OSError) -> str:
    """A storage fault the run could not record itself (before or after its own handling,
    e.g. the staging folder that cannot be made): the job fails with the sentence, at once
    instead of after the reaper's wait. Any other error goes on as it is."""
    message = services.storage_fault(error)
    job = ImportJob.objects.filter(pk=job_id).first()
    if message is None or job is None:
        raise error
    if job.is_running:
        services.fail_job(job, message)
    return job.state


@task()
def undo_job(job_id: str) -> int:
    return services.run_undo(job_id=job_id)


# --- queueing -------------------------------------------------------------------------------


@transaction.atomic
def start_validation(*, job: ImportJob) -> ImportJob:
    """Queue the job's validation for the task worker (validating, without a heartbeat until
    a worker takes it). From mapped, validated or failed."""
    if reason := import_refusal(job.user, job.item_type, job.creation_profile):
        raise services.ImportRefused(reason, job=job)
    services.mark_queued(job=job, state=ImportJob.State.VALIDATING)
    job.progress_total = job.row_count
    job.save()
    _enqueue(job, validate_job)
    return job


@transaction.atomic
def start_commit(*, job: ImportJob, skip_invalid: bool = False, again: bool = False, duplicates: str = "") -> ImportJob:
    """Queue the job's commit for the task worker (importing). Checks again first: the
    user's rights (R2) and type authorisation (R3), the same file imported before
    (ImportedBefore unless `again`), invalid rows the user did not choose to leave out
    (RowsInvalid), and probable duplicates he did not choose for (DuplicatesUndecided;
    `duplicates`: an ImportJob.Duplicates, recorded on the job); each refusal is one
    sentence and changes nothing."""
    if reason := import_refusal(job.user, job.item_type, job.creation_profile):
        raise services.ImportRefused(reason, job=job)
    duplicates = services.duplicates_choice(duplicates, again=again)
    if not again and (earlier := services.earlier_import(job=job)):
        raise services.ImportedBefore(
            services.imported_before_message(earlier, viewer=job.user), job=job, earlier=earlier
        )
    if job.state == ImportJob.State.VALIDATED and (refusal := services.columns_left_out(job)):
        raise refusal
    if job.state == ImportJob.State.VALIDATED and job.invalid_row_count and not skip_invalid:
        raise services.rows_invalid(job)
    if job.state == ImportJob.State.VALIDATED and job.duplicate_row_count and not duplicates:
        raise services.duplicates_undecided(job)
    if job.state != ImportJob.State.VALIDATED:
        job.validated_at = None  # the worker validates first
    services.mark_queued(job=job, state=ImportJob.State.IMPORTING)
    job.skip_invalid = skip_invalid
    job.duplicates = duplicates
    job.progress_total = job.valid_row_count - (job.duplicate_row_count if job.skips_duplicates else 0)
    job.save()
    _enqueue(job, commit_job, skip_invalid=skip_invalid, again=again)
    return job


@transaction.atomic
def start_undo(*, job: ImportJob, user) -> ImportJob:
    """Queue the undo of a done job for the task worker (undoing): only its owner or an
    administrator, and not while another undo of it runs (ImportRefused, one sentence).
    Nothing is removed in this transaction."""
    services.claim_undo(job=job, user=user)
    _enqueue(job, undo_job)
    return job


def _enqueue(job: ImportJob, task, **kwargs) -> None:
    def enqueue() -> None:
        result = task.enqueue(str(job.pk), **kwargs)
        ImportJob.objects.filter(pk=job.pk, queued_at=job.queued_at).update(task_id=str(result.id)[:64])

    transaction.on_commit(enqueue)


# --- the reaper -----------------------------------------------------------------------------


def reap_stale_imports() -> list[ImportJob]:
    """End the jobs whose worker died. A job at work whose last heartbeat is older than
    IMPORT_STALE_AFTER fails; one still queued fails when its task died before its first
    heartbeat, or when it waited that long while no worker showed any sign of life; one with
    a cancel mark ends cancelled. What such a job wrote goes: its staging, and the files a
    commit wrote (by its manifest). Nothing was stored (its transaction never committed), and
    it can be run again. An undo whose worker died goes back to done, with all its items (its
    transaction never committed); the files an undo could not remove are tried again.
    Master-data imports whose worker died are ended too (`dossier.masterdata.end_dead_jobs`),
    and their stored files removed after IMPORT_RETENTION_DAYS. Returns the item imports it
    ended."""
    now = timezone.now()
    stale_after = dt.timedelta(seconds=settings.IMPORT_STALE_AFTER)
    running = list(
        ImportJob.objects.filter(
            state__in=[ImportJob.State.VALIDATING, ImportJob.State.IMPORTING, ImportJob.State.UNDOING]
        )
    )
    beats = {job.pk: last_beat(job) for job in running}
    # A sign of life of the workers: a job beating now, or one that beat lately (a worker
    # writes the heartbeat when it takes a job and when it finishes it; the reaper never does).
    worker_alive = any(beat and now - beat < stale_after for beat in beats.values()) or (
        ImportJob.objects.filter(heartbeat_at__gte=now - stale_after).exists()
    )
    ended = []
    for job in running:
        beat = beats[job.pk]
        if job.state == ImportJob.State.UNDOING:
            if _reap_undo(job, beat, now, stale_after, worker_alive):
                ended.append(job)
            continue
        if beat is None:
            if not _never_started(job, now, stale_after, worker_alive):
                continue
            message = cancelled_message() if cancel_requested(job.pk) else never_started_message()
        elif now - beat >= stale_after:
            message = cancelled_message() if cancel_requested(job.pk) else stale_message(settings.IMPORT_STALE_AFTER)
        else:
            continue
        if services.end_dead_import(job=job, message=message, cancelled=cancel_requested(job.pk)):
            _fail_task(job)
            ended.append(job)
    services.remove_leftover_manifests()
    services.remove_undone_files()  # what the storage refused to remove at an undo
    services.remove_expired_files()  # retention: IMPORT_RETENTION_DAYS
    masterdata.end_dead_jobs()
    masterdata.remove_expired_files()
    return ended


def _reap_undo(job: ImportJob, beat, now: dt.datetime, stale_after: dt.timedelta, worker_alive: bool) -> bool:
    if beat is None:
        if not _never_started(job, now, stale_after, worker_alive):
            return False
        message = services.undo_never_started_message()
    elif now - beat >= stale_after:
        message = services.undo_stale_message(settings.IMPORT_STALE_AFTER)
    else:
        return False
    if not services.end_dead_undo(job=job, message=message):
        return False
    _fail_task(job)
    return True


def _never_started(job: ImportJob, now: dt.datetime, stale_after: dt.timedelta, worker_alive: bool) -> bool:
    """A queued job no worker took up: cancelled by its user, its task ended or died before
    the first heartbeat, or waiting that long while no worker showed any sign of life."""
    if cancel_requested(job.pk):
        return True
    waiting_since = job.queued_at or job.started_at or job.created_at
    if now - waiting_since < stale_after:
        return False
    task = _task_of(job)
    if task is None:
        return not worker_alive
    if task.status == "READY":
        return not worker_alive
    if task.status == "RUNNING":
        return task.started_at is None or now - task.started_at >= stale_after
    return True  # the task ended without ever taking the job


def _task_of(job: ImportJob):
    if not job.task_id:
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(pk=uuid_or_none(job.task_id)).only("status", "started_at").first()


def _fail_task(job: ImportJob) -> None:
    """django-tasks-db never ends a task whose worker was killed: it would show running."""
    if not job.task_id:
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=uuid_or_none(job.task_id), status="RUNNING").update(
        status="FAILED", finished_at=timezone.now()
    )
