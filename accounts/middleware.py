"""The language a user chose, remembered on his account.

Django keeps the language of the switch (its `set_language` view) in a cookie, which belongs
to one browser. This middleware (after AuthenticationMiddleware, so after LocaleMiddleware)
makes the choice follow the person:

- on a request of a signed-in user whose account has a language, that language is active,
  whatever the cookie or the browser says (signed in from a fresh browser, the pages come in
  his language);
- when a signed-in user switches (a POST to `set_language` that Django accepted: the response
  sets the language cookie), the language is saved on his account.

A middleware rather than a login signal: a signal cannot set the cookie on the login response,
and it would not carry a switch made on another machine to a session already open here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def chosen_language(user) -> str | None:
    """The user's own language, when he chose one that the site still offers."""
    language = getattr(user, "language", "") if getattr(user, "is_authenticated", False) else ""
    return language if language in dict(settings.LANGUAGES) else None


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if language := chosen_language(request.user):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        self._remember_a_switch(request, response)
        return response

    @staticmethod
    def _remember_a_switch(request: HttpRequest, response: HttpResponse) -> None:
        match = request.resolver_match
        if request.method != "POST" or match is None or match.url_name != "set_language":
            return
        user = request.user
        cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        if not getattr(user, "is_authenticated", False) or cookie is None:
            return  # signed out (the cookie alone), or a language Django refused
        if cookie.value in dict(settings.LANGUAGES) and cookie.value != user.language:
            user.language = cookie.value
            user.save(update_fields=["language"])
