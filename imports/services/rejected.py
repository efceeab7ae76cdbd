"""The rejected rows: the invalid rows of a validation with their problems, written as a
spreadsheet for the user to correct."""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import traceback
from pathlib import Path

from imports.models import ImportJob
from imports.pipeline.attachments import ArchiveError
from imports.pipeline.committing import read_rejected
from imports.pipeline.report import write_rejected_rows
from imports.services.refusals import ImportRefused
from imports.services.rows import open_attachments, spec_for, validated_rows
from imports.services.staging import rejected_path
from spreadsheets.messages import N_, message_of
from spreadsheets.reading import ReadError

logger = logging.getLogger(__name__)


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
            with open_attachments(job) as attachments:
                rows = validated_rows(job, spec_for(job), attachments, None)
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
        raise ImportRefused(message_of(error), job=job) from None
    except Exception as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.strerror:
            message = N_("The rejected rows could not be written to %(name)s: %(reason)s.") % {
                "name": target.name,
                "reason": error.strerror,
            }
        else:  # logged as text: the record must not keep the half-written workbook alive
            written = "".join(traceback.format_exception(error))
            logger.error("The rejected rows of import %s could not be written:\n%s", job.pk, written)
            message = N_(
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
