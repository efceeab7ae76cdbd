"""Deciding a review task: its reviewer (or a superuser) approves or rejects it, once, with a
comment. The page that calls it is review/views.py; who may open it is
`ReviewTask.objects.decidable_by(user)`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dossier.models import ReviewTask
from spreadsheets.messages import N_, Message


class ReviewRefused(Exception):
    """A decision that cannot be taken, with the sentence that says why."""

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


def decide_review_task(*, task: ReviewTask, user, approve: bool, comment: str = "") -> ReviewTask:
    """Approve or reject an open task for `user` (its reviewer, or a superuser), with the
    comment; the decision's moment and maker are recorded. A rejection says why, so its comment
    is required. The change is a conditional UPDATE: of two decisions at once, the second finds
    the task decided and is refused (ReviewRefused), as is a task decided before."""
    comment = comment.strip()
    if not approve and not comment:
        raise ReviewRefused(N_("Say in the comment why you reject the item; the submitter reads it."))
    if not ReviewTask.objects.decidable_by(user).filter(pk=task.pk).exists():
        raise ReviewRefused(N_("This review task is not yours to decide."))
    fields = {
        "state": ReviewTask.State.APPROVED if approve else ReviewTask.State.REJECTED,
        "comment": comment,
        "decided_at": timezone.now(),
        "decided_by": user,
    }
    with transaction.atomic():
        if not ReviewTask.objects.filter(pk=task.pk, state=ReviewTask.State.OPEN).update(**fields):
            raise ReviewRefused(N_("This review task was decided already; its decision stands."))
    for name, value in fields.items():
        setattr(task, name, value)
    return task
