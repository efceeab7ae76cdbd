"""Signing in: throttled by django-axes, and never waiting on the database's write lock.

- `SignInBackend` refuses a locked-out sign-in before its password is checked.
- `SignInHandler` is django-axes' database handler (failed attempts are rows an administrator
  sees and deletes under Access attempts) without its writes on a *successful* sign-in or a
  sign-out: no access log, no clean-up of expired attempts (a failed attempt cleans them up).
  A sign-in that succeeds therefore writes nothing that could wait while an import holds
  SQLite's write lock.
- `locked_out` answers a locked-out sign-in with the admin's login page and one sentence
  saying when the user may try again.
- `record_last_login` replaces Django's `update_last_login`: `last_login` is written only when
  that costs no wait (on SQLite: the write lock is free); otherwise the sign-in goes on and
  `last_login` keeps its earlier value.

docs/security.md describes the limits and their settings.
"""

from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from datetime import datetime, timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import OperationalError, connection, transaction
from django.db.models import Max, Sum
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class SignInBackend(AxesStandaloneBackend):
    """django-axes' check before the password: refuses a locked-out sign-in through a page.
    Without a request (Django's test client's `login`, a script) there is no one to throttle:
    it lets the next backend answer instead of failing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class SignInHandler(AxesDatabaseHandler):
    """Failed sign-ins are counted in the database; successful ones and sign-outs write nothing."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        """Count the failure. When it cannot be written (SQLite's write lock held past the busy
        timeout by a long import) the sign-in is refused with a sentence, never a server
        error, and not let through uncounted."""
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        except OperationalError as error:
            logger.warning("A failed sign-in could not be counted: the database is busy (%s).", error)
            if request is not None:
                request.axes_locked_out = True
                request.sign_in_busy = True

    def user_logged_in(self, sender, request, user, **kwargs):
        logger.debug("Signed in: %s", user.get_username())

    def user_logged_out(self, sender, request, user, **kwargs):
        logger.debug("Signed out: %s", user.get_username() if user else "")


def locked_until(request: HttpRequest, credentials: dict | None) -> datetime | None:
    """When the lockout of this sign-in ends: the last failed attempt of each locked-out
    user name (or address) plus the lockout time, the latest of them; None when nothing is locked."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return None
    limit = get_failure_limit(request, credentials)
    ends = []
    for attempts in SignInHandler().get_user_attempts(request, credentials):
        counted = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if counted["failures"] and counted["failures"] >= limit and counted["last"]:
            ends.append(counted["last"] + cool_off)
    return max(ends) if ends else None


def _whole_minute_after(moment: datetime) -> datetime:
    """The moment rounded up to the next whole minute, so "after 16:42" is never too early."""
    seconds = moment.second + moment.microsecond / 1_000_000
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=math.ceil(seconds / 60))


def busy_sentence() -> str:
    return _("The server is busy with a long import and could not check this sign-in. Try again in a minute.")


def lockout_sentence(until: datetime | None) -> str:
    if until is None:
        return _("Too many failed sign-ins for this user name. Ask an administrator to lift the lockout.")
    until = timezone.localtime(_whole_minute_after(until))
    if until.date() == timezone.localdate():
        when = formats.time_format(until, "H:i")
    else:
        when = formats.date_format(until, "SHORT_DATETIME_FORMAT")
    return _(
        "Too many failed sign-ins for this user name: you may try again after %(when)s, "
        "or ask an administrator to lift the lockout."
    ) % {"when": when}


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the admin's login page again, its error the sentence saying when
    the user may try again (429 Too Many Requests), or that the failure could not be counted."""
    context = dict(getattr(original_response, "context_data", None) or {})
    form = context.get("form")
    if form is None:
        form = AdminAuthenticationForm(request)
        context.update(
            admin.site.each_context(request),
            title=_("Log in"),
            subtitle=None,
            app_path=request.get_full_path(),
            username="",
            form=form,
        )
    form._errors = ErrorDict(
        {
            NON_FIELD_ERRORS: form.error_class(
                [
                    busy_sentence()
                    if getattr(request, "sign_in_busy", False)
                    else lockout_sentence(locked_until(request, credentials))
                ],
                error_class="nonfield",
                renderer=form.renderer,
            )
        }
    )
    request.current_app = admin.site.name
    # Rendered here: the middleware that called this one runs after the view's rendering.
    return TemplateResponse(request, "admin/login.html", context, status=429).render()


@contextmanager
def _no_wait_for_the_write_lock():
    """On SQLite, a write in this block fails at once instead of waiting for another
    connection's write lock (the busy timeout is set back afterwards). Other databases lock
    rows, not the file: nothing to change."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    timeout = settings.DATABASES[connection.alias].get("OPTIONS", {}).get("timeout", 5)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(float(timeout) * 1000)}")


def record_last_login(sender, user, **kwargs) -> None:
    """user_logged_in: write the user's last_login when the database takes it at once; while
    another connection holds SQLite's write lock (an import committing), skip it."""
    now = timezone.now()
    try:
        with _no_wait_for_the_write_lock(), transaction.atomic():
            type(user)._default_manager.filter(pk=user.pk).update(last_login=now)
    except OperationalError as error:
        logger.info("last_login of %s not recorded: the database is busy (%s).", user.get_username(), error)
        return
    user.last_login = now
