"""The commit: the staged rows stored in one transaction (R27), after checking again; on the
command line (`commit_import`) or in the worker (`run_commit`, the body of
`imports.tasks.commit_job`). And what a finished import stored (`commit_result`)."""

from __future__ import annotations

import logging
import sqlite3

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from dossier.access import import_refusal
from dossier.models import Attachment, DossierItem
from dossier.spec import ItemSpec
from imports.models import ImportJob
from imports.pipeline.committing import Committer, WrittenFiles, read_staged, read_staging_header
from imports.pipeline.outcomes import CommitResult
from imports.progress import IMPORTING, ImportCancelled, JobMonitor, manifest_path, remove_marks
from imports.services.jobs import claim_job, end_cancelled, fail_job, fail_job_on, load_job, move_job
from imports.services.refusals import (
    DuplicatesUndecided,
    ImportedBefore,
    ImportRefused,
    RowsInvalid,
    columns_left_out,
    duplicates_undecided,
    earlier_import,
    imported_before_message,
    rows_invalid,
)
from imports.services.rows import ProgressCallback, open_attachments, spec_for
from imports.services.staging import remove_staging, staging_path
from imports.services.validating import validate_and_stage
from spreadsheets.messages import N_

logger = logging.getLogger(__name__)


def commit_import(
    *,
    job: ImportJob,
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
    again: bool = False,
    duplicates: str = "",
) -> CommitResult:
    """R27: store every row, or, when the user chose it, only the valid ones, in one
    transaction. It re-checks first: a validation that is missing or older than
    IMPORT_VALIDATION_MAX_AGE is done again. The same file imported before for the same type
    is refused (ImportedBefore) unless `again`; rows that are probably duplicates are
    refused (DuplicatesUndecided) unless `duplicates` (an ImportJob.Duplicates) says to skip
    them or import them anyway (`again` without a choice: import them, the whole file was
    meant to be imported once more). Returns what it stored. Writes the job's heartbeat and
    progress while it works, outside the database (`imports.progress`)."""
    if not again and (earlier := earlier_import(job=job)):
        raise ImportedBefore(imported_before_message(earlier, viewer=job.user), job=job, earlier=earlier)
    duplicates = duplicates_choice(duplicates, again=again)
    spec = spec_for(job)
    with JobMonitor(job) as monitor:
        if job.state != ImportJob.State.VALIDATED or not _staging_is_current(job):
            validate_and_stage(job, spec, progress, monitor)
        if refusal := columns_left_out(job):
            raise refusal
        if job.invalid_row_count and not skip_invalid:
            raise rows_invalid(job)
        if job.duplicate_row_count and not duplicates:
            raise duplicates_undecided(job)
        move_job(job, ImportJob.State.IMPORTING)
        job.skip_invalid = skip_invalid
        job.duplicates = duplicates
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["state", "skip_invalid", "duplicates", "heartbeat_at"])
        return _commit(job, spec, progress, monitor)


def run_commit(*, job_id: str, skip_invalid: bool = False, again: bool = False) -> str:
    """The commit task's body: commit a job queued by `imports.tasks.start_commit`. Returns
    the job's state; refusals (a file imported meanwhile, invalid rows, ...) are recorded on
    the job."""
    job = load_job(job_id)
    if job is None or not claim_job(job, ImportJob.State.IMPORTING):
        return job.state if job else "missing"
    try:
        if reason := import_refusal(job.user, job.item_type, job.creation_profile):
            fail_job(job, reason)
        elif not again and (earlier := earlier_import(job=job)):
            fail_job(job, imported_before_message(earlier, viewer=job.user))
        else:
            _commit_queued(job, skip_invalid)
    except (RowsInvalid, DuplicatesUndecided) as refusal:
        ImportJob.objects.filter(pk=job.pk).update(error_message=refusal.message)
    except ImportRefused:
        pass
    return job.state


def duplicates_choice(duplicates: str, *, again: bool) -> str:
    """The choice for probable duplicates a commit goes by: the user's; none made, but the
    same file imported once more on purpose (`again`): import them."""
    return duplicates or (ImportJob.Duplicates.IMPORT if again else "")


def _staging_is_current(job: ImportJob) -> bool:
    if job.validated_at is None or not staging_path(job).exists():
        return False
    age = timezone.now() - job.validated_at
    return age.total_seconds() <= settings.IMPORT_VALIDATION_MAX_AGE


def _commit_queued(job: ImportJob, skip_invalid: bool) -> CommitResult:
    """A commit the worker took from the queue: the job is importing already; it validates
    again first when it must, and goes back to validated when rows turn out invalid."""
    spec = spec_for(job)
    with JobMonitor(job) as monitor:
        if not _staging_is_current(job):
            validate_and_stage(job, spec, None, monitor, move=False)
        refusal = columns_left_out(job)
        if refusal is None:
            if job.invalid_row_count and not skip_invalid:
                refusal = rows_invalid(job)
            elif job.duplicate_row_count and not job.duplicates:  # found by the validation just now
                refusal = duplicates_undecided(job)
        if refusal is not None:
            job.state = ImportJob.State.VALIDATED
            job.save(update_fields=["state"])
            remove_marks(job.pk)
            raise refusal
        return _commit(job, spec, None, monitor)


