"""The ways into the wizard: the admin index ("Import dossier items") and an item type's page
("Import items of this type", "Download the template"); a user without rights never sees them."""

import pytest
from django.urls import reverse

from dossier.models import ItemType
from tests.imports.wizard import user

pytestmark = pytest.mark.django_db


def test_the_admin_index_links_to_the_wizard(demo, client):
    client.force_login(user("importeur"))
    page = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("imports:new")}"' in page
    assert "Import dossier items" in page


def test_r02_zonderrechten_sees_no_link_on_the_admin_index(demo, client):
    client.force_login(user("zonderrechten"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert reverse("imports:new") not in response.content.decode()


def type_page(code: str) -> str:
    return reverse("admin:dossier_itemtype_change", args=[ItemType.objects.get(code=code).pk])


def test_the_type_page_links_to_the_wizard_with_the_type_chosen_and_to_its_template(demo, client):
    client.force_login(user("importeur"))
    page = client.get(type_page("KLACHT")).content.decode()
    assert f'href="{reverse("imports:new")}?type=KLACHT"' in page
    assert f'href="{reverse("imports:template", args=["KLACHT"])}"' in page
    assert "Import items of this type" in page and "Download the template" in page


def test_r02_zonderrechten_sees_no_links_on_the_type_page(demo, client):
    from django.contrib.auth.models import Permission

    zonder = user("zonderrechten")
    zonder.user_permissions.add(Permission.objects.get(codename="view_itemtype"))
    ItemType.objects.get(code="CORR").authorised_users.add(zonder)  # authorised, but no rights (R2)
    client.force_login(zonder)
    response = client.get(type_page("CORR"))
    assert response.status_code == 200
    assert "Import items of this type" not in response.content.decode()


def test_r03_the_type_page_of_a_type_the_user_may_not_use_has_no_links(demo, client):
    from django.contrib.auth.models import Permission

    profit = user("profit")
    client.force_login(profit)
    assert client.get(type_page("SOLL")).status_code == 302  # he does not see the type at all
    profit.user_permissions.add(Permission.objects.get(codename="change_itemtype"))  # he configures types
    response = client.get(type_page("SOLL"))
    assert response.status_code == 200
    assert "Import items of this type" not in response.content.decode()
    assert "Import items of this type" in client.get(type_page("CORR")).content.decode()


def test_r05_the_page_of_a_type_that_cannot_be_imported_has_no_links(demo, client):
    client.force_login(user("admin"))
    page = client.get(type_page("MEMO")).content.decode()
    assert "Import items of this type" not in page
