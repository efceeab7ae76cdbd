"""The reconciliation workbook (imports/pipeline/reconciliation.py): the user's own sheet
back with every row's status, after the check and after the import; and, when that workbook
(or any corrected file) is uploaded again, the rows an earlier import created recognised and
left alone, so no row is created twice."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from dossier.models import DossierItem
from imports.models import ImportJob
from imports.pipeline import reconciliation
from imports.pipeline.attachments import ArchiveError
from imports.pipeline.outcomes import problem_message
from imports.pipeline.reconciliation import CREATED, DUPLICATE, INVALID, CreatedRows, Layout, RowStatus
from imports.services.refusals import ImportRefused
from imports.services.staging import row_record_path
from spreadsheets.reading import ReadError, file_format, open_table

# A job whose items exist: the rows it created count as created.
CREATED_STATES = (ImportJob.State.DONE,)


def read_row_statuses(job: ImportJob) -> Iterator[RowStatus]:
    """The job's row statuses in file order, as the validation recorded them; after the
    commit, each ready row with the item numbers it created. Raises FileNotFoundError when
    the job keeps no row record (never checked, or its files were removed)."""
    handle = row_record_path(job).open(encoding="utf-8")

    def lines() -> Iterator[RowStatus]:
        with handle:
            for line in handle:
                yield RowStatus.from_line(line)

    if job.state in CREATED_STATES:
        return reconciliation.numbered(lines(), job.first_number, skipped_duplicates=job.skips_duplicates)
    return lines()


def has_row_record(job: ImportJob) -> bool:
    return bool(job.file) and row_record_path(job).exists()


# --- recognising rows created before -------------------------------------------------------


def recognised_rows(job: ImportJob) -> dict[int, tuple[int, ...]]:
    """The rows of the job's file that an earlier import of the same type created already
    (row number -> item numbers): compared with the rows of the import this file corrects
    and of the imports whose items the status column names. Reads the file once more, only
    when there is something to compare with (a status column, or a corrected import)."""
    at = reconciliation.status_position(job.headers)
    corrected = job.corrects if job.corrects_id and job.corrects.item_type_id == job.item_type_id else None
    if at is None and corrected is None:
        return {}
    table = open_table(job.file.path, file_name=job.file_name, sheet=job.sheet or None, header_row=job.header_row)
    fingerprints = reconciliation.RowFingerprints(table.headers)
    entries = [
        (
            row.number,
            fingerprints.of(row.cells),
            reconciliation.status_numbers(row.cells[at]) if at is not None else (),
        )
        for row in table.rows()
    ]
    sources = {corrected.pk} if corrected is not None else set()
    named = {number for _row, _print, numbers in entries for number in numbers if number < 2**31}
    for low, high in _runs(named):
        sources.update(
            DossierItem.objects.filter(item_type=job.item_type, number__range=(low, high))
            .exclude(import_job=None)
            .values_list("import_job_id", flat=True)
            .distinct()
        )
    created = CreatedRows()
    earlier = ImportJob.objects.filter(
        pk__in=sources - {job.pk}, item_type=job.item_type, state__in=CREATED_STATES
    ).order_by("created_at")
    for other in earlier:
        with contextlib.suppress(FileNotFoundError, ReadError):
            _add_created_rows(other, created)
    if not created:
        return {}
    found = reconciliation.recognise(entries, created)
    return _still_there(job, found)


def _add_created_rows(job: ImportJob, created: CreatedRows) -> None:
    """The rows `job` created (or recognised as created), each with its fingerprint: its own
    file read again beside its row record (both in row order)."""
    if not job.file:
        return
    statuses = read_row_statuses(job)
    table = open_table(job.file.path, file_name=job.file_name, sheet=job.sheet or None, header_row=job.header_row)
    fingerprints = reconciliation.RowFingerprints(table.headers)
    for row, status in reconciliation.rows_with_status(table.rows(), statuses):
        if status is not None and status.kind == CREATED and status.payload:
            created.add(fingerprints.of(row.cells), status.payload)


def _still_there(job: ImportJob, found: dict[int, tuple[int, ...]]) -> dict[int, tuple[int, ...]]:
    """Only rows whose items all still exist (an item removed since makes its row open)."""
    numbers = {number for key in found.values() for number in key}
    existing: set[int] = set()
    for low, high in _runs(numbers):
        existing.update(
            DossierItem.objects.filter(item_type=job.item_type, number__range=(low, high)).values_list(
                "number", flat=True
            )
        )
    return {row: key for row, key in found.items() if existing.issuperset(key)}


def _runs(numbers: set[int], most: int = 500) -> list[tuple[int, int]]:
    """The numbers as runs of consecutive ones (lowest, highest): an import's items are
    numbered on from one another, so a few range queries on the (type, number) index find
    them all, where IN lists of the same numbers made SQLite scan. Runs closer than 1,000
    apart are joined, and at most `most` runs are kept joining the nearest."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number - runs[-1][1] <= 1000:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    while len(runs) > most:  # join the two runs with the smallest gap
        gap = min(range(len(runs) - 1), key=lambda i: runs[i + 1][0] - runs[i][1])
        runs[gap][1] = runs.pop(gap + 1)[1]
    return [(low, high) for low, high in runs]


