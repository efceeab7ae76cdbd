"""Moving an ImportJob through its states. The wizard, the tasks, the CLI and the tests all
call these:

    job = start_import(user=..., item_type=..., file=..., file_name=...)   # uploaded
    set_mapping(job=job, mapping=suggest_mapping_for(job))                  # mapped
    result = validate_import(job=job)                                       # validated
    result = commit_import(job=job, skip_invalid=False)                     # done
    undo_import(job=job, user=user)                                         # undone

The wizard runs the validation and the commit in the task worker instead (see "background
work" below): start_validation(job=job), start_commit(job=job, skip_invalid=..., again=...),
request_cancel(job=job), job_progress(job) -> Progress; reap_stale_imports() ends the jobs
whose worker died.

Every refusal is an ImportRefused with one sentence for the user. A full disk or storage that
cannot be written (`storage_fault`) is one too: the job is recorded as failed, and no partial
file and no item stays behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import gc
import hashlib
import logging
import sqlite3
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts import rights
from dossier.models import Attachment, CreationProfile, DossierItem, ItemType, Reaction, ReviewTask, WorkflowInstance
from dossier.services import delete_items, store_file
from dossier.spec import ItemSpec, Purpose, import_refusal
from imports.models import ImportJob, SavedMapping
from imports.pipeline import mapping as mapping_module
from imports.pipeline.attachments import ArchiveError, AttachmentArchive, AttachmentSource, ServerFolders
from imports.pipeline.committing import (
    Committer,
    ItemRows,
    WrittenFiles,
    read_rejected,
    read_staged,
    remove_listed,
    stage_rejected,
    stage_row,
)
from imports.pipeline.mapping import MappingProblem, check_mapping, header_key
from imports.pipeline.outcomes import CommitResult, RowResult, Summary, ValidationResult
from imports.pipeline.report import write_rejected_rows
from imports.pipeline.validation import RowValidator
from imports.progress import (
    IMPORTING,
    VALIDATING,
    ImportCancelled,
    JobMonitor,
    Progress,
    cancel_requested,
    cancelled_message,
    estimate_rows,
    last_beat,
    manifest_path,
    mark_cancel,
    never_started_message,
    read_job_progress,
    remove_marks,
    staging_folder,
    stale_message,
)
from spreadsheets.reading import ReadError, file_format, open_table, sample

logger = logging.getLogger(__name__)
MAX_STORED_PROBLEMS = 5000
ProgressCallback = Callable[[int, int], None]  # (rows done, rows in total or 0 when unknown)


class ImportRefused(Exception):
    """The import cannot go on; the message is one sentence for the user."""

    def __init__(self, message: str, *, job: ImportJob | None = None, problems: list | None = None):
        super().__init__(message)
        self.message = message
        self.job = job
        self.problems = problems or []


class RowsInvalid(ImportRefused):
    """Some rows are invalid and the user did not choose to import only the valid ones."""


class ImportedBefore(ImportRefused):
    """The same file (same sha256) was imported for the same type before; `earlier` is that
    import. The caller asks the user, and commits with `again=True` if he means it."""

    def __init__(self, message: str, *, job: ImportJob, earlier: ImportJob):
        super().__init__(message, job=job)
        self.earlier = earlier


STORAGE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
STORAGE_UNWRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def storage_fault(error: BaseException) -> str | None:
    """The user's sentence for a fault of the server's storage (full, or not writable);
    None for any other error."""
    if not isinstance(error, OSError):
        return None
    if error.errno in STORAGE_FULL:
        return _(
            "The server's storage is full, so the import stopped and nothing was stored; ask an administrator to make room, then import again."
        )
    if error.errno in STORAGE_UNWRITABLE:
        return _(
            "The server cannot write to its storage, so the import stopped and nothing was stored; ask an administrator to check the storage, then import again."
        )
    return None


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def import_refusal_for(user, item_type: ItemType, profile: CreationProfile | None = None) -> str | None:
    """R2, R3, R5, R21: why this user cannot import this type (with this profile)."""
    if reason := rights.import_refusal(user):
        return reason
    if not rights.may_use_type(user, item_type):
        return _("You are not authorised for item type %(type)s. Ask an administrator to authorise you.") % {
            "type": item_type.code
        }
    if reason := import_refusal(item_type):
        return _("Items of type %(type)s cannot be imported: %(reason)s") % {"type": item_type.code, "reason": reason}
    if profile is not None and (profile.item_type_id != item_type.pk or not profile.is_active):
        return _(
            "Creation profile %(profile)s does not belong to type %(type)s; choose one of its own profiles or none."
        ) % {
            "profile": profile.code,
            "type": item_type.code,
        }
    return None


def start_import(
    *,
    user,
    item_type: ItemType,
    file: IO[bytes],
    file_name: str,
    profile: CreationProfile | None = None,
    attachments: IO[bytes] | None = None,
    attachments_name: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    options: dict | None = None,
    source: str = ImportJob.Source.WIZARD,
) -> ImportJob:
    """Check the user, type and profile, store the file privately, and read its headers.
    Raises ImportRefused; a file that cannot be read, or stored (a full disk), leaves a failed
    job behind (R29), and no partial file."""
    if reason := import_refusal_for(user, item_type, profile):
        raise ImportRefused(reason)
    job = ImportJob(
        user=user,
        item_type=item_type,
        creation_profile=profile,
        file_name=Path(file_name).name,
        file_sha256=_sha256(file),
        sheet=sheet or "",
        header_row=header_row,
        options=options or {},
        source=source,
    )
    try:
        store_file(job.file, f"{job.pk}{Path(file_name).suffix.lower()}", File(file))
        if attachments is not None:
            store_file(job.attachments_zip, f"{job.pk}-attachments.zip", File(attachments))
            job.attachments_name = Path(attachments_name or "attachments.zip").name
    except OSError as error:
        for stored in (job.file, job.attachments_zip):  # the file, when the ZIP failed
            if stored:
                stored.storage.delete(stored.name)
        job.file = job.attachments_zip = ""
        message = storage_fault(error)
        job.state = ImportJob.State.FAILED
        job.error_message = message or str(error)
        job.finished_at = timezone.now()
        job.save()
        if message is None:
            raise
        raise ImportRefused(message, job=job) from None
    job.save()
    try:
        table, rows = sample(job.file.path, file_name=job.file_name, sheet=sheet, header_row=header_row, size=1)
        other_sheets = [name for name in table.sheet_names if name != table.sheet]
        if not rows and not (other_sheets and sheet is None and source == ImportJob.Source.WIZARD):
            raise ReadError(_no_rows_message(job.file_name, table.sheet, other_sheets))
        if attachments is not None:
            AttachmentArchive.open(job.attachments_zip.path).close()
    except (ReadError, ArchiveError) as error:
        _fail(job, str(error))
        raise ImportRefused(str(error), job=job) from None
    job.headers = table.headers
    job.sheet = table.sheet
    job.header_row = table.header_row
    job.sheet_names = table.sheet_names
    job.save(update_fields=["headers", "sheet", "header_row", "sheet_names"])
    return job


def _no_rows_message(file_name: str, sheet: str | None, other_sheets: list[str]) -> str:
    """A file with column names and nothing under them; a workbook's other sheets are named,
    since the rows may be there (the wizard then offers the sheet step instead)."""
    if not other_sheets:
        return _("'%(name)s' has column names but no rows to import.") % {"name": file_name}
    return _(
        "'%(name)s' has column names but no rows to import on sheet '%(sheet)s'. Its other sheets are "
        "%(others)s: choose the one with the rows (--sheet on the command line)."
    ) % {"name": file_name, "sheet": sheet, "others": ", ".join(f"'{name}'" for name in other_sheets)}


def _fail(job: ImportJob, message: str) -> None:
    job.state = ImportJob.State.FAILED
    job.error_message = message
    job.finished_at = timezone.now()
    job.validated_at = None  # a failed job validates again before a commit
    ImportJob.objects.filter(pk=job.pk).update(
        state=job.state, error_message=message, finished_at=job.finished_at, validated_at=None
    )
    remove_marks(job.pk)


def spec_for(job: ImportJob) -> ItemSpec:
    return ItemSpec(job.item_type, job.creation_profile, purpose=Purpose.IMPORT)


def suggest_mapping_for(job: ImportJob) -> dict[str, dict]:
    saved = SavedMapping.objects.filter(item_type=job.item_type, header_key=header_key(job.headers)).first()
    return mapping_module.suggest_mapping(
        spec_for(job), job.headers, saved.mapping if saved else None, saved_headers=saved.headers if saved else None
    )


def set_mapping(*, job: ImportJob, mapping: dict[str, dict]) -> list[MappingProblem]:
    """Store the mapping when it can work (and remember it for this type and header set);
    otherwise return its problems and change nothing."""
    problems = check_mapping(spec_for(job), job.headers, mapping)
    if problems:
        return problems
    _move(job, ImportJob.State.MAPPED)
    job.mapping = mapping
    job.validated_at = None  # staged rows of another mapping are no use
    job.save(update_fields=["mapping", "state", "validated_at"])
    SavedMapping.objects.update_or_create(
        item_type=job.item_type,
        header_key=header_key(job.headers),
        defaults={"headers": job.headers, "mapping": mapping, "updated_by": job.user},
    )
    return []


def _move(job: ImportJob, state: str) -> None:
    if not job.can_move_to(state):
        raise ImportRefused(
            _("This import has state '%(state)s' and cannot continue from there.") % {"state": job.get_state_display()},
            job=job,
        )
    job.state = state


@contextmanager
def _open_attachments(job: ImportJob) -> Iterator[AttachmentSource | None]:
    """The job's attachments ZIP and the server's import folders, when there are any."""
    archive = AttachmentArchive.open(job.attachments_zip.path) if job.attachments_zip else None
    folders = ServerFolders.from_settings()
    if archive is None and folders is None:
        yield None
        return
    source = AttachmentSource(archive, folders)
    try:
        yield source
    finally:
        source.close()


def _results(
    job: ImportJob, spec: ItemSpec, attachments, progress: ProgressCallback | None, total: int = 0
) -> Iterator[RowResult]:
    """Every row of the job's file, validated; reports progress every 500 rows."""
    table = open_table(job.file.path, file_name=job.file_name, sheet=job.sheet or None, header_row=job.header_row)
    if table.headers != job.headers:
        raise ImportRefused(_("The file's columns changed since it was mapped; map it again."), job=job)
    validator = RowValidator(
        spec,
        table.headers,
        job.mapping,
        user=job.user,
        epoch=table.epoch,
        attachments=attachments,
        now=timezone.now(),
    )
    total = total or job.row_count
    for done, result in enumerate(validator.validate(table.rows()), start=1):
        if progress and done % 500 == 0:
            progress(done, total)
        yield result


