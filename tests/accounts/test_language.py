"""The language switch in the admin header: Django's set_language, on every page that extends
the admin's base_site, and the choice remembered on the user's account
(accounts.middleware.UserLanguageMiddleware)."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SET_LANGUAGE = "/i18n/setlang/"


@pytest.fixture
def importeur(db):
    user = UserFactory(username="importeur", is_staff=True, has_insite_rights=True, password="importeur")
    user.user_permissions.add(Permission.objects.get(codename="view_importjob"))
    return user


def sign_in(client: Client, username: str) -> None:
    response = client.post(reverse("admin:login"), {"username": username, "password": username})
    assert response.status_code == 302, "signed in"


def switch(client: Client, language: str, next_url: str = "/admin/"):
    return client.post(SET_LANGUAGE, {"language": language, "next": next_url})


def switch_form(page: str) -> str:
    return page.split('id="history-language"')[1].split("</form>")[0]


def test_the_users_language_is_activated_after_the_user_is_known():
    middleware = settings.MIDDLEWARE
    ours = middleware.index("accounts.middleware.UserLanguageMiddleware")
    assert ours > middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert ours > middleware.index("django.middleware.locale.LocaleMiddleware")


def test_set_language_is_djangos_view_at_its_address():
    assert reverse("set_language") == SET_LANGUAGE


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/imports/importjob/", "/admin/accounts/user/", "/admin/items/record/"]
)
def test_every_admin_and_item_page_has_the_switch_in_its_header(client, importeur, url):
    importeur.is_superuser = True
    importeur.save()
    client.force_login(importeur)

    page = client.get(url).text

    header = page.split('<header id="header">')[1].split("</header>")[0]
    assert 'id="history-language"' in header
    form = switch_form(header)
    assert f'action="{SET_LANGUAGE}"' in form and 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'name="next" type="hidden" value="{url}"' in form
    assert '<label for="history-language-choice">Language</label>' in form
    assert re.findall(r'<option value="(\w+)"', form) == [code for code, _name in settings.LANGUAGES]
    assert '<button type="submit">Change</button>' in form


def test_the_sign_in_page_has_the_switch_too(client):
    page = client.get(reverse("admin:login")).text
    assert 'id="history-language"' in page


def test_the_switch_has_no_inline_script_or_style(client, importeur):
    client.force_login(importeur)
    form = switch_form(client.get("/admin/").text)
    assert "<script" not in form and "style=" not in form and " on" not in form.replace(" option", "")


def test_the_switch_names_each_language_in_its_own_words_and_marks_the_current_one(client, importeur):
    client.force_login(importeur)
    form = switch_form(client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nl").text)
    assert '<option value="nl" lang="nl" selected>Nederlands</option>' in form
    assert '<option value="en" lang="en">English</option>' in form
    assert '<label for="history-language-choice">Taal</label>' in form


def test_switching_changes_the_pages_language(client, importeur):
    client.force_login(importeur)
    assert "Log out" in client.get("/admin/").text

    response = switch(client, "nl", "/admin/imports/importjob/")

    assert response.status_code == 302 and response.url == "/admin/imports/importjob/"
    page = client.get("/admin/")
    assert page.headers["Content-Language"] == "nl"
    assert "Afmelden" in page.text and "Log out" not in page.text


def test_switching_remembers_the_language_on_the_users_account(client, importeur):
    client.force_login(importeur)
    switch(client, "nl")
    importeur.refresh_from_db()
    assert importeur.language == "nl"
    switch(client, "en")
    importeur.refresh_from_db()
    assert importeur.language == "en"


def test_the_chosen_language_follows_the_user_to_a_fresh_browser(importeur):
    first = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(first, "importeur")
    switch(first, "nl")
    first.post(reverse("admin:logout"))

    fresh = Client(HTTP_ACCEPT_LANGUAGE="en")  # no cookie, a browser that asks for English
    assert "Log in" in fresh.get(reverse("admin:login")).text  # signed out: the browser's language
    sign_in(fresh, "importeur")

    for url in ("/admin/", "/admin/imports/importjob/"):
        response = fresh.get(url)
        assert response.headers["Content-Language"] == "nl", url
        assert "Afmelden" in response.text, url


def test_the_users_language_wins_over_an_old_cookie_in_his_browser(client, importeur):
    importeur.language = "nl"
    importeur.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(importeur)

    assert client.get("/admin/").headers["Content-Language"] == "nl"


def test_a_user_without_a_language_gets_the_browsers(client, importeur):
    client.force_login(importeur)
    assert client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nl").headers["Content-Language"] == "nl"
    assert client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").headers["Content-Language"] == "en"


@pytest.mark.parametrize("language", ["fr", "xx", ""])
def test_a_language_the_site_does_not_offer_is_not_remembered(client, importeur, language):
    # Django's set_language takes any language it has a catalogue for (its own "fr"), in the
    # cookie only; the pages stay in a language of the site, and the account keeps none.
    client.force_login(importeur)
    response = switch(client, language)
    importeur.refresh_from_db()
    assert response.status_code == 302
    assert importeur.language == ""
    assert client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").headers["Content-Language"] == "en"


def test_a_language_the_site_no_longer_offers_is_ignored(client, importeur):
    User.objects.filter(pk=importeur.pk).update(language="fr")
    client.force_login(importeur)
    assert client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").headers["Content-Language"] == "en"


def test_switching_while_signed_out_sets_only_the_cookie(client, importeur):
    response = switch(client, "nl", "/admin/login/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "nl"
    assert (
        "Aanmelden" in client.get(reverse("admin:login")).text or "Inloggen" in client.get(reverse("admin:login")).text
    )
    importeur.refresh_from_db()
    assert importeur.language == ""


def test_a_switch_needs_the_csrf_token(importeur):
    client = Client(enforce_csrf_checks=True)
    client.force_login(importeur)
    assert switch(client, "nl").status_code == 403
    importeur.refresh_from_db()
    assert importeur.language == ""


def test_the_user_admin_shows_and_sets_the_language(client, root, importeur):
    client.force_login(root)
    page = client.get(reverse("admin:accounts_user_change", args=[importeur.pk])).text
    assert 'name="language"' in page
    assert User._meta.get_field("language").blank  # empty: the browser's or the site's language
