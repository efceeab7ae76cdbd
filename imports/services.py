"""Moving an ImportJob through its states. The wizard, the tasks, the CLI and the tests all
call these:

    job = start_import(user=..., item_type=..., file=..., file_name=...)   # uploaded
    set_mapping(job=job, mapping=suggest_mapping_for(job))                  # mapped
    summary = validate_import(job=job)                                      # validated
    commit_import(job=job, skip_invalid=False)                              # done
    undo_import(job=job)                                                    # undone

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
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import rights
from dossier.models import CreationProfile, DossierItem, ItemType
from dossier.services import delete_items, store_file
from dossier.spec import ItemSpec, Purpose, import_refusal
from imports.models import ImportJob, SavedMapping
from imports.pipeline import mapping as mapping_module
from imports.pipeline.attachments import ArchiveError, AttachmentArchive, AttachmentSource, ServerFolders
from imports.pipeline.committing import Committer, ItemRows, read_rejected, read_staged, stage_rejected, stage_row
from imports.pipeline.mapping import MappingProblem, check_mapping, header_key
from imports.pipeline.outcomes import RowResult, Summary
from imports.pipeline.reading import ReadError, file_format, open_table, sample
from imports.pipeline.report import write_rejected_rows
from imports.pipeline.validation import RowValidator

logger = logging.getLogger(__name__)
MAX_STORED_PROBLEMS = 5000
Progress = Callable[[int, int], None]  # (rows done, rows in total or 0 when unknown)


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
    )
    try:
        store_file(job.file, f"{job.pk}{Path(file_name).suffix.lower()}", File(file))
        if attachments is not None:
            store_file(job.attachments_zip, f"{job.pk}-attachments.zip", File(attachments))
            job.options["attachments_name"] = Path(attachments_name or "attachments.zip").name
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
        if not rows:
            raise ReadError(_("'%(name)s' has column names but no rows to import.") % {"name": job.file_name})
        if attachments is not None:
            AttachmentArchive.open(job.attachments_zip.path).close()
    except (ReadError, ArchiveError) as error:
        _fail(job, str(error))
        raise ImportRefused(str(error), job=job) from None
    job.headers = table.headers
    job.sheet = table.sheet
    job.header_row = table.header_row
    job.options["sheet_names"] = table.sheet_names
    job.save(update_fields=["headers", "sheet", "header_row", "options"])
    return job


def _fail(job: ImportJob, message: str) -> None:
    job.state = ImportJob.State.FAILED
    job.error_message = message
    job.finished_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(state=job.state, error_message=message, finished_at=job.finished_at)


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
    job.save(update_fields=["mapping", "state"])
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


def _results(job: ImportJob, spec: ItemSpec, attachments, progress: Progress | None) -> Iterator[RowResult]:
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
    total = job.row_count
    for done, result in enumerate(validator.validate(table.rows()), start=1):
        if progress and done % 500 == 0:
            progress(done, total)
        yield result


def staging_folder() -> Path:
    return Path(ImportJob._meta.get_field("file").storage.path("imports"))


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


def validate_import(*, job: ImportJob, progress: Progress | None = None) -> Summary:
    """R26: check every row and record every problem; nothing is stored (R27). The valid
    rows are staged for the commit, the invalid ones for the rejected-rows file."""
    return _validate(job, spec_for(job), progress)


def _validate(job: ImportJob, spec: ItemSpec, progress: Progress | None) -> Summary:
    _move(job, ImportJob.State.VALIDATING)
    job.started_at = job.started_at or timezone.now()
    job.save(update_fields=["state", "started_at"])
    summary = Summary(problem_limit=MAX_STORED_PROBLEMS)
    targets = [staging_path(job), rejected_path(job)]
    partials = [target.with_suffix(".partial") for target in targets]
    try:
        prune_stale_staging()
        staging_folder().mkdir(parents=True, exist_ok=True)
        with (
            _open_attachments(job) as attachments,
            partials[0].open("w", encoding="utf-8") as staged,
            partials[1].open("w", encoding="utf-8") as rejected,
        ):
            rows = ItemRows(spec, job=job)
            item_count = attachment_count = 0
            for result in _results(job, spec, attachments, progress):
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
        _fail_on(job, error, _("The validation failed: %(error)s"), "Validation of import %s failed")
        raise
    job.state = ImportJob.State.VALIDATED
    job.options["validated_at"] = timezone.now().isoformat()
    job.options["staged_items"] = item_count
    job.options["staged_attachments"] = attachment_count
    _record(job, summary)
    job.save()
    if progress:
        progress(summary.rows, summary.rows)
    return summary


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


def discard_staging(*, job: ImportJob) -> None:
    """Forget the staged rows of a validation that will not be committed (a dry run)."""
    staging_path(job).unlink(missing_ok=True)
    rejected_path(job).unlink(missing_ok=True)
    job.options.pop("validated_at", None)
    job.save(update_fields=["options"])


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


def _record(job: ImportJob, summary: Summary) -> None:
    job.row_count = summary.rows
    job.valid_row_count = summary.valid_rows
    job.invalid_row_count = summary.invalid_rows
    job.progress_total = summary.rows
    job.progress_done = summary.rows
    job.problems = [p.as_dict() for p in summary.problems]
    job.options["problem_counts"] = {"errors": summary.error_count, "warnings": summary.warning_count}


def _validation_is_current(job: ImportJob) -> bool:
    validated_at = job.options.get("validated_at")
    staged = "staged_attachments" in job.options and staging_path(job).exists()
    if job.state != ImportJob.State.VALIDATED or not validated_at or not staged:
        return False
    age = timezone.now() - dt.datetime.fromisoformat(validated_at)
    return age.total_seconds() <= settings.IMPORT_VALIDATION_MAX_AGE


def commit_import(
    *, job: ImportJob, skip_invalid: bool = False, progress: Progress | None = None, again: bool = False
) -> int:
    """R27: store every row, or, when the user chose it, only the valid ones, in one
    transaction. It re-checks first: a validation that is missing or older than
    IMPORT_VALIDATION_MAX_AGE is done again. The same file imported before for the same type
    is refused (ImportedBefore) unless `again`. Returns the number of items created."""
    if not again and (earlier := earlier_import(job=job)):
        raise ImportedBefore(imported_before_message(earlier), job=job, earlier=earlier)
    spec = spec_for(job)
    if not _validation_is_current(job):
        _validate(job, spec, progress)
    if job.invalid_row_count and not skip_invalid:
        first = next((p["row"] for p in job.problems if not p["is_warning"]), None)
        raise RowsInvalid(
            _(
                "Row %(row)s is invalid, so nothing was imported. Correct the file, or choose to import only the valid rows."
            )
            % {"row": first},
            job=job,
        )
    _move(job, ImportJob.State.IMPORTING)
    job.options["skip_invalid"] = skip_invalid
    job.save(update_fields=["state", "options"])
    total = job.valid_row_count
    try:
        with _open_attachments(job) as attachments, staging_path(job).open(encoding="utf-8") as staged:
            committer = Committer(
                spec,
                job=job,
                attachments=attachments if job.options.get("staged_attachments") else None,
                progress=(lambda done: progress(done, total)) if progress else None,
            )
            created = committer.commit(read_staged(staged), item_count=job.options["staged_items"])
    except BaseException as error:
        staging_path(job).unlink(missing_ok=True)  # a failed job validates again before a commit
        if isinstance(error, IntegrityError) and is_foreign_key_violation(error):
            message = _(
                "Something these rows refer to was changed or removed after the validation, so nothing was stored. Run the import again: it validates the rows first."
            )
            _fail(job, message)
            raise ImportRefused(message, job=job) from None
        _fail_on(job, error, _("The import failed and nothing was stored: %(error)s"), "Import %s failed")
        raise
    staging_path(job).unlink(missing_ok=True)
    job.state = ImportJob.State.DONE
    job.items_created = created
    job.finished_at = timezone.now()
    job.save()
    return created


def is_foreign_key_violation(error: IntegrityError) -> bool:
    """Told by the driver's error, never by its message (which differs by version and language):
    PostgreSQL's SQL state 23503 (psycopg's ForeignKeyViolation), SQLite's extended error code."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == "23503":
        return True
    return isinstance(cause, sqlite3.IntegrityError) and (
        getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
    )


@transaction.atomic
def undo_import(*, job: ImportJob) -> int:
    """Remove every item the import created, with their attachments' files."""
    _move(job, ImportJob.State.UNDONE)
    count = delete_items(items=DossierItem.objects.filter(import_job=job))
    job.save(update_fields=["state"])
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