def staging_path(job: ImportJob) -> Path:
    """The job's validated rows, as database values, waiting for the commit."""
    return staging_folder() / f"{job.pk}-staged.jsonl"


def rejected_path(job: ImportJob) -> Path:
    """The job's invalid rows with their cells and errors, for the rejected-rows file."""
    return staging_folder() / f"{job.pk}-rejected.jsonl"


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
                stale[path] = _uuid_or_none(path.stem.rpartition("-")[0])
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


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def validate_import(*, job: ImportJob, progress: ProgressCallback | None = None) -> ValidationResult:
    """R26: check every row and record every problem; nothing is stored (R27). The valid
    rows are staged for the commit, the invalid ones for the rejected-rows file. The result
    names the earlier import of the same file for the same type, if there is one. Writes
    the job's heartbeat and progress while it works (`imports.progress`)."""
    with JobMonitor(job) as monitor:
        summary = _validate(job, spec_for(job), progress, monitor)
    return ValidationResult(summary=summary, earlier=earlier_import(job=job))


def _validate(
    job: ImportJob,
    spec: ItemSpec,
    progress: ProgressCallback | None,
    monitor: JobMonitor,
    *,
    move: bool = True,
) -> Summary:
    """Validate and stage. `move`: the job goes to validating and then validated; without
    it the job keeps its state (validating when the worker took it from the queue, importing
    when a queued commit checks again first)."""
    if move:
        _move(job, ImportJob.State.VALIDATING)
    job.started_at = job.started_at or timezone.now()
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["state", "started_at", "heartbeat_at"])
    summary = Summary(problem_limit=MAX_STORED_PROBLEMS)
    targets = [staging_path(job), rejected_path(job)]
    partials = [target.with_suffix(".partial") for target in targets]
    try:
        prune_stale_staging()
        staging_folder().mkdir(parents=True, exist_ok=True)
        total = job.row_count or estimate_rows(Path(job.file.path), job.file_name, job.header_row, job.sheet or None)
        monitor.start_phase(VALIDATING, total=total, in_database=True)

        def report(done: int, total: int) -> None:
            monitor.update(done)
            if progress:
                progress(done, total)

        with (
            _open_attachments(job) as attachments,
            partials[0].open("w", encoding="utf-8") as staged,
            partials[1].open("w", encoding="utf-8") as rejected,
        ):
            rows = ItemRows(spec, job=job)
            item_count = attachment_count = 0
            for result in _results(job, spec, attachments, report, total):
                summary.add(result)
                if result.is_valid:
                    stage_row(staged, result.clean, rows)
                    item_count += len(result.clean.items)
                    attachment_count += result.clean.attachment is not None
                else:
                    stage_rejected(rejected, result)
        for partial, target in zip(partials, targets, strict=True):
            partial.replace(target)
    except BaseException as error:
        for path in partials:
            path.unlink(missing_ok=True)
        if isinstance(error, ImportCancelled):
            _end_cancelled(job)
            raise ImportRefused(job.error_message, job=job) from None
        _fail_on(job, error, _("The validation failed: %(error)s"), "Validation of import %s failed")
        raise
    if move:
        job.state = ImportJob.State.VALIDATED
    job.validated_at = timezone.now()
    job.staged_items = item_count
    job.staged_attachments = attachment_count
    job.heartbeat_at = timezone.now()
    _record(job, summary)
    job.save(update_fields=["state", "validated_at", "staged_items", "staged_attachments", "heartbeat_at", *RECORDED])
    if move:
        remove_marks(job.pk)
    if progress:
        progress(summary.rows, summary.rows)
    return summary


