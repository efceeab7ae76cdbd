"""The item's admin change page, driven by ItemSpec like every other path that changes items.

The page lays out the fields of the item's creation profile's edit page (R21) when it has
one, else every field its type offers, in ItemSpec's order. Free fields are typed inputs
built by `dossier.forms.spec_form_field`; characteristic values, projects, courses and
causes are limited to what the type allows; `ItemChangeForm.clean` runs `ItemSpec.validate`
and `dossier.services.change_item` stores the result."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.contrib.admin.utils import display_for_value
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossier.display import shown_value
from dossier.forms import GROUP_TITLES, AttachmentField, DefersToSpec, spec_form_field
from dossier.models import EXTRA_MODELS, CharacteristicValue, DossierItem
from dossier.spec import FREE_PREFIX, REGARDING_ROLES, FieldProblem, FieldSpec, Group, ItemSpec, Purpose
from dossier.values import ValueProblem

# Input for a new attachment; "attachment" is the spec's code, kept apart from the inline.
NEW_ATTACHMENT = "new_attachment"
# Shown on the page, never changed there: who made the item, when, and how.
SUBMISSION_FIELDS = (
    "submitter",
    "submitted_at",
    "creation_profile",
    "import_link",
    "created_at",
    "changed_at",
    "changed_by",
)
SUBMISSION_LINES = (
    ("submitter", "submitted_at"),
    ("creation_profile", "import_link"),
    ("created_at", "changed_at", "changed_by"),
)


def item_spec(item: DossierItem) -> ItemSpec:
    """The spec of the item's type with its creation profile, made once per loaded item.
    Changing an item is manual entry: the rules of manual entry apply."""
    if not hasattr(item, "_admin_spec"):
        item._admin_spec = ItemSpec(item.item_type, item.creation_profile, purpose=Purpose.ENTRY)
    return item._admin_spec


def page_fields(spec: ItemSpec) -> list[FieldSpec]:
    """The inputs of the page: the profile's edit page in its order (R21), else every field
    the type offers in ItemSpec's order. Hidden fields, fields the rules set (a required
    regarding role) and the attachment (added apart) are no inputs."""
    return [f for f in spec.page("edit") if f.group != Group.ATTACHMENT]


def form_name(spec: ItemSpec, field: FieldSpec) -> str:
    """The name of a spec field on the page: the item attribute it is stored in, or for a
    free field its spec code."""
    is_free, name = spec.item_routes.get(field.code, (True, field.code))
    return field.code if is_free else name


def layout(spec: ItemSpec) -> list[tuple[str | None, list[str]]]:
    """(title, form names) of the page's runs: a profile's page is one run, else one run per
    group of fields, as on the manual entry page."""
    fields = page_fields(spec)
    if spec.profile is not None and spec.profile_fields:
        return [(spec.profile.name, [form_name(spec, f) for f in fields])]
    runs: list[tuple[str | None, list[str]]] = []
    for field in fields:
        title = str(GROUP_TITLES[field.group])
        if not runs or runs[-1][0] != title:
            runs.append((title, []))
        runs[-1][1].append(form_name(spec, field))
    return runs


def labels(spec: ItemSpec) -> dict[str, str]:
    """The spec's labels (a characteristic's name, a free field's label) by form name."""
    return {form_name(spec, f): capfirst(f.label) for f in spec.fields}


class ShownFreeField:
    """A free field on the read-only page: its stored value as the item page shows it."""

    def __init__(self, spec: ItemSpec, field: FieldSpec):
        self.spec, self.field = spec, field
        self.__name__ = field.code
        self.short_description = capfirst(field.label)

    def __call__(self, item: DossierItem) -> str:
        return display_for_value(shown_value(item, self.spec, self.field), "-")


@cache
def _marked_required(field_class: type[forms.Field]) -> type[forms.Field]:
    return type(f"SpecRequired{field_class.__name__}", (DefersToSpec, field_class), {})


def mark_required(field: forms.Field) -> None:
    """Mark a field required on the page (its label, the HTML attribute); whether a value is
    needed stays ItemSpec.validate's call, which says so in its own words."""
    field.__class__ = _marked_required(type(field))
    field.required = True
    field.widget.is_required = True


