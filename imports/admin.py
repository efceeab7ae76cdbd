import shutil
import tempfile
import uuid
from pathlib import Path

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import rights
from config.admin_base import BaseAdmin
from config.views import error_page
from dossier.models import Attachment, DossierItem
from dossier.reading import zip_response
from dossier.services import visible_name
from imports import presenting, services, tasks
from imports.models import ImportJob, SavedMapping

UNDO_REFRESH_SECONDS = 2  # how often the undo's progress page reloads itself


def _destination_folder(attachment: Attachment) -> str:
    item = attachment.item
    if item.relation_id:
        return f"{item.relation.number} {item.relation.name}"
    if item.contact_id:
        return str(item.contact.contact_id)
    return "-"


@admin.register(ImportJob)
class ImportJobAdmin(BaseAdmin):
    """The import history (R29): a user sees his own imports, a superuser all of them. Jobs
    are made and moved by the import services, never by hand, so the admin only shows them:
    the list, and a job's page written for people (presenting.job_page), with downloads of
    its files for its owner and superusers (`download_view`), never a storage URL."""

    list_display = (
        "state_shown",
        "type_code",
        "file_name",
        "rows",
        "valid",
        "invalid",
        "items",
        "duration_shown",
        "user",
        "created_at",
    )
    list_display_links = ("file_name",)
    list_filter = ("state", ("item_type", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user", "item_type", "undone_by", "cancelled_by")
    search_fields = ("file_name", "file_sha256", "user__username", "item_type__code")
    date_hierarchy = "created_at"
    job_template = "admin/imports/importjob/job.html"

    def get_queryset(self, request):
        # A job's file name, headers, mapping and problems (which quote cell values) are
        # its owner's and the superusers' only: list, filters, search, dates, job page.
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # Short column titles and values: ten columns fit beside the navigation and the filters.
    @admin.display(description=gettext_lazy("state"), ordering="state")
    def state_shown(self, job: ImportJob) -> str:
        return presenting.state_text(job)

    @admin.display(description=gettext_lazy("type"), ordering="item_type__code")
    def type_code(self, job: ImportJob) -> str:
        return job.item_type.code

    @admin.display(description=gettext_lazy("rows"), ordering="row_count")
    def rows(self, job: ImportJob) -> int:
        return job.row_count

    @admin.display(description=gettext_lazy("valid"), ordering="valid_row_count")
    def valid(self, job: ImportJob) -> int:
        return job.valid_row_count

    @admin.display(description=gettext_lazy("invalid"), ordering="invalid_row_count")
    def invalid(self, job: ImportJob) -> int:
        return job.invalid_row_count

    @admin.display(description=gettext_lazy("items"), ordering="items_created")
    def items(self, job: ImportJob) -> int:
        return job.items_created

    @admin.display(description=gettext_lazy("duration"))
    def duration_shown(self, job: ImportJob) -> str:
        return presenting.duration_text(job.duration)

    # --- the list ----------------------------------------------------------------------------

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        may_import = rights.rights_refusal(request.user) is None
        context = {
            "title": _("Import history"),
            "import_url": presenting.wizard_url() if may_import else "",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    # --- one job -----------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        own = [
            path(
                "<path:object_id>/download/<str:what>/",
                self.admin_site.admin_view(self.download_view),
                name="{}_{}_download".format(*info),
            ),
            path(
                "<path:object_id>/files/",
                self.admin_site.admin_view(self.files_view),
                name="{}_{}_files".format(*info),
            ),
            path(
                "<path:object_id>/undo/progress/",
                self.admin_site.admin_view(self.undo_progress_view),
                name="{}_{}_undo_progress".format(*info),
            ),
            path(
                "<path:object_id>/undo/",
                self.admin_site.admin_view(self.undo_view),
                name="{}_{}_undo".format(*info),
            ),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="{}_{}_cancel".format(*info),
            ),
        ]
        return own + super().get_urls()

    def _job_for(self, request: HttpRequest, object_id: str) -> ImportJob:
        """The job, if the user may see it (his own, or any for a superuser); else 404,
        exactly as for a job that does not exist."""
        try:
            pk = uuid.UUID(str(object_id))
        except ValueError:
            raise Http404 from None
        jobs = self.get_queryset(request).select_related(
            "user", "item_type", "creation_profile", "undone_by", "cancelled_by"
        )
        return get_object_or_404(jobs, pk=pk)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        job = self._job_for(request, object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import of %(file)s") % {"file": job.file_name or job.item_type.code},
            "has_view_permission": True,
            **presenting.job_page(job, request.GET),
            "wizard_url": _wizard_url(request, job),
            "undo_url": _undo_url(request, job),
            "undo_progress_url": reverse("admin:imports_importjob_undo_progress", args=[job.pk])
            if job.state == ImportJob.State.UNDOING
            else "",
            "cancel_url": _cancel_url(job),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.job_template, context)

    def undo_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Undo a whole import: GET shows what goes (the counts, and the items changed since
        the import that the user may see) and asks; POST (CSRF-protected by the admin) queues
        the undo for the task worker (`tasks.start_undo`; nothing is removed in the request)
        and goes to its progress page. A job the user may not see is 404; a user who may see
        it but not undo it gets 403 with the reason; a job that is not done (any more, or
        being undone) sends him back to its page with the reason."""
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        job = self._job_for(request, object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        if refusal := services.undo_refusal(job=job, user=request.user):
            if services.state_refusal(job):
                messages.error(request, refusal)
                return self._back_to(job)
            return error_page(request, "403.html", 403, reason=refusal)
        if request.method == "POST":
            try:
                tasks.start_undo(job=job, user=request.user)
            except services.ImportRefused as refusal:
                messages.error(request, refusal.message)
                return self._back_to(job)
            return redirect(reverse("admin:imports_importjob_undo_progress", args=[job.pk]))
        request.current_app = self.admin_site.name
        preview = services.undo_preview(job=job, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Undo the import of %(file)s") % {"file": job.file_name or job.item_type.code},
            "job": job,
            "preview": preview,
            "job_url": reverse("admin:imports_importjob_change", args=[job.pk]),
        }
        return TemplateResponse(request, "admin/imports/importjob/undo.html", context)

    def undo_progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """An undo's progress (items removed of items in total) while it is queued or runs:
        the page reloads itself every UNDO_REFRESH_SECONDS, no JavaScript needed. Once the
        undo has ended, the job's page with the result: how many items went, or why nothing
        did. For whoever may see the job."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        job = self._job_for(request, object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        if job.state == ImportJob.State.UNDONE:
            messages.success(
                request,
                ngettext(
                    "The import was undone: %(count)s item was removed.",
                    "The import was undone: %(count)s items were removed.",
                    job.progress_done,
                )
                % {"count": job.progress_done},
            )
            if job.files_left:  # the storage refused some: the reaper tries again
                messages.warning(request, job.error_message)
            return self._back_to(job)
        if job.state != ImportJob.State.UNDOING:
            if job.error_message and job.state == ImportJob.State.DONE:
                messages.error(request, job.error_message)
            return self._back_to(job)
        done, total = services.undo_progress(job)
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Undoing the import of %(file)s") % {"file": job.file_name or job.item_type.code},
            "job": job,
            "done": done,
            "total": total,
            "percent": min(100, int(100 * done / total)) if total else 0,
            "waiting": services.undo_waiting(job),
            "refresh": UNDO_REFRESH_SECONDS,
            "job_url": reverse("admin:imports_importjob_change", args=[job.pk]),
        }
        return TemplateResponse(request, "admin/imports/importjob/undo_progress.html", context)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Cancel a running import (POST, CSRF-protected by the admin): a user who may read
        the job in the history, its owner or an administrator, may stop it
        (services.request_cancel); the job records who asked and when (cancelled_by,
        cancelled_at). Continuing or committing stays the owner's, in the wizard. A job the
        user may not see is 404; one that is not running (any more) goes back to its page
        with the reason."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._job_for(request, object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        if not job.is_running:
            messages.error(
                request,
                _("This import has state '%(state)s' and cannot be cancelled.") % {"state": job.get_state_display()},
            )
            return self._back_to(job)
        try:
            services.request_cancel(job=job, by=request.user)
        except services.ImportRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.info(request, _("Cancel asked: the import stops and stores nothing."))
        return self._back_to(job)

    def download_view(self, request: HttpRequest, object_id: str, what: str) -> HttpResponse:
        """The job's original file, its attachments ZIP, or its reconciliation workbook (the
        uploaded sheet with every row's status, .xlsx or .csv):
        for the job's owner and superusers; 404 for anyone else (also a user who may view
        imports), as for a job that does not exist."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        job = self._job_for(request, object_id)
        if not (request.user.is_superuser or job.user_id == request.user.pk) or what not in presenting.DOWNLOADS:
            raise Http404
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        if what == "file":
            return self._send(request, job, job.file, job.file_name)
        if what == "attachments":
            name = job.attachments_name or "attachments.zip"
            return self._send(request, job, job.attachments_zip, name)
        return self._send_workbook(request, job, what.removeprefix("workbook-"))

    def files_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """All files of the items the import made, as one streamed ZIP, each in a folder named
        by its item's relation (or contact): for whoever may see the job (its owner, a
        superuser; 404 for anyone else), and only the items he may see (`visible_to`)."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        job = self._job_for(request, object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        items = DossierItem.objects.visible_to(request.user).filter(import_job=job)
        attachments = (
            Attachment.objects.filter(item__in=items.values("pk"))
            .select_related("item__item_type", "item__relation", "item__contact")
            .only(
                "pk",
                "file",
                "original_name",
                "item__number",
                "item__item_type__code",
                "item__relation__number",
                "item__relation__name",
                "item__contact__contact_id",
            )
            .order_by("item__relation__number", "item__number", "pk")
        )
        stem = Path(visible_name(job.file_name or job.item_type.code)).stem
        return zip_response(
            attachments.iterator(), filename=_("%(file)s files.zip") % {"file": stem}, folder_of=_destination_folder
        )

    def _back_to(self, job: ImportJob) -> HttpResponse:
        return redirect(reverse("admin:imports_importjob_change", args=[job.pk]))

    def _send(self, request: HttpRequest, job: ImportJob, file: FieldFile, name: str) -> HttpResponse:
        if not file:
            raise Http404
        try:
            content = file.open("rb")
        except OSError as error:  # gone missing, or the storage cannot be read: one sentence
            messages.error(request, services.download_fault(error, visible_name(name)))
            return self._back_to(job)
        return FileResponse(content, as_attachment=True, filename=visible_name(name))

    def _send_workbook(self, request: HttpRequest, job: ImportJob, fmt: str) -> HttpResponse:
        """The reconciliation workbook: the uploaded sheet with every row's status."""
        if job.state not in presenting.WORKBOOK_STATES or not services.has_row_record(job):
            raise Http404
        name = visible_name(services.workbook_name(job, fmt))
        folder = None
        try:
            folder = Path(tempfile.mkdtemp(prefix="workbook-"))
            target = folder / name
            services.write_reconciliation_file(job=job, target=target, fmt=fmt)
            content = target.open("rb")  # stays readable once its folder is removed below
        except services.ImportRefused as refusal:
            messages.error(request, refusal.message)
            return self._back_to(job)
        except OSError as error:  # no room for the file, or the storage cannot be read
            messages.error(request, services.workbook_fault(error))
            return self._back_to(job)
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        return FileResponse(content, as_attachment=True, filename=name)


