from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dossier.admin import BaseAdmin
from imports.models import ImportJob, SavedMapping


@admin.register(ImportJob)
class ImportJobAdmin(BaseAdmin):
    """The record of every import (R29), read-only: jobs are made and moved by the import
    services, never by hand. The uploaded files sit in private storage and are named by file
    name and checksum only."""

    list_display = ("created_at", "user", "item_type", "file_name", "state", "row_count", "items_created")
    list_filter = ("state", "item_type")
    list_select_related = ("user", "item_type")
    search_fields = ("file_name", "file_sha256", "user__username", "item_type__code")
    date_hierarchy = "created_at"
    fields = (
        "id",
        "user",
        "item_type",
        "creation_profile",
        "file_name",
        "file_sha256",
        "sheet",
        "header_row",
        "headers",
        "state",
        "error_message",
        ("row_count", "valid_row_count", "invalid_row_count", "items_created", "item_list"),
        ("progress_done", "progress_total", "heartbeat_at"),
        ("created_at", "started_at", "finished_at", "duration"),
        "mapping",
        "options",
        "problems",
    )
    readonly_fields = ("duration", "item_list")

    def get_queryset(self, request):
        # A job's file name, headers, mapping and problems (which quote cell values) are
        # its owner's and the superusers' only: list, filters, search, dates, change page.
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("duration"))
    def duration(self, job: ImportJob):
        return job.duration or "-"

    @admin.display(description=_("items"))
    def item_list(self, job: ImportJob):
        if not job.items_created:
            return "-"
        url = reverse("admin:dossier_dossieritem_changelist")
        return format_html('<a href="{}?import_job__id__exact={}">{}</a>', url, job.pk, _("Show the items"))


@admin.register(SavedMapping)
class SavedMappingAdmin(BaseAdmin):
    """Mappings the wizard remembered per type and header set. They are made by the wizard;
    here they can be looked at, and a bad one deleted so the wizard suggests afresh."""

    list_display = ("item_type", "header_list", "updated_by", "updated_at")
    list_filter = ("item_type",)
    list_select_related = ("item_type", "updated_by")
    search_fields = ("item_type__code", "header_key")
    fields = ("item_type", "headers", "mapping", "header_key", "updated_by", "updated_at")

    def get_queryset(self, request):
        # Headers and fixed values of a type's files: for the users authorised for the type.
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("headers"))
    def header_list(self, saved: SavedMapping) -> str:
        return ", ".join(str(header) for header in saved.headers)[:120]
