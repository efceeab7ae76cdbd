from accounts.rights import import_refusal, may_import, may_use_type, usable_item_types
from tests.factories import ItemTypeFactory, UserFactory


def test_r02_a_user_with_insite_rights_may_import(alice):
    assert may_import(alice)
    assert import_refusal(alice) is None


def test_r02_a_user_with_profit_rights_may_import(bob):
    assert may_import(bob)


def test_r02_a_user_without_insite_or_profit_rights_may_not_import(charlie):
    assert not may_import(charlie)
    assert "InSite or Profit rights" in import_refusal(charlie)


def test_r02_an_inactive_user_may_not_import(db):
    user = UserFactory(username="gone", has_insite_rights=True, is_active=False)
    assert not may_import(user)
    assert "inactive" in import_refusal(user)


def test_r03_a_user_may_use_the_types_he_is_authorised_for(alice, alice_type):
    other = ItemTypeFactory(code="OTHER")
    assert list(usable_item_types(alice)) == [alice_type]
    assert may_use_type(alice, alice_type)
    assert not may_use_type(alice, other)


def test_r03_authorisation_through_a_group_counts(bob, alice_type):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Letters")
    alice_type.authorised_groups.add(group)
    assert not may_use_type(bob, alice_type)
    bob.groups.add(group)
    assert list(usable_item_types(bob)) == [alice_type]


def test_r03_a_type_authorised_to_the_user_and_his_group_is_listed_once(alice, alice_type):
    from django.contrib.auth.models import Group

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
    from django.contrib.auth.models import AnonymousUser

    assert not usable_item_types(AnonymousUser()).exists()
