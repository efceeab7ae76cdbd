"""The reviewer's decision: approve or reject, with a comment. Nothing else of the task (its
item, reviewer, dates) is a field, so nothing else can be changed here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dossier.models import ReviewTask

COMMENT_LENGTH = ReviewTask._meta.get_field("comment").max_length


class ReviewDecisionForm(forms.Form):
    APPROVE = "approve"
    REJECT = "reject"

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("For the submitter and the other reviewers. Required when you reject."),
    )
    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))],
        widget=forms.HiddenInput,  # the button pressed gives it
        error_messages={"required": _("Choose Approve or Reject."), "invalid_choice": _("Choose Approve or Reject.")},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.REJECT and not cleaned.get("comment", "").strip():
            self.add_error("comment", _("Say in the comment why you reject the item; the submitter reads it."))
        return cleaned
