"""dossier.access: which types a user may use (R3), whether a type can be imported (R5),
whether a creation profile may be used (R21), and the one sentence that refuses an import."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from dossier.access import (
    import_refusal,
    may_record_items,
    may_use_profile,
    may_use_type,
    type_refusal,
    usable_item_types,
)
from dossier.models import CreationProfile, FieldState, ItemType
from tests.factories import ItemTypeFactory, UserFactory

pytestmark = pytest.mark.django_db

EVERY_DESTINATION = [
    "relation_state",
    "contact_state",
    "regarding_relation_state",
    "regarding_employee_state",
    "regarding_sales_state",
    "regarding_purchase_state",
    "regarding_applicant_state",
    "project_state",
    "course_state",
]
NOWHERE = dict.fromkeys(EVERY_DESTINATION, FieldState.HIDDEN)


def profile_of(item_type, code="NEW", **fields):
    return CreationProfile.objects.create(item_type=item_type, code=code, name=code.title(), **fields)


# --- R3: the types a user may use ----------------------------------------------------------


def test_r03_a_user_may_use_the_types_he_is_authorised_for(alice, alice_type):
    other = ItemTypeFactory(code="OTHER")
    assert list(usable_item_types(alice)) == [alice_type]
    assert may_use_type(alice, alice_type)
    assert not may_use_type(alice, other)


def test_r03_authorisation_through_a_group_counts(bob, alice_type):
    group = Group.objects.create(name="Letters")
    alice_type.authorised_groups.add(group)
    assert not may_use_type(bob, alice_type)
    bob.groups.add(group)
    assert list(usable_item_types(bob)) == [alice_type]


def test_r03_a_type_authorised_to_the_user_and_his_group_is_listed_once(alice, alice_type):
    group = Group.objects.create(name="Letters")
    alice_type.authorised_groups.add(group)
    alice.groups.add(group)
    assert list(usable_item_types(alice)) == [alice_type]


def test_r03_inactive_types_are_not_usable(alice, alice_type):
    alice_type.is_active = False
    alice_type.save()
    assert not may_use_type(alice, alice_type)


def test_r03_a_superuser_may_use_every_active_type(root, alice_type):
    other = ItemTypeFactory(code="OTHER")
    assert set(usable_item_types(root)) == {alice_type, other}


def test_r03_an_anonymous_user_may_use_no_type(alice_type):
    assert not usable_item_types(AnonymousUser()).exists()


# --- R5: importability ---------------------------------------------------------------------


def test_r05_a_type_without_any_destination_cannot_be_imported():
    item_type = ItemTypeFactory(**NOWHERE)
    reason = type_refusal(item_type)
    assert reason is not None
    assert "No destination is possible" in reason


@pytest.mark.parametrize("setting", EVERY_DESTINATION)
def test_r05_any_one_allowed_destination_makes_a_type_importable(setting):
    states = dict.fromkeys(EVERY_DESTINATION, FieldState.HIDDEN)
    states[setting] = FieldState.OPTIONAL
    assert type_refusal(ItemTypeFactory(**states)) is None


def test_r05_an_inactive_type_cannot_be_imported():
    assert "inactive" in type_refusal(ItemTypeFactory(is_active=False))


# --- R21: the creation profile -------------------------------------------------------------


def test_r21_an_active_profile_of_the_type_may_be_used(alice_type):
    assert may_use_profile(alice_type, profile_of(alice_type))


def test_r21_a_profile_of_another_type_may_not_be_used(alice_type):
    assert not may_use_profile(alice_type, profile_of(ItemTypeFactory(code="OTHER")))


def test_r21_an_inactive_profile_may_not_be_used(alice_type):
    assert not may_use_profile(alice_type, profile_of(alice_type, is_active=False))


# --- the one refusal: R2, R3, R5, R21 in this order ------------------------------------------


def test_alice_may_import_her_type_with_or_without_its_profile(alice, alice_type):
    assert import_refusal(alice, alice_type) is None
    assert import_refusal(alice, alice_type, profile_of(alice_type)) is None


def test_r02_a_user_without_rights_is_refused_before_anything_else(charlie):
    nowhere = ItemTypeFactory(code="NOWHERE", **NOWHERE)  # not authorised, and not importable
    assert import_refusal(charlie, nowhere, profile_of(ItemTypeFactory(code="OTHER"))) == (
        "You need InSite or Profit rights to submit or import dossier items. "
        "Ask an administrator to set them on your user."
    )


def test_r02_an_inactive_account_is_refused_with_that_reason(alice_type):
    gone = UserFactory(username="gone", has_insite_rights=True, is_active=False)
    alice_type.authorised_users.add(gone)
    assert import_refusal(gone, alice_type) == "Your account is inactive."


def test_r03_a_type_the_user_is_not_authorised_for_is_refused_before_its_importability(bob):
    nowhere = ItemTypeFactory(code="NOWHERE", **NOWHERE)
    assert import_refusal(bob, nowhere) == (
        "You are not authorised for item type NOWHERE. Ask an administrator to authorise you."
    )


def test_r03_an_inactive_type_is_refused_as_not_authorised(alice, alice_type):
    alice_type.is_active = False
    alice_type.save()
    assert import_refusal(alice, alice_type).startswith("You are not authorised for item type LETTER.")


def test_r05_a_type_that_cannot_be_imported_is_refused_with_its_reason_before_the_profile(alice):
    nowhere = ItemTypeFactory(code="NOWHERE", **NOWHERE)
    nowhere.authorised_users.add(alice)
    other_profile = profile_of(ItemTypeFactory(code="OTHER"))
    assert import_refusal(alice, nowhere, other_profile) == (
        f"Items of type NOWHERE cannot be imported: {type_refusal(nowhere)}"
    )


@pytest.mark.parametrize("inactive", [False, True], ids=["of_another_type", "inactive"])
def test_r21_a_profile_that_may_not_be_used_is_refused(alice, alice_type, inactive):
    if inactive:
        profile = profile_of(alice_type, code="OLD", is_active=False)
    else:
        profile = profile_of(ItemTypeFactory(code="OTHER"), code="OLD")
    assert import_refusal(alice, alice_type, profile) == (
        "Creation profile OLD does not belong to type LETTER; choose one of its own profiles or none."
    )


# --- the links to the record and import pages ----------------------------------------------


def test_alice_may_record_items(alice, alice_type):
    assert may_record_items(alice)


def test_a_user_with_rights_but_no_type_may_not_record_items(bob):
    assert not may_record_items(bob)


def test_a_user_authorised_for_a_type_but_without_rights_may_not_record_items(charlie, alice_type):
    alice_type.authorised_users.add(charlie)
    assert not may_record_items(charlie)


def test_a_user_authorised_only_for_an_inactive_type_may_not_record_items(alice, alice_type):
    ItemType.objects.filter(pk=alice_type.pk).update(is_active=False)
    assert not may_record_items(alice)
