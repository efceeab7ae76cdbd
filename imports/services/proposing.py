"""Files first (issue 17, part 1): a ZIP of documents uploaded without a spreadsheet becomes
an uploaded job holding a proposal of one row per file (imports/pipeline/proposal.py); the
user changes it, and `continue_proposal` writes the spreadsheet it stands for, so the job goes
on through the mapping, the check and the import as any file does.

    job = start_files_first(user=..., item_type=..., archive=handle, archive_name="docs.zip")
    change_proposal(job=job, changes={3: {"relation": "10081", "item": 2}})
    continue_proposal(job=job)      # job.file: the generated .xlsx, job.headers read
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from django.core.files import File

from dossier.access import import_refusal
from dossier.models import CreationProfile, ItemType
from dossier.services import remove_files, store_file, visible_name
from dossier.spec import ItemSpec, Purpose
from imports.models import ImportJob
from imports.pipeline.attachments import ArchiveError
from imports.pipeline.proposal import (
    ProposedFile,
    archive_files,
    propose,
    proposed_items,
    resolved_numbers,
    workbook_rows,
)
from imports.services.jobs import fail_job
from imports.services.refusals import ImportRefused, storage_fault
from imports.services.rows import spec_for
from spreadsheets.messages import N_, message_of
from spreadsheets.reading import ReadError, sample
from spreadsheets.writing import write_xlsx


def takes_files(item_type: ItemType) -> bool:
    """Can items of this type carry files ("attach file" on, R22)?"""
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    return "attachment" in spec and not spec["attachment"].is_hidden


def zipped_documents(documents: Iterable) -> IO[bytes]:
    """Uploaded documents (each with a `name`) as one ZIP in a temporary file, stored as they
    are (documents are packed already), by their own file names; a name given twice gets
    " (2)", " (3)" before its extension. The caller closes it."""
    archive = tempfile.SpooledTemporaryFile(max_size=8 * 1024**2)  # noqa: SIM115 (the caller closes it)
    seen: set[str] = set()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zipped:
        for document in documents:
            name = visible_name(Path(document.name).name) or "document"
            stem, suffix = Path(name).stem, Path(name).suffix
            count = 1
            while name.casefold() in seen:
                count += 1
                name = f"{stem} ({count}){suffix}"
            seen.add(name.casefold())
            with zipped.open(name, "w") as target:
                for chunk in document.chunks():
                    target.write(chunk)
    archive.seek(0)
    return archive


def start_files_first(
    *,
    user,
    item_type: ItemType,
    archive: IO[bytes],
    archive_name: str,
    profile: CreationProfile | None = None,
    source: str = ImportJob.Source.WIZARD,
) -> ImportJob:
    """Store the ZIP privately and propose a row per file from its directory alone (nothing
    is unpacked). Raises ImportRefused: the user, type or profile refused (R2, R3, R21), a
    type without attachments (R22), a ZIP its guards refuse or that holds no document."""
    if reason := import_refusal(user, item_type, profile):
        raise ImportRefused(reason)
    if not takes_files(item_type):
        raise ImportRefused(
            N_("Type %(type)s takes no attachments, so it cannot be imported from files alone: upload a spreadsheet.")
            % {"type": item_type.code}
        )
    job = ImportJob(
        user=user,
        item_type=item_type,
        creation_profile=profile,
        file_name=Path(archive_name).name,
        attachments_name=Path(archive_name).name,
        source=source,
    )
    try:
        store_file(job.attachments_zip, f"{job.pk}-attachments.zip", File(archive))
    except OSError as error:
        message = storage_fault(error)
        if message is None:
            raise
        raise ImportRefused(message) from None
    job.save()
    try:
        with job.attachments_zip.open("rb") as stored:
            files = archive_files(stored)
    except ArchiveError as error:
        fail_job(job, message_of(error))
        raise ImportRefused(message_of(error), job=job) from None
    if not files:
        message = N_("'%(name)s' holds no files to import.") % {"name": job.attachments_name}
        fail_job(job, message)
        raise ImportRefused(message, job=job)
    proposal = propose(files, resolve=lambda numbers: resolved_numbers(numbers, user=user))
    job.proposal = [entry.as_dict() for entry in proposal]
    job.save(update_fields=["proposal"])
    return job


def proposal_of(job: ImportJob) -> list[ProposedFile]:
    return [ProposedFile.from_dict(entry) for entry in job.proposal]


def is_proposal(job: ImportJob) -> bool:
    """A files-first job whose spreadsheet is not written yet."""
    return bool(job.proposal) and not job.file and job.state == ImportJob.State.UPLOADED


def change_proposal(*, job: ImportJob, changes: dict[int, dict]) -> ImportJob:
    """Apply the user's changes, by the file's place in the proposal (0-based): "relation"
    (a relation number, or a role number resolved to its relation; any other text is kept
    for the check to report), "subject", "item" (files with the same item number make one
    item), "left_out"."""
    if not is_proposal(job):
        raise ImportRefused(N_("This import has left the proposal step; its files can no longer be changed."), job=job)
    files = proposal_of(job)
    typed = {str(change["relation"]).strip() for change in changes.values() if change.get("relation")}
    known = resolved_numbers(typed, user=job.user) if typed else {}
    for index, change in changes.items():
        if not 0 <= index < len(files):
            continue
        entry = files[index]
        if "relation" in change:
            raw = str(change["relation"] or "").strip()
            entry.relation = known.get(raw, raw)
        if "subject" in change:
            entry.subject = str(change["subject"] or "").strip()
        if change.get("item"):
            entry.item = int(change["item"])
        if "left_out" in change:
            entry.left_out = bool(change["left_out"])
    job.proposal = [entry.as_dict() for entry in files]
    job.save(update_fields=["proposal"])
    return job


def proposal_workbook(job: ImportJob) -> bytes:
    """The proposal as the .xlsx a normal import of the type takes (the template's headers,
    formula-safe cells): what "Continue" imports, and what the user may download."""
    from imports.template_workbook import header_text

    headers, rows = workbook_rows(spec_for(job), proposal_of(job), header=header_text)
    stream = io.BytesIO()
    write_xlsx([headers, *rows], stream, title=job.item_type.code)
    return stream.getvalue()


def proposal_file_name(job: ImportJob) -> str:
    return f"{Path(job.attachments_name or 'files').stem}.xlsx"


def continue_proposal(*, job: ImportJob) -> ImportJob:
    """Write the proposal's spreadsheet as the job's file and read its headers: from here the
    job is an uploaded job like any other. Raises ImportRefused when every file is left out."""
    if not is_proposal(job):
        raise ImportRefused(N_("This import has left the proposal step; its files can no longer be changed."), job=job)
    if not proposed_items(proposal_of(job)):
        raise ImportRefused(N_("Every file is left out, so there is nothing to import: keep at least one."), job=job)
    content = io.BytesIO(proposal_workbook(job))
    job.file_name = proposal_file_name(job)
    job.file_sha256 = hashlib.sha256(content.getvalue()).hexdigest()
    try:
        store_file(job.file, f"{job.pk}.xlsx", File(content))
    except OSError as error:
        message = storage_fault(error)
        if message is None:
            raise
        remove_files(job.file.storage, [job.file.name] if job.file else [])
        raise ImportRefused(message, job=job) from None
    job.save(update_fields=["file", "file_name", "file_sha256"])
    try:
        table, _rows = sample(job.file.path, file_name=job.file_name, size=1)
    except ReadError as error:  # our own workbook: only a storage that lost it
        fail_job(job, message_of(error))
        raise ImportRefused(message_of(error), job=job) from None
    job.headers, job.sheet, job.header_row, job.sheet_names = (
        table.headers,
        table.sheet,
        table.header_row,
        table.sheet_names,
    )
    job.save(update_fields=["headers", "sheet", "header_row", "sheet_names"])
    return job