class ItemChangeForm(forms.ModelForm):
    """The page's form. The admin makes a subclass per item with `spec` and `user` set, and
    the model fields of the page (`DossierItemAdmin.get_form`). After `is_valid()`,
    `validated_values` holds what `dossier.services.change_item` takes."""

    spec: ItemSpec
    user: Any = None

    class Meta:
        model = DossierItem
        fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validated_values: dict[str, Any] = {}
        self.names = {f.code: form_name(self.spec, f) for f in self.spec.fields}
        for field in page_fields(self.spec):
            name = self.names[field.code]
            if field.group == Group.FREE:
                self.fields[name] = spec_form_field(self.spec, field, initial=self._stored_free_value(field))
            elif name in self.fields:
                self._limit(field, self.fields[name])
                if field.needs_value:
                    mark_required(self.fields[name])
        if "attachment" in self.spec and not self.spec["attachment"].is_hidden:
            self.fields[NEW_ATTACHMENT] = AttachmentField(
                item_type=self.spec.item_type,
                required=False,
                label=_("Add an attachment"),
                help_text=_("Stored with the item; the attachments above stay as they are."),
            )

    def _stored_free_value(self, field: FieldSpec) -> Any:
        raw = self.instance.free_values.get(field.code.removeprefix(FREE_PREFIX))
        try:
            value = self.spec.clean(field.code, raw)  # stored as JSON text: back to a date, a decimal
        except ValueProblem:
            return raw  # shown as stored; saving it says what is wrong
        if isinstance(value, bool) and field.needs_value:
            return "true" if value else "false"  # the yes/no choice of a required free field
        return value

    def _limit(self, field: FieldSpec, form_field: forms.Field) -> None:
        """Offer (and accept) only what the type allows for this field."""
        item_type = self.spec.item_type
        if field.group == Group.CHARACTERISTIC:
            level = int(field.code.rsplit("_", 1)[1])
            characteristic_id = getattr(item_type, f"characteristic_{level}_id")
            form_field.queryset = CharacteristicValue.objects.filter(characteristic_id=characteristic_id)
            form_field.error_messages["invalid_choice"] = _(
                "This is not a value of %(characteristic)s, the characteristic type %(type)s uses here: "
                "choose one of the list."
            ) % {"characteristic": field.label, "type": item_type.code}
        elif field.group == Group.EXTRA:
            current = getattr(self.instance, f"{field.code}_id")
            form_field.queryset = EXTRA_MODELS[field.code].objects.filter(Q(is_active=True) | Q(pk=current))
            form_field.error_messages["invalid_choice"] = _(
                "There is no active %(extra)s with this code: choose one of the list."
            ) % {"extra": field.label}
        elif field.code == "cause":
            visible = DossierItem.objects.visible_to(self.user).filter(item_type=item_type)
            form_field.queryset = visible.exclude(pk=self.instance.pk).select_related("item_type")
            form_field.error_messages["invalid_choice"] = _(
                "The cause must be another item of type %(type)s that you may see: choose one of the list."
            ) % {"type": item_type.code}

    # --- cleaning --------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        values = self._stored_values()
        for field in page_fields(self.spec):
            name = self.names[field.code]
            if name in cleaned:
                values[field.code] = cleaned[name]
        if cleaned.get(NEW_ATTACHMENT):
            values["attachment"] = cleaned[NEW_ATTACHMENT]
        self.validated_values, problems = self.spec.validate(values, user=self.user)
        for problem in problems:
            self._add_problem(problem)
        return cleaned

    def _stored_values(self) -> dict[str, Any]:
        """The item's values of every field the type shows, as stored (fields not on the
        profile's page keep them), with its submitter and submit date."""
        item = self.instance
        values: dict[str, Any] = {"submitter": item.submitter, "submitted_at": item.submitted_at}
        for field in self.spec.visible_fields:
            route = self.spec.item_routes.get(field.code)
            if route is None or field.auto:
                continue
            is_free, name = route
            if is_free:
                try:
                    values[field.code] = self.spec.clean(field.code, item.free_values.get(name))
                except ValueProblem:
                    continue  # a stored value that no longer parses counts as empty
            else:
                values[field.code] = getattr(item, name)
        return values

    def _add_problem(self, problem: FieldProblem) -> None:
        """Put a spec problem on the input the user can correct; an input that failed on
        its own keeps that error only."""
        target = self.names.get(problem.field)
        if target not in self.fields and problem.field in REGARDING_ROLES:
            target = "relation"  # a role the type sets itself is about the relation chosen
        if target not in self.fields:
            target = None
        if target is not None and target in self.errors:
            return
        self.add_error(target, ValidationError(problem.message, code=problem.code))

    @property
    def new_attachment(self):
        return self.cleaned_data.get(NEW_ATTACHMENT)


WORKFLOW_TITLE = gettext_lazy("Workflow and review")
