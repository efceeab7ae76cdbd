"""Template questions about an attachment: may the page offer to show it in the browser."""

from django import template

from dossier import reading

register = template.Library()


@register.filter
def shows_inline(attachment) -> bool:
    """`{% if attachment|shows_inline %}`: see dossier.reading.may_show_inline."""
    return reading.may_show_inline(attachment)
