"""Where a validation leaves its rows for the commit: the staged (valid) rows and the rejected
(invalid) ones, one file each per job in private storage; and their removal when no commit
will use them."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from pathlib import Path

from django.conf import settings

from imports.models import ImportJob
from imports.progress import remove_marks, staging_folder


def staging_path(job: ImportJob) -> Path:
    """The job's validated rows, as database values, waiting for the commit."""
    return staging_folder() / f"{job.pk}-staged.jsonl"


def rejected_path(job: ImportJob) -> Path:
    """The job's invalid rows with their cells and errors, for the rejected-rows file."""
    return staging_folder() / f"{job.pk}-rejected.jsonl"


def row_record_path(job: ImportJob) -> Path:
    """Every row's status, one JSON line a row in file order (reconciliation.RowStatus): what
    the reconciliation workbook writes beside each row, and what a later upload of it
    recognises rows by. Kept while the job keeps its file (not pruned with the staging)."""
    return staging_folder() / f"{job.pk}-rows.jsonl"


STAGING_PATTERNS = ("*-staged.jsonl", "*-staged.partial", "*-rejected.jsonl", "*-rejected.partial")


def prune_stale_staging() -> int:
    """Remove staged rows no commit will use: older than IMPORT_VALIDATION_MAX_AGE (a commit
    validates again first), including those of validations that never finished. Runs at the
    start of every validation, so validations that are never committed leave nothing behind."""
    oldest = dt.datetime.now().timestamp() - settings.IMPORT_VALIDATION_MAX_AGE
    stale: dict[Path, uuid.UUID | None] = {}  # staged file -> its job
    for path in [path for pattern in STAGING_PATTERNS for path in staging_folder().glob(pattern)]:
        with contextlib.suppress(FileNotFoundError):  # removed by another process meanwhile
            if path.stat().st_mtime < oldest:
                stale[path] = uuid_or_none(path.stem.rpartition("-")[0])
    busy = set(
        ImportJob.objects.filter(
            pk__in={job_id for job_id in stale.values() if job_id},
            state__in=[ImportJob.State.VALIDATING, ImportJob.State.IMPORTING],
        ).values_list("pk", flat=True)
    )
    removed = 0
    for path, job_id in stale.items():
        if job_id not in busy:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def uuid_or_none(text: str) -> uuid.UUID | None:
    """The UUID a file name or a task id spells, or None when it spells none."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def remove_staging(job: ImportJob) -> None:
    """The job's staged and rejected rows, finished or half-written."""
    for path in (staging_path(job), rejected_path(job)):
        path.unlink(missing_ok=True)
        path.with_suffix(".partial").unlink(missing_ok=True)


def remove_job_files(job: ImportJob) -> None:
    """Everything the job keeps in private storage: its staged and rejected rows, its marks,
    the uploaded file and the attachments ZIP (raises OSError when the storage cannot remove
    them). The job's file fields are emptied, not saved."""
    remove_staging(job)
    row_record_path(job).unlink(missing_ok=True)
    remove_marks(job.pk)
    for stored in (job.file, job.attachments_zip):
        if stored:
            stored.storage.delete(stored.name)
    job.file = job.attachments_zip = ""


def discard_staging(*, job: ImportJob) -> None:
    """Forget the staged rows of a validation that will not be committed (a dry run)."""
    staging_path(job).unlink(missing_ok=True)
    rejected_path(job).unlink(missing_ok=True)
    row_record_path(job).unlink(missing_ok=True)
    job.validated_at = None
    job.save(update_fields=["validated_at"])
