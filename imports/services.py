"""Moving an ImportJob through its states. The wizard, the tasks, the CLI and the tests all
call these:

    job = start_import(user=..., item_type=..., file=..., file_name=...)   # uploaded
    set_mapping(job=job, mapping=suggest_mapping_for(job))                  # mapped
    summary = validate_import(job=job)                                      # validated
    commit_import(job=job, skip_invalid=False)                              # done
    undo_import(job=job)                                                    # undone
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
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
from dossier.services import delete_items
from dossier.spec import ItemSpec, Purpose, import_refusal
from imports.models import ImportJob, SavedMapping
from imports.pipeline import mapping as mapping_module
from imports.pipeline.attachments import ArchiveError, AttachmentArchive, AttachmentSource, ServerFolders
from imports.pipeline.committing import Committer, ItemRows, read_staged, stage_row
from imports.pipeline.mapping import MappingProblem, check_mapping, header_key
from imports.pipeline.outcomes import RowResult, Summary
from imports.pipeline.reading import ReadError, open_table, sample
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
    Raises ImportRefused; a file that cannot be read leaves a failed job behind (R29)."""
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
    job.file.save(f"{job.pk}{Path(file_name).suffix.lower()}", File(file), save=False)
    if attachments is not None:
        job.attachments_zip.save(f"{job.pk}-attachments.zip", File(attachments), save=False)
        job.options["attachments_name"] = Path(attachments_name or "attachments.zip").name
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


def _results(job: ImportJob, attachments, progress: Progress | None) -> Iterator[RowResult]:
    """Every row of the job's file, validated; reports progress every 500 rows."""
    table = open_table(job.file.path, file_name=job.file_name, sheet=job.sheet or None, header_row=job.header_row)
    if table.headers != job.headers:
        raise ImportRefused(_("The file's columns changed since it was mapped; map it again."), job=job)
    validator = RowValidator(
        spec_for(job),
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


def prune_stale_staging() -> int:
    """Remove staged rows no commit will use: older than IMPORT_VALIDATION_MAX_AGE (a commit
    validates again first), including those of validations that never finished. Runs at the
    start of every validation, so validations that are never committed leave nothing behind."""
    oldest = dt.datetime.now().timestamp() - settings.IMPORT_VALIDATION_MAX_AGE
    stale: dict[Path, uuid.UUID | None] = {}  # staged file -> its job
    for path in [*staging_folder().glob("*-staged.jsonl"), *staging_folder().glob("*-staged.partial")]:
        with contextlib.suppress(FileNotFoundError):  # removed by another process meanwhile
            if path.stat().st_mtime < oldest:
                stale[path] = _uuid_or_none(path.name.removesuffix(path.suffix).removesuffix("-staged"))
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
    rows are staged for the commit."""
    _move(job, ImportJob.State.VALIDATING)
    prune_stale_staging()
    job.started_at = job.started_at or timezone.now()
    job.save(update_fields=["state", "started_at"])
    summary = Summary(problem_limit=MAX_STORED_PROBLEMS)
    target = staging_path(job)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    try:
        with _open_attachments(job) as attachments, partial.open("w", encoding="utf-8") as staged:
            rows = ItemRows(spec_for(job), job=job)
            item_count = attachment_count = 0
            for result in _results(job, attachments, progress):
                summary.add(result)
                if result.is_valid:
                    stage_row(staged, result.clean, rows)
                    item_count += len(result.clean.items)
                    attachment_count += result.clean.attachment is not None
        partial.replace(target)
    except (ReadError, ArchiveError) as error:
        partial.unlink(missing_ok=True)
        _fail(job, str(error))
        raise ImportRefused(str(error), job=job) from None
    except ImportRefused as refusal:
        partial.unlink(missing_ok=True)
        _fail(job, refusal.message)
        raise
    except Exception as error:
        partial.unlink(missing_ok=True)
        logger.exception("Validation of import %s failed", job.pk)
        _fail(job, _("The validation failed: %(error)s") % {"error": error})
        raise
    except BaseException:
        partial.unlink(missing_ok=True)
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


def discard_staging(*, job: ImportJob) -> None:
    """Forget the staged rows of a validation that will not be committed (a dry run)."""
    staging_path(job).unlink(missing_ok=True)
    job.options.pop("validated_at", None)
    job.save(update_fields=["options"])


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


def commit_import(*, job: ImportJob, skip_invalid: bool = False, progress: Progress | None = None) -> int:
    """R27: store every row, or, when the user chose it, only the valid ones, in one
    transaction. It re-checks first: a validation that is missing or older than
    IMPORT_VALIDATION_MAX_AGE is done again. Returns the number of items created."""
    if not _validation_is_current(job):
        validate_import(job=job, progress=progress)
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
                spec_for(job),
                job=job,
                attachments=attachments if job.options.get("staged_attachments") else None,
                progress=(lambda done: progress(done, total)) if progress else None,
            )
            created = committer.commit(read_staged(staged), item_count=job.options["staged_items"])
    except ArchiveError as error:
        _fail(job, str(error))
        raise ImportRefused(str(error), job=job) from None
    except IntegrityError as error:
        if not _is_foreign_key_violation(error):
            logger.exception("Import %s failed", job.pk)
            _fail(job, _("The import failed and nothing was stored: %(error)s") % {"error": error})
            raise
        message = _(
            "Something these rows refer to was changed or removed after the validation, so nothing was stored. Run the import again: it validates the rows first."
        )
        _fail(job, message)
        raise ImportRefused(message, job=job) from None
    except Exception as error:
        logger.exception("Import %s failed", job.pk)
        _fail(job, _("The import failed and nothing was stored: %(error)s") % {"error": error})
        raise
    staging_path(job).unlink(missing_ok=True)
    job.state = ImportJob.State.DONE
    job.items_created = created
    job.finished_at = timezone.now()
    job.save()
    return created


def _is_foreign_key_violation(error: IntegrityError) -> bool:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) == "23503" or "FOREIGN KEY constraint failed" in str(error)


@transaction.atomic
def undo_import(*, job: ImportJob) -> int:
    """Remove every item the import created, with their attachments' files."""
    _move(job, ImportJob.State.UNDONE)
    count = delete_items(items=DossierItem.objects.filter(import_job=job))
    job.save(update_fields=["state"])
    return count


def write_rejected_rows_file(*, job: ImportJob, target: Path, fmt: str | None = None) -> int:
    """The invalid rows with their problems, as .xlsx or .csv (by `fmt` or the target's suffix)."""
    fmt = fmt or ("csv" if target.suffix.lower() == ".csv" else "xlsx")
    with _open_attachments(job) as attachments:
        return write_rejected_rows(_results(job, attachments, None), job.headers, target, fmt)
