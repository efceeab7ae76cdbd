"""The user admin shows and edits the InSite/Profit rights (R2) and the types a user may use (R3)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import User
from tests.factories import ItemTypeFactory


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_it_shows_the_rights_flags_on_the_user_change_page(root_client, alice):
    response = root_client.get(reverse("admin:accounts_user_change", args=[alice.pk]))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form["has_insite_rights"].value() is True
    assert form["has_profit_rights"].value() is False
    assert 'name="has_insite_rights"' in response.text
    assert 'name="has_profit_rights"' in response.text


def test_it_shows_the_types_a_user_is_authorised_for_directly_and_through_a_group(root_client, alice, alice_type):
    group = Group.objects.create(name="Complaints")
    group.user_set.add(alice)
    ItemTypeFactory(code="KLACHT", name="Complaint").authorised_groups.add(group)
    ItemTypeFactory(code="MEMO", name="Memo")

    response = root_client.get(reverse("admin:accounts_user_change", args=[alice.pk]))

    assert "LETTER Letter" in response.text
    assert "KLACHT Complaint" in response.text
    assert "MEMO Memo" not in response.text


def test_it_says_when_a_user_is_authorised_for_no_type(root_client, bob):
    response = root_client.get(reverse("admin:accounts_user_change", args=[bob.pk]))

    assert "None. Authorise the user on a dossier item type." in response.text


def test_it_saves_the_rights_flags(root_client, charlie):
    url = reverse("admin:accounts_user_change", args=[charlie.pk])
    form = root_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in ("username", "email", "first_name", "last_name")}
    data = {key: value or "" for key, value in data.items()}
    data.update({"is_active": "on", "has_profit_rights": "on", "date_joined_0": "2025-01-01", "date_joined_1": "10:00"})

    response = root_client.post(url, data)

    assert response.status_code == 302
    charlie.refresh_from_db()
    assert (charlie.has_insite_rights, charlie.has_profit_rights) == (False, True)


def test_it_creates_a_user_with_rights_from_the_add_page(root_client):
    response = root_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "importer",
            "usable_password": "true",
            "password1": "a-long-Secret-42",
            "password2": "a-long-Secret-42",
            "has_insite_rights": "on",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(username="importer").has_insite_rights is True


def test_it_filters_users_by_rights(root_client, alice, bob):
    response = root_client.get(reverse("admin:accounts_user_changelist"), {"has_profit_rights__exact": "1"})

    usernames = {user.username for user in response.context["cl"].result_list}
    assert "bob" in usernames
    assert "alice" not in usernames


def test_it_keeps_non_staff_users_out_of_the_user_admin(client, charlie):
    client.force_login(charlie)

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("page", ["group", "user"])
def test_a_permission_key_beyond_the_integer_range_is_an_invalid_choice_not_a_server_error(client, root, page):
    target = Group.objects.create(name="Importers") if page == "group" else root
    client.force_login(root)
    client.raise_request_exception = False
    url = reverse(f"admin:{'auth' if page == 'group' else 'accounts'}_{page}_change", args=[target.pk])
    form = (
        {"name": "Importers"}
        if page == "group"
        else {"username": "root", "date_joined_0": "2026-01-01", "date_joined_1": "10:00", "language": ""}
    )

    response = client.post(
        url, {**form, "user_permissions" if page == "user" else "permissions": "99999999999999999999"}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
