"""manage.py undo_import JOB_ID --user NAME: take a whole import back, through the same
service as the import history's undo page (`services.undo_import`). It shows what goes and
the items changed since the import, and asks first unless --yes (or --no-input) is given.
The user acts as on the page: the job's owner or an administrator (a superuser).

Exit codes: 0 the import was undone, 1 refused (another user's import, a job that is not
done or was undone already, or the question answered with no), 2 a wrong argument (not an
import's id, no such import, no such user). One sentence on stderr, never a traceback."""

import sys
import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from imports import services
from imports.management.plain import PlainErrorsCommand
from imports.models import ImportJob

YES = {"y", "yes", "j", "ja"}


def when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "d-m-Y H:i") if moment else "-"


class Command(PlainErrorsCommand):
    help = (
        "Undo a whole import: remove every item it created, with their attachments, workflow entries and review tasks."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("job_id", help="the import's id (as the import history and import_items show it)")
        parser.add_argument(
            "--user", required=True, help="the user who undoes it: the import's owner or an administrator"
        )
        parser.add_argument(
            "--yes", "--no-input", action="store_true", dest="yes", help="undo without asking for confirmation"
        )

    def handle(self, *args, **options):
        self.stdin = options.get("stdin") or sys.stdin
        job = self._job(options["job_id"])
        user = self._user(options["user"])
        if reason := services.undo_refusal(job=job, user=user):
            raise CommandError(reason, returncode=1)
        self._show(job, services.undo_preview(job=job, user=user), user)
        if not options["yes"] and not self._confirmed():
            raise CommandError(_("Nothing was undone."), returncode=1)
        try:
            count = services.undo_import(job=job, user=user)
        except services.ImportRefused as refusal:
            raise CommandError(refusal.message, returncode=1) from None
        self.stdout.write(
            ngettext(
                "Import %(job)s undone: %(count)s item removed.",
                "Import %(job)s undone: %(count)s items removed.",
                count,
            )
            % {"job": job.pk, "count": count}
        )

    def _job(self, text: str) -> ImportJob:
        try:
            pk = uuid.UUID(text)
        except ValueError:
            raise CommandError(
                _("'%(value)s' is not an import's id; an id looks like 3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b.")
                % {"value": text},
                returncode=2,
            ) from None
        job = ImportJob.objects.select_related("user", "item_type", "undone_by").filter(pk=pk).first()
        if job is None:
            raise CommandError(_("There is no import %(job)s.") % {"job": pk}, returncode=2)
        return job

    def _user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(_("There is no user %(user)s.") % {"user": username}, returncode=2) from None

    def _show(self, job: ImportJob, preview: services.UndoPreview, user) -> None:
        self.stdout.write(
            _("Import %(job)s (%(type)s, %(file)s) by %(user)s, finished %(finished)s.")
            % {
                "job": job.pk,
                "type": job.item_type.code,
                "file": job.file_name or "-",
                "user": job.user.get_username(),
                "finished": when(job.finished_at),
            }
        )
        self.stdout.write(
            _(
                "Undoing it removes %(items)s items, %(attachments)s attachments, %(workflow)s workflow entries, %(reviews)s review tasks and %(reactions)s reactions."
            )
            % {
                "items": preview.items,
                "attachments": preview.attachments,
                "workflow": preview.workflow_entries,
                "reviews": preview.review_tasks,
                "reactions": preview.reactions,
            }
        )
        if not preview.changed_total:
            self.stdout.write(_("No item was changed or got reactions since the import."))
            return
        self.stdout.write(
            _("Changed since the import (these changes go too): %(count)s items.") % {"count": preview.changed_total}
        )
        for changed in preview.changed:
            parts = []
            if changed.changed_at:
                parts.append(
                    _("changed by %(user)s at %(when)s")
                    % {"user": changed.changed_by or "-", "when": when(changed.changed_at)}
                )
            if changed.reactions:
                parts.append(
                    ngettext(
                        "%(count)s reaction, the last by %(user)s at %(when)s",
                        "%(count)s reactions, the last by %(user)s at %(when)s",
                        changed.reactions,
                    )
                    % {
                        "count": changed.reactions,
                        "user": changed.last_reaction_by,
                        "when": when(changed.last_reaction_at),
                    }
                )
            self.stdout.write(f"  {changed.item} (id {changed.item.pk}): {'; '.join(parts)}")
        if preview.changed_not_shown:
            self.stdout.write("  ... " + _("and %(count)s more.") % {"count": preview.changed_not_shown})
        if preview.changed_hidden:
            self.stdout.write(
                "  "
                + _("%(count)s of them are of types %(user)s may not see.")
                % {"count": preview.changed_hidden, "user": user.get_username()}
            )

    def _confirmed(self) -> bool:
        self.stdout.write(_("Undo this import? Type yes to undo it: "), ending="")
        self.stdout.flush()
        try:
            answer = self.stdin.readline()
        except KeyboardInterrupt:
            answer = ""
        if not answer:
            self.stderr.write(_("No answer (give --yes to undo without being asked)."))
        return answer.strip().lower() in YES
