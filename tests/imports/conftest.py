"""Fixtures of the import tests: the test client asking for English pages, the demo's
importeur signed in on it (the wizard's view tests, tests/imports/test_wizard_*.py), posts
whose queued check runs at once, files for the command line. Plain helpers (start_job,
checked_job, map_url, form_data, upload_file, SOLL_CSV, ...) are in tests/imports/wizard.py."""

import json

import pytest

from tests.imports.wizard import IMMEDIATE, user


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


@pytest.fixture
def checked_at_once(settings, django_capture_on_commit_callbacks):
    """post(client, url, data): a POST whose queued check (or re-check) runs at once."""
    settings.TASKS = IMMEDIATE

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


@pytest.fixture
def write(tmp_path):
    """write(name, text): a UTF-8 file in the test's folder (its path); a dict is written as
    JSON (a --mapping file)."""

    def written(name: str, content: str | dict):
        path = tmp_path / name
        path.write_text(json.dumps(content) if isinstance(content, dict) else content, encoding="utf-8")
        return path

    return written
