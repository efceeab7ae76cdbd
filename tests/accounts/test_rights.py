"""R2: the user's own rights. What he may do with types and profiles is tests/dossier/test_access.py."""

from accounts.rights import may_import, rights_refusal
from tests.factories import UserFactory


def test_r02_a_user_with_insite_rights_may_import(alice):
    assert may_import(alice)
    assert rights_refusal(alice) is None


def test_r02_a_user_with_profit_rights_may_import(bob):
    assert may_import(bob)


def test_r02_a_user_without_insite_or_profit_rights_may_not_import(charlie):
    assert not may_import(charlie)
    assert "InSite or Profit rights" in rights_refusal(charlie)


def test_r02_an_inactive_user_may_not_import(db):
    user = UserFactory(username="gone", has_insite_rights=True, is_active=False)
    assert not may_import(user)
    assert "inactive" in rights_refusal(user)
