"""Request checks that hold for every page of the project."""

import logging
from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from config.views import error_page

logger = logging.getLogger(__name__)


def _holds_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


def _form_holds_nul(request: HttpRequest) -> bool:
    """A posted form, unless it carries files: reading those here would fix the upload
    handlers before a view can set its own (the wizard limits upload sizes so). The fields of
    such a form reach Django forms, whose text fields refuse NUL themselves."""
    if request.method != "POST" or request.content_type == "multipart/form-data":
        return False
    try:
        return _holds_nul(request.POST)
    except RequestDataTooBig:  # the view says so, with the limit
        return False


class RefuseNulMiddleware:
    """A NUL character (U+0000) in the address or in a GET or POST parameter (names and values;
    a multipart form's fields are left to its form) gets a 400 page with one sentence. No form or lookup of
    the project means one, and PostgreSQL refuses text holding it, which would otherwise end
    in a server error wherever such a value reaches a query. A cookie holding one is not
    something the user typed: the session it names is ignored (the user is signed out)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in value for value in request.COOKIES.values()):
            request.session = import_module(settings.SESSION_ENGINE).SessionStore()
            request.user = AnonymousUser()
        if "\x00" in request.path or _holds_nul(request.GET) or _form_holds_nul(request):
            message = _(
                "The request contains an invalid character (NUL). Remove it from what you typed or pasted and try again."
            )
            return error_page(request, "400.html", 400, message=message)
        return self.get_response(request)


def is_database_busy(error: BaseException) -> bool:
    """SQLite's answer to a write that waited out its busy timeout behind another writer."""
    return isinstance(error, OperationalError) and "locked" in str(error).lower()


class BusyDatabaseMiddleware:
    """A request whose write waited out the database's busy timeout (SQLite, while the task
    worker stores a large import, undo or master-data import in one transaction) gets a 503
    page with one sentence instead of a server error. Its transaction was rolled back, so
    nothing of it was stored, and trying again once the long write is done works."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_busy(exception):
            return None
        logger.warning("A request waited out the database's busy timeout: %s %s", request.method, request.path)
        message = _(
            "The server is busy storing a large import, so nothing of this request was saved. "
            "Wait a minute and try again."
        )
        response = error_page(request, "503.html", 503, message=message)
        response["Retry-After"] = "60"
        return response
