"""Forms for recording dossier items by hand.

`ItemForm` is built from an `ItemSpec` and holds no rules of its own: ItemSpec.clean parses and
checks each value (Dutch dates, comma decimals, choices by code or label), and
ItemSpec.validate decides what is required and checks the item as a whole. The form only picks
widgets and turns the numbers and codes a user types into the objects they name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.urls import reverse
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossier.access import may_use_profile, usable_item_types
from dossier.attachments import Where, accept_attribute, check_attachment, limits_text
from dossier.models import (
    EXTRA_MODELS,
    Contact,
    CreationProfile,
    DossierExtra,
    DossierItem,
    ItemType,
    Relation,
)
from dossier.spec import (
    REFERENCE_KINDS,
    REGARDING_ROLES,
    FieldProblem,
    FieldSpec,
    Group,
    ItemSpec,
    Kind,
    unknown_relation_message,
)
from dossier.values import ValueProblem

# --- turning a typed key into the object it names -------------------------------------------


def resolve_relation(number: str) -> Relation:
    """A relation by its number; a role's number gets a message naming the number to use (R19)."""
    relation = Relation.objects.filter(number=number).first()
    if relation is None:
        holder = Relation.objects.holders_of_role_numbers([number]).get(number)
        raise ValidationError(
            unknown_relation_message(number, holder), code="role_number" if holder else "unknown_relation"
        )
    return relation


def resolve_contact(contact_id: str) -> Contact:
    contact = Contact.objects.select_related("organisation", "person").filter(contact_id=contact_id).first()
    if contact is None:
        raise ValidationError(
            _("No contact has id %(value)s. Enter the contact id of a person at the organisation.")
            % {"value": contact_id},
            code="unknown_contact",
        )
    return contact


