"""Why an import cannot go on: the ImportRefused family, each one sentence for the user, and
the checks that make them (the same file imported before, invalid rows, the server's storage,
undo). Whether the user may import the type with the profile at all is
dossier.access.import_refusal's one answer."""

from __future__ import annotations

import errno

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from imports.models import ImportJob
from imports.pipeline.columns import unconfirmed, unconfirmed_message
from imports.pipeline.duplicates import DUPLICATE_CODES
from spreadsheets.messages import N_, Message, grouped


class ImportRefused(Exception):
    """The import cannot go on; the message is one sentence for the user."""

    def __init__(self, message: str, *, job: ImportJob | None = None, problems: list | None = None):
        super().__init__(message)
        self.message = message
        self.job = job
        self.problems = problems or []


class RowsInvalid(ImportRefused):
    """Some rows are invalid and the user did not choose to import only the valid ones."""


class ColumnsLeftOut(RowsInvalid):
    """Columns hold data that no field takes, and the mapping does not confirm them as not
    imported: nothing is stored until the user maps or confirms them (a RowsInvalid, so every
    caller handles it as rows it must look at again)."""


def columns_left_out(job: ImportJob) -> ColumnsLeftOut | None:
    """The refusal of a checked job whose file holds data no field takes, unconfirmed."""
    columns = unconfirmed(job.left_out_columns or [])
    if not columns:
        return None
    command_line = job.source == ImportJob.Source.COMMAND_LINE
    return ColumnsLeftOut(unconfirmed_message(columns, command_line=command_line), job=job)


class ImportedBefore(ImportRefused):
    """The same file (same sha256) was imported for the same type before; `earlier` is that
    import. The caller asks the user, and commits with `again=True` if he means it."""

    def __init__(self, message: str, *, job: ImportJob, earlier: ImportJob):
        super().__init__(message, job=job)
        self.earlier = earlier


class DuplicatesUndecided(ImportRefused):
    """Rows are probably duplicates and the user did not choose yet whether to skip them or
    import them anyway (ImportJob.duplicates)."""


STORAGE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
STORAGE_UNWRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
STORAGE_MISSING = frozenset({errno.ENOENT})


def storage_fault(error: BaseException) -> Message | None:
    """The user's sentence for a fault of the server's storage (full, not writable, or a
    file of the import gone missing); None for any other error."""
    if not isinstance(error, OSError):
        return None
    if error.errno in STORAGE_FULL:
        return N_(
            "The server's storage is full, so the import stopped and nothing was stored; ask an administrator to make room, then import again."
        )
    if error.errno in STORAGE_UNWRITABLE:
        return N_(
            "The server cannot write to its storage, so the import stopped and nothing was stored; ask an administrator to check the storage, then import again."
        )
    if error.errno in STORAGE_MISSING:
        return N_(
            "A file of this import is no longer in the server's storage, so the import stopped and nothing was stored; upload the file again."
        )
    return None


def download_fault(error: OSError, name: str) -> str:
    """The user's sentence for a file that cannot be sent from the server's storage."""
    if error.errno in STORAGE_MISSING:
        return _("The file '%(name)s' is no longer stored.") % {"name": name}
    return _(
        "The file '%(name)s' cannot be read from the server's storage just now; ask an administrator to check the storage."
    ) % {"name": name}


def workbook_fault(error: OSError) -> str:
    """The user's sentence for a reconciliation workbook the server cannot write or read."""
    return _(
        "The file with the status of every row cannot be written just now (%(reason)s); ask an administrator to check the storage."
    ) % {"reason": error.strerror or error.__class__.__name__}


def earlier_import(*, job: ImportJob) -> ImportJob | None:
    """The latest finished (and not undone) import of the same file, by its sha256, for the
    same type, if any."""
    if not job.file_sha256:
        return None
    earlier = ImportJob.objects.filter(
        item_type_id=job.item_type_id, file_sha256=job.file_sha256, state=ImportJob.State.DONE
    ).exclude(pk=job.pk)
    return earlier.select_related("user", "item_type").order_by("-finished_at").first()


