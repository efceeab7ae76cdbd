"""Admin base classes every app's ModelAdmins share. Like all of config/, this module imports
no app: a model takes part through its manager's `visible_to(user)`, the one visibility rule."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import NestedObjects, quote
from django.contrib.admin.widgets import AutocompleteMixin
from django.core.exceptions import ValidationError
from django.db import router
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


def deleted_objects(objs, request, admin_site):
    """Django's `get_deleted_objects`, except that an object the visibility rule hides from
    the user (an item of a confidential type or a part of one, another user's import job)
    is named by its kind only. A delete page of a relation, type or user lists the items that
    protect it; their subjects are not every deleter's to read."""
    if not objs:
        return [], {}, set(), []
    collector = NestedObjects(using=router.db_for_write(objs[0]._meta.model), origin=objs)
    collector.collect(objs)
    hidden = _hidden_objects([*collector.protected, *(o for found in collector.data.values() for o in found)], request)
    perms_needed = set()

    def format_callback(obj):
        opts = obj._meta
        if (type(obj), obj.pk) in hidden:
            return format_html("{}: {}", capfirst(opts.verbose_name), _("not shown (you may not see it)"))
        model_admin = admin_site.get_model_admin(obj.__class__) if admin_site.is_registered(obj.__class__) else None
        if model_admin is None:
            return format_html("{}: {}", capfirst(opts.verbose_name), obj)
        if not model_admin.has_delete_permission(request, obj):
            perms_needed.add(opts.verbose_name)
        try:
            url = reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
        except NoReverseMatch:
            return format_html("{}: {}", capfirst(opts.verbose_name), obj)
        return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)

    to_delete = collector.nested(format_callback)
    protected = [format_callback(obj) for obj in collector.protected]
    model_count = {model._meta.verbose_name_plural: len(found) for model, found in collector.model_objs.items()}
    return to_delete, model_count, perms_needed, protected


def _hidden_objects(objects, request) -> set[tuple[type, object]]:
    """(model, pk) of the objects among `objects` that the user may not see: one query per
    model that has a `visible_to` rule."""
    by_model: dict[type, set] = {}
    for obj in objects:
        if hasattr(type(obj)._default_manager, "visible_to"):
            by_model.setdefault(type(obj), set()).add(obj.pk)
    hidden = set()
    for model, pks in by_model.items():
        visible = set(model._default_manager.visible_to(request.user).filter(pk__in=pks).values_list("pk", flat=True))
        hidden |= {(model, pk) for pk in pks - visible}
    return hidden


class RedactedDeletionMixin:
    """Delete pages name hidden objects by their kind only (see `deleted_objects`)."""

    def get_deleted_objects(self, objs, request):
        return deleted_objects(objs, request, self.admin_site)


class CheckedAutocompleteMixin:
    """Django's autocomplete widget looks the posted value up to show it again
    (`AutocompleteMixin.optgroups`) before the form's own check has a say, so a forged
    value ("abc" for a relation) ended in a server error when a form with another mistake
    was shown again. The values its field would refuse are left out of that lookup; the
    form field still says what is wrong."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.attname)
        return super().optgroups(name, [v for v in value if _is_valid_key(target, v)], attr)


def _is_valid_key(field, value) -> bool:
    try:
        field.run_validators(field.to_python(value))
    except (ValidationError, TypeError, ValueError, OverflowError):
        return False
    return True


class CheckedAutocompleteSelect(CheckedAutocompleteMixin, admin.widgets.AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(CheckedAutocompleteMixin, admin.widgets.AutocompleteSelectMultiple):
    pass


class CheckedAutocompleteFields:
    """A ModelAdmin's or inline's `autocomplete_fields` with `CheckedAutocompleteSelect`, and its
    many-to-many selects refusing a key out of range as an invalid choice."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        _check_autocomplete(field)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        _check_autocomplete(field)
        if type(field) is forms.ModelMultipleChoiceField:
            field.__class__ = CheckedModelMultipleChoiceField
        return field


class CheckedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, except that a key beyond the database's integer range is an invalid choice:
    SQLite raises OverflowError when it binds one in the field's `pk__in` lookup."""

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except OverflowError:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": "…"}
            ) from None


def _check_autocomplete(field) -> None:
    widget = getattr(field, "widget", None)
    if isinstance(widget, AutocompleteMixin) and not isinstance(widget, CheckedAutocompleteMixin):
        multiple = isinstance(widget, admin.widgets.AutocompleteSelectMultiple)
        widget.__class__ = CheckedAutocompleteSelectMultiple if multiple else CheckedAutocompleteSelect


class BaseAdmin(CheckedAutocompleteFields, RedactedDeletionMixin, admin.ModelAdmin):
    """The ModelAdmin of every model of the project."""
