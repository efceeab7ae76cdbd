"""Master-data imports in the task worker: a file of more than MASTER_DATA_BACKGROUND_ROWS rows
is not checked or imported inside the web request (a long transaction there holds SQLite's
write lock while every other writer waits). The admin's Import button stores the file in
private storage as a `MasterDataImport` and queues its check (`dossier.tasks`); the worker
checks every row without writing (`run_check`; no transaction, so on SQLite no write lock) and
keeps the preview (the first MASTER_DATA_PREVIEW_ROWS rows, every total, the problems); after
the user's confirmation the worker checks the rows again and writes them in one short
transaction of bulk statements (`run_import`), all or none. While a step runs, its progress
(rows done of rows, and a beat) is kept in private storage through the storage API, not in the
database, so that it writes nothing there. A step whose worker died is ended by its page or by
the reaper (`end_dead_jobs`), which also removes stored files after IMPORT_RETENTION_DAYS
(`remove_expired_files`). See docs/master-data.md.

This module never queues: `dossier.tasks` calls down into it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile, File
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from import_export.results import RowResult

from dossier import resources
from dossier.models import MasterDataImport
from dossier.services import store_file
from spreadsheets.messages import N_, Message, grouped, message_of, message_with, render, sentences, stored
from spreadsheets.reading import ReadError

logger = logging.getLogger(__name__)

RESOURCES = {
    cls.__name__: cls
    for cls in (
        resources.RelationResource,
        resources.ContactResource,
        resources.EmployeeResource,
        resources.SalesRelationResource,
        resources.PurchaseRelationResource,
        resources.ApplicantResource,
        resources.ProjectResource,
        resources.CourseResource,
    )
}
State = MasterDataImport.State


def start(*, user, resource_class, upload, file_format: int, row_count: int) -> MasterDataImport:
    """Store the uploaded file in private storage and record the job (checking). The caller
    queues the check (`dossier.tasks.start_check`)."""
    if resource_class.__name__ not in RESOURCES:
        raise ValueError(f"{resource_class.__name__} is no master-data resource")
    job = MasterDataImport(
        user=user,
        resource=resource_class.__name__,
        file_name=PurePosixPath(upload.name).name[:255],
        file_format=file_format,
        row_count=row_count,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    suffix = PurePosixPath(upload.name).suffix.lower()[:10]
    upload.seek(0)
    store_file(job.file, f"{job.pk}{suffix}", File(upload))  # removes what it wrote of a file it cannot store
    job.save()
    return job


# --- progress, kept in private storage beside the stored file -----------------------------
#
# Through the storage API only (save, open, delete): no local path, so it works on any
# storage (S3 too), and it writes nothing to the database. Two slots are written in turn
# (deleted, then saved: a storage has no atomic replace), so while one is being written the
# other still holds the previous figures; the reader takes the one with the latest beat.

PROGRESS_SLOTS = (0, 1)


def _storage():
    return MasterDataImport._meta.get_field("file").storage


def _progress_name(job_id, slot: int) -> str:
    return f"masterdata/{job_id}-progress-{slot}.json"


def write_progress(job_id, done: int, total: int, *, slot: int = 0, beat: float | None = None) -> None:
    """The rows done of the rows in all, and the moment of writing (the worker's beat)."""
    storage, name = _storage(), _progress_name(job_id, slot)
    content = json.dumps({"done": done, "total": total, "beat": time.time() if beat is None else beat})
    storage.delete(name)
    saved = storage.save(name, ContentFile(content.encode()))
    if saved != name:  # another writer of the same slot (never expected): keep one copy
        storage.delete(saved)


def _latest_progress(job_id) -> dict | None:
    latest = None
    for slot in PROGRESS_SLOTS:
        try:
            with _storage().open(_progress_name(job_id, slot), "rb") as handle:
                data = json.loads(handle.read().decode("utf-8"))
            beat = float(data["beat"])
            done, total = int(data["done"]), int(data["total"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if latest is None or beat > latest["beat"]:
            latest = {"done": done, "total": total, "beat": beat}
    return latest


def read_progress(job: MasterDataImport) -> tuple[int, int]:
    """Rows done and rows in all of the step that runs (0 done before the worker starts)."""
    latest = _latest_progress(job.pk)
    return (latest["done"], latest["total"]) if latest else (0, job.row_count)


def progress_age(job: MasterDataImport) -> float | None:
    """Seconds since the running step's worker last wrote its progress; None before it started."""
    latest = _latest_progress(job.pk)
    return None if latest is None else max(0.0, time.time() - latest["beat"])


def end_if_worker_died(job: MasterDataImport) -> bool:
    """A step whose worker has not written its progress for IMPORT_STALE_AFTER seconds lost
    its worker (killed, or the machine restarted): a check writes nothing, and an import
    writes in one transaction that never committed, so nothing of the file was stored. The
    job fails with one sentence (and its file goes). A job still waiting for a worker is left
    waiting. True when it ended the job. Called by the job's page and by the reaper
    (`end_dead_jobs`)."""
    if job.state not in (State.CHECKING, State.IMPORTING):
        return False
    age = progress_age(job)
    if age is None or age < settings.IMPORT_STALE_AFTER:
        return False
    ended = MasterDataImport.objects.filter(pk=job.pk, state=job.state).update(
        state=State.FAILED,
        message=N_("The task worker stopped before the file was done; nothing was stored. Upload the file again."),
        finished_at=timezone.now(),
    )
    if ended:
        job.refresh_from_db()
        _remove_file(job)
        job.save(update_fields=["file"])
        _remove_progress(job.pk)
        logger.warning("Master data import %s ended: its task worker stopped.", job.pk)
    return bool(ended)


def end_dead_jobs() -> list[MasterDataImport]:
    """The reaper's round (`imports.tasks.reap_stale_imports`): end every checking or
    importing job whose worker died (`end_if_worker_died`). Returns the jobs it ended."""
    ended = []
    for job in MasterDataImport.objects.filter(state__in=[State.CHECKING, State.IMPORTING]):
        try:
            if end_if_worker_died(job):
                ended.append(job)
        except (OSError, DatabaseError):
            logger.warning("Master data import %s could not be ended now; the next round tries again.", job.pk)
    return ended


def expired_jobs(now: dt.datetime | None = None):
    """The jobs whose stored file is due for removal: one not running that still has its file
    (a check never confirmed, or a failed step whose file could not be removed then), that
    ended IMPORT_RETENTION_DAYS ago. None when the setting is 0 (keep them)."""
    days = settings.IMPORT_RETENTION_DAYS
    if days <= 0:
        return MasterDataImport.objects.none()
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    return (
        MasterDataImport.objects.exclude(file="")
        .exclude(state__in=[State.CHECKING, State.IMPORTING])
        .filter(created_at__lt=cutoff)
        .exclude(finished_at__gte=cutoff)
        .order_by("created_at")
    )


def remove_expired_files(now: dt.datetime | None = None) -> list[MasterDataImport]:
    """Retention, every round of the reaper: the stored file of each expired job
    (`expired_jobs`) is removed; the job's record stays and says so (a checked job can then
    no longer be confirmed). A job whose file the storage cannot remove now is tried again
    next round. Returns the jobs it cleared."""
    days = settings.IMPORT_RETENTION_DAYS
    note = N_("Its file was removed after %(days)s days; upload the file again to import it.") % {"days": days}
    cleared = []
    for job in expired_jobs(now):
        try:
            job.file.delete(save=False)
        except OSError:
            logger.warning(
                "The file of master data import %s could not be removed now; the next round tries again.", job.pk
            )
            continue
        message = note if job.state == State.CHECKED or not job.message else sentences(job.message, note)
        MasterDataImport.objects.filter(pk=job.pk).update(file="", message=message)
        job.message = message
        cleared.append(job)
        logger.info("Master data import %s: its file was removed after %s days.", job.pk, days)
    return cleared


def _remove_progress(job_id) -> None:
    for slot in PROGRESS_SLOTS:
        _storage().delete(_progress_name(job_id, slot))


class _Progress:
    """The running step's progress and beat: the rows done are noted after each row (no
    write); a thread writes them every IMPORT_PROGRESS_EVERY seconds, and at least every
    IMPORT_HEARTBEAT_EVERY seconds while the rows stand still (the write at the end, say),
    so that only a worker that died stops beating."""

    def __init__(self, job: MasterDataImport, total: int):
        self.job_id, self.total, self.done = job.pk, total, 0
        self.slot, self.written = 0, (-1, 0.0)
        self.stopped = threading.Event()
        self.write()
        self.thread = threading.Thread(target=self.beat, name=f"masterdata-progress-{job.pk}", daemon=True)
        self.thread.start()

    def __call__(self, done: int) -> None:
        self.done = done

    def write(self) -> None:
        write_progress(self.job_id, self.done, self.total, slot=self.slot)
        self.slot = 1 - self.slot
        self.written = (self.done, time.monotonic())

    def beat(self) -> None:
        every = max(0.05, min(settings.IMPORT_PROGRESS_EVERY, settings.IMPORT_HEARTBEAT_EVERY))
        while not self.stopped.wait(every):
            done, at = self.written
            if self.done != done or time.monotonic() - at >= settings.IMPORT_HEARTBEAT_EVERY:
                try:
                    self.write()
                except OSError:
                    logger.warning("Master data import %s: its progress could not be written.", self.job_id)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


# --- the worker's two steps ----------------------------------------------------------------


def run_check(job_id) -> str:
    """The check (the preview): every row checked as django-import-export's dry run checks
    it, without writing anything (on SQLite it takes no write lock); keeps the preview on the
    job (checked), or one sentence (failed)."""
    return _run(job_id, State.CHECKING, dry_run=True)


def run_import(job_id) -> str:
    """The import the user confirmed: every row checked again without writing, then all rows
    written in one short transaction of bulk statements, or none (done or failed)."""
    return _run(job_id, State.IMPORTING, dry_run=False)


class JobEnded(Exception):
    """The job is no longer the step's (the reaper ended it meanwhile): write nothing."""


def _run(job_id, expected: str, *, dry_run: bool) -> str:
    job = MasterDataImport.objects.filter(pk=job_id).select_related("user").first()
    if job is None or job.state != expected:
        return "skipped"
    with translation.override(job.language or settings.LANGUAGE_CODE):
        progress = _Progress(job, job.row_count)
        try:
            result = _import(job, progress, dry_run=dry_run)
        except JobEnded:
            return "skipped"
        except (ReadError, resources.MissingColumns) as error:
            return _fail(job, message_of(error))
        except Exception:
            logger.exception("Master data import %s failed", job.pk)
            return _fail(
                job,
                N_("The import stopped on an unexpected error and stored nothing. The details are in the server log."),
            )
        finally:
            progress.stop()
            _remove_progress(job.pk)
        if job.state == State.DONE:  # written, with the job's state, by `_finish_import`
            _remove_file(job)
            return job.state
        job.preview = preview_of(result)
        job.totals = {key: value for key, value in result.totals.items() if value}
        failed = result.has_errors() or result.has_validation_errors()
        if failed:
            job.message = N_("The file has problems; nothing was stored. Correct them and upload the file again.")
        job.state = State.CHECKED if dry_run else State.FAILED  # not dry_run and not done: it failed
        if failed or not dry_run:
            _remove_file(job)  # nothing more will read it
        job.finished_at = timezone.now()
        _save_if_still(job, expected)
        return job.state


def _save_if_still(job: MasterDataImport, expected: str) -> bool:
    """Record the step's outcome, unless the job left the step meanwhile (the reaper ended
    it): the reaper's sentence stays."""
    fields = ["state", "message", "preview", "totals", "file", "finished_at"]
    return bool(
        MasterDataImport.objects.filter(pk=job.pk, state=expected).update(
            **{name: getattr(job, name) for name in fields}
        )
    )


def _import(job: MasterDataImport, progress: _Progress, *, dry_run: bool):
    file_format = resources.IMPORT_FORMATS[job.file_format]()
    file_format.file_name = job.file_name
    with job.file.open("rb") as stored:
        dataset = file_format.create_dataset(stored.read())
    progress.total = len(dataset)
    resource = RESOURCES[job.resource]()
    resource.diff_rows = settings.MASTER_DATA_PREVIEW_ROWS
    resource.on_progress = progress
    if not dry_run:
        resource.while_writing = lambda result: _finish_import(job, result)
    return resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        rollback_on_validation_errors=True,
        retain_instance_in_row_result=not dry_run,
        file_name=job.file_name,
        user=job.user,
    )


def _finish_import(job: MasterDataImport, result) -> None:
    """Inside the import's transaction, after its rows are written: the job becomes done and
    the admin's history records each object, committed with the rows or not at all. A job
    the reaper ended meanwhile (JobEnded) rolls the rows back."""
    totals = {key: value for key, value in result.totals.items() if value}
    finished = timezone.now()
    message = done_message(totals)
    if not MasterDataImport.objects.filter(pk=job.pk, state=State.IMPORTING).update(
        state=State.DONE,
        totals=totals,
        preview=preview_of(result),
        message=message,
        finished_at=finished,
    ):
        raise JobEnded
    _log_entries(job, result)
    job.state, job.totals, job.message, job.finished_at = State.DONE, totals, message, finished


def _fail(job: MasterDataImport, message: str | Message) -> str:
    expected = job.state
    job.state, job.message, job.finished_at = State.FAILED, message, timezone.now()
    _remove_file(job)
    _save_if_still(job, expected)
    return job.state


def _remove_file(job: MasterDataImport) -> None:
    """The stored upload, once the job has ended; storage that refuses is logged, never raised."""
    if job.file:
        try:
            job.file.delete(save=False)
        except Exception:  # whatever the storage raises, the job's outcome stands
            logger.warning("The file of master-data import %s could not be removed.", job.pk, exc_info=True)
        MasterDataImport.objects.filter(pk=job.pk).update(file="")


def done_message(totals: dict) -> Message:
    return N_("Import finished: %(new)s new, %(update)s changed, %(skip)s unchanged.") % {
        "new": grouped(totals.get(RowResult.IMPORT_TYPE_NEW, 0)),
        "update": grouped(totals.get(RowResult.IMPORT_TYPE_UPDATE, 0)),
        "skip": grouped(totals.get(RowResult.IMPORT_TYPE_SKIP, 0)),
    }


def preview_of(result) -> dict:
    """What the result page shows, as django-import-export's page shows it: the changes of
    the first MASTER_DATA_PREVIEW_ROWS rows, the problems of as many rows, and the file's
    errors. The cells of `diff` are HTML built by `StyleFreeDiff` (values escaped). Each
    problem is kept language-free (`stored`), and `shown_preview` renders it for the reader."""
    limit = settings.MASTER_DATA_PREVIEW_ROWS
    rows = []
    for row in result.valid_rows():
        if len(rows) >= limit:
            break
        if row.diff:
            rows.append({"type": row.import_type, "diff": [str(cell) for cell in row.diff]})
    invalid = []
    for row in result.invalid_rows[:limit]:
        problems = row_problems(row.error)
        invalid.append(
            {
                "number": row.number,
                "fields": {name: messages for name, messages in problems.items() if name != NON_FIELD_ERRORS},
                "other": problems.get(NON_FIELD_ERRORS, []),
                "values": [str(v) if v is not None else "" for v in row.values],
            }
        )
    row_errors = [
        {"line": line, "messages": [stored(message_of(error.error)) for error in errors]}
        for line, errors in result.row_errors()[:limit]
    ]
    return {
        "headers": [str(header) for header in result.diff_headers],
        "rows": rows,
        "invalid": invalid,
        "invalid_count": len(result.invalid_rows),
        "row_errors": row_errors,
        "base_errors": [stored(message_of(error.error)) for error in result.base_errors],
    }


def row_problems(error: ValidationError) -> dict[str, list]:
    """A row's validation error as {field: [message, ...]}, each message kept language-free
    (`stored`): the resource's own Messages, and Django's sentences by their msgid."""
    if hasattr(error, "error_dict"):
        groups = {str(name): errors for name, errors in error.error_dict.items()}
    else:
        groups = {NON_FIELD_ERRORS: error.error_list}
    return {
        name: [stored(message_with(problem.message, problem.params)) for problem in problems]
        for name, problems in groups.items()
    }


def shown_preview(preview: dict) -> dict:
    """The kept preview with every problem in the reader's language (`render`); a preview
    kept before problems were kept language-free holds texts, shown as they are."""
    if not preview:
        return {}
    return {
        **preview,
        "invalid": [
            {
                **row,
                "fields": {name: [render(m) for m in messages] for name, messages in row.get("fields", {}).items()},
                "other": [render(m) for m in row.get("other", [])],
            }
            for row in preview.get("invalid", [])
        ],
        "row_errors": [
            {**error, "messages": [render(m) for m in error.get("messages", [])]}
            for error in preview.get("row_errors", [])
        ],
        "base_errors": [render(m) for m in preview.get("base_errors", [])],
    }


def _log_entries(job: MasterDataImport, result) -> None:
    """The admin's history of each object, as django-import-export writes it in a request."""
    flags = {RowResult.IMPORT_TYPE_NEW: ADDITION, RowResult.IMPORT_TYPE_UPDATE: CHANGE}
    with transaction.atomic():
        for import_type, flag in flags.items():
            instances = [row.instance for row in result.rows if row.import_type == import_type and row.instance]
            if instances:
                LogEntry.objects.log_actions(
                    job.user_id,
                    instances,
                    flag,
                    change_message=f"{import_type} through import_export",
                    single_object=len(instances) == 1,
                )


def can_confirm(job: MasterDataImport) -> bool:
    """Checked, without problems, and its file still there."""
    preview = job.preview or {}
    return (
        job.state == State.CHECKED
        and bool(job.file)
        and not (preview.get("invalid") or preview.get("row_errors") or preview.get("base_errors"))
    )
