"""Fixtures of the import tests: the test client asking for English pages, and the demo's
importeur signed in on it (the wizard's view tests, tests/imports/test_wizard_*.py). Plain
helpers (start_job, upload_file, SOLL_CSV, ...) are in tests/imports/wizard.py."""

import pytest

from tests.imports.wizard import user


@pytest.fixture
def client(client):
    """The test client, asking for English pages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def importeur(demo, client):
    """importeur, signed in on the client."""
    client.force_login(user("importeur"))
    return user("importeur")