def _commit(job: ImportJob, spec: ItemSpec, progress: ProgressCallback | None, monitor: JobMonitor) -> CommitResult:
    """The commit itself, in one transaction that also marks the job done. On PostgreSQL the
    transaction holds the job's row lock, so the reaper never takes a live commit for dead;
    on SQLite its write lock does the same."""
    skip = job.skips_duplicates
    total = job.valid_row_count - (job.duplicate_row_count if skip else 0)
    monitor.start_phase(IMPORTING, total=total, in_database=False)

    def report(done: int) -> None:
        monitor.update(done)
        if progress:
            progress(done, total)

    def finish(created: int) -> None:
        job.state = ImportJob.State.DONE
        job.items_created = created
        job.first_number = committer.first_number
        job.finished_at = timezone.now()
        job.heartbeat_at = timezone.now()
        job.progress_done = job.progress_total = total
        job.error_message = ""
        job.save(
            update_fields=[
                "state",
                "items_created",
                "first_number",
                "finished_at",
                "heartbeat_at",
                "progress_done",
                "progress_total",
                "error_message",
            ]
        )

    storage = Attachment._meta.get_field("file").storage
    written = WrittenFiles(storage, manifest_path(job.pk))
    try:
        with (
            open_attachments(job) as attachments,
            staging_path(job).open(encoding="utf-8") as staged,
            transaction.atomic(),
        ):
            list(ImportJob.objects.select_for_update().filter(pk=job.pk).values_list("pk", flat=True))
            committer = Committer(
                spec,
                job=job,
                attachments=attachments if job.staged_attachments else None,
                progress=report,
                written=written,
            )
            committer.rows.take_layout(read_staging_header(staged))
            committer.commit(
                read_staged(staged, skip_duplicates=skip),
                item_count=job.staged_items - (job.duplicate_item_count if skip else 0),
                finish=finish,
            )
    except BaseException as error:
        written.remove()
        manifest_path(job.pk).unlink(missing_ok=True)
        remove_staging(job)  # a failed job validates again before a commit
        job.validated_at = None
        if isinstance(error, ImportCancelled):
            end_cancelled(job)
            raise ImportRefused(job.error_message, job=job) from None
        ImportJob.objects.filter(pk=job.pk).update(validated_at=None)
        if isinstance(error, IntegrityError) and is_foreign_key_violation(error):
            message = N_(
                "Something these rows refer to was changed or removed after the validation, so nothing was stored. Run the import again: it validates the rows first."
            )
            fail_job(job, message)
            raise ImportRefused(message, job=job) from None
        fail_job_on(job, error, N_("The import failed and nothing was stored: %(error)s"), "Import %s failed")
        raise
    manifest_path(job.pk).unlink(missing_ok=True)
    remove_staging(job)
    remove_marks(job.pk)
    _tidy_after_bulk_insert(job.items_created)
    return commit_result(job=job)


# Items after which a PostgreSQL commit vacuums the item table itself.
VACUUM_AFTER_ITEMS = 10_000


def _tidy_after_bulk_insert(created: int) -> None:
    """On PostgreSQL, after a large commit: VACUUM ANALYZE the item table, so its visibility
    map covers the new rows at once and the dossier and list counts read the indexes alone
    (until autovacuum comes by they read the table: seconds at a million items). Never inside
    a transaction (VACUUM cannot run there); a failure only costs that speed."""
    if created < VACUUM_AFTER_ITEMS or connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(DossierItem._meta.db_table)}")
    except DatabaseError:
        logger.warning("VACUUM ANALYZE after a commit of %s items failed", created, exc_info=True)


def commit_result(*, job: ImportJob) -> CommitResult:
    """What a finished import stored: items, rows imported, left out as invalid and skipped
    as probable duplicates, items per destination, duration. For the command line, the result page and the history."""
    done = job.state in (ImportJob.State.DONE, ImportJob.State.UNDONE)
    return CommitResult(
        items_created=job.items_created,
        rows_read=job.row_count,
        rows_imported=job.valid_row_count - job.rows_skipped if done else 0,
        rows_left_out=job.invalid_row_count,
        rows_created_before=job.recognised_row_count,
        rows_skipped=job.rows_skipped,
        per_destination=items_per_destination(job=job),
        duration=job.duration,
    )


def items_per_destination(*, job: ImportJob) -> dict[str, int]:
    """Items the import created per destination relation (its number; "" for items without
    a relation, which name a contact only), in number order. One query."""
    counts = (
        DossierItem.objects.filter(import_job=job)
        .values_list("relation__number")
        .annotate(items=Count("pk"))
        .order_by("relation__number")
    )
    return {number or "": items for number, items in counts}


def is_foreign_key_violation(error: IntegrityError) -> bool:
    """Told by the driver's error, never by its message (which differs by version and language):
    PostgreSQL's SQL state 23503 (psycopg's ForeignKeyViolation), SQLite's extended error code."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == "23503":
        return True
    return isinstance(cause, sqlite3.IntegrityError) and (
        getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
    )
