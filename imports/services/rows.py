"""The job's rows: its ItemSpec, its attachments and its file read and validated row by row,
for the validation and for the rejected rows written again from the file."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from contextlib import contextmanager

from django.utils import timezone

from dossier.spec import ItemSpec, Purpose
from imports.models import ImportJob
from imports.pipeline.attachments import AttachmentArchive, AttachmentSource, ServerFolders
from imports.pipeline.columns import ColumnWatch, LeftOutColumn
from imports.pipeline.destinations import UnknownDestinations
from imports.pipeline.duplicates import DuplicateFinder
from imports.pipeline.landing import added_rows, with_added_rows
from imports.pipeline.outcomes import Problem, RowResult
from imports.pipeline.validation import RowValidator
from imports.services.refusals import ImportRefused, may_name_user
from spreadsheets.messages import N_
from spreadsheets.reading import open_table

ProgressCallback = Callable[[int, int], None]  # (rows done, rows in total or 0 when unknown)


def spec_for(job: ImportJob) -> ItemSpec:
    return ItemSpec(job.item_type, job.creation_profile, purpose=Purpose.IMPORT)


@contextmanager
def open_attachments(job: ImportJob) -> Iterator[AttachmentSource | None]:
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


def validated_rows(
    job: ImportJob,
    spec: ItemSpec,
    attachments,
    progress: ProgressCallback | None,
    total: int = 0,
    left_out: list[LeftOutColumn] | None = None,
    *,
    file_problems: list[Problem] | None = None,
    find_duplicates: bool = False,
    recognised: Container[int] = (),
    unknown: UnknownDestinations | None = None,
) -> Iterator[RowResult]:
    """Every row of the job's file, validated; reports progress every 500 rows. Once every
    row is read, `left_out` holds the columns with data that no field takes, and the problems
    of the file as a whole (the ZIP's files that no row named) are added to `file_problems`,
    when given. With `find_duplicates`, the valid rows get their fingerprints and the probable
    duplicates are marked (imports.pipeline.duplicates), as the job's user may read them;
    rows in `recognised` (created by an earlier import: left alone) are not compared. The
    relation and contact references that named nothing are collected in `unknown`, when given."""
    table = open_table(job.file.path, file_name=job.file_name, sheet=job.sheet or None, header_row=job.header_row)
    if table.headers != job.headers:
        raise ImportRefused(N_("The file's columns changed since it was mapped; map it again."), job=job)
    validator = RowValidator(
        spec,
        table.headers,
        job.mapping,
        user=job.user,
        epoch=table.epoch,
        attachments=attachments,
        now=timezone.now(),
        unknown=unknown,
    )
    total = total or job.row_count
    watch = ColumnWatch(table.headers, job.mapping)
    # The files of the ZIP the user chose to add as rows of their own, after the file's rows.
    extra = added_rows(table.headers, job.mapping, job.file_choices) if attachments is not None else []
    rows = with_added_rows(table.rows(), extra) if extra else table.rows()
    batches = validator.validate_batches(watch.rows(rows))
    finder = None
    if find_duplicates:
        finder = DuplicateFinder(
            spec.item_type,
            now=validator.now,
            may_name=lambda user_id: may_name_user(user_id, job.user),
            attachments=attachments,
            recognised=recognised,
        )
    done = 0
    for batch in batches:
        if finder:
            finder.mark(batch)
        for result in batch:
            done += 1
            if progress and done % 500 == 0:
                progress(done, total)
            yield result
        del batch
    if file_problems is not None:
        file_problems.extend(validator.file_problems())
    if left_out is not None:
        left_out[:] = watch.left_out(table.beyond)
