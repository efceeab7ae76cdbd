"""The filters of the items list (`DossierItemAdmin`). Every choice and every count comes from
the items the user may see (`DossierItem.objects.visible_to`): the list's queryset, or a
type set taken from `ItemType.objects.authorised_for`, the same rule's source."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossier.models import (
    CharacteristicCombination,
    CharacteristicValue,
    DossierItem,
    ItemType,
    Relation,
    WorkflowInstance,
    WorkflowTask,
)
from imports.models import ImportJob


class VisibleTypeFilter(admin.RelatedFieldListFilter):
    """Only the types the user is authorised for: a type he may not see is never named."""

    def field_choices(self, field, request, model_admin):
        return [(t.pk, str(t)) for t in ItemType.objects.authorised_for(request.user).order_by("code")]

    def has_output(self) -> bool:
        # A filter without output is not applied at all: a type asked for in the address (one
        # the user may not see, or his only one) must still narrow the list, never widen it.
        return super().has_output() or bool(self.lookup_val or self.lookup_val_isnull)


class ImportJobFilter(admin.RelatedOnlyFieldListFilter):
    """The imports that created visible items, of those the user may see (his own; all for
    superusers).

    The choices cost one probe of the item's import index per job: the existence of the
    job's items, without the visibility rule, which is applied to the job's type instead
    (a job's items are all of its type). The rule on the items themselves would have the
    database walk the type's items for every job that created nothing.

    An import the user may not see (another user's, one that does not exist, or a lookup on
    anything but the import's key) is said so in a message and lists nothing, never the
    list without the filter: a link on it is not "the filtered list", nor is its export."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        own = {f"{field_path}__{field.target_field.name}__exact", f"{field_path}__isnull"}
        # Any other lookup on the import (import_job=, import_job__in=, import_job__user=)
        # would filter on something this filter does not check: refused as a whole.
        foreign = [name for name in params if name.split("__")[0] == field_path and name not in own]
        for name in foreign:
            params.pop(name)
        super().__init__(field, request, params, model, model_admin, field_path)
        self.refused = bool(foreign) or not self._may_see(request.user, self.lookup_val or [])
        if self.refused:
            messages.warning(request, REFUSED_IMPORT)

    @staticmethod
    def _may_see(user, values: list[str]) -> bool:
        keys = set()
        for value in values:
            try:
                keys.add(uuid.UUID(str(value)))
            except ValueError:
                return False
        return not keys or ImportJob.objects.visible_to(user).filter(pk__in=keys).count() == len(keys)

    def has_output(self) -> bool:
        # Without output the filter would not be applied: the list would show every item.
        return super().has_output() or bool(self.lookup_val or self.lookup_val_isnull or self.refused)

    def queryset(self, request, queryset):
        if self.refused:
            return queryset.none()
        return super().queryset(request, queryset)

    def field_choices(self, field, request, model_admin):
        made = DossierItem.objects.filter(import_job=OuterRef("pk"))
        jobs = ImportJob.objects.visible_to(request.user).filter(Exists(made))
        if not request.user.is_superuser:
            jobs = jobs.filter(
                item_type__in=list(ItemType.objects.authorised_for(request.user).values_list("pk", flat=True))
            )
        jobs = jobs.select_related("item_type").order_by("-created_at")
        return [(job.pk, f"{job.created_at:%Y-%m-%d %H:%M} {job}") for job in jobs]


REFUSED_IMPORT = _(
    "The list was asked for the items of an import that does not exist or that you may not see: "
    "it shows no items. Choose one of your imports under 'import'."
)


class InputFilter(admin.ListFilter):
    """A filter with input fields and a submit button instead of links. The form repeats
    the list's other parameters as hidden fields, so it narrows the list as it is."""

    template = "admin/dossier/dossieritem/input_filter.html"
    form_class: type[forms.Form]

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        raw = {}
        for name in self.expected_parameters():
            if name in params:
                value = params.pop(name)[-1].strip()
                if value:
                    raw[name] = value
        self.form = self.form_class(raw or None, auto_id="id_filter_%s")
        self.used_parameters = raw
        if raw and not self.form.is_valid():
            for errors in self.form.errors.values():
                for error in errors:
                    messages.error(request, error)

    def expected_parameters(self):
        return list(self.form_class.base_fields)

    def has_output(self):
        return True

    def values(self) -> dict:
        return self.form.cleaned_data if self.used_parameters and self.form.is_valid() else {}

    def choices(self, changelist):
        own = set(self.expected_parameters())
        hidden = [
            (name, value)
            for name, values in changelist.params.items()
            if name not in own and name != "p"
            for value in (values if isinstance(values, list) else [values])
        ]
        if changelist.query:
            hidden.append(("q", changelist.query))
        yield {
            "form": self.form,
            "hidden": hidden,
            "selected": bool(self.used_parameters),
            "clear_query_string": changelist.get_query_string(remove=self.expected_parameters()),
        }


class RelationForm(forms.Form):
    relation = forms.CharField(label=_("Number or name"), max_length=100, required=False)


class RelationFilter(InputFilter):
    """Items whose destination is a relation with this number, or whose name contains the
    text."""

    title = _("organisation/person")
    form_class = RelationForm

    def queryset(self, request, queryset):
        text = self.values().get("relation")
        if not text:
            return queryset
        # Constants, not a subquery: the planner then reads the relation index.
        relations = Relation.objects.filter(Q(number=text) | Q(name__icontains=text)).values_list("pk", flat=True)
        return queryset.filter(relation__in=list(relations))


class DateRangeForm(forms.Form):
    submitted_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    submitted_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The submit date range starts after it ends: swap the two dates."))
        return data


class SubmittedRangeFilter(InputFilter):
    """Items submitted on or after the first date and on or before the second (whole days in
    the site's time zone); either end may stay open."""

    title = _("submit date")
    form_class = DateRangeForm

    def queryset(self, request, queryset):
        values = self.values()
        if start := values.get("submitted_from"):
            queryset = queryset.filter(submitted_at__gte=_midnight(start))
        if end := values.get("submitted_to"):
            queryset = queryset.filter(submitted_at__lt=_midnight(end + dt.timedelta(days=1)))
        return queryset


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class CountedFilter(admin.SimpleListFilter):
    """A SimpleListFilter whose facet counts are plain conditions on the item row (the stock
    one counts with a subquery per choice)."""

    def condition(self, value: str) -> Q | None:
        raise NotImplementedError

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        condition = self.condition(value)
        return queryset.filter(condition) if condition is not None else queryset.none()

    def get_facet_counts(self, pk_attname, filtered_qs):
        counts = {}
        for i, (value, _title) in enumerate(self.lookup_choices):
            condition = self.condition(str(value))
            if condition is not None:
                counts[f"{i}__c"] = Count(pk_attname, filter=condition)
        return counts


NO_WORKFLOW, FINISHED = "none", "finished"
# Up to this many items, a filter that can find its items by a small index gives the database
# their keys: it reads them and sorts a few thousand rows, where the list's order would have
# it walk the user's items to meet them (all of them, when none of his items match).
FEW_ITEMS = 5000


class WorkflowStateFilter(CountedFilter):
    """The current task of the item's workflow, or no workflow, or a finished one. Tasks are
    offered of the workflows the user's types lead into (their characteristic combinations,
    R17): read from the configuration, never from the items."""

    title = _("workflow state")
    parameter_name = "workflow"

    def lookups(self, request, model_admin):
        types = ItemType.objects.authorised_for(request.user)
        combinations = CharacteristicCombination.objects.filter(item_type__in=types.values("pk"))
        tasks = WorkflowTask.objects.filter(workflow__in=combinations.values("workflow")).select_related("workflow")
        return [
            (NO_WORKFLOW, _("No workflow")),
            *((task.pk, f"{task.workflow.name}: {task.name}") for task in tasks),
            (FINISHED, _("Finished")),
        ]

    def queryset(self, request, queryset):
        """A task (or finished) few items are at is given as those items' keys, read from the
        instance table: on the condition alone PostgreSQL walks the items in the list's order
        and fetches each row for its type (a user of several types) to meet the few."""
        value = self.value()
        if value is not None and (instances := self._instances(value)) is not None:
            keys = list(instances.values_list("item", flat=True)[: FEW_ITEMS + 1])
            if len(keys) <= FEW_ITEMS:
                return queryset.filter(pk__in=keys)
        return super().queryset(request, queryset)

    @staticmethod
    def _instances(value: str):
        if value == FINISHED:
            return WorkflowInstance.objects.filter(current_task=None)
        if value.isdigit():
            return WorkflowInstance.objects.filter(current_task=int(value))
        return None

    def condition(self, value):
        # Uncorrelated subqueries: the database reads the (small) instance table once, where
        # a correlated EXISTS would probe it once for every item counted.
        instances = WorkflowInstance.objects.values("item")
        if value == NO_WORKFLOW:
            return ~Q(pk__in=instances)
        if value == FINISHED:
            return Q(pk__in=instances.filter(current_task=None))
        if value.isdigit():
            return Q(pk__in=instances.filter(current_task=int(value)))
        return None


class CharacteristicValueFilter(CountedFilter):
    """A value of the characteristics of the types the user may see, at any of the three
    levels.

    A value few items hold (at most FEW_ITEMS, read from the three levels' indexes)
    is given to the database as those items' keys: on the condition alone the planner walks
    the user's items in the list's order, all of them for a value none of them holds (a
    second at a million items on SQLite, which has no per-value statistics). A common value
    keeps the condition: that walk then meets a page of items at once."""

    title = _("characteristic")
    parameter_name = "characteristic"

    def queryset(self, request, queryset):
        value = self.value()
        if value is not None and value.isdigit() and (keys := items_with_rare_value(int(value))) is not None:
            return queryset.filter(pk__in=keys)
        return super().queryset(request, queryset)

    def lookups(self, request, model_admin):
        types = ItemType.objects.authorised_for(request.user).filter(use_characteristics=True)
        used = Q()
        for level in (1, 2, 3):
            used |= Q(characteristic__in=types.values(f"characteristic_{level}"))
        values = CharacteristicValue.objects.filter(used).select_related("characteristic")
        return [(value.pk, f"{value.characteristic.name}: {value.label}") for value in values]

    def condition(self, value):
        if not value.isdigit():
            return None
        return Q(characteristic_value_1=value) | Q(characteristic_value_2=value) | Q(characteristic_value_3=value)


def items_with_rare_value(value: int) -> list[int] | None:
    """The keys of the items that hold the characteristic value at any level, when there are
    at most FEW_ITEMS of them; None when there are more. At most three index probes of
    FEW_ITEMS + 1 entries each, whatever the number of items."""
    keys: set[int] = set()
    for level in (1, 2, 3):
        found = DossierItem.objects.filter(**{f"characteristic_value_{level}": value}).order_by()
        keys.update(found.values_list("pk", flat=True)[: FEW_ITEMS + 1])
        if len(keys) > FEW_ITEMS:
            return None
    return sorted(keys)
