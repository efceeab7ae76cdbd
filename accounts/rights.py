"""The user's own side of every entry path: InSite or Profit rights on an active account (R2).
Which types he may use, whether a type can be imported and which profile may be used are
dossier.access's questions (R3, R5, R21)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spreadsheets.messages import N_, Message

if TYPE_CHECKING:
    from accounts.models import User


def may_import(user: User) -> bool:
    """R2: may this user submit or import dossier items at all?"""
    return bool(getattr(user, "may_submit_items", False))


def rights_refusal(user: User) -> Message | None:
    """R2: why this user may not submit or import any item (his account, his rights), or None.
    Which types and profiles he may use is dossier.access.import_refusal's question."""
    if not user.is_active:
        return N_("Your account is inactive.")
    if not may_import(user):
        return N_(
            "You need InSite or Profit rights to submit or import dossier items. "
            "Ask an administrator to set them on your user."
        )
    return None
