"""Starting an import: the uploaded file stored and its headers read, another sheet or header
row chosen, and the column mapping suggested and set."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO

from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from dossier.access import import_refusal
from dossier.models import CreationProfile, ItemType
from dossier.services import remove_files, store_file
from imports.models import ImportJob, SavedMapping
from imports.pipeline import mapping as mapping_module
from imports.pipeline.attachments import ArchiveError, AttachmentArchive
from imports.pipeline.formats import ColumnFormat, column_formats, decided_positions, sampled_values, with_decisions
from imports.pipeline.mapping import MappingProblem, Suggestion, check_mapping
from imports.services.jobs import fail_job, move_job
from imports.services.refusals import ImportRefused, storage_fault
from imports.services.remembering import remembered_mapping
from imports.services.rows import spec_for
from spreadsheets.messages import N_, Message, message_of
from spreadsheets.reading import ReadError, Row, file_format, open_table, sample


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


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
    corrects: ImportJob | None = None,
) -> ImportJob:
    """Check the user, type and profile, store the file privately, and read its headers.
    Raises ImportRefused; a file that cannot be read, or stored (a full disk), leaves a failed
    job behind (R29), and no partial file. `corrects`: the import this file corrects; the
    rows that import created are recognised in this file and left alone."""
    if reason := import_refusal(user, item_type, profile):
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
        corrects=corrects,
    )
    try:
        store_file(job.file, f"{job.pk}{Path(file_name).suffix.lower()}", File(file))
        if attachments is not None:
            store_file(job.attachments_zip, f"{job.pk}-attachments.zip", File(attachments))
            job.attachments_name = Path(attachments_name or "attachments.zip").name
    except OSError as error:
        # The file, when the ZIP failed; a storage that refuses that too must not hide why.
        remove_files(job.file.storage, [stored.name for stored in (job.file, job.attachments_zip) if stored])
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
        fail_job(job, message_of(error))
        raise ImportRefused(message_of(error), job=job) from None
    job.headers = table.headers
    job.sheet = table.sheet
    job.header_row = table.header_row
    job.sheet_names = table.sheet_names
    job.save(update_fields=["headers", "sheet", "header_row", "sheet_names"])
    return job


def _no_rows_message(file_name: str, sheet: str | None, other_sheets: list[str]) -> Message:
    """A file with column names and nothing under them; a workbook's other sheets are named,
    since the rows may be there (the wizard then offers the sheet step instead)."""
    if not other_sheets:
        return N_("'%(name)s' has column names but no rows to import.") % {"name": file_name}
    return N_(
        "'%(name)s' has column names but no rows to import on sheet '%(sheet)s'. Its other sheets are "
        "%(others)s: choose the one with the rows (--sheet on the command line)."
    ) % {"name": file_name, "sheet": sheet, "others": ", ".join(f"'{name}'" for name in other_sheets)}


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


def shown_sheet(job: ImportJob) -> str | None:
    """The sheet that was read, for a file that has sheets (not a .csv)."""
    try:
        has_sheets = file_format(job.file_name) != "csv"
    except ReadError:
        return None
    return (job.sheet or None) if has_sheets else None


def suggest_mapping_for(job: ImportJob, *, chosen: SavedMapping | None = None) -> dict[str, dict]:
    """The mapping offered for the job: the `chosen` saved one (a shared mapping the user
    picked), else the mapping remembered for the job's own user, type and headers (or part of
    them, see remembered_mapping), where its columns still exist; the rest matched by name.
    Never another user's remembered mapping."""
    return suggestion_for(job, chosen=chosen).mapping


def suggestion_for(job: ImportJob, *, chosen: SavedMapping | None = None) -> Suggestion:
    """`suggest_mapping_for`'s mapping, with how sure each of its columns is."""
    saved = chosen or remembered_mapping(job=job)
    return mapping_module.suggest(
        spec_for(job), job.headers, saved.mapping if saved else None, saved_headers=saved.headers if saved else None
    )


