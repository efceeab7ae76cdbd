"""The admin's world (one or more of everything the admin shows) and a signed-in root, shared
with the tests of the whole admin in tests/dossier/test_admin.py."""

from tests.dossier.test_admin import root_client, world

__all__ = ["root_client", "world"]