def resolve_user(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError(
            _("No active user has the user name %(value)s.") % {"value": username}, code="unknown_user"
        )
    return user


def resolve_item(number: str, *, item_type: ItemType, user) -> DossierItem:
    """An earlier item of the same type, by its number (numbers are per type, R28)."""
    item = None
    if number.isdigit():
        item = DossierItem.objects.visible_to(user).filter(item_type=item_type, number=int(number)).first()
    if item is None:
        raise ValidationError(
            _("Type %(type)s has no item with number %(value)s.") % {"type": item_type.code, "value": number},
            code="unknown_item",
        )
    return item


def resolve_extra(code: str, *, model: type[DossierExtra]) -> DossierExtra:
    extra = model.objects.filter(code=code).first()
    if extra is None:
        raise ValidationError(
            _("No %(extra)s has the code %(value)s.") % {"extra": model._meta.verbose_name, "value": code},
            code="unknown_extra",
        )
    return extra


# --- form fields that defer to the spec ------------------------------------------------------


class DefersToSpec:
    """Whether a value is needed is ItemSpec.validate's call. The field still carries
    `required`, but only so the page marks it (label, HTML attribute)."""

    empty_values: list

    def validate(self, value) -> None:
        if value in self.empty_values:
            return
        super().validate(value)  # type: ignore[misc]


class ParsedBySpec(DefersToSpec):
    """A value parsed and checked by ItemSpec.clean, then, when it names something, resolved."""

    def __init__(self, *, spec: ItemSpec, code: str, resolve: Callable[[Any], Any] | None = None, **kwargs):
        self.spec, self.code, self.resolve = spec, code, resolve
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            value = self.spec.clean(self.code, value)
        except ValueProblem as problem:
            raise ValidationError(problem.message, code=problem.code) from None
        if value is None or self.resolve is None:
            return value
        return self.resolve(value)

    def validate(self, value) -> None:
        pass  # ItemSpec.clean has checked the value itself


class SpecCharField(ParsedBySpec, forms.CharField):
    pass


class SpecIntegerField(ParsedBySpec, forms.IntegerField):
    pass


class SpecDecimalField(ParsedBySpec, forms.DecimalField):
    pass


class SpecDateField(ParsedBySpec, forms.DateField):
    pass


class SpecDateTimeField(ParsedBySpec, forms.DateTimeField):
    pass


class SpecChoiceField(ParsedBySpec, forms.ChoiceField):
    pass


class ExtraChoiceField(DefersToSpec, forms.ModelChoiceField):
    pass


class AttachmentField(DefersToSpec, forms.FileField):
    """A file to attach, refused as the import refuses it (dossier.attachments.check_attachment:
    too large, of a type not accepted, empty, its name too long), naming the file and the limit.
    Beside the input, the page says the limits; the browser offers the accepted types."""

    def __init__(self, *, help_text: str = "", **kwargs):
        limits = limits_text()
        help_text = format_lazy("{} {}", help_text, limits) if help_text and limits else help_text or limits or ""
        super().__init__(help_text=help_text, allow_empty_file=True, **kwargs)  # an empty file: the rule says so
        if accept := accept_attribute():
            self.widget.attrs["accept"] = accept

    def validate(self, value) -> None:
        super().validate(value)
        if value in self.empty_values:
            return
        problems = check_attachment(value.name, value.size, where=Where.FORM)
        if problems:
            raise ValidationError([ValidationError(problem.message, code=problem.code) for problem in problems])


EMPTY_CHOICE = ("", BLANK_CHOICE_LABEL)
GROUP_TITLES = {
    Group.OPTION: gettext_lazy("Item"),
    Group.SUBMISSION: gettext_lazy("Submission"),
    Group.DESTINATION: gettext_lazy("Destination"),
    Group.REGARDING: gettext_lazy("Regarding"),
    Group.EXTRA: gettext_lazy("Dossier extras"),
    Group.CHARACTERISTIC: gettext_lazy("Characteristics"),
    Group.FREE: gettext_lazy("Free fields"),
    Group.ATTACHMENT: gettext_lazy("Attachment"),
}


def spec_form_field(
    spec: ItemSpec, field: FieldSpec, *, initial: Any = None, resolve: Callable[[str], Any] | None = None
) -> forms.Field:
    """The form field of one spec field: parsed by ItemSpec.clean, marked required when the spec
    needs a value, and for a reference resolved by `resolve`."""
    common = {"label": capfirst(field.label), "required": field.needs_value, "initial": initial}
    parsed = {"spec": spec, "code": field.code, **common}
    match field.kind:
        case Kind.TEXT:
            return SpecCharField(max_length=field.max_length, **parsed)
        case Kind.LONG_TEXT:
            return SpecCharField(widget=forms.Textarea(attrs={"rows": 5, "class": "vLargeTextField"}), **parsed)
        case Kind.INTEGER:
            return SpecIntegerField(widget=forms.TextInput(attrs={"inputmode": "numeric"}), **parsed)
        case Kind.DECIMAL:
            return SpecDecimalField(
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                help_text=_("For example 1234,56 or 1.234,56."),
                **parsed,
            )
        case Kind.DATE:
            widget = forms.DateInput(format="%d-%m-%Y", attrs={"placeholder": _("dd-mm-yyyy"), "class": "vDateField"})
            return SpecDateField(widget=widget, **parsed)
        case Kind.DATETIME:
            widget = forms.DateTimeInput(format="%d-%m-%Y %H:%M", attrs={"placeholder": _("dd-mm-yyyy hh:mm")})
            return SpecDateTimeField(widget=widget, **parsed)
        case Kind.BOOLEAN if field.needs_value:
            # A required yes/no must be answered; an unticked box would always answer "no".
            choices = [EMPTY_CHOICE, ("true", _("yes")), ("false", _("no"))]
            return SpecChoiceField(choices=choices, **parsed)
        case Kind.BOOLEAN:
            return forms.BooleanField(required=False, label=common["label"], initial=common["initial"])
        case Kind.CHOICE | Kind.CHARACTERISTIC:  # offered by label ("Hoog"), posted by code
            return SpecChoiceField(choices=[EMPTY_CHOICE, *field.choices.items()], **parsed)
        case Kind.EXTRA:
            queryset = EXTRA_MODELS[field.code].objects.filter(is_active=True)
            return ExtraChoiceField(queryset=queryset, to_field_name="code", **common)
        case Kind.FILE:
            return AttachmentField(**common)
        case Kind.RELATION:
            help_text = _("The relation number; not an employee, debtor, creditor or applicant number.")
            return SpecCharField(resolve=resolve, help_text=help_text, **parsed)
        case Kind.CONTACT:
            return SpecCharField(resolve=resolve, help_text=_("The contact id."), **parsed)
        case Kind.USER:
            return SpecCharField(resolve=resolve, help_text=_("A user name."), **parsed)
        case Kind.ITEM:
            help_text = _("The number of an earlier item of this type.")
            return SpecCharField(resolve=resolve, help_text=help_text, **parsed)
    raise ValueError(f"No form field for kind {field.kind}")


class ItemForm(forms.Form):
    """One item of the spec's type, with the fields of the spec's edit page in its order.

    After `is_valid()`, `validated_values` holds what `dossier.services.create_item` takes."""

    required_css_class = "required"
    error_css_class = "errors"

    def __init__(self, spec: ItemSpec, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec, self.user = spec, user
        self.validated_values: dict[str, Any] = {}
        self.page = spec.page("edit")
        for field in self.page:
            self.fields[field.code] = self._form_field(field)

    # --- building ------------------------------------------------------------------------

    def _resolver(self, field: FieldSpec) -> Callable[[str], Any] | None:
        match field.kind:
            case Kind.RELATION:
                return resolve_relation
            case Kind.CONTACT:
                return resolve_contact
            case Kind.USER:
                return resolve_user
            case Kind.ITEM:
                return partial(resolve_item, item_type=self.spec.item_type, user=self.user)
            case Kind.EXTRA:
                return partial(resolve_extra, model=EXTRA_MODELS[field.code])
        return None

    def _form_field(self, field: FieldSpec) -> forms.Field:
        return spec_form_field(self.spec, field, initial=self._initial(field), resolve=self._resolver(field))

    def _initial(self, field: FieldSpec) -> Any:
        """The profile default, as the widget shows it; for "submitter as default responsible",
        the user entering the item."""
        if field.default in (None, ""):
            if field.code == "responsible" and self.spec.item_type.submitter_is_default_responsible:
                return self.user.get_username()
            return None
        try:
            value = self.spec.clean(field.code, field.default)
        except ValueProblem:
            return field.default  # shown as the admin typed it; submitting it shows what is wrong
        return getattr(value, "code", value)  # a characteristic value by its code

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The page's fields in runs of one group each; a profile's page is one run, in its order."""
        if self.spec.profile is not None and self.spec.profile_fields:
            return [(self.spec.profile.name, [self[f.code] for f in self.page])]
        result: list[tuple[str, list[forms.BoundField]]] = []
        for field in self.page:
            title = str(GROUP_TITLES[field.group])
            if not result or result[-1][0] != title:
                result.append((title, []))
            result[-1][1].append(self[field.code])
        return result

    # --- cleaning --------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        values = {code: value for code, value in cleaned.items() if value not in (None, "")}
        defaults, usable = self._reference_defaults(values)
        if not usable:
            return cleaned  # ItemSpec.validate would fill in the unresolvable key itself
        self.validated_values, problems = self.spec.validate({**values, **defaults}, user=self.user)
        for problem in problems:
            self._add_problem(problem)
        return cleaned

    def _reference_defaults(self, values: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """ItemSpec.validate fills in profile defaults but cannot look up what a default names
        (a relation number, a project code): those arrive resolved from here, for every
        reference field left empty, failed or hidden by the profile. False when one of them
        names nothing."""
        result, usable = {}, True
        for field in self.spec.fields:
            if field.kind not in REFERENCE_KINDS or field.default in (None, "") or field.code in values:
                continue
            try:
                result[field.code] = self._resolver(field)(self.spec.clean(field.code, field.default))
            except (ValidationError, ValueProblem) as error:
                message = " ".join(error.messages) if isinstance(error, ValidationError) else error.message
                usable = False
                self._add_problem(
                    FieldProblem(
                        field.code,
                        "invalid_default",
                        _("The creation profile's default for %(field)s cannot be used: %(problem)s")
                        % {"field": field.label, "problem": message},
                    )
                )
        return result, usable

    def _add_problem(self, problem: FieldProblem) -> None:
        """Put a spec problem on the field the user can correct. A field that already failed on
        its own keeps that error only: the spec then saw no value for it."""
        target = problem.field if problem.field in self.fields else None
        if target is None and problem.field in REGARDING_ROLES and "relation" in self.fields:
            target = "relation"  # a role the type sets itself is about the relation chosen
        if target is not None and target in self.errors:
            return
        self.add_error(target, ValidationError(problem.message, code=problem.code))

    @property
    def attachment(self):
        return self.validated_values.get("attachment")


class ChooseTypeForm(forms.Form):
    """Pick a type the user may use (R3) and, optionally, one of its active creation profiles
    (R21); `target_url` is the page that goes on with them. The import wizard's first step
    extends it (imports.forms.ChooseTypeForm)."""

    target = "dossier:record-item"

    item_type = forms.ModelChoiceField(
        queryset=ItemType.objects.none(), to_field_name="code", label=gettext_lazy("Type")
    )
    profile = forms.ModelChoiceField(
        queryset=CreationProfile.objects.none(), required=False, label=gettext_lazy("Creation profile")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        types = usable_item_types(user)
        self.fields["item_type"].queryset = types
        self.fields["profile"].queryset = CreationProfile.objects.filter(
            is_active=True, item_type__in=types
        ).select_related("item_type")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        item_type, profile = cleaned.get("item_type"), cleaned.get("profile")
        if item_type is not None and profile is not None and not may_use_profile(item_type, profile):
            self.add_error(
                "profile",
                ValidationError(self.other_type_message(item_type, profile), code="profile_of_other_type"),
            )
        return cleaned

    def other_type_message(self, item_type: ItemType, profile: CreationProfile) -> str:
        return _("Profile %(profile)s belongs to type %(other)s: choose a profile of type %(type)s or none.") % {
            "profile": profile.name,
            "other": profile.item_type.code,
            "type": item_type.code,
        }

    def target_url(self) -> str:
        url = reverse(self.target, args=[self.cleaned_data["item_type"].code])
        if profile := self.cleaned_data.get("profile"):
            url += "?" + urlencode({"profile": profile.code})
        return url
