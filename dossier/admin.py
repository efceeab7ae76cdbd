"""The admin for the whole dossier configuration: relations and their roles, extras, item
types with everything they decide, creation profiles, workflows, and the rows that hang off an
item (workflow instances, review tasks). Master data (relations, contacts, roles, extras) can be
imported and exported as files keyed by natural keys (`dossier.resources`). The items list
itself needs the imports too, so it lives in review/admin.py on `VisibleItemsAdmin`."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count, Max, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ConfirmImportForm
from import_export.tmp_storages import TempFolderStorage

from config.admin_base import BaseAdmin, CheckedAutocompleteFields, RedactedDeletionMixin
from dossier import masterdata, resources, tasks
from dossier.access import import_refusal, type_refusal
from dossier.models import (
    EXTRA_MODELS,
    ROLE_ACCESSORS,
    ROLE_MODELS,
    Applicant,
    Characteristic,
    CharacteristicCombination,
    CharacteristicValue,
    Contact,
    Course,
    CreationProfile,
    CreationProfileField,
    DocumentTemplate,
    DossierItem,
    Employee,
    FreeField,
    ItemType,
    MasterDataImport,
    Project,
    PurchaseRelation,
    Relation,
    ReviewProfile,
    ReviewTask,
    SalesRelation,
    Workflow,
    WorkflowAction,
    WorkflowInstance,
    WorkflowTask,
)
from dossier.spec import REGARDING_ROLES, ItemSpec
from spreadsheets import writing
from spreadsheets.reading import ReadError

logger = logging.getLogger(__name__)
EXPORT_PERMISSION = "dossier.export_master_data"
TEMPLATE_UNREADABLE = _(
    "The template's file cannot be read from the server's storage just now; ask an administrator to check the storage."
)
STORAGE_REFUSED = _(
    "The server cannot store the file just now (its storage is full or cannot be written), so nothing was imported; ask an administrator to check the storage, then import again."
)


def _object_id(request) -> str | None:
    """The primary key of the object whose change page is being shown, if any."""
    match = getattr(request, "resolver_match", None)
    return match.kwargs.get("object_id") if match else None


def _links(objects, url_name: str):
    return format_html(
        "<ul>{}</ul>",
        format_html_join("", '<li><a href="{}">{}</a></li>', ((reverse(url_name, args=[o.pk]), o) for o in objects)),
    )


CONFIRMATION_SALT = "dossier.admin.master-data-confirmation"


def sign_confirmation(request, stored_name: str, fmt, resource) -> str:
    """The confirmation's token: the stored copy's name, the format and the resource, signed
    for the signed-in user."""
    value = {"name": stored_name, "format": str(fmt), "resource": str(resource or "")}
    return signing.dumps(value, salt=f"{CONFIRMATION_SALT}:{request.user.pk}", compress=True)


class MasterDataConfirmForm(ConfirmImportForm):
    """The confirmation of a master-data import. Its hidden fields are checked, never
    trusted: django-import-export would read any name in its temporary folder, index its
    formats and resources with any number, and answer a forged value with a server error.
    Here the file, format and resource come from the signed token the preview made
    (`sign_confirmation`); anything else, or a copy no longer stored (confirmed already), is
    one sentence."""

    original_file_name = forms.CharField(widget=forms.HiddenInput(), max_length=255)
    request = None
    storage_class = None

    def clean_import_file_name(self) -> str:
        return self.cleaned_data["import_file_name"]  # checked in clean(), with the format

    def clean(self):
        cleaned = super().clean()
        token = cleaned.get("import_file_name", "")
        user = getattr(self.request, "user", None)
        try:
            value = signing.loads(token, salt=f"{CONFIRMATION_SALT}:{getattr(user, 'pk', '')}")
            name = PurePosixPath(str(value["name"])).name
            fmt = int(value["format"])
            resource = str(value.get("resource", ""))
            if not name or not 0 <= fmt < len(resources.IMPORT_FORMATS):
                raise ValueError(name)
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise forms.ValidationError(
                _("This confirmation does not belong to a file you uploaded. Choose the file again and import it.")
            ) from None
        if not self._stored(name):
            raise forms.ValidationError(
                _("The uploaded file is no longer there (was it imported already?). Choose the file again.")
            )
        cleaned.update(import_file_name=name, format=str(fmt), resource=resource)
        return cleaned

    def _stored(self, name: str) -> bool:
        storage = (self.storage_class or TempFolderStorage)(name=name)
        if hasattr(storage, "get_full_path"):
            return os.path.isfile(storage.get_full_path())
        try:
            return storage.read() is not None
        except (OSError, ValueError):
            return False


class MasterDataAdmin(CheckedAutocompleteFields, RedactedDeletionMixin, ImportExportModelAdmin):
    """Master data with Import and Export buttons. Importing creates and changes rows, so it
    needs both add and change permission (django-import-export allows it to any user of the
    admin unless a setting says otherwise); exporting needs its own permission.

    Files are read through the import's guarded readers (`resources.IMPORT_FORMATS`) and
    written with spreadsheet-safe cells (`writing.EXPORT_FORMATS`); a file that cannot be
    read gets one sentence on the form, never a traceback."""

    import_formats = resources.IMPORT_FORMATS
    export_formats = writing.EXPORT_FORMATS
    export_form_class = resources.MasterDataExportForm

    confirm_form_class = MasterDataConfirmForm

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_confirm_form_initial(self, request, import_form):
        """The confirmation carries what it confirms (the stored copy, its format, the
        resource) signed for this user: the step reads nothing the user did not upload."""
        initial = super().get_confirm_form_initial(request, import_form)
        if initial:
            initial["import_file_name"] = sign_confirmation(
                request, initial["import_file_name"], initial["format"], initial.get("resource", "")
            )
        return initial

    def create_confirm_form(self, request, import_form=None):
        form = super().create_confirm_form(request, import_form)
        form.request, form.storage_class = request, self.get_tmp_storage_class()
        return form

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request) and request.user.has_perm(EXPORT_PERMISSION)

    def create_import_form(self, request):
        form = super().create_import_form(request)
        form.fields["import_file"].validators.append(_refuse_too_large)
        return form

    def write_to_tmp_storage(self, import_file, input_format):
        input_format.file_name = import_file.name
        storage = self.get_tmp_storage_class()(read_mode=input_format.get_read_mode())
        storage.save(b"".join(import_file.chunks()))  # one join, not a copy per chunk
        return storage

    def get_urls(self):
        # Before the admin's own: its `<path:object_id>/` would take the address.
        return [
            path(
                "import/<uuid:job_id>/",
                self.admin_site.admin_view(self.background_import_view),
                name="{}_{}_import_job".format(*self.get_model_info()),
            ),
            *super().get_urls(),
        ]

    def import_action(self, request, **kwargs):
        queued = self.import_in_background(request) if request.method == "POST" else None
        if queued is not None:
            return queued
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        stored = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
        if stored and "confirm_form" not in context:
            # Refused or invalid: no confirmation will read the stored copy; do not keep it.
            self.get_tmp_storage_class()(name=stored).remove()
        return response

    def import_in_background(self, request):
        """A valid upload of more than MASTER_DATA_BACKGROUND_ROWS rows: stored and queued for
        the task worker, answered with the job's progress page. None for anything else (a
        smaller file, a form or file with a problem): the usual steps deal with it."""
        if not self.has_import_permission(request):
            return None  # the usual steps refuse it
        form = self.create_import_form(request)
        if not form.is_valid():
            return None
        upload = form.cleaned_data["import_file"]
        index = int(form.cleaned_data["format"])
        input_format = self.get_import_formats()[index]()
        input_format.file_name = upload.name
        try:
            rows = len(input_format.create_dataset(b"".join(upload.chunks())))
        except Exception:  # the usual steps read it again and say what is wrong
            return None
        if rows <= settings.MASTER_DATA_BACKGROUND_ROWS:
            return None
        try:
            with transaction.atomic():
                job = masterdata.start(
                    user=request.user,
                    resource_class=self.choose_import_resource_class(form, request),
                    upload=upload,
                    file_format=index,
                    row_count=rows,
                )
                tasks.start_check(job=job)
        except OSError:  # full, read-only: nothing was recorded, the form says so
            logger.warning("A master-data upload could not be stored.", exc_info=True)
            messages.error(request, STORAGE_REFUSED)
            return redirect(request.get_full_path())
        return redirect(self._job_url(job))

    def _job_url(self, job: MasterDataImport) -> str:
        app_label, model_name = self.get_model_info()
        return reverse(f"admin:{app_label}_{model_name}_import_job", args=[job.pk], current_app=self.admin_site.name)

    def background_import_view(self, request, job_id):
        """A master-data import in the task worker: its progress (the page refreshes itself),
        then the preview with the confirmation, then its outcome. Its owner's (and the
        superusers') only: anyone else is answered 404."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        names = [resource.__name__ for resource in self.get_import_resource_classes(request)]
        job = get_object_or_404(MasterDataImport.objects.visible_to(request.user), pk=job_id, resource__in=names)
        if request.method == "POST":
            if "confirm" in request.POST:
                tasks.start_import(job=job)
            return redirect(self._job_url(job))
        if masterdata.end_if_worker_died(job):
            job.refresh_from_db()
        running = job.state in (MasterDataImport.State.CHECKING, MasterDataImport.State.IMPORTING)
        done, total = masterdata.read_progress(job) if running else (job.row_count, job.row_count)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import"),
            "opts": self.model._meta,
            "job": job,
            "running": running,
            "done": done,
            "total": total,
            "preview": masterdata.shown_preview(job.preview or {}),
            "can_confirm": masterdata.can_confirm(job),
            "refresh_seconds": 2,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/import_export/background_import.html", context)

    def add_data_read_fail_error_to_form(self, form, e) -> None:
        if isinstance(e, ReadError):
            form.add_error("import_file", str(e))
            return
        logger.error("Master data file could not be read", exc_info=e)
        form.add_error(
            "import_file",
            _("The file could not be read. Check that it opens in a spreadsheet program and choose its format."),
        )


