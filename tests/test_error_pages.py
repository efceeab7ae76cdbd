"""Error pages and refused requests, with DEBUG off (issue 7, from an outside tester's
findings): one sentence in the user's language in the admin's look, never Django's bare
English pages, never a server error for a NUL character, nothing inline that the
Content-Security-Policy would block."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from dossier.models import DossierItem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NUL_SENTENCE = {
    "en": "The request contains an invalid character (NUL).",
    "nl": "Het verzoek bevat een ongeldig teken (NUL).",
}


@pytest.fixture(autouse=True)
def no_debug(settings):
    settings.DEBUG = False


@pytest.fixture
def demo_admin(client, demo):
    from accounts.models import User

    client.force_login(User.objects.get(username="admin"))
    return client


def assert_no_inline_code(html: str) -> None:
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html)
    assert not re.search(r"\s(style|on[a-z]+)=\"", html)


NUL_URLS = [
    "/admin/autocomplete/?app_label=dossier&model_name=dossieritem&field_name=cause&term=%00",
    "/admin/autocomplete/?app_label=dossier&model_name=dossieritem&field_name=relation&term=a%00",
    "/admin/autocomplete/?app_label=dossier&model_name=dossieritem&field_name=contact&term=a%00",
    "/admin/autocomplete/?app_label=dossier&model_name=contact&field_name=organisation&term=a%00",
    "/admin/items/record/CONTR/?profile=%00",
    "/admin/dossier/relation/?q=%00",
    "/admin/dossier/relation/?kind%00=person",
    "/admin/items/record/CON%00TR/",
]


@pytest.mark.parametrize("url", NUL_URLS)
@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_nul_character_in_a_parameter_is_a_bad_request_with_a_sentence(demo_admin, url, language):
    response = demo_admin.get(url, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert NUL_SENTENCE[language] in response.text
    assert_no_inline_code(response.text)


def test_a_nul_character_in_a_posted_value_is_refused_before_anything_is_stored(demo_admin):
    from dossier.models import Relation

    response = demo_admin.post(
        reverse("admin:dossier_relation_add"),
        "number=99999&kind=person&name=A%00B",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert NUL_SENTENCE["en"] in response.text
    assert not Relation.objects.filter(number="99999").exists()


def test_a_nul_character_in_a_multipart_form_is_refused_by_the_form(demo_admin):
    """A form with files is left to its form (the middleware must not read its upload
    before the view sets its upload handlers); Django's text fields refuse NUL."""
    from dossier.models import Relation

    response = demo_admin.post(
        reverse("admin:dossier_relation_add"), {"number": "99999", "kind": "person", "name": "A\x00B"}
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.text
    assert not Relation.objects.filter(number="99999").exists()


def test_a_staff_user_keeps_the_admins_user_links_on_an_error_page(demo_admin):
    response = demo_admin.get("/admin/items/item/999999/")

    assert response.status_code == 404
    assert 'id="logout-form"' in response.text


def test_a_request_without_nul_passes(demo_admin):
    url = "/admin/autocomplete/?app_label=dossier&model_name=dossieritem&field_name=cause&term=a"

    assert demo_admin.get(url).status_code == 200


@pytest.mark.parametrize(
    ("language", "heading", "sentence"),
    [
        ("en", "Page not found", "This page does not exist or is not available to you"),
        ("nl", "Pagina niet gevonden", "Deze pagina bestaat niet of is niet voor u beschikbaar"),
    ],
)
def test_an_item_the_user_may_not_see_is_a_translated_404_page(client, demo, language, heading, sentence):
    from accounts.models import User
    from dossier.models import ItemType

    admin = User.objects.get(username="admin")
    item = DossierItem.objects.create(
        item_type=ItemType.objects.get(code="CONTR"), number=9001, subject="Confidential", submitter=admin
    )
    client.force_login(User.objects.get(username="profit"))

    response = client.get(reverse("dossier:item-detail", args=[item.pk]), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    assert f"<h1>{heading}</h1>" in response.text
    assert sentence in response.text
    assert "The requested resource was not found on this server" not in response.text
    assert 'id="site-name"' in response.text  # the admin's look
    assert_no_inline_code(response.text)


@pytest.mark.parametrize(
    ("language", "heading", "sentence"),
    [
        ("en", "Not allowed", "You do not have permission to open this page"),
        ("nl", "Niet toegestaan", "U hebt geen toestemming om deze pagina te openen"),
    ],
)
def test_a_page_the_user_has_no_permission_for_is_a_translated_403_page(client, db, language, heading, sentence):
    client.force_login(UserFactory(username="staff_without_permissions", is_staff=True))

    response = client.get(reverse("admin:dossier_relation_changelist"), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 403
    assert f"<h1>{heading}</h1>" in response.text
    assert sentence in response.text
    assert "403 Forbidden" not in response.text
    assert_no_inline_code(response.text)


@pytest.mark.parametrize(
    ("language", "heading", "sentence"),
    [
        ("en", "Bad request", "The server could not understand this request."),
        ("nl", "Ongeldig verzoek", "De server begreep dit verzoek niet."),
    ],
)
def test_a_bad_request_is_a_translated_400_page(client, db, language, heading, sentence):
    response = client.get("/admin/", HTTP_HOST="unknown.example", HTTP_ACCEPT_LANGUAGE=language)  # DisallowedHost

    assert response.status_code == 400
    assert f"<h1>{heading}</h1>" in response.text
    assert sentence in response.text
    assert 'id="site-name"' in response.text
    assert_no_inline_code(response.text)


@pytest.mark.parametrize(
    ("language", "heading", "sentence"),
    [
        ("en", "Form not accepted", "reload the page and send it again"),
        ("nl", "Formulier niet aanvaard", "laad de pagina opnieuw en verstuur het nog eens"),
    ],
)
def test_a_csrf_failure_is_a_translated_page_without_inline_style(db, language, heading, sentence):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("admin:login"), {"username": "x", "password": "y"}, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 403
    assert f"<h1>{heading}</h1>" in response.text
    assert sentence in response.text
    assert_no_inline_code(response.text)
    policy = response["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize(
    ("language", "heading", "sentence"),
    [
        ("en", "Server error", "Something went wrong on the server"),
        ("nl", "Serverfout", "Er ging iets mis op de server"),
    ],
)
def test_the_500_page_renders_without_a_request_or_the_database(django_assert_num_queries, language, heading, sentence):
    with translation.override(language), django_assert_num_queries(0):
        html = render_to_string("500.html")
        response = defaults.server_error(RequestFactory().get("/"))

    assert f"<h1>{heading}</h1>" in html
    assert sentence in html
    assert f'lang="{language}"' in html
    assert response.status_code == 500 and sentence in response.content.decode()
    assert_no_inline_code(html)


def test_a_session_cookie_holding_nul_signs_the_user_out_instead_of_failing(client, db):
    client.cookies["sessionid"] = "abcdefghijkl\x00mnop"

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
