"""Who may create items of which type, and why not: the one place that answers it.

    import_refusal(user, item_type, profile)   # R2, R3, R5, R21: the sentence, or None
    usable_item_types(user)                    # R3: the types he may record or import
    type_refusal(item_type)                    # R5: why a type cannot be imported at all
    may_record_items(user)                     # show the links to the record and import pages?

The user's own rights (R2: InSite or Profit, an active account) are accounts.rights'; this
module adds what needs item types and creation profiles. Every entry path (the wizard, its
tasks, the command line, the admin's links) asks `import_refusal`, so the user reads the same
sentence wherever he is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts import rights
from dossier.models import EXTRA_MODELS, REGARDING_ROLES, CreationProfile, FieldState, ItemType
from spreadsheets.messages import N_, Message

if TYPE_CHECKING:
    from django.db.models import QuerySet


def usable_item_types(user) -> QuerySet[ItemType]:
    """R3: the item types this user is authorised for (directly or through a group)."""
    return ItemType.objects.usable_by(user)


def may_use_type(user, item_type: ItemType) -> bool:
    """R3: is this user authorised for this (active) type?"""
    return usable_item_types(user).filter(pk=item_type.pk).exists()


def type_refusal(item_type: ItemType) -> Message | None:
    """R5: why items of this type cannot be imported, or None when they can."""
    if not item_type.is_active:
        return N_("The type is inactive.")
    states = [
        item_type.relation_state,
        item_type.contact_state,
        *(getattr(item_type, f"{code}_state") for code in REGARDING_ROLES),
        *(getattr(item_type, f"{code}_state") for code in EXTRA_MODELS),
    ]
    if all(state == FieldState.HIDDEN for state in states):
        return N_(
            "No destination is possible: the organisation/person, the contact, every regarding role "
            "and every dossier extra are set to 'not allowed'. Allow at least one of them on the type."
        )
    return None


def may_use_profile(item_type: ItemType, profile: CreationProfile) -> bool:
    """R21: a creation profile serves only its own type, and only while it is active."""
    return profile.item_type_id == item_type.pk and profile.is_active


def import_refusal(user, item_type: ItemType, profile: CreationProfile | None = None) -> Message | None:
    """Why this user may not import items of this type (with this profile), or None when he
    may. The checks go from the user to the profile, and the first that fails answers:
    1. the user's rights and account (R2, accounts.rights);
    2. his authorisation for the type (R3);
    3. whether the type can be imported at all (R5);
    4. the creation profile, when one is given (R21)."""
    if reason := rights.rights_refusal(user):
        return reason
    if not may_use_type(user, item_type):
        return N_("You are not authorised for item type %(type)s. Ask an administrator to authorise you.") % {
            "type": item_type.code
        }
    if reason := type_refusal(item_type):
        return N_("Items of type %(type)s cannot be imported: %(reason)s") % {"type": item_type.code, "reason": reason}
    if profile is not None and not may_use_profile(item_type, profile):
        return N_(
            "Creation profile %(profile)s does not belong to type %(type)s; choose one of its own profiles or none."
        ) % {
            "profile": profile.code,
            "type": item_type.code,
        }
    return None


def may_record_items(user) -> bool:
    """May this user record or import an item now: rights (R2) and at least one type he is
    authorised for (R3). Links to the record and import pages show only then."""
    return rights.rights_refusal(user) is None and usable_item_types(user).exists()
