"""The validation: every row of the job's file checked and every problem recorded, nothing
stored (R26, R27); the valid rows staged for the commit, the invalid ones for the
rejected-rows file. On the command line (`validate_import`) or in the worker
(`run_validation`, the body of `imports.tasks.validate_job`)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.utils import timezone

from dossier.spec import ItemSpec
from imports.models import ImportJob
from imports.pipeline.committing import ItemRows, stage_rejected, stage_row
from imports.pipeline.destinations import UnknownDestinations
from imports.pipeline.landing import Landing, unused_files
from imports.pipeline.outcomes import Problem, Summary, ValidationResult
from imports.pipeline.reconciliation import CREATED, DUPLICATE, INVALID, READY, RowStatus, duplicate_payload
from imports.progress import (
    VALIDATING,
    ImportCancelled,
    JobMonitor,
    estimate_rows,
    make_staging_folder,
    private_open,
    remove_marks,
)
from imports.services.jobs import claim_job, end_cancelled, fail_job_on, load_job, move_job
from imports.services.reconciling import recognised_rows
from imports.services.refusals import ImportRefused, earlier_import
from imports.services.remembering import remember_mapping
from imports.services.rows import ProgressCallback, open_attachments, spec_for, validated_rows
from imports.services.staging import prune_stale_staging, rejected_path, row_record_path, staging_path
from spreadsheets.messages import N_

MAX_STORED_PROBLEMS = 5000


def validate_import(*, job: ImportJob, progress: ProgressCallback | None = None) -> ValidationResult:
    """R26: check every row and record every problem; nothing is stored (R27). The valid
    rows are staged for the commit, the invalid ones for the rejected-rows file. The result
    names the earlier import of the same file for the same type, if there is one. Writes
    the job's heartbeat and progress while it works (`imports.progress`)."""
    with JobMonitor(job) as monitor:
        summary = validate_and_stage(job, spec_for(job), progress, monitor)
    return ValidationResult(summary=summary, earlier=earlier_import(job=job))


def run_validation(*, job_id: str) -> str:
    """The validation task's body: validate a job queued by `imports.tasks.start_validation`.
    Returns the job's state; refusals are recorded on the job."""
    job = load_job(job_id)
    if job is None or not claim_job(job, ImportJob.State.VALIDATING):
        return job.state if job else "missing"
    with contextlib.suppress(ImportRefused), JobMonitor(job) as monitor:
        validate_and_stage(job, spec_for(job), None, monitor, move=False)
        job.state = ImportJob.State.VALIDATED
        job.save(update_fields=["state"])
        remove_marks(job.pk)
        remember_mapping(job=job)  # the check ran: the mapping worked (never on a refusal)
    return job.state


def validate_and_stage(
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
        move_job(job, ImportJob.State.VALIDATING)
    job.started_at = job.started_at or timezone.now()
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["state", "started_at", "heartbeat_at"])
    summary = Summary(problem_limit=MAX_STORED_PROBLEMS)
    targets = [staging_path(job), rejected_path(job), row_record_path(job)]
    partials = [target.with_suffix(".partial") for target in targets]
    try:
        prune_stale_staging()
        make_staging_folder()
        total = job.row_count or estimate_rows(Path(job.file.path), job.file_name, job.header_row, job.sheet or None)
        monitor.start_phase(VALIDATING, total=total, in_database=True)

        def report(done: int, total: int) -> None:
            monitor.update(done)
            if progress:
                progress(done, total)

        created_before = recognised_rows(job)  # a reconciliation workbook uploaded again
        with (
            open_attachments(job) as attachments,
            private_open(partials[0], "w", encoding="utf-8") as staged,
            private_open(partials[1], "w", encoding="utf-8") as rejected,
            private_open(partials[2], "w", encoding="utf-8") as record,
        ):
            rows = ItemRows(spec, job=job)
            staged.write(rows.staging_header())
            item_count = attachment_count = 0
            file_problems: list[Problem] = []
            left_out: list = []
            unknown = UnknownDestinations()
            landing = Landing()  # what the valid rows make, per destination (bounded)
            for result in validated_rows(
                job,
                spec,
                attachments,
                report,
                total,
                left_out,
                file_problems=file_problems,
                find_duplicates=True,
                recognised=created_before,
                unknown=unknown,
            ):
                if result.number in created_before:
                    summary.add_recognised()
                    status = RowStatus(result.number, CREATED, list(created_before[result.number]))
                elif result.is_valid:
                    summary.add(result)
                    landing.add(result.clean)
                    stage_row(staged, result.clean, rows, duplicate=result.duplicate)
                    item_count += len(result.clean.items)
                    attachment_count += len(result.clean.attachments)
                    if result.duplicate:  # skipped or created as the user chooses (numbered)
                        status = RowStatus(result.number, DUPLICATE, duplicate_payload(result))
                    else:
                        status = RowStatus(result.number, READY, len(result.clean.items))
                else:
                    summary.add(result)
                    stage_rejected(rejected, result)
                    errors = [p.as_dict() for p in result.problems if not p.is_warning]
                    status = RowStatus(result.number, INVALID, errors)
                record.write(status.as_line())
            for problem in file_problems:  # after the rows: the ZIP's files no row named
                summary.add_problem(problem)
            unused = unused_files(attachments.unnamed()) if attachments is not None else {}
        for partial, target in zip(partials, targets, strict=True):
            partial.replace(target)
    except BaseException as error:
        for path in partials:
            with contextlib.suppress(OSError):  # read-only storage: nothing was written there
                path.unlink(missing_ok=True)
        if isinstance(error, ImportCancelled):
            end_cancelled(job)
            raise ImportRefused(job.error_message, job=job) from None
        fail_job_on(job, error, N_("The validation failed: %(error)s"), "Validation of import %s failed")
        raise
    if move:
        job.state = ImportJob.State.VALIDATED
    job.validated_at = timezone.now()
    job.staged_items = item_count
    job.staged_attachments = attachment_count
    job.heartbeat_at = timezone.now()
    job.left_out_columns = [column.as_dict() for column in left_out]
    job.unknown_destinations = unknown.as_dict()
    job.landing = landing.as_dict()
    job.unused_files = unused
    _record(job, summary)
    job.save(
        update_fields=[
            "state",
            "validated_at",
            "staged_items",
            "staged_attachments",
            "heartbeat_at",
            "left_out_columns",
            "unknown_destinations",
            "landing",
            "unused_files",
            *RECORDED,
        ]
    )
    if move:
        remove_marks(job.pk)
    if progress:
        progress(summary.rows, summary.rows)
    return summary


RECORDED = [
    "row_count",
    "valid_row_count",
    "invalid_row_count",
    "recognised_row_count",
    "progress_total",
    "progress_done",
    "problems",
    "error_count",
    "warning_count",
    "duplicate_row_count",
    "duplicate_item_count",
    "unknown_values",
]


def _record(job: ImportJob, summary: Summary) -> None:
    job.row_count = summary.rows
    job.valid_row_count = summary.valid_rows
    job.invalid_row_count = summary.invalid_rows
    job.recognised_row_count = summary.recognised_rows
    job.progress_total = summary.rows
    job.progress_done = summary.rows
    job.problems = [p.as_dict() for p in summary.problems]
    job.error_count = summary.error_count
    job.warning_count = summary.warning_count
    job.duplicate_row_count = summary.duplicate_rows
    job.duplicate_item_count = summary.duplicate_items
    job.unknown_values = summary.unknown_values.as_dict()