def _end_cancelled(job: ImportJob) -> None:
    """The user cancelled a running job: it ends cancelled, with nothing staged or stored."""
    job.state = ImportJob.State.CANCELLED
    job.error_message = cancelled_message()
    job.finished_at = timezone.now()
    job.validated_at = None
    ImportJob.objects.filter(pk=job.pk).update(
        state=job.state, error_message=job.error_message, finished_at=job.finished_at, validated_at=None
    )
    _remove_staging(job)
    remove_marks(job.pk)


def _remove_staging(job: ImportJob) -> None:
    for path in (staging_path(job), rejected_path(job)):
        path.unlink(missing_ok=True)
        path.with_suffix(".partial").unlink(missing_ok=True)


def _fail_on(job: ImportJob, error: BaseException, generic: str, log: str) -> None:
    """Record why a validation or commit stopped, and turn what the user can act on into an
    ImportRefused (raised from here); any other error is logged and goes on as it is."""
    if isinstance(error, ImportRefused):
        _fail(job, error.message)
        return
    message = str(error) if isinstance(error, (ReadError, ArchiveError)) else storage_fault(error)
    if message is not None:
        _fail(job, message)
        raise ImportRefused(message, job=job) from None
    if isinstance(error, Exception):
        logger.exception(log, job.pk)
        _fail(job, generic % {"error": error})
    else:  # Ctrl-C on the command line, a worker told to stop at once: no need to wait for the reaper
        _fail(job, _("The import was interrupted, so nothing was stored. Run it again."))