def may_name_importer(earlier: ImportJob, viewer) -> bool:
    """Whether `viewer` may be told who ran `earlier` and its id: his own import, or he is
    an administrator (a superuser); anyone else reads "another user"."""
    return may_name_user(earlier.user_id, viewer)


def may_name_user(user_id: int | None, viewer) -> bool:
    """Whether `viewer` may be told that the user `user_id` ran an earlier import: he
    himself, or the viewer is an administrator (a superuser)."""
    if viewer is None or not getattr(viewer, "is_active", False):
        return False
    return viewer.is_superuser or (user_id is not None and user_id == viewer.pk)


def imported_before_message(earlier: ImportJob, *, viewer) -> Message:
    """The sentence for an earlier import of the same file, as `viewer` may read it: the
    user and the import's id only for his own import or for an administrator."""
    finished = timezone.localtime(earlier.finished_at or earlier.created_at)
    values = {
        "type": earlier.item_type.code,
        "date": finished.strftime("%d-%m-%Y %H:%M"),
        "count": grouped(earlier.items_created),
    }
    if not may_name_importer(earlier, viewer):
        return (
            N_("This file was imported before for type %(type)s: on %(date)s by another user, %(count)s items.")
            % values
        )
    return N_(
        "This file was imported before for type %(type)s: on %(date)s by %(user)s, %(count)s items (import %(job)s)."
    ) % {**values, "user": earlier.user.get_username(), "job": earlier.pk}


def rows_invalid(job: ImportJob) -> RowsInvalid:
    """The refusal of a commit of a job with invalid rows the user did not choose to leave
    out; it names the first invalid row."""
    first = next((p["row"] for p in job.problems if not p["is_warning"]), None)
    return RowsInvalid(
        N_(
            "Row %(row)s is invalid, so nothing was imported. Correct the file, or choose to import only the valid rows."
        )
        % {"row": first},
        job=job,
    )


SHOWN_DUPLICATE_ROWS = 10


def duplicates_undecided(job: ImportJob) -> DuplicatesUndecided:
    """The refusal of a commit of a job with probable duplicates the user did not choose
    for; it names the rows (the first ten). Kept language-free (it may be stored as the job's
    error): one msgid for one row and one for more, as both languages count them."""
    rows = list(dict.fromkeys(p["row"] for p in job.problems if p.get("code") in DUPLICATE_CODES))
    shown: str | Message = ", ".join(str(row) for row in rows[:SHOWN_DUPLICATE_ROWS])
    more = job.duplicate_row_count - min(len(rows), SHOWN_DUPLICATE_ROWS)
    if more > 0:
        shown = N_("%(rows)s and %(more)s more") % {"rows": shown, "more": grouped(more)}
    if job.duplicate_row_count == 1:
        message = N_(
            "%(count)s row is probably a duplicate (imported before, or the same as an earlier row): row %(rows)s. Nothing was imported: choose to skip it or to import it anyway."
        )
    else:
        message = N_(
            "%(count)s rows are probably duplicates (imported before, or the same as an earlier row): rows %(rows)s. Nothing was imported: choose to skip them or to import them anyway."
        )
    return DuplicatesUndecided(message % {"count": grouped(job.duplicate_row_count), "rows": shown}, job=job)


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
    if job.state == ImportJob.State.UNDOING:
        return _("This import is being undone already, by %(user)s since %(when)s.") % {
            "user": job.undone_by.get_username() if job.undone_by else _("an unknown user"),
            "when": formats.date_format(timezone.localtime(job.undone_at), "d-m-Y H:i") if job.undone_at else "-",
        }
    if job.state != ImportJob.State.DONE:
        return _("This import has state '%(state)s'; only an import that is done can be undone.") % {
            "state": job.get_state_display()
        }
    return None
