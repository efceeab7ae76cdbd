"""No page shows a link its reader may not follow (issue 9, part 6): every <a href> on the
admin index, the items list, the relations list and a relation's page answers each demo user
with neither 403 nor 404. The generic guard for every link a later page adds there."""

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse

from accounts.models import User
from dossier.models import Relation

pytestmark = pytest.mark.django_db

DEMO_CAST = ["admin", "importeur", "profit", "zonderrechten"]
# Links of one kind (the same view, the same query parameters) that are followed: the
# first few, so that a list of a hundred rows does not cost a hundred requests.
PER_KIND = 2


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links_on(page_url: str, html: str) -> list[str]:
    """The page's own links (this site, not an anchor or a mail address), made absolute."""
    parser = Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        if href.startswith(("#", "mailto:", "javascript:")):
            continue
        url = urljoin(page_url, href)
        if urlsplit(url).netloc not in ("", "testserver"):
            continue
        found.append(urlsplit(url)._replace(scheme="", netloc="").geturl())
    return found


def kind_of(url: str) -> tuple:
    parts = urlsplit(url)
    try:
        view = resolve(parts.path).view_name
    except Resolver404:
        view = parts.path
    return view, tuple(sorted(key for key, _value in parse_qsl(parts.query, keep_blank_values=True)))


def pages_of_the_review(relation: Relation) -> list[str]:
    return [
        reverse("admin:index"),
        reverse("admin:dossier_dossieritem_changelist"),
        reverse("admin:dossier_relation_changelist"),
        reverse("admin:dossier_relation_change", args=[relation.pk]),
    ]


def dead_links(client, username: str) -> list[tuple[str, str, int]]:
    client.force_login(User.objects.get(username=username))
    relation = Relation.objects.filter(contacts__isnull=False).first() or Relation.objects.first()
    followed: dict[tuple, int] = {}
    dead = []
    for page in pages_of_the_review(relation):
        response = client.get(page)
        if response.status_code != 200:
            continue  # a page the user may not open has no links to check; its own link is checked where shown
        for url in dict.fromkeys(links_on(page, response.text)):
            kind = kind_of(url)
            if followed.get(kind, 0) >= PER_KIND:
                continue
            followed[kind] = followed.get(kind, 0) + 1
            status = client.get(url).status_code
            if status in (403, 404):
                dead.append((page, url, status))
    return dead


@pytest.mark.parametrize("username", DEMO_CAST)
def test_no_link_on_the_review_pages_leads_a_demo_user_to_a_refusal(client, demo, username):
    assert dead_links(client, username) == []


def test_the_guard_finds_a_link_that_leads_to_a_refusal(client, demo, monkeypatch):
    """The guard can fail: a link to the record page shown to zonderrechten is found."""
    from dossier import access

    monkeypatch.setattr(access, "may_record_items", lambda user: True)

    dead = dead_links(client, "zonderrechten")

    assert (reverse("admin:index"), reverse("dossier:record-choose"), 403) in dead


@pytest.mark.parametrize(
    ("username", "shown"), [("admin", True), ("importeur", True), ("profit", True), ("zonderrechten", False)]
)
def test_the_admin_index_offers_recording_and_importing_only_to_who_may(client, demo, username, shown):
    client.force_login(User.objects.get(username=username))

    page = client.get(reverse("admin:index")).text

    assert ("Record a dossier item" in page) is shown
    assert ("Import dossier items" in page) is shown
    assert (reverse("dossier:record-choose") in page) is shown


def test_a_user_with_rights_but_no_type_is_offered_no_recording(client, demo):
    from dossier.models import ItemType

    profit = User.objects.get(username="profit")
    for item_type in ItemType.objects.filter(authorised_users=profit):
        item_type.authorised_users.remove(profit)
    client.force_login(profit)

    page = client.get(reverse("admin:index")).text

    assert "Record a dossier item" not in page and "Import dossier items" not in page