def _refuse_too_large(upload) -> None:
    """The size on disk the dossier item import allows, checked before anything is read."""
    limit = settings.IMPORT_MAX_FILE_SIZE
    if upload.size > limit:
        raise forms.ValidationError(
            _("The file is %(size)s MB; at most %(max)s MB can be imported. Split it into smaller files.")
            % {"size": upload.size // 2**20, "max": limit // 2**20}
        )


# --- Relations, contacts and roles ---------------------------------------------------------


class RoleInline(admin.TabularInline):
    fields = ("number",)
    extra = 1


class EmployeeInline(RoleInline):
    model = Employee


class SalesRelationInline(RoleInline):
    model = SalesRelation


class PurchaseRelationInline(RoleInline):
    model = PurchaseRelation


class ApplicantInline(RoleInline):
    model = Applicant


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(code, model._meta.verbose_name) for code, model in ROLE_MODELS.items()]

    def queryset(self, request, queryset):
        accessor = ROLE_ACCESSORS.get(self.value() or "")
        return queryset.filter(**{f"{accessor}__isnull": False}) if accessor else queryset


@admin.register(Relation)
class RelationAdmin(MasterDataAdmin):
    resource_classes = [resources.RelationResource]
    list_display = ("number", "name", "kind", "city", "roles", "items", "is_active")
    list_filter = ("kind", RoleFilter, "is_active")
    list_select_related = tuple(ROLE_ACCESSORS.values())
    search_fields = ("number", "name", "email", "city")
    fields = ("number", "kind", "name", "email", "city", "is_active", "contact_list")
    readonly_fields = ("contact_list",)
    inlines = [EmployeeInline, SalesRelationInline, PurchaseRelationInline, ApplicantInline]

    def get_urls(self):
        from dossier.central import relation_dossier

        view = self.admin_site.admin_view(partial(relation_dossier, self))
        # Before the admin's own: its `<path:object_id>/` would take the address.
        return [path("<path:object_id>/dossier/", view, name="dossier_relation_dossier"), *super().get_urls()]

    def get_changelist(self, request, **kwargs):
        from dossier.central import RelationChangeList

        return RelationChangeList

    @admin.display(description=_("items"))
    def items(self, relation: Relation):
        """The visible items of the relation's dossier, linked to it (`RelationChangeList`)."""
        url = reverse("admin:dossier_relation_dossier", args=[relation.pk])
        return format_html('<a href="{}">{}</a>', url, relation.item_count)

    @admin.display(description=_("roles"))
    def roles(self, relation: Relation) -> str:
        held = [getattr(relation, accessor) for accessor in ROLE_ACCESSORS.values() if hasattr(relation, accessor)]
        return ", ".join(f"{role._meta.verbose_name} {role.number}" for role in held) or "-"

    @admin.display(description=_("contacts"))
    def contact_list(self, relation: Relation):
        if relation.pk is None:
            return "-"
        contacts = Contact.objects.filter(Q(organisation=relation) | Q(person=relation)).select_related(
            "organisation", "person"
        )
        if not contacts:
            return _("No contacts.")
        return _links(contacts, "admin:dossier_contact_change")


