"""Template questions about what a user may do, so pages show only the links he may follow."""

from django import template

from dossier import access

register = template.Library()


@register.filter
def may_record_items(user) -> bool:
    """`{% if user|may_record_items %}`: see dossier.access.may_record_items."""
    return bool(getattr(user, "is_authenticated", False)) and access.may_record_items(user)
