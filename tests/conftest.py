"""The cast of the test suite:

- alice imports: InSite rights, authorised for the type `alice_type`;
- bob has Profit rights but is authorised for nothing;
- charlie has no rights at all (the outsider);
- root is a superuser.

The `demo` fixture loads the demo world of the README instead, with its own cast
(dossier.demo.DEMO_USERS; the password is the user name):

- admin is a superuser with InSite and Profit rights, authorised for every type;
- importeur has InSite rights, authorised for SOLL, CORR, CONTR, KLACHT and CURSUS (the
  import tests' `importeur` fixture, tests/imports/conftest.py, signs him in);
- profit has Profit rights, authorised for CORR only;
- zonderrechten has no rights at all and is authorised for nothing.
"""

import pytest
from django.apps import apps
from django.core.files.storage import FileSystemStorage
from django.db.models import FileField
from django.utils import translation

from dossier.models import FieldState
from tests.factories import ItemTypeFactory, UserFactory


@pytest.fixture(autouse=True)
def private_files(tmp_path, monkeypatch):
    """Every private file a test writes lands in its own temporary folder."""
    storage = FileSystemStorage(location=tmp_path / "private")
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, FileField):
                monkeypatch.setattr(field, "storage", storage)
    return storage


@pytest.fixture(autouse=True)
def english(settings):
    """Messages and pages are asserted in English, the source language; the Dutch
    translation has its own tests (which ask for nl explicitly)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    """The demo world of the README (seed_demo)."""
    from dossier.demo import seed_demo_world

    return seed_demo_world()


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
