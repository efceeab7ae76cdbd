"""Moving an ImportJob through its states, one topic a module. The wizard, the tasks, the CLI
and the tests all call these, by the names this package re-exports:

    job = start_import(user=..., item_type=..., file=..., file_name=...)   # uploaded
    set_mapping(job=job, mapping=suggest_mapping_for(job))                  # mapped
    result = validate_import(job=job)                                       # validated
    result = commit_import(job=job, skip_invalid=False)                     # done
    undo_import(job=job, user=user)                                         # undone
    (or claim_undo(job=job, user=user), then run_undo(job_id=job.pk) in the worker)

    refusals.py    ImportRefused and its kinds, and the checks that make them
    starting.py    the upload stored, the sheet chosen, the mapping suggested and set
    rows.py        the job's ItemSpec, attachments and rows read and validated
    staging.py     the staged and rejected rows between validation and commit
    validating.py  the validation, and the validation task's body (run_validation)
    storing.py     the commit, and the commit task's body (run_commit); what it stored
    jobs.py        the state moves every step shares: fail, cancel, queued, claimed, progress
    rejected.py    the rejected-rows file
    reconciling.py the reconciliation workbook (every row with its status) and the rows an
                   earlier import created, recognised in a file uploaded again
    remembering.py which saved mapping is offered to whom: remembered for its owner, shared
    destinations.py the relation and contact references the check could not find, with their
                   candidates, and the user's choices kept in the mapping (issue 16)
    landing.py     what lands where before the import: the check's summary per destination,
                   what the creation profile makes, the ZIP's files no row uses and the
                   user's decision for each (issue 17)
    undoing.py     the undo (queued, run by the worker, ended by the reaper) and its preview
    reaping.py     ending a job whose worker died, and removing what it wrote; retention
                   (files removed after IMPORT_RETENTION_DAYS) and discarding an import

The wizard runs the validation and the commit in the task worker instead: `imports.tasks`
queues them (start_validation, start_commit; start_undo for the history's undo), holds the
tasks, whose bodies call run_validation, run_commit and run_undo here, and the reaper
(reap_stale_imports). The services never import `imports.tasks`. request_cancel(job=job) asks a running job to stop; job_progress(job)
-> Progress tells where it stands.

Every refusal is an ImportRefused with one sentence for the user. A full disk or storage that
cannot be written (`storage_fault`) is one too: the job is recorded as failed, and no partial
file and no item stays behind.

The modules import one another downwards only (refusals and staging first, then rows and
jobs, then the steps), never this package: it imports them.
"""

from imports.services.destinations import (
    UnknownDestination,
    choose_destinations,
    rows_not_shown,
    unknown_destinations,
)
from imports.services.jobs import cancel_import, fail_job, job_progress, mark_queued, request_cancel
from imports.services.landing import (
    FileChoice,
    LandingReport,
    UnusedFiles,
    choose_files,
    landing_report,
    unused_file_rows,
)
from imports.services.reaping import (
    discard_import,
    end_dead_import,
    expired_imports,
    remove_expired_files,
    remove_leftover_manifests,
)
from imports.services.reconciling import (
    has_row_record,
    read_row_statuses,
    recognised_rows,
    status_text,
    workbook_name,
    write_reconciliation_file,
)
from imports.services.refusals import (
    ColumnsLeftOut,
    DuplicatesUndecided,
    ImportedBefore,
    ImportRefused,
    RowsInvalid,
    columns_left_out,
    download_fault,
    duplicates_undecided,
    earlier_import,
    imported_before_message,
    may_name_importer,
    rows_invalid,
    state_refusal,
    storage_fault,
    undo_refusal,
    workbook_fault,
)
from imports.services.rejected import write_rejected_rows_file
from imports.services.remembering import (
    remember_mapping,
    remembered_mapping,
    share_mapping,
    shared_mappings,
    sharing_refusal,
)
from imports.services.rows import spec_for
from imports.services.staging import discard_staging, prune_stale_staging, rejected_path, staging_path
from imports.services.starting import (
    choose_sheet,
    choose_values,
    column_formats_for,
    decide_formats,
    set_mapping,
    shown_sheet,
    start_import,
    suggest_mapping_for,
    suggestion_for,
    title_rows,
)
from imports.services.storing import (
    commit_import,
    commit_result,
    duplicates_choice,
    is_foreign_key_violation,
    items_per_destination,
    run_commit,
)
from imports.services.undoing import (
    ChangedItem,
    UndoPreview,
    changed_since_import,
    claim_undo,
    end_dead_undo,
    remove_undone_files,
    run_undo,
    undo_import,
    undo_never_started_message,
    undo_preview,
    undo_progress,
    undo_stale_message,
    undo_waiting,
)
from imports.services.validating import run_validation, validate_import

__all__ = [
    "ChangedItem",
    "ColumnsLeftOut",
    "DuplicatesUndecided",
    "FileChoice",
    "ImportRefused",
    "ImportedBefore",
    "LandingReport",
    "RowsInvalid",
    "UndoPreview",
    "UnknownDestination",
    "UnusedFiles",
    "cancel_import",
    "changed_since_import",
    "choose_destinations",
    "choose_files",
    "choose_sheet",
    "choose_values",
    "claim_undo",
    "column_formats_for",
    "columns_left_out",
    "commit_import",
    "commit_result",
    "decide_formats",
    "discard_import",
    "discard_staging",
    "download_fault",
    "duplicates_choice",
    "duplicates_undecided",
    "earlier_import",
    "end_dead_import",
    "end_dead_undo",
    "expired_imports",
    "fail_job",
    "has_row_record",
    "imported_before_message",
    "is_foreign_key_violation",
    "items_per_destination",
    "job_progress",
    "landing_report",
    "mark_queued",
    "may_name_importer",
    "prune_stale_staging",
    "read_row_statuses",
    "recognised_rows",
    "rejected_path",
    "remember_mapping",
    "remembered_mapping",
    "remove_expired_files",
    "remove_leftover_manifests",
    "remove_undone_files",
    "request_cancel",
    "rows_invalid",
    "rows_not_shown",
    "run_commit",
    "run_undo",
    "run_validation",
    "set_mapping",
    "share_mapping",
    "shared_mappings",
    "sharing_refusal",
    "shown_sheet",
    "spec_for",
    "staging_path",
    "start_import",
    "state_refusal",
    "status_text",
    "storage_fault",
    "suggest_mapping_for",
    "suggestion_for",
    "title_rows",
    "undo_import",
    "undo_never_started_message",
    "undo_preview",
    "undo_progress",
    "undo_refusal",
    "undo_stale_message",
    "undo_waiting",
    "unknown_destinations",
    "unused_file_rows",
    "validate_import",
    "workbook_fault",
    "workbook_name",
    "write_reconciliation_file",
    "write_rejected_rows_file",
]
