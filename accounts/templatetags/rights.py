"""Template questions about a user's rights, so pages show only the links he may follow."""

from django import template

from accounts import rights

register = template.Library()


@register.filter
def may_record_items(user) -> bool:
    """`{% if user|may_record_items %}`: see accounts.rights.may_record_items."""
    return bool(getattr(user, "is_authenticated", False)) and rights.may_record_items(user)