def discard_staging(*, job: ImportJob) -> None:
    """Forget the staged rows of a validation that will not be committed (a dry run)."""
    staging_path(job).unlink(missing_ok=True)
    rejected_path(job).unlink(missing_ok=True)
    job.validated_at = None
    job.save(update_fields=["validated_at"])


def cancel_import(*, job: ImportJob, reason: str = "") -> None:
    """Stop an import that will not be committed (the command line gave up on it, with
    `reason`): it is cancelled for good and its staged rows are removed."""
    _move(job, ImportJob.State.CANCELLED)
    job.error_message = reason
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error_message", "finished_at"])
    staging_path(job).unlink(missing_ok=True)
    rejected_path(job).unlink(missing_ok=True)


def earlier_import(*, job: ImportJob) -> ImportJob | None:
    """The latest finished (and not undone) import of the same file, by its sha256, for the
    same type, if any."""
    if not job.file_sha256:
        return None
    earlier = ImportJob.objects.filter(
        item_type_id=job.item_type_id, file_sha256=job.file_sha256, state=ImportJob.State.DONE
    ).exclude(pk=job.pk)
    return earlier.select_related("user", "item_type").order_by("-finished_at").first()


def imported_before_message(earlier: ImportJob) -> str:
    finished = timezone.localtime(earlier.finished_at or earlier.created_at)
    return _(
        "This file was imported before for type %(type)s: on %(date)s by %(user)s, %(count)s items (import %(job)s)."
    ) % {
        "type": earlier.item_type.code,
        "date": finished.strftime("%d-%m-%Y %H:%M"),
        "user": earlier.user.get_username(),
        "count": earlier.items_created,
        "job": earlier.pk,
    }


RECORDED = [
    "row_count",
    "valid_row_count",
    "invalid_row_count",
    "progress_total",
    "progress_done",
    "problems",
    "error_count",
    "warning_count",
]


def _record(job: ImportJob, summary: Summary) -> None:
    job.row_count = summary.rows
    job.valid_row_count = summary.valid_rows
    job.invalid_row_count = summary.invalid_rows
    job.progress_total = summary.rows
    job.progress_done = summary.rows
    job.problems = [p.as_dict() for p in summary.problems]
    job.error_count = summary.error_count
    job.warning_count = summary.warning_count


