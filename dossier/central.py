"""The central dossier of one relation (`/admin/dossier/relation/<pk>/dossier/`): every item
whose destination is the relation or one of its contacts, newest first, filtered by type,
submit date and done, and paged.

What is shown starts from `DossierItem.objects.visible_to(user)`; which items belong to the
relation is `DossierItemQuerySet.for_relation`. The number of queries does not depend on the
number of items: the counts are one grouped query, the page one query, its attachments (name
and size, each with its download link) one more.

"All files of this person" (`relation_files`) is one ZIP of the attachments of every item of
the dossier the user may see, streamed (dossier/reading.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Func, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossier.models import ROLE_ACCESSORS, ROLE_MODELS, Attachment, DossierItem, ItemType, Relation
from dossier.reading import zip_response
from dossier.spec import REGARDING_ROLES

PER_PAGE = 50
DONE_CHOICES = {"yes": True, "no": False}


class DossierFilterForm(forms.Form):
    """The filters of the dossier: a plain GET form. A value that does not fit is named on
    the page and not applied; the other filters still are."""

    type = forms.ModelChoiceField(
        label=gettext_lazy("Type"),
        queryset=ItemType.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All types"),
    )
    submitted_from = forms.DateField(
        label=gettext_lazy("Submitted from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    submitted_to = forms.DateField(
        label=gettext_lazy("Submitted up to and including"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    done = forms.ChoiceField(
        label=gettext_lazy("Done"),
        required=False,
        choices=[("", gettext_lazy("All")), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))],
    )

    def __init__(self, data, *, item_types: QuerySet[ItemType], type_counts: dict[int, int]):
        super().__init__(data)
        field = self.fields["type"]
        field.queryset = item_types
        field.label_from_instance = lambda item_type: (
            _("%(code)s %(name)s (%(count)s)")
            % {
                "code": item_type.code,
                "name": item_type.name,
                "count": type_counts.get(item_type.pk, 0),
            }
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", _("The end date is before the start date; choose a later end date."))
        return cleaned

    def applied(self) -> dict[str, Any]:
        """The filters whose values are valid (all of them on a bound, valid form)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


def filter_items(items: QuerySet[DossierItem], filters: dict[str, Any]) -> QuerySet[DossierItem]:
    if item_type := filters.get("type"):
        items = items.filter(item_type=item_type)
    # Whole days in the site's time zone, as ranges on the column (its index stays usable).
    if start := filters.get("submitted_from"):
        items = items.filter(submitted_at__gte=_start_of(start))
    if end := filters.get("submitted_to"):
        items = items.filter(submitted_at__lt=_start_of(end + dt.timedelta(days=1)))
    if (done := filters.get("done")) in DONE_CHOICES:
        items = items.filter(done=DONE_CHOICES[done])
    return items


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class DossierCounts:
    total: int
    done: int
    by_type: dict[int, int]

    @property
    def open(self) -> int:
        return self.total - self.done


def count_items(items: QuerySet[DossierItem]) -> DossierCounts:
    # Not COUNT(id): the relation and contact indexes hold the type and done but not the
    # key, and PostgreSQL counts from the index alone only when it names no other column.
    rows = items.order_by().values("item_type").annotate(n=Count("*"), n_done=Count("done", filter=Q(done=True)))
    by_type = {row["item_type"]: row["n"] for row in rows}
    return DossierCounts(total=sum(by_type.values()), done=sum(row["n_done"] for row in rows), by_type=by_type)


def relation_roles(relation: Relation) -> list[tuple[str, str]]:
    """(role name, role number) of the roles the relation holds (fetched with it)."""
    held = []
    for code, model in ROLE_MODELS.items():
        role = getattr(relation, ROLE_ACCESSORS[code], None)
        if role is not None:
            held.append((str(model._meta.verbose_name), role.number))
    return held


REGARDING_LABELS = {code: DossierItem._meta.get_field(code).verbose_name for code in REGARDING_ROLES}


def regarding(item: DossierItem) -> list[str]:
    """The roles of its destination the item regards (R13), as the item's field labels say."""
    return [str(label) for code, label in REGARDING_LABELS.items() if getattr(item, code)]


def page_links(page, query: dict[str, Any]) -> list[dict[str, Any]]:
    links = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.paginator.ELLIPSIS:
            links.append({"label": number})
        else:
            links.append(
                {"label": number, "current": number == page.number, "query": urlencode({**query, "p": number})}
            )
    return links


