"""The two questions every entry path asks before it lets a user create items."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from accounts.models import User
    from dossier.models import ItemType


def may_import(user: User) -> bool:
    """R2: may this user submit or import dossier items at all?"""
    return bool(getattr(user, "may_submit_items", False))


def import_refusal(user: User) -> str | None:
    """Why this user may not import, or None when he may."""
    if not user.is_active:
        return _("Your account is inactive.")
    if not may_import(user):
        return _(
            "You need InSite or Profit rights to submit or import dossier items. "
            "Ask an administrator to set them on your user."
        )
    return None


def usable_item_types(user: User) -> QuerySet[ItemType]:
    """R3: the item types this user is authorised for (directly or through a group)."""
    from dossier.models import ItemType

    return ItemType.objects.usable_by(user)


def may_use_type(user: User, item_type: ItemType) -> bool:
    return usable_item_types(user).filter(pk=item_type.pk).exists()


def may_record_items(user: User) -> bool:
    """May this user record or import an item now: rights (R2) and at least one type he is
    authorised for (R3). Links to the record and import pages show only then."""
    return import_refusal(user) is None and usable_item_types(user).exists()