def _staging_is_current(job: ImportJob) -> bool:
    if job.validated_at is None or not staging_path(job).exists():
        return False
    age = timezone.now() - job.validated_at
    return age.total_seconds() <= settings.IMPORT_VALIDATION_MAX_AGE


def _rows_invalid(job: ImportJob) -> RowsInvalid:
    first = next((p["row"] for p in job.problems if not p["is_warning"]), None)
    return RowsInvalid(
        _("Row %(row)s is invalid, so nothing was imported. Correct the file, or choose to import only the valid rows.")
        % {"row": first},
        job=job,
    )


def commit_import(
    *, job: ImportJob, skip_invalid: bool = False, progress: ProgressCallback | None = None, again: bool = False
) -> CommitResult:
    """R27: store every row, or, when the user chose it, only the valid ones, in one
    transaction. It re-checks first: a validation that is missing or older than
    IMPORT_VALIDATION_MAX_AGE is done again. The same file imported before for the same type
    is refused (ImportedBefore) unless `again`. Returns what it stored. Writes the job's
    heartbeat and progress while it works, outside the database (`imports.progress`)."""
    if not again and (earlier := earlier_import(job=job)):
        raise ImportedBefore(imported_before_message(earlier), job=job, earlier=earlier)
    spec = spec_for(job)
    with JobMonitor(job) as monitor:
        if job.state != ImportJob.State.VALIDATED or not _staging_is_current(job):
            _validate(job, spec, progress, monitor)
        if job.invalid_row_count and not skip_invalid:
            raise _rows_invalid(job)
        _move(job, ImportJob.State.IMPORTING)
        job.skip_invalid = skip_invalid
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["state", "skip_invalid", "heartbeat_at"])
        return _commit(job, spec, progress, monitor)


def _commit_queued(job: ImportJob, skip_invalid: bool) -> CommitResult:
    """A commit the worker took from the queue: the job is importing already; it validates
    again first when it must, and goes back to validated when rows turn out invalid."""
    spec = spec_for(job)
    with JobMonitor(job) as monitor:
        if not _staging_is_current(job):
            _validate(job, spec, None, monitor, move=False)
        if job.invalid_row_count and not skip_invalid:
            job.state = ImportJob.State.VALIDATED
            job.save(update_fields=["state"])
            remove_marks(job.pk)
            raise _rows_invalid(job)
        return _commit(job, spec, None, monitor)