def listed_attachments() -> QuerySet[Attachment]:
    """What a list shows of each attachment: its name and size (and its key for the links)."""
    return Attachment.objects.only("pk", "item_id", "original_name", "size")


def _get_relation(model_admin, request: HttpRequest, object_id: str) -> Relation:
    """The relation of a dossier page, for a user who may view relations (403 otherwise);
    404 for a key that names none."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    relations = model_admin.get_queryset(request).select_related(*ROLE_ACCESSORS.values())
    relation = relations.filter(pk=object_id).first() if str(object_id).isdigit() else None
    if relation is None:
        raise Http404(_("There is no organisation or person with this key."))
    return relation


def relation_files(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    """All files of the dossier of one relation that the user may see, as one streamed ZIP
    (`RelationAdmin.get_urls`): `NUMBER files.zip`, each file named by its item."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    relation = _get_relation(model_admin, request, object_id)
    items = DossierItem.objects.visible_to(request.user).for_relation(relation)
    attachments = (
        Attachment.objects.filter(item__in=items.values("pk"))
        .select_related("item__item_type")
        .only("pk", "file", "original_name", "item__number", "item__item_type__code")
        .order_by("item__item_type__code", "item__number", "pk")
    )
    return zip_response(attachments.iterator(), filename=_("%(number)s files.zip") % {"number": relation.number})


def relation_dossier(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    """The central dossier page, as a view of the relations' admin (`RelationAdmin.get_urls`)."""
    relation = _get_relation(model_admin, request, object_id)

    visible = DossierItem.objects.visible_to(request.user)
    contacts = list(relation.own_contacts().select_related("person", "organisation"))
    in_dossier = visible.for_relation(relation)
    counts = count_items(in_dossier)
    item_types = ItemType.objects.authorised_for(request.user).order_by("code")
    form = DossierFilterForm(
        request.GET if any(name in request.GET for name in DossierFilterForm.base_fields) else None,
        item_types=item_types,
        type_counts=counts.by_type,
    )
    filters = form.applied()
    items = filter_items(in_dossier, filters).order_by("-submitted_at", "-pk")
    items = items.select_related(
        "item_type",
        "relation",
        "contact__person",
        "contact__organisation",
        "workflow_instance__workflow",
        "workflow_instance__current_task",
    )

    paginator = Paginator(items, PER_PAGE)
    if set(filters) <= {"type"}:  # the header's counts already hold the number: no second count
        paginator.count = counts.by_type.get(filters["type"].pk, 0) if filters else counts.total
    page_problem = None
    try:
        page = paginator.page(request.GET.get("p") or 1)
    except PageNotAnInteger:
        page_problem = _("The page number is not a number; the first page is shown.")
        page = paginator.page(1)
    except EmptyPage:
        page_problem = _("There is no page %(number)s; the last page is shown.") % {"number": request.GET.get("p")}
        page = paginator.page(paginator.num_pages)
    rows = list(page.object_list)
    prefetch_related_objects(rows, Prefetch("attachments", queryset=listed_attachments()))
    for item in rows:
        item.regards = regarding(item)
        item.workflow = getattr(item, "workflow_instance", None)

    query = {name: request.GET[name] for name in DossierFilterForm.base_fields if request.GET.get(name)}
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Dossier of %(relation)s") % {"relation": relation},
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "original": relation,
        "relation": relation,
        "roles": relation_roles(relation),
        "contacts": contacts,
        "counts": counts,
        "form": form,
        "filtered": bool(filters),
        "page": page,
        "rows": rows,
        "page_links": page_links(page, query) if paginator.num_pages > 1 else [],
        "page_problem": page_problem,
        "files_url": reverse("admin:dossier_relation_files", args=[relation.pk]),
    }
    return TemplateResponse(request, "admin/dossier/relation/dossier.html", context)


class RelationChangeList(ChangeList):
    """The relations list, each row with the number of items of its dossier the user may see:
    one subquery per shown row inside the list's one query (`RelationAdmin.items`)."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.annotate(item_count=visible_item_count(request.user))


def visible_item_count(user) -> Coalesce:
    """The number of items in the dossier of the outer relation that `user` may see: the sum
    of the counts of the parts of `for_relation`."""
    parts = DossierItem.objects.visible_to(user).for_relation_in_parts(OuterRef("pk"))
    return sum((_count(part) for part in parts[1:]), _count(parts[0]))


def _count(items: QuerySet[DossierItem]) -> Coalesce:
    return Coalesce(Subquery(items.order_by().annotate(n=Func(Value(1), function="COUNT")).values("n")), 0)
