"""The admin index's line "My review tasks": how many open tasks and unread notices the user
has, by the same rule as the page itself (`ReviewTask.objects.assigned_to`)."""

from django import template

from dossier.models import ReviewTask
from imports.models import WithdrawnReviewTask

register = template.Library()


@register.simple_tag
def review_task_counts(user) -> dict[str, int] | None:
    """None for a user who reviews nothing (no profile, no task, no notice): no line then."""
    if not getattr(user, "is_authenticated", False):
        return None
    counts = {
        "open": ReviewTask.objects.assigned_to(user).open().count(),
        "withdrawn": WithdrawnReviewTask.objects.visible_to(user).pending().count(),
    }
    if not any(counts.values()) and not user.review_profiles.exists():
        return None
    return counts