@admin.register(Contact)
class ContactAdmin(MasterDataAdmin):
    resource_classes = [resources.ContactResource]
    list_display = ("contact_id", "person", "organisation", "function", "email")
    list_select_related = ("person", "organisation")
    search_fields = (
        "contact_id",
        "person__number",
        "person__name",
        "organisation__number",
        "organisation__name",
        "email",
    )
    autocomplete_fields = ("organisation", "person")


class RoleAdmin(MasterDataAdmin):
    list_display = ("number", "relation")
    list_select_related = ("relation",)
    search_fields = ("number", "relation__number", "relation__name")
    autocomplete_fields = ("relation",)


@admin.register(Employee)
class EmployeeAdmin(RoleAdmin):
    resource_classes = [resources.EmployeeResource]


@admin.register(SalesRelation)
class SalesRelationAdmin(RoleAdmin):
    resource_classes = [resources.SalesRelationResource]


@admin.register(PurchaseRelation)
class PurchaseRelationAdmin(RoleAdmin):
    resource_classes = [resources.PurchaseRelationResource]


@admin.register(Applicant)
class ApplicantAdmin(RoleAdmin):
    resource_classes = [resources.ApplicantResource]


# --- Dossier extras ------------------------------------------------------------------------


class ExtraAdmin(MasterDataAdmin):
    list_display = ("code", "name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")