# --- the workbook --------------------------------------------------------------------------


def problem_line(problem: dict) -> str:
    """One problem as the status column and a cell's comment say it: its column and message."""
    column = problem.get("column") or problem.get("field")
    message = problem_message(problem)
    return f"{column}: {message}" if column else message


def status_text(job: ImportJob, status: RowStatus | None) -> str:
    """A row's status in the reader's language."""
    if status is None:
        return ""
    if status.kind == CREATED:
        numbers = ", ".join(str(number) for number in status.payload or ())
        return ngettext("Created: item %(numbers)s", "Created: items %(numbers)s", len(status.payload or ())) % {
            "numbers": numbers
        }
    if status.kind == INVALID:
        problems = "; ".join(problem_line(problem) for problem in status.payload or ())
        if job.state in CREATED_STATES:
            return _("Invalid, not imported: %(problems)s") % {"problems": problems}
        return _("Invalid: %(problems)s") % {"problems": problems}
    if status.kind == DUPLICATE and job.state not in (ImportJob.State.FAILED, ImportJob.State.CANCELLED):
        # The duplicate check (issue 15 part 4) records what the row repeats as its payload.
        of = "; ".join(problem_message(problem) for problem in (status.payload or {}).get("of", ()))
        if job.duplicates == ImportJob.Duplicates.SKIP:
            return _("Skipped as duplicate: %(of)s") % {"of": of}
        if not job.duplicates:
            return _("Probably a duplicate: %(of)s") % {"of": of}
    if job.state == ImportJob.State.FAILED:
        return _("Not imported: the import failed")
    if job.state == ImportJob.State.CANCELLED:
        return _("Not imported: the import was cancelled")
    return _("Ready to import")


def workbook_name(job: ImportJob, fmt: str) -> str:
    label = _("status")  # a word of the file's name
    return f"{Path(job.file_name).stem[:60]}-{label}.{fmt}"


def write_reconciliation_file(*, job: ImportJob, target: Path, fmt: str | None = None) -> int:
    """The reconciliation workbook of a checked or imported job (.xlsx or .csv): the uploaded
    sheet with its columns, order, sheet name and row numbers, every row with its status in
    the reader's language, the cells of each problem commented (.xlsx). Streams the file and
    the row record side by side. Appears whole or not at all; a failure is an ImportRefused."""
    fmt = fmt or ("csv" if target.suffix.lower() == ".csv" else "xlsx")
    partial = target.with_name(f".{target.name}.partial")
    try:
        statuses = read_row_statuses(job)
    except FileNotFoundError:
        raise ImportRefused(
            _("The status of the rows of this import is no longer kept: check the file again."), job=job
        ) from None
    try:
        table = open_table(job.file.path, file_name=job.file_name, sheet=job.sheet or None, header_row=job.header_row)
        layout = Layout.of(table.headers, table.header_row, reconciliation.status_header(get_language()))
        sheet_title = table.sheet if file_format(job.file_name) != "csv" else Path(job.file_name).stem
        count = reconciliation.write_workbook(
            table.rows(),
            statuses,
            layout,
            partial,
            fmt,
            sheet_title=sheet_title,
            status_text=lambda status: status_text(job, status),
            problem_text=problem_line,
            status_note=_(
                "Filled in by the import: the items each row created, or what to fix. Upload this file again "
                "to import the open rows: rows already created are recognised and never created twice."
            ),
        )
        partial.replace(target)
    except (ReadError, ArchiveError) as error:
        partial.unlink(missing_ok=True)
        raise ImportRefused(str(error), job=job) from None
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise
    return count
