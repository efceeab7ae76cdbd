"""Step a of the wizard (/admin/imports/new/): the types the user may use (R3), those that
cannot be imported shown disabled with the reason (R5), an optional creation profile (R21)."""

import pytest
from django.urls import reverse

from dossier.models import CreationProfile
from tests.imports.wizard import user

pytestmark = pytest.mark.django_db

URL = "/admin/imports/new/"


def test_the_first_step_has_its_fixed_address(demo):
    assert reverse("imports:new") == URL


def test_it_lists_the_types_importeur_may_use(demo, client):
    client.force_login(user("importeur"))
    response = client.get(URL)
    assert response.status_code == 200
    offered = [t.code for t in response.context["form"].types]
    assert offered == ["CONTR", "CORR", "CURSUS", "KLACHT", "SOLL", "SOLLICITANT"]
    assert b"csrfmiddlewaretoken" in response.content


def test_r03_profit_is_offered_only_corr(demo, client):
    client.force_login(user("profit"))
    response = client.get(URL)
    assert [t.code for t in response.context["form"].types] == ["CORR"]
    assert b"SOLL" not in response.content


def test_r05_a_type_that_cannot_be_imported_is_shown_disabled_with_the_reason(demo, client):
    client.force_login(user("admin"))
    response = client.get(URL)
    page = response.content.decode()
    assert 'value="MEMO"' in page
    memo_radio = page[page.index('value="MEMO"') - 200 : page.index('value="MEMO"') + 100]
    assert "disabled" in memo_radio
    assert "No destination is possible" in page


def test_r05_choosing_a_type_that_cannot_be_imported_is_refused_with_the_reason(demo, client):
    client.force_login(user("admin"))
    response = client.post(URL, {"item_type": "MEMO"})
    assert response.status_code == 200
    assert "No destination is possible" in response.context["form"].errors["item_type"][0]


def test_r02_zonderrechten_is_refused_with_the_reason(demo, client):
    client.force_login(user("zonderrechten"))
    response = client.get(URL)
    assert response.status_code == 403
    assert b"You need InSite or Profit rights" in response.content


def test_a_visitor_who_is_not_signed_in_goes_to_the_login_page(demo, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_type_in_the_address_is_chosen_beforehand(demo, client):
    client.force_login(user("importeur"))
    page = client.get(URL + "?type=KLACHT").content.decode()
    radio = page[page.rindex("<input", 0, page.index('value="KLACHT"')) : page.index(">", page.index('value="KLACHT"'))]
    assert "checked" in radio
    assert page.count("checked") == 1


def test_choosing_a_type_goes_to_its_upload_step(demo, client):
    client.force_login(user("importeur"))
    response = client.post(URL, {"item_type": "SOLL"})
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:upload", args=["SOLL"])


def test_r21_a_profile_of_the_chosen_type_goes_along(demo, client):
    client.force_login(user("importeur"))
    profile = CreationProfile.objects.get(item_type__code="CONTR", code="NIEUW")
    response = client.post(URL, {"item_type": "CONTR", "profile": str(profile.pk)})
    assert response["Location"] == reverse("imports:upload", args=["CONTR"]) + "?profile=NIEUW"


def test_r21_a_profile_of_another_type_is_refused(demo, client):
    client.force_login(user("importeur"))
    profile = CreationProfile.objects.get(item_type__code="CONTR", code="NIEUW")
    response = client.post(URL, {"item_type": "SOLL", "profile": str(profile.pk)})
    assert response.status_code == 200
    assert "Choose a creation profile of type SOLL" in response.context["form"].errors["profile"][0]


def test_r03_a_type_the_user_may_not_use_cannot_be_posted(demo, client):
    client.force_login(user("profit"))
    response = client.post(URL, {"item_type": "SOLL"})
    assert response.status_code == 200
    assert "item_type" in response.context["form"].errors


def test_the_page_asks_a_bounded_number_of_queries(demo, client, django_assert_max_num_queries):
    client.force_login(user("admin"))
    with django_assert_max_num_queries(12):
        client.get(URL)


def test_the_wizard_speaks_dutch_to_a_dutch_browser(demo, client):
    client.force_login(user("importeur"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    page = client.get(URL).content.decode()
    assert "Welk type dossieritems importeert u?" in page
    assert "1. Type" in page and "3. Kolommen" in page