def _commit(job: ImportJob, spec: ItemSpec, progress: ProgressCallback | None, monitor: JobMonitor) -> CommitResult:
    """The commit itself, in one transaction that also marks the job done. On PostgreSQL the
    transaction holds the job's row lock, so the reaper never takes a live commit for dead;
    on SQLite its write lock does the same."""
    total = job.valid_row_count
    monitor.start_phase(IMPORTING, total=total, in_database=False)

    def report(done: int) -> None:
        monitor.update(done)
        if progress:
            progress(done, total)

    def finish(created: int) -> None:
        job.state = ImportJob.State.DONE
        job.items_created = created
        job.finished_at = timezone.now()
        job.heartbeat_at = timezone.now()
        job.progress_done = job.progress_total = total
        job.error_message = ""
        job.save(
            update_fields=[
                "state",
                "items_created",
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
            _open_attachments(job) as attachments,
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
            committer.commit(read_staged(staged), item_count=job.staged_items, finish=finish)
    except BaseException as error:
        written.remove()
        manifest_path(job.pk).unlink(missing_ok=True)
        _remove_staging(job)  # a failed job validates again before a commit
        job.validated_at = None
        if isinstance(error, ImportCancelled):
            _end_cancelled(job)
            raise ImportRefused(job.error_message, job=job) from None
        ImportJob.objects.filter(pk=job.pk).update(validated_at=None)
        if isinstance(error, IntegrityError) and is_foreign_key_violation(error):
            message = _(
                "Something these rows refer to was changed or removed after the validation, so nothing was stored. Run the import again: it validates the rows first."
            )
            _fail(job, message)
            raise ImportRefused(message, job=job) from None
        _fail_on(job, error, _("The import failed and nothing was stored: %(error)s"), "Import %s failed")
        raise
    manifest_path(job.pk).unlink(missing_ok=True)
    _remove_staging(job)
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
    """What a finished import stored: items, rows imported and left out, items per
    destination, duration. For the command line, the result page and the history."""
    return CommitResult(
        items_created=job.items_created,
        rows_read=job.row_count,
        rows_imported=job.valid_row_count if job.state in (ImportJob.State.DONE, ImportJob.State.UNDONE) else 0,
        rows_left_out=job.invalid_row_count,
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


# --- undo ----------------------------------------------------------------------------------

CHANGED_ITEMS_SHOWN = 100


def undo_refusal(*, job: ImportJob, user) -> str | None:
    """Why `user` may not undo `job`, or None when he may: only the job's owner or an
    administrator (a superuser), and only an import that is done."""
    if not getattr(user, "is_active", False):
        return _("Your account is inactive.")
    if not user.is_superuser and job.user_id != user.pk:
        return _("Only %(owner)s, who ran this import, or an administrator may undo it.") % {
            "owner": job.user.get_username()
        }
    return state_refusal(job)


def state_refusal(job: ImportJob) -> str | None:
    """Why the job cannot be undone in its state (already undone: by whom and when)."""
    if job.state == ImportJob.State.UNDONE:
        return _("This import was undone already, by %(user)s on %(when)s.") % {
            "user": job.undone_by.get_username() if job.undone_by else _("an unknown user"),
            "when": formats.date_format(timezone.localtime(job.undone_at), "d-m-Y H:i") if job.undone_at else "-",
        }
    if job.state != ImportJob.State.DONE:
        return _("This import has state '%(state)s'; only an import that is done can be undone.") % {
            "state": job.get_state_display()
        }
    return None


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


def write_rejected_rows_file(*, job: ImportJob, target: Path, fmt: str | None = None) -> int:
    """The invalid rows with their problems, as .xlsx or .csv (by `fmt` or the target's
    suffix), from the rows the validation set aside. Only when those are gone (removed after
    IMPORT_VALIDATION_MAX_AGE) is the file read and checked again. The file appears whole or
    not at all; a failure is an ImportRefused and leaves the job as it was."""
    fmt = fmt or ("csv" if target.suffix.lower() == ".csv" else "xlsx")
    partial = target.with_name(f".{target.name}.partial")
    try:
        try:
            staged = rejected_path(job).open(encoding="utf-8")
        except FileNotFoundError:
            with _open_attachments(job) as attachments:
                rows = _results(job, spec_for(job), attachments, None)
                count = write_rejected_rows(rows, job.headers, partial, fmt)
        else:
            with staged:
                count = write_rejected_rows(read_rejected(staged), job.headers, partial, fmt)
        partial.replace(target)
    except ImportRefused:
        partial.unlink(missing_ok=True)
        raise
    except (ReadError, ArchiveError) as error:
        partial.unlink(missing_ok=True)
        raise ImportRefused(str(error), job=job) from None
    except Exception as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.strerror:
            message = _("The rejected rows could not be written to %(name)s: %(reason)s.") % {
                "name": target.name,
                "reason": error.strerror,
            }
        else:  # logged as text: the record must not keep the half-written workbook alive
            written = "".join(traceback.format_exception(error))
            logger.error("The rejected rows of import %s could not be written:\n%s", job.pk, written)
            message = _(
                "The rejected rows could not be written to %(name)s; the error was logged for an administrator."
            ) % {"name": target.name}
        _release_quietly(error)
        raise ImportRefused(message, job=job) from None
    return count


def _release_quietly(error: BaseException) -> None:
    """Let go of what a writer that failed halfway holds: openpyxl's write-only sheet, closed
    in the middle of a row, would print a traceback on stderr when it is collected."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        traceback.clear_frames(error.__traceback__)
        gc.collect()
    finally:
        sys.unraisablehook = hook


def shown_sheet(job: ImportJob) -> str | None:
    """The sheet that was read, for a file that has sheets (not a .csv)."""
    try:
        has_sheets = file_format(job.file_name) != "csv"
    except ReadError:
        return None
    return (job.sheet or None) if has_sheets else None


# --- background work ------------------------------------------------------------------------
#
# The wizard hands validations and commits to the task worker (`imports/tasks.py`): start_*
# moves the job to validating or importing and enqueues its task once the transaction
# commits; the task claims the job (its first heartbeat) and runs the same services as the
# command line. `reap_stale_imports` ends jobs whose worker died.


def job_progress(job: ImportJob) -> Progress:
    """Where the job stands (`imports.progress.Progress`): read from its progress file while
    it runs, never waiting on the import's own transaction; from its row otherwise."""
    return read_job_progress(job)


def _queue(job: ImportJob, state: str) -> None:
    """Move the job to `state` as queued for the worker: no heartbeat until a worker takes it."""
    _move(job, state)
    job.queued_at = timezone.now()
    job.heartbeat_at = None
    job.task_id = ""
    job.error_message = ""
    job.finished_at = None
    job.progress_done = 0
    remove_marks(job.pk)  # a cancel asked for an earlier run does not count


def _enqueue(job: ImportJob, task, **kwargs) -> None:
    def enqueue() -> None:
        result = task.enqueue(str(job.pk), **kwargs)
        ImportJob.objects.filter(pk=job.pk, queued_at=job.queued_at).update(task_id=str(result.id)[:64])

    transaction.on_commit(enqueue)


@transaction.atomic
def start_validation(*, job: ImportJob) -> ImportJob:
    """Queue the job's validation for the task worker (validating, without a heartbeat until
    a worker takes it). From mapped, validated or failed."""
    from imports import tasks

    if reason := import_refusal_for(job.user, job.item_type, job.creation_profile):
        raise ImportRefused(reason, job=job)
    _queue(job, ImportJob.State.VALIDATING)
    job.progress_total = job.row_count
    job.save()
    _enqueue(job, tasks.validate_job)
    return job


@transaction.atomic
def start_commit(*, job: ImportJob, skip_invalid: bool = False, again: bool = False) -> ImportJob:
    """Queue the job's commit for the task worker (importing). Checks again first: the
    user's rights (R2) and type authorisation (R3), the same file imported before
    (ImportedBefore unless `again`), and invalid rows the user did not choose to leave out
    (RowsInvalid); each refusal is one sentence and changes nothing."""
    from imports import tasks

    if reason := import_refusal_for(job.user, job.item_type, job.creation_profile):
        raise ImportRefused(reason, job=job)
    if not again and (earlier := earlier_import(job=job)):
        raise ImportedBefore(imported_before_message(earlier), job=job, earlier=earlier)
    if job.state == ImportJob.State.VALIDATED and job.invalid_row_count and not skip_invalid:
        raise _rows_invalid(job)
    if job.state != ImportJob.State.VALIDATED:
        job.validated_at = None  # the worker validates first
    _queue(job, ImportJob.State.IMPORTING)
    job.skip_invalid = skip_invalid
    job.progress_total = job.valid_row_count
    job.save()
    _enqueue(job, tasks.commit_job, skip_invalid=skip_invalid, again=again)
    return job


def request_cancel(*, job: ImportJob) -> None:
    """Ask a running job to stop. A validation stops between batches and a commit rolls back
    (nothing stored); the job then ends cancelled. The mark is a file, never a database
    write, so the request does not wait on a running commit's transaction. A job that is not
    running is cancelled at once; one that has ended cannot be."""
    if job.is_running:
        mark_cancel(job.pk)
        return
    if not job.can_move_to(ImportJob.State.CANCELLED):
        raise ImportRefused(
            _("This import has state '%(state)s' and cannot be cancelled.") % {"state": job.get_state_display()},
            job=job,
        )
    cancel_import(job=job, reason=cancelled_message())


def _claim(job: ImportJob, state: str) -> bool:
    """The worker takes a queued job: its first heartbeat, unless the job was cancelled or
    reaped meanwhile (then False, and nothing is done)."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job.pk, state=state, heartbeat_at__isnull=True).update(heartbeat_at=now)
    job.heartbeat_at = now
    if claimed and cancel_requested(job.pk):
        _end_cancelled(job)
        return False
    return bool(claimed)


def _load(job_id) -> ImportJob | None:
    return ImportJob.objects.select_related("user", "item_type", "creation_profile").filter(pk=job_id).first()


def run_validation(*, job_id: str) -> str:
    """The validation task's body: validate a job queued by start_validation. Returns the
    job's state; refusals are recorded on the job."""
    job = _load(job_id)
    if job is None or not _claim(job, ImportJob.State.VALIDATING):
        return job.state if job else "missing"
    with contextlib.suppress(ImportRefused), JobMonitor(job) as monitor:
        _validate(job, spec_for(job), None, monitor, move=False)
        job.state = ImportJob.State.VALIDATED
        job.save(update_fields=["state"])
        remove_marks(job.pk)
    return job.state


def run_commit(*, job_id: str, skip_invalid: bool = False, again: bool = False) -> str:
    """The commit task's body: commit a job queued by start_commit. Returns the job's
    state; refusals (a file imported meanwhile, invalid rows, ...) are recorded on the job."""
    job = _load(job_id)
    if job is None or not _claim(job, ImportJob.State.IMPORTING):
        return job.state if job else "missing"
    try:
        if reason := import_refusal_for(job.user, job.item_type, job.creation_profile):
            _fail(job, reason)
        elif not again and (earlier := earlier_import(job=job)):
            _fail(job, imported_before_message(earlier))
        else:
            _commit_queued(job, skip_invalid)
    except RowsInvalid as refusal:
        ImportJob.objects.filter(pk=job.pk).update(error_message=refusal.message)
    except ImportRefused:
        pass
    return job.state


def reap_stale_imports() -> list[ImportJob]:
    """End the jobs whose worker died. A job at work whose last heartbeat is older than
    IMPORT_STALE_AFTER fails; one still queued fails when its task died before its first
    heartbeat, or when it waited that long while no worker showed any sign of life; one with
    a cancel mark ends cancelled. What such a job wrote goes: its staging, and the files a
    commit wrote (by its manifest). Nothing was stored (its transaction never committed), and
    it can be run again. Returns the jobs it ended."""
    now = timezone.now()
    stale_after = dt.timedelta(seconds=settings.IMPORT_STALE_AFTER)
    running = list(ImportJob.objects.filter(state__in=[ImportJob.State.VALIDATING, ImportJob.State.IMPORTING]))
    beats = {job.pk: last_beat(job) for job in running}
    # A sign of life of the workers: a job beating now, or one that beat lately (a worker
    # writes the heartbeat when it takes a job and when it finishes it; the reaper never does).
    worker_alive = any(beat and now - beat < stale_after for beat in beats.values()) or (
        ImportJob.objects.filter(heartbeat_at__gte=now - stale_after).exists()
    )
    ended = []
    for job in running:
        beat = beats[job.pk]
        if beat is None:
            if not _never_started(job, now, stale_after, worker_alive):
                continue
            message = cancelled_message() if cancel_requested(job.pk) else never_started_message()
        elif now - beat >= stale_after:
            message = cancelled_message() if cancel_requested(job.pk) else stale_message(settings.IMPORT_STALE_AFTER)
        else:
            continue
        if _reap(job, message, cancelled=cancel_requested(job.pk)):
            ended.append(job)
    _remove_leftover_manifests()
    return ended


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

    return DBTaskResult.objects.filter(pk=_uuid_or_none(job.task_id)).only("status", "started_at").first()


def _reap(job: ImportJob, message: str, *, cancelled: bool) -> bool:
    """Fail (or cancel) one dead job, unless it turns out alive: on PostgreSQL a live commit
    holds its row lock (skipped); on SQLite its write lock makes this wait and fail, and the
    next round tries again. Then remove what it wrote."""
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
            locked.update(state=state, error_message=message, finished_at=timezone.now(), validated_at=None)
    except OperationalError:
        logger.warning("The reaper could not end import %s now (the database is busy); it tries again.", job.pk)
        return False
    job.state, job.error_message = state, message
    _remove_staging(job)
    remove_listed(manifest_path(job.pk), Attachment._meta.get_field("file").storage)
    remove_marks(job.pk)
    _fail_task(job)
    logger.warning("Import %s ended by the reaper: %s", job.pk, message)
    return True


def _fail_task(job: ImportJob) -> None:
    """django-tasks-db never ends a task whose worker was killed: it would show running."""
    if not job.task_id:
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=_uuid_or_none(job.task_id), status="RUNNING").update(
        status="FAILED", finished_at=timezone.now()
    )


def _remove_leftover_manifests() -> None:
    """A manifest whose job is no longer importing: the process ended after the commit (its
    files belong to stored items) or the job was reaped; either way, it has served."""
    manifests = {
        _uuid_or_none(path.name.removesuffix("-written.txt")): path for path in staging_folder().glob("*-written.txt")
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


def choose_sheet(*, job: ImportJob, sheet: str, header_row: int | None) -> ImportJob:
    """Read the headers of a job that is not mapped yet from another sheet or header row (the
    wizard's sheet step). Raises ImportRefused with the reader's sentence; the job then stays
    as it was."""
    if job.state != ImportJob.State.UPLOADED:
        raise ImportRefused(
            _("This import has state '%(state)s' and cannot continue from there.") % {"state": job.get_state_display()},
            job=job,
        )
    try:
        table, rows = sample(job.file.path, file_name=job.file_name, sheet=sheet, header_row=header_row, size=1)
    except ReadError as error:
        raise ImportRefused(str(error), job=job) from None
    if not rows:
        raise ImportRefused(
            _("Sheet '%(sheet)s' has column names in row %(row)s but no rows under them to import.")
            % {"sheet": table.sheet, "row": table.header_row},
            job=job,
        )
    job.headers, job.sheet, job.header_row, job.mapping = table.headers, table.sheet, table.header_row, {}
    job.save(update_fields=["headers", "sheet", "header_row", "mapping"])
    return job
