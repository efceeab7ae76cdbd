"""Signing in (issue 14, parts 1 and 7): repeated wrong passwords lock a user name out with a
sentence saying when to try again, an administrator lifts the lockout, and signing in or
reading a page writes nothing that could wait on an import's write lock."""

import re
from datetime import timedelta

import pytest
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from accounts import signin

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def sign_in(client, username: str, password: str, **headers):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **headers)


def fail(client, username: str, times: int) -> list[int]:
    """Sign in with a wrong password `times` times: the status codes of the answers."""
    return [sign_in(client, username, "wrong-password").status_code for _ in range(times)]


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def writes(queries) -> list[str]:
    return [query["sql"] for query in queries if WRITES.match(query["sql"])]


def test_the_right_password_signs_in_after_fewer_failures_than_the_limit(client, root):
    fail(client, "root", settings.AXES_FAILURE_LIMIT - 1)

    response = sign_in(client, "root", "password")

    assert response.status_code == 302
    assert signed_in(client)


def lockout_ends(lasts, cool_off) -> set[str]:
    """How the page may show the lockout's end for these last failures: the time on the next
    whole minute, with the date when that is not today (a lockout near midnight)."""
    ends = [timezone.localtime(last + cool_off + timedelta(seconds=59)) for last in lasts]
    return {
        formats.time_format(end, "H:i")
        if end.date() == timezone.localdate()
        else formats.date_format(end, "SHORT_DATETIME_FORMAT")
        for end in ends
    }


def test_the_failure_that_reaches_the_limit_locks_the_user_name_out(client, root):
    limit = settings.AXES_FAILURE_LIMIT

    assert fail(client, "root", limit) == [200] * (limit - 1) + [429]


def test_a_locked_out_user_is_told_when_to_try_again(client, root):
    fail(client, "root", settings.AXES_FAILURE_LIMIT)
    before = AccessAttempt.objects.get(username="root").attempt_time

    response = sign_in(client, "root", "password")  # the right one, too late

    assert response.status_code == 429
    page = response.content.decode()
    after = AccessAttempt.objects.get(username="root").attempt_time
    assert any(
        f"Too many failed sign-ins for this user name: you may try again after {until}" in page
        for until in lockout_ends([before, after], settings.AXES_COOLOFF_TIME)
    )
    assert 'id="login-form"' in page  # the admin's login page, to try again later
    assert "Please enter the correct" not in page
    assert not signed_in(client)


def test_a_locked_out_user_is_told_in_dutch_when_his_browser_asks_for_it(client, root, settings):
    settings.LANGUAGE_CODE = "nl"
    fail(client, "root", settings.AXES_FAILURE_LIMIT)

    response = sign_in(client, "root", "password", HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 429
    assert "Te veel mislukte aanmeldpogingen voor deze gebruikersnaam: u kunt het na " in response.content.decode()


def test_trying_during_a_lockout_does_not_move_the_time_given(client, root):
    fail(client, "root", settings.AXES_FAILURE_LIMIT)
    first = AccessAttempt.objects.get(username="root").attempt_time

    sign_in(client, "root", "wrong-password")
    sign_in(client, "root", "password")

    assert AccessAttempt.objects.get(username="root").attempt_time == first


def test_a_lockout_ends_after_the_lockout_time(client, root):
    fail(client, "root", settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    assert sign_in(client, "root", "password").status_code == 302
    assert signed_in(client)


def test_a_lockout_holds_one_user_name_only(client, root, demo):
    fail(client, "root", settings.AXES_FAILURE_LIMIT)

    assert sign_in(client, "importeur", "importeur").status_code == 302


def test_the_failure_limit_and_the_lockout_time_are_settings(client, root, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(hours=3)
    fail(client, "root", 2)
    before = AccessAttempt.objects.get(username="root").attempt_time

    response = sign_in(client, "root", "password")

    assert response.status_code == 429
    after = AccessAttempt.objects.get(username="root").attempt_time
    # The last failure's time, read on both sides of the refused sign-in (a minute may turn).
    assert any(
        f"you may try again after {until}" in response.content.decode()
        for until in lockout_ends([before, after], timedelta(hours=3))
    )


def test_an_administrator_lifts_a_lockout_by_deleting_the_attempts(client, root, demo):
    fail(client, "importeur", settings.AXES_FAILURE_LIMIT)
    attempt = AccessAttempt.objects.get(username="importeur")
    client.force_login(root)

    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "importeur" in listing.content.decode()
    response = client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert response.status_code == 302
    client.logout()
    assert sign_in(client, "importeur", "importeur").status_code == 302


def test_axes_reset_username_lifts_a_lockout(client, demo):
    fail(client, "importeur", settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, "importeur", "importeur").status_code == 429

    call_command("axes_reset_username", "importeur")

    assert sign_in(client, "importeur", "importeur").status_code == 302


def test_the_sign_in_attempts_are_for_superusers_only(client, demo):
    client.login(username="importeur", password="importeur")

    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    assert "accessattempt" not in client.get("/admin/").content.decode()


def test_signing_in_writes_nothing_but_last_login(client, root):
    with CaptureQueriesContext(connection) as queries:
        assert sign_in(client, "root", "password").status_code == 302

    assert len(writes(queries)) == 1
    assert re.match(r'^UPDATE "accounts_user" SET "last_login" = ', writes(queries)[0])


def test_signing_in_never_touches_the_session_table(client, root):
    sign_in(client, "root", "password")

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.signed_cookies"
    assert settings.SESSION_COOKIE_NAME in client.cookies


@pytest.mark.parametrize(
    "page",
    [
        "/admin/",
        "/admin/dossier/dossieritem/",
        "/admin/imports/importjob/",
        "/admin/imports/new/",
        "/admin/axes/accessattempt/",
    ],
)
def test_reading_a_page_writes_nothing(client, demo, page):
    sign_in(client, "admin", "admin")

    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)

    assert response.status_code == 200
    assert writes(queries) == []


def test_a_busy_database_does_not_stop_a_sign_in(client, root, monkeypatch):
    """While another connection holds SQLite's write lock, last_login cannot be written at
    once: the sign-in goes on without it (tests/e2e/test_sign_in_under_load.py holds a real lock)."""

    def busy(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(type(root)._default_manager.get_queryset().__class__, "update", busy)

    assert sign_in(client, "root", "password").status_code == 302
    assert signed_in(client)
    root.refresh_from_db()
    assert root.last_login is None


def test_the_lockout_sentence_without_a_lockout_time_sends_the_user_to_an_administrator():
    assert signin.lockout_sentence(None) == (
        "Too many failed sign-ins for this user name. Ask an administrator to lift the lockout."
    )


def test_a_wrong_password_that_cannot_be_counted_is_refused_with_a_sentence(client, root, monkeypatch):
    """A failed sign-in must be written to count; while a long import holds SQLite's write lock
    past the busy timeout it cannot be: a sentence, not a server error, and no sign-in."""

    def busy(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(AxesDatabaseHandler, "user_login_failed", busy)

    response = sign_in(client, "root", "wrong-password")

    assert response.status_code == 429
    assert "The server is busy with a long import and could not check this sign-in." in response.content.decode()
    assert not signed_in(client)
