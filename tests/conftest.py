"""The cast of the test suite:

- alice imports: InSite rights, authorised for the type `alice_type`;
- bob has Profit rights but is authorised for nothing;
- charlie has no rights at all (the outsider);
- root is a superuser.
"""

import pytest

from dossier.models import FieldState
from tests.factories import ItemTypeFactory, UserFactory


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", has_insite_rights=True)


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", has_insite_rights=False, has_profit_rights=True)


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie", has_insite_rights=False, has_profit_rights=False)


@pytest.fixture
def root(db):
    return UserFactory(
        username="root", is_superuser=True, is_staff=True, has_insite_rights=True, has_profit_rights=True
    )


@pytest.fixture
def alice_type(alice):
    item_type = ItemTypeFactory(code="LETTER", name="Letter", relation_state=FieldState.REQUIRED)
    item_type.authorised_users.add(alice)
    return item_type