@admin.register(Project)
class ProjectAdmin(ExtraAdmin):
    resource_classes = [resources.ProjectResource]


@admin.register(Course)
class CourseAdmin(ExtraAdmin):
    resource_classes = [resources.CourseResource]


# --- Characteristics and workflows ---------------------------------------------------------


class CharacteristicValueInline(admin.TabularInline):
    model = CharacteristicValue
    fields = ("code", "label")
    extra = 1


@admin.register(Characteristic)
class CharacteristicAdmin(BaseAdmin):
    list_display = ("code", "name", "value_count")
    search_fields = ("code", "name", "values__code", "values__label")
    inlines = [CharacteristicValueInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(value_count=Count("values"))

    @admin.display(description=_("values"), ordering="value_count")
    def value_count(self, characteristic: Characteristic) -> int:
        return characteristic.value_count


class WorkflowTaskInline(admin.TabularInline):
    model = WorkflowTask
    fields = ("code", "name", "position", "is_start")
    extra = 1
    show_change_link = True


@admin.register(Workflow)
class WorkflowAdmin(BaseAdmin):
    list_display = ("code", "name", "task_count")
    search_fields = ("code", "name")
    inlines = [WorkflowTaskInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(task_count=Count("tasks"))

    @admin.display(description=_("tasks"), ordering="task_count")
    def task_count(self, workflow: Workflow) -> int:
        return workflow.task_count


class WorkflowActionInline(admin.TabularInline):
    model = WorkflowAction
    fk_name = "task"
    fields = ("code", "name", "next_task")
    extra = 1

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "next_task":
            tasks = WorkflowTask.objects.select_related("workflow")
            task_id = _object_id(request)
            if task_id:
                # An action leads to another task of the same workflow.
                tasks = tasks.filter(workflow__tasks__pk=task_id)
            kwargs["queryset"] = tasks
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(WorkflowTask)
class WorkflowTaskAdmin(BaseAdmin):
    list_display = ("name", "code", "workflow", "position", "is_start")
    list_filter = ("workflow",)
    list_select_related = ("workflow",)
    search_fields = ("code", "name", "workflow__code", "workflow__name")
    inlines = [WorkflowActionInline]


# --- Review profiles, document templates ---------------------------------------------------


@admin.register(ReviewProfile)
class ReviewProfileAdmin(BaseAdmin):
    list_display = ("code", "name", "days_to_review")
    search_fields = ("code", "name")
    filter_horizontal = ("reviewers",)


@dataclass(frozen=True)
class _LinkedFile:
    name: str
    url: str

    def __str__(self) -> str:
        return PurePosixPath(self.name).name


class PrivateFileInput(forms.ClearableFileInput):
    """A file input for files in private storage. That storage has no URLs (asking one
    raises), so the current file links to `download_url`, a view that checks access."""

    download_url = ""

    def is_initial(self, value) -> bool:
        return bool(value and getattr(value, "name", None))

    def format_value(self, value):
        return value if self.is_initial(value) else None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if context["widget"]["is_initial"]:
            context["widget"]["value"] = _LinkedFile(value.name, self.download_url)
        return context


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(BaseAdmin):
    list_display = ("code", "name", "output_name", "language")
    search_fields = ("code", "name")
    readonly_fields = ("download_link",)
    formfield_overrides = {models.FileField: {"widget": PrivateFileInput}}

    def get_fields(self, request, obj=None):
        # A read-only page would ask the private file for its URL; show our own link there.
        editable = obj is None or self.has_change_permission(request, obj)
        return ["code", "name", "file" if editable else "download_link", "output_name", "language"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "file" in form.base_fields:
            form.base_fields["file"].widget.download_url = self._download_url(obj)
        return form

    def get_urls(self):
        return [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="dossier_documenttemplate_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, object_id):
        template = get_object_or_404(DocumentTemplate, pk=object_id)
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        if not template.file:
            raise Http404
        try:
            content = template.file.open("rb")
        except OSError:  # gone missing, or the storage cannot be read: one sentence
            logger.warning("The file of document template %s cannot be read.", template.pk, exc_info=True)
            messages.error(request, TEMPLATE_UNREADABLE)
            return redirect(reverse("admin:dossier_documenttemplate_change", args=[template.pk]))
        return FileResponse(content, as_attachment=True, filename=PurePosixPath(template.file.name).name)

    def _download_url(self, template: DocumentTemplate) -> str:
        return reverse("admin:dossier_documenttemplate_download", args=[template.pk])

    @admin.display(description=_("template (.docx)"))
    def download_link(self, template: DocumentTemplate):
        if not template.file:
            return "-"
        return format_html('<a href="{}">{}</a>', self._download_url(template), PurePosixPath(template.file.name).name)


# --- Item types ----------------------------------------------------------------------------


class FreeFieldInline(admin.TabularInline):
    model = FreeField
    fields = ("position", "code", "label", "kind", "required", "choices")
    extra = 0
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}}


class CharacteristicCombinationInline(admin.TabularInline):
    model = CharacteristicCombination
    fields = ("value_1", "value_2", "value_3", "workflow")
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("value_1", "value_2", "value_3"):
            values = CharacteristicValue.objects.select_related("characteristic")
            type_id = _object_id(request)
            item_type = ItemType.objects.filter(pk=type_id).first() if type_id else None
            if item_type is not None:
                # Each level offers only the values of the type's characteristic at that level.
                level = db_field.name.removeprefix("value_")
                values = values.filter(characteristic_id=getattr(item_type, f"characteristic_{level}_id"))
            kwargs["queryset"] = values
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            if item_type is None and field is not None:
                # Values of every characteristic: the label alone ("Hoog") could be two of them.
                field.label_from_instance = lambda value: f"{value.characteristic.name}: {value.label}"
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ItemTypeForm(forms.ModelForm):
    class Meta:
        model = ItemType
        fields = ("last_number",)  # the admin adds every field of its fieldsets

    def clean_last_number(self) -> int:
        value = self.cleaned_data["last_number"]
        if self.instance.pk:
            highest = self.instance.items.aggregate(highest=Max("number"))["highest"] or 0
            if value < highest:
                raise forms.ValidationError(
                    _("Items up to number %(highest)s exist; the last used number cannot be lower."),
                    params={"highest": highest},
                )
        return value


STATE_FIELDS = (
    "relation_state",
    "contact_state",
    *(f"{code}_state" for code in REGARDING_ROLES),
    *(f"{code}_state" for code in EXTRA_MODELS),
)


@admin.register(ItemType)
class ItemTypeAdmin(BaseAdmin):
    form = ItemTypeForm
    list_display = ("code", "name", "kind", "is_active", "attach_file", "use_characteristics", "importable")
    list_filter = ("kind", "is_active", "confidential", "attach_file", "use_characteristics")
    search_fields = ("code", "name")
    readonly_fields = ("importability",)
    radio_fields = {name: admin.HORIZONTAL for name in STATE_FIELDS}
    filter_horizontal = ("authorised_users", "authorised_groups")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "is_active", "confidential", "importability")}),
        (
            _("Item options"),
            {
                "fields": (
                    "has_subject",
                    "has_text",
                    "has_begin_date",
                    "has_end_date",
                    "has_done",
                    "has_responsible",
                    "responsible_required",
                    "submitter_is_default_responsible",
                    "has_cause",
                    "has_priority",
                ),
                "description": _("An option that is off is not offered. The import never requires an option."),
            },
        ),
        (
            _("Numbering, attachments and outgoing post"),
            {"fields": ("last_number", "attach_file", "outgoing_post_choice")},
        ),
        (_("Destination"), {"fields": ("relation_state", "contact_state")}),
        (_("Regarding"), {"fields": tuple(f"{code}_state" for code in REGARDING_ROLES)}),
        (_("Dossier extras"), {"fields": tuple(f"{code}_state" for code in EXTRA_MODELS)}),
        (
            _("Characteristics"),
            {
                "fields": (
                    "use_characteristics",
                    "only_existing_combinations",
                    "allow_without_characteristics",
                    "characteristic_1",
                    "characteristic_2",
                    "characteristic_3",
                )
            },
        ),
        (_("Authorisation"), {"fields": ("authorised_users", "authorised_groups")}),
    )
    inlines = [FreeFieldInline, CharacteristicCombinationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "import_links": self._import_links(request, object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _import_links(self, request, object_id) -> dict[str, str] | None:
        """The wizard with this type chosen, and its template: for a user who may import it
        (R2, R3, R5); nobody else sees the links."""
        item_type = ItemType.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if item_type is None or import_refusal(request.user, item_type) is not None:
            return None
        new, template = url_or_none("imports:new"), url_or_none("imports:template", item_type.code)
        if new is None or template is None:
            return None  # the wizard is not installed
        return {"new": f"{new}?{urlencode({'type': item_type.code})}", "template": template}

    def get_inlines(self, request, obj):
        # Free fields exist only on own types.
        if obj is not None and not obj.is_own:
            return [inline for inline in self.inlines if inline is not FreeFieldInline]
        return self.inlines

    @admin.display(description=_("importable"))
    def importable(self, item_type: ItemType) -> str:
        refusal = type_refusal(item_type)
        return _("yes") if refusal is None else _("no: %(reason)s") % {"reason": refusal}

    @admin.display(description=_("importable"))
    def importability(self, item_type: ItemType) -> str:
        """R5: whether items of the type can be imported, and why not."""
        if item_type.pk is None:
            return _("Shown once the type is saved.")
        refusal = type_refusal(item_type)
        if refusal is None:
            return _("Yes: items of this type can be imported.")
        return _("No. %(reason)s") % {"reason": refusal}


# --- Creation profiles ---------------------------------------------------------------------


class CreationProfileFieldForm(forms.ModelForm):
    """One line of a profile's page: its field must be one of the profile's type."""

    class Meta:
        model = CreationProfileField
        fields = ("position", "field_code", "on_edit_page", "on_show_page", "setting", "default")

    def clean_field_code(self) -> str:
        code = self.cleaned_data["field_code"]
        profile = self.instance.profile if self.instance.profile_id else None  # None: a new profile
        if profile is not None and code not in {f.code for f in ItemSpec(profile.item_type).fields}:
            raise forms.ValidationError(_("The type has no field %(code)s.") % {"code": code})
        return code


class CreationProfileFieldInline(admin.TabularInline):
    model = CreationProfileField
    form = CreationProfileFieldForm  # its fields, in their order
    extra = 1


@admin.register(CreationProfile)
class CreationProfileAdmin(BaseAdmin):
    list_display = ("code", "name", "item_type", "review_profile", "document_template", "is_active")
    list_filter = ("is_active", ("item_type", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("item_type", "review_profile", "document_template")
    search_fields = ("code", "name", "item_type__code", "item_type__name")
    fields = ("item_type", "code", "name", "review_profile", "document_template", "is_active", "field_codes")
    readonly_fields = ("field_codes",)
    inlines = [CreationProfileFieldInline]

    def get_queryset(self, request):
        types = ItemType.objects.visible_to(request.user)
        return super().get_queryset(request).filter(item_type__in=types.values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "item_type":
            kwargs["queryset"] = ItemType.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("fields of the type"))
    def field_codes(self, profile: CreationProfile) -> str:
        """The codes a page line may name (the type's fields)."""
        if not profile.item_type_id:
            return _("Shown once the profile is saved.")
        return ", ".join(f.code for f in ItemSpec(profile.item_type).visible_fields)


# --- Rows that hang off an item ------------------------------------------------------------


def url_or_none(name: str, *args) -> str | None:
    """The URL of a page of another app (the item pages, the import wizard), or None when
    that app is not installed: the admin works without it."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _visible_item_field(db_field, request, kwargs) -> None:
    """A foreign key to an item offers (and accepts) only the items the user may see."""
    if db_field.related_model is DossierItem:
        kwargs["queryset"] = DossierItem.objects.visible_to(request.user).select_related("item_type")


class VisibleItemsAdmin(BaseAdmin):
    """An admin of items or of rows hanging off an item: every page (list, filters and their
    counts, search, change, history, delete, autocomplete) starts from `visible_to()`."""

    types_first = False  # see DossierItemQuerySet.visible_to

    def get_queryset(self, request):
        if self.types_first:
            return super().get_queryset(request).visible_to(request.user, types_first=True)
        return super().get_queryset(request).visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _visible_item_field(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(WorkflowInstance)
class WorkflowInstanceAdmin(VisibleItemsAdmin):
    list_display = ("item", "workflow", "current_task", "started_at")
    list_filter = ("workflow",)
    list_select_related = ("item__item_type", "workflow", "current_task__workflow")
    search_fields = ("item__subject", "item__number", "item__relation__number", "workflow__code")
    autocomplete_fields = ("item",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "current_task":
            kwargs["queryset"] = WorkflowTask.objects.select_related("workflow")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ReviewTask)
class ReviewTaskAdmin(VisibleItemsAdmin):
    list_display = ("item", "reviewer", "state", "due_date", "review_profile")
    list_filter = ("state", "review_profile")
    list_select_related = ("item__item_type", "reviewer", "review_profile")
    search_fields = ("item__subject", "item__number", "reviewer__username")
    autocomplete_fields = ("item", "reviewer")
