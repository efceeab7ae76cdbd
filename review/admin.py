"""The items list and an item's admin page (`/admin/dossier/dossieritem/`): the items of
the types the user may see, with their filters (review/filters.py, the import among them),
search, a capped count (review/paging.py), the export in the import's column format
(review/export.py) and the change page laid out by ItemSpec (review/item_form.py).
Registered for dossier.DossierItem, so its addresses and URL names are the model's own."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from config.admin_base import CheckedAutocompleteFields
from config.views import error_page
from dossier.admin import VisibleItemsAdmin, url_or_none
from dossier.models import (
    Attachment,
    CharacteristicValue,
    CreationProfile,
    DossierItem,
    ItemType,
    Reaction,
    Relation,
    WorkflowInstance,
)
from dossier.services import change_item
from imports.models import ImportJob
from review import item_form
from review.export import ItemExportMixin
from review.filters import (
    CharacteristicValueFilter,
    ImportJobFilter,
    RelationFilter,
    SubmittedRangeFilter,
    VisibleTypeFilter,
    WorkflowStateFilter,
)
from review.paging import CappedCountPaginator

SUBJECT_LENGTH = 60  # characters of a subject the items list shows
NO_VIEW_PERMISSION = _(
    "You do not have the permission to view dossier items, so there is no items list for you. "
    "Ask an administrator to give it to you."
)
NO_ITEM_TYPES = _(
    "The list is empty because you are authorised for no item type: you see only the items of "
    "the types you are authorised for. Ask an administrator to authorise you for the types you need."
)


def empty_list_reason(user) -> str | None:
    """Why the items list shows nothing whatever its filters, or None: the user may see the
    items of no type (`DossierItem.objects.visible_to`)."""
    return None if ItemType.objects.authorised_for(user).exists() else str(NO_ITEM_TYPES)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fields = ("download", "size", "sha256", "created_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    @admin.display(description=_("original name"))
    def download(self, attachment: Attachment):
        # Served by the view that checks the user may see the item, never by a storage URL.
        url = url_or_none("dossier:attachment-download", attachment.pk)
        return format_html('<a href="{}">{}</a>', url, attachment.original_name) if url else attachment.original_name


class ReactionInline(CheckedAutocompleteFields, admin.TabularInline):
    model = Reaction
    fields = ("author", "text", "created_at")
    autocomplete_fields = ("author",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(DossierItem)
class DossierItemAdmin(ItemExportMixin, VisibleItemsAdmin):
    """Items are changed here, never added: a new item gets its number and its type's rules
    only through the paths that ask ItemSpec (manual entry, import). The list exports as it
    is filtered (`ItemExportMixin`, review/export.py)."""

    # Fits a 1,280 px screen: the type by its code, a long subject cut short (whole in its
    # title), the destination with its link to the relation's dossier, the date without time.
    list_display = ("number", "type_code", "short_subject", "destination", "submitted_on", "done")
    list_display_links = ("number", "short_subject")
    list_filter = (
        ("item_type", VisibleTypeFilter),
        ("import_job", ImportJobFilter),
        RelationFilter,
        SubmittedRangeFilter,
        "done",
        WorkflowStateFilter,
        CharacteristicValueFilter,
    )
    list_select_related = ("item_type", "relation", "contact__person", "contact__organisation", "submitter")
    search_fields = ("subject", "number", "relation__number", "relation__name")
    search_help_text = _(
        "A whole number finds items and relations by number; other text searches subjects and relation names."
    )
    # The unfiltered total would be a second count of every visible item on each page.
    show_full_result_count = False
    # Facet counts are one aggregate over every visible item per filter: seconds at a
    # million items, so the list does not offer them.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50  # rendering a row costs more than finding it
    paginator = CappedCountPaginator
    autocomplete_fields = ("relation", "contact", "cause", "responsible", "project", "course")
    readonly_fields = (
        "item_type",
        "number",
        "item_page",
        "relation_dossier",
        *item_form.SUBMISSION_FIELDS,
        "workflow_state",
        "review_list",
    )
    inlines = [AttachmentInline, ReactionInline]

    types_first = True  # a list of up to a million items
    import_export_change_list_template = "admin/dossier/dossieritem/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        """The list, or the reason there is none (no view permission) or it is empty (no type)."""
        if not self.has_view_or_change_permission(request):
            return error_page(request, "403.html", 403, reason=NO_VIEW_PERMISSION)
        extra_context = {**(extra_context or {}), "empty_reason": empty_list_reason(request.user)}
        return super().changelist_view(request, extra_context)

    def has_export_permission(self, request) -> bool:
        """The export permission (review/export.py: view permission on items), and a type
        whose items the user may see: without one an export would be an empty file."""
        return super().has_export_permission(request) and empty_list_reason(request.user) is None

    def get_queryset(self, request):
        # Whether the user may see the item's import job: its file name is its owner's.
        own_jobs = ImportJob.objects.visible_to(request.user).filter(pk=OuterRef("import_job"))
        return super().get_queryset(request).annotate(import_job_visible=Exists(own_jobs))

    def get_search_results(self, request, queryset, search_term):
        """A whole number is looked up by equality on the item number and the relation
        number (indexed, no LIKE scan of every item); other text in the subject and in the
        relation names. Relations are looked up first and given as constants: with a
        subquery SQLite walks the whole list in date order to find a handful of items."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit() and len(term) <= 18:
            # The type list lets unique_item_number (type, number) find the number.
            types = list(ItemType.objects.values_list("pk", flat=True))
            condition = Q(item_type__in=types, number=int(term))
            if relations := list(Relation.objects.filter(number=term).values_list("pk", flat=True)):
                condition |= Q(relation__in=relations)
            return queryset.filter(condition), False
        condition = Q()
        for word in term.split():
            relations = list(Relation.objects.filter(name__icontains=word).values_list("pk", flat=True))
            condition &= Q(subject__icontains=word) | Q(relation__in=relations)
        return queryset.filter(condition), False

    def action_checkbox(self, obj):
        # The stock checkbox renders a widget template per row: a fifth of the page's time.
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

    @admin.display(description=_("type"), ordering="item_type__code")
    def type_code(self, item: DossierItem):
        return format_html('<span title="{}">{}</span>', item.item_type.name, item.item_type.code)

    @admin.display(description=_("subject"), ordering="subject")
    def short_subject(self, item: DossierItem):
        if len(item.subject) <= SUBJECT_LENGTH:
            return item.subject or "-"
        return format_html('<span title="{}">{}…</span>', item.subject, item.subject[: SUBJECT_LENGTH - 1])

    @admin.display(description=_("relation"), ordering="relation__number")
    def destination(self, item: DossierItem):
        """The relation, linked to its central dossier (when that page is installed), else
        the contact."""
        if item.relation_id is None:
            return str(item.contact) if item.contact_id else "-"
        try:
            url = reverse("admin:dossier_relation_dossier", args=[item.relation_id])
        except NoReverseMatch:
            return str(item.relation)
        return format_html('<a href="{}">{}</a>', url, item.relation)

    @admin.display(description=_("submit date"), ordering="submitted_at")
    def submitted_on(self, item: DossierItem):
        return date_format(timezone.localtime(item.submitted_at), "SHORT_DATE_FORMAT")

    @admin.display(description=_("import"))
    def import_link(self, item: DossierItem):
        if item.import_job_id is None:
            return "-"
        if not getattr(item, "import_job_visible", False):
            return _("An import by another user.")
        url = reverse("admin:imports_importjob_change", args=[item.import_job_id])
        return format_html('<a href="{}">{}</a>', url, item.import_job)

    @admin.display(description=_("item page"))
    def item_page(self, item: DossierItem):
        url = url_or_none("dossier:item-detail", item.pk)
        return format_html('<a href="{}">{}</a>', url, _("Show the item")) if url else "-"

    # --- the change page: laid out, checked and stored through ItemSpec -----------------------

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        spec = item_form.item_spec(obj)
        runs = item_form.layout(spec)
        if not self.has_change_permission(request, obj):
            # Read-only: a free field is no model field; it shows its value as the item page does.
            shown = {f.code: item_form.ShownFreeField(spec, f) for f in spec.fields if f.free_field_code}
            runs = [(title, [shown.get(name, name) for name in names]) for title, names in runs]
        fieldsets = [(None, {"fields": (("item_type", "number"), ("item_page", "relation_dossier"))})]
        fieldsets += [(title, {"fields": names}) for title, names in runs]
        if self.has_change_permission(request, obj) and "attachment" in spec and not spec["attachment"].is_hidden:
            fieldsets.append((_("Attachment"), {"fields": (item_form.NEW_ATTACHMENT,)}))
        fieldsets.append((_("Submission"), {"fields": item_form.SUBMISSION_LINES}))
        fieldsets.append((item_form.WORKFLOW_TITLE, {"fields": ("workflow_state", "review_list")}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return super().get_form(request, obj, change, **kwargs)
        spec = item_form.item_spec(obj)
        form = type(
            "ItemChangeForm", (item_form.ItemChangeForm,), {"spec": spec, "user": request.user, "__module__": __name__}
        )
        model_fields = {f.name for f in DossierItem._meta.concrete_fields}
        names = [item_form.form_name(spec, f) for f in item_form.page_fields(spec)]
        kwargs["fields"] = [name for name in names if name in model_fields]
        return super().get_form(request, obj, change, form=form, labels=item_form.labels(spec), **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        changed = change_item(
            item=obj,
            spec=form.spec,
            values=form.validated_values,
            user=request.user,
            attachment=form.new_attachment,
        )
        workflow = getattr(obj, "workflow_instance", None)
        leads_to = form.spec.workflow_id_for(form.validated_values)
        if changed and leads_to and leads_to != getattr(workflow, "workflow_id", None):
            self.message_user(
                request,
                _("The item stays where it is in its workflows: an item enters a workflow only when it is made."),
                messages.WARNING,
            )

    @admin.display(description=_("central dossier"))
    def relation_dossier(self, item: DossierItem):
        url = url_or_none("admin:dossier_relation_dossier", item.relation_id) if item.relation_id else None
        if url is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', url, _("Open the dossier of %(relation)s") % {"relation": item.relation}
        )

    @admin.display(description=_("workflow"))
    def workflow_state(self, item: DossierItem):
        instance = WorkflowInstance.objects.filter(item=item).select_related("workflow", "current_task").first()
        if instance is None:
            return _("Not in a workflow.")
        task = instance.current_task.name if instance.current_task else _("finished")
        return _("%(workflow)s, at task %(task)s (since %(started)s)") % {
            "workflow": instance.workflow,
            "task": task,
            "started": formats.date_format(timezone.localtime(instance.started_at), "SHORT_DATETIME_FORMAT"),
        }

    @admin.display(description=_("review tasks"))
    def review_list(self, item: DossierItem):
        tasks = item.review_tasks.select_related("reviewer")
        if not tasks:
            return _("No review tasks.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}, {} {}</li>",
                (
                    (
                        task.reviewer,
                        task.get_state_display(),
                        _("due"),
                        formats.date_format(task.due_date, "SHORT_DATE_FORMAT") if task.due_date else "-",
                    )
                    for task in tasks
                ),
            ),
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name.startswith("characteristic_value_"):
            kwargs["queryset"] = CharacteristicValue.objects.select_related("characteristic")
        elif db_field.name == "creation_profile":
            kwargs["queryset"] = CreationProfile.objects.select_related("item_type")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