def title_rows(job: ImportJob) -> list[Row]:
    """The first rows with content above the job's row of column names (a title, a note),
    which are not imported; [] when the file cannot be read now."""
    if not job.file or (job.header_row or 1) == 1:
        return []  # nothing can stand above row 1
    try:
        table = open_table(job.file.path, file_name=job.file_name, sheet=job.sheet or None, header_row=job.header_row)
    except ReadError:
        return []
    table.close()
    return table.above


def set_mapping(*, job: ImportJob, mapping: dict[str, dict]) -> list[MappingProblem]:
    """Store the mapping when it can work; otherwise return its problems and change nothing.
    It is remembered for the user only once it worked (remember_mapping: the wizard when the
    check ran, the command line after a run that was not refused and did not fail)."""
    problems = check_mapping(spec_for(job), job.headers, mapping)
    if problems:
        return problems
    move_job(job, ImportJob.State.MAPPED)
    job.mapping = mapping
    job.validated_at = None  # staged rows of another mapping are no use
    job.save(update_fields=["mapping", "state", "validated_at"])
    return []


def choose_values(*, job: ImportJob, choices: dict[str, dict[str, str]]) -> list[MappingProblem]:
    """Add value choices to the job's mapping: for each field, raw cell text -> the value to
    use (its "values", applied from the next check on, and remembered and shared with the
    mapping). A choice of "" removes that text's value. Returns the mapping's problems and
    changes nothing when there are any (a field the mapping does not feed from a column, a
    value the field does not take)."""
    mapping = {code: dict(source) if isinstance(source, dict) else source for code, source in job.mapping.items()}
    for code, values in choices.items():
        source = mapping.get(code)
        if not isinstance(source, dict) or not (source.get("column") or source.get("letter")):
            return [
                MappingProblem(
                    code,
                    "values_without_column",
                    _("No column feeds %(field)s, so it takes no value choices.") % {"field": code},
                )
            ]
        merged = {**mapping_module.value_map(source), **values}
        merged = {raw: target for raw, target in merged.items() if target}
        if merged:
            source[mapping_module.VALUES] = merged
        else:
            source.pop(mapping_module.VALUES, None)
    problems = check_mapping(spec_for(job), job.headers, mapping)
    if problems:
        return problems
    job.mapping = mapping
    job.validated_at = None
    job.save(update_fields=["mapping", "validated_at"])
    return []


def column_formats_for(job: ImportJob, mapping: dict | None = None) -> list[ColumnFormat]:
    """The mapped date and number columns of the job (its mapping, or `mapping`) with what
    their first rows say about how they are written and what the mapping decided
    (imports/pipeline/formats.py). Raises ImportRefused when the file cannot be read."""
    mapping = job.mapping if mapping is None else mapping
    spec = spec_for(job)
    positions = decided_positions(spec, job.headers, mapping)
    values: dict[int, list] = {}
    if positions:
        try:
            table = open_table(
                job.file.path, file_name=job.file_name, sheet=job.sheet or None, header_row=job.header_row
            )
            try:
                values = sampled_values(table.rows(), positions)
            finally:
                table.close()
        except ReadError as error:
            raise ImportRefused(message_of(error), job=job) from None
    return column_formats(spec, job.headers, mapping, values)


def decide_formats(*, job: ImportJob) -> list[ColumnFormat]:
    """Keep in the job's (set) mapping how each date and number column is written: the
    mapping's own decision, else what the column's values decide. A column they do not
    decide refuses the import (ImportRefused naming the column and the key to add), and
    nothing is changed. Returns the columns with their decisions."""
    formats = column_formats_for(job)
    undecided = [column for column in formats if column.undecided]
    if undecided:
        raise ImportRefused(" ".join(column.refusal() for column in undecided), job=job)
    decided = with_decisions(job.mapping, formats)
    if decided != job.mapping:
        job.mapping = decided
        job.save(update_fields=["mapping"])
    return formats
