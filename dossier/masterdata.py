"""Master-data imports in the task worker: a file of more than MASTER_DATA_BACKGROUND_ROWS rows
is not checked or imported inside the web request (a long transaction there holds SQLite's
write lock while every other writer waits). The admin's Import button stores the file in
private storage as a `MasterDataImport` and queues its check (`dossier.tasks`); the worker runs
django-import-export's dry run (`run_check`) and keeps the preview (the first
MASTER_DATA_PREVIEW_ROWS rows, every total, the problems); after the user's confirmation the
worker imports the file in one transaction (`run_import`). While a step runs, its progress (rows
done of rows) is kept in a small file beside the stored file, because the step's own
transaction hides what it writes to the database until it ends. See docs/master-data.md.

This module never queues: `dossier.tasks` calls down into it."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from import_export.results import RowResult

from dossier import resources
from dossier.models import MasterDataImport
from dossier.services import store_file
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


# --- progress, kept beside the stored file -------------------------------------------------


def _progress_path(job_id) -> Path:
    storage = MasterDataImport._meta.get_field("file").storage
    return Path(storage.path(f"masterdata/{job_id}-progress.json"))


def write_progress(job_id, done: int, total: int) -> None:
    """Replaced atomically (written beside it, then renamed): a reader never sees half."""
    path = _progress_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"done": done, "total": total}), encoding="utf-8")
    os.replace(partial, path)


def read_progress(job: MasterDataImport) -> tuple[int, int]:
    """Rows done and rows in all of the step that runs (0 done before the worker starts)."""
    try:
        data = json.loads(_progress_path(job.pk).read_text(encoding="utf-8"))
        return int(data["done"]), int(data["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0, job.row_count


def progress_age(job: MasterDataImport) -> float | None:
    """Seconds since the running step last wrote its progress; None before it started."""
    try:
        return time.time() - _progress_path(job.pk).stat().st_mtime
    except OSError:
        return None


def end_if_worker_died(job: MasterDataImport) -> bool:
    """A step whose progress has not moved for IMPORT_STALE_AFTER seconds lost its worker
    (killed, or the machine restarted): its transaction never committed, so nothing of the
    file was stored. The job fails with one sentence (and its file goes). A job still waiting
    for a worker is left waiting. True when it ended the job."""
    if job.state not in (State.CHECKING, State.IMPORTING):
        return False
    age = progress_age(job)
    if age is None or age < settings.IMPORT_STALE_AFTER:
        return False
    ended = MasterDataImport.objects.filter(pk=job.pk, state=job.state).update(
        state=State.FAILED,
        message=_("The task worker stopped before the file was done; nothing was stored. Upload the file again."),
        finished_at=timezone.now(),
    )
    if ended:
        job.refresh_from_db()
        _remove_file(job)
        job.save(update_fields=["file"])
        _remove_progress(job.pk)
    return bool(ended)


def _remove_progress(job_id) -> None:
    _progress_path(job_id).unlink(missing_ok=True)


class _Progress:
    """Writes the rows done at most every IMPORT_PROGRESS_EVERY seconds, and at the end."""

    def __init__(self, job: MasterDataImport, total: int):
        self.job_id, self.total, self.written_at = job.pk, total, 0.0
        write_progress(self.job_id, 0, total)

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if done >= self.total or now - self.written_at >= settings.IMPORT_PROGRESS_EVERY:
            self.written_at = now
            write_progress(self.job_id, done, self.total)


# --- the worker's two steps ----------------------------------------------------------------


def run_check(job_id) -> str:
    """The dry run (django-import-export's preview): checks every row, stores nothing, and
    keeps the preview on the job (checked), or one sentence (failed)."""
    return _run(job_id, State.CHECKING, dry_run=True)


def run_import(job_id) -> str:
    """The import the user confirmed, all rows in one transaction or none (done or failed)."""
    return _run(job_id, State.IMPORTING, dry_run=False)


def _run(job_id, expected: str, *, dry_run: bool) -> str:
    job = MasterDataImport.objects.filter(pk=job_id).select_related("user").first()
    if job is None or job.state != expected:
        return "skipped"
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            result = _import(job, dry_run=dry_run)
        except (ReadError, resources.MissingColumns) as error:
            return _fail(job, str(error))
        except Exception:
            logger.exception("Master data import %s failed", job.pk)
            return _fail(
                job,
                _("The import stopped on an unexpected error and stored nothing. The details are in the server log."),
            )
        finally:
            _remove_progress(job.pk)
        job.preview = preview_of(result)
        job.totals = {key: value for key, value in result.totals.items() if value}
        failed = result.has_errors() or result.has_validation_errors()
        if dry_run:
            job.state = State.CHECKED
            if failed:
                job.message = _("The file has problems; nothing was stored. Correct them and upload the file again.")
        elif failed:  # the data changed since the check
            job.state = State.FAILED
            job.message = _("The file has problems; nothing was stored. Correct them and upload the file again.")
        else:
            job.state = State.DONE
            job.message = done_message(job.totals)
            _log_entries(job, result)
        if failed or not dry_run:
            _remove_file(job)  # nothing more will read it
        job.finished_at = timezone.now()
        job.save()
        return job.state


def _import(job: MasterDataImport, *, dry_run: bool):
    file_format = resources.IMPORT_FORMATS[job.file_format]()
    file_format.file_name = job.file_name
    with job.file.open("rb") as stored:
        dataset = file_format.create_dataset(stored.read())
    resource = RESOURCES[job.resource]()
    resource.diff_rows = settings.MASTER_DATA_PREVIEW_ROWS
    resource.on_progress = _Progress(job, len(dataset))
    return resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        rollback_on_validation_errors=True,
        retain_instance_in_row_result=not dry_run,
        file_name=job.file_name,
        user=job.user,
    )


def _fail(job: MasterDataImport, message: str) -> str:
    job.state = State.FAILED
    job.message = message
    job.finished_at = timezone.now()
    _remove_file(job)
    job.save()
    return job.state


def _remove_file(job: MasterDataImport) -> None:
    """The stored upload, once the job has ended; storage that refuses is logged, never raised."""
    if job.file:
        try:
            job.file.delete(save=False)
        except Exception:  # whatever the storage raises, the job's outcome stands
            logger.warning("The file of master-data import %s could not be removed.", job.pk, exc_info=True)


def done_message(totals: dict) -> str:
    return _("Import finished: %(new)s new, %(update)s changed, %(skip)s unchanged.") % {
        "new": totals.get(RowResult.IMPORT_TYPE_NEW, 0),
        "update": totals.get(RowResult.IMPORT_TYPE_UPDATE, 0),
        "skip": totals.get(RowResult.IMPORT_TYPE_SKIP, 0),
    }


def preview_of(result) -> dict:
    """What the result page shows, as django-import-export's page shows it: the changes of
    the first MASTER_DATA_PREVIEW_ROWS rows, the problems of as many rows, and the file's
    errors. The cells of `diff` are HTML built by `StyleFreeDiff` (values escaped)."""
    limit = settings.MASTER_DATA_PREVIEW_ROWS
    rows = []
    for row in result.valid_rows():
        if len(rows) >= limit:
            break
        if row.diff:
            rows.append({"type": row.import_type, "diff": [str(cell) for cell in row.diff]})
    invalid = [
        {
            "number": row.number,
            "fields": {str(name): [str(m) for m in messages] for name, messages in row.field_specific_errors.items()},
            "other": [str(m) for m in row.non_field_specific_errors],
            "values": [str(v) if v is not None else "" for v in row.values],
        }
        for row in result.invalid_rows[:limit]
    ]
    row_errors = [
        {"line": line, "messages": [str(error.error) for error in errors]}
        for line, errors in result.row_errors()[:limit]
    ]
    return {
        "headers": [str(header) for header in result.diff_headers],
        "rows": rows,
        "invalid": invalid,
        "invalid_count": len(result.invalid_rows),
        "row_errors": row_errors,
        "base_errors": [str(error.error) for error in result.base_errors],
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