@admin.register(SavedMapping)
class SavedMappingAdmin(BaseAdmin):
    """Saved mappings: each user's remembered ones, and those shared under a name with a
    type's users. They are made by the wizard and the command line; here they can be looked
    at, and a bad one deleted so the wizard suggests afresh. One rule decides who sees which
    (SavedMapping.objects.visible_to: his own, the shared ones of types he may use; a
    superuser all); a shared one is deleted by whoever may share it."""

    list_display = ("item_type", "name_shown", "header_list", "owner", "updated_at")
    list_filter = ("shared", "item_type")
    list_select_related = ("item_type", "owner")
    search_fields = ("item_type__code", "name", "header_key")
    fields = ("item_type", "shared", "name", "owner", "headers", "mapping", "header_key", "updated_by", "updated_at")

    def get_queryset(self, request):
        # Headers and fixed values of a type's files: the owner's, or shared with the type's users.
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        if obj.shared:
            return services.sharing_refusal(request.user, obj.item_type) is None
        return obj.owner_id == request.user.pk

    @admin.display(description=gettext_lazy("shared as"))
    def name_shown(self, saved: SavedMapping) -> str:
        return saved.name if saved.shared else "-"

    @admin.display(description=gettext_lazy("headers"))
    def header_list(self, saved: SavedMapping) -> str:
        return ", ".join(str(header) for header in saved.headers)[:120]


def _undo_url(request: HttpRequest, job: ImportJob) -> str:
    """The undo page of a done job, for a user who may undo it (its owner, an administrator)."""
    if services.undo_refusal(job=job, user=request.user):
        return ""
    return reverse("admin:imports_importjob_undo", args=[job.pk])


def _cancel_url(job: ImportJob) -> str:
    """The history's cancel of a running import, for whoever may read the job (its owner,
    an administrator)."""
    return reverse("admin:imports_importjob_cancel", args=[job.pk]) if job.is_running else ""


def _wizard_url(request: HttpRequest, job: ImportJob) -> str:
    """The wizard's page of the user's own wizard job once it is checked or running (the
    check, progress or result page), to continue or follow it from the history."""
    from imports.views import step_url

    if job.user_id != request.user.pk or job.source != ImportJob.Source.WIZARD:
        return ""
    if job.state in (ImportJob.State.UPLOADED, ImportJob.State.MAPPED):
        return ""
    return step_url(job)
