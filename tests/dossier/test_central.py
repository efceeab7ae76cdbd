"""The central dossier of one relation (/admin/dossier/relation/<pk>/dossier/): which items it
holds, who sees which of them, its filters and pages, its query count, and the links to it
from the relation's page, the relations list and the item page.

The cast is the demo's: admin (superuser), importeur (SOLL, CORR, CONTR, KLACHT, CURSUS),
profit (CORR), zonderrechten (no types), and an outsider with every view permission who is
authorised for CORR and KLACHT but not for CONTR."""

import datetime as dt
import re
from itertools import count

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from dossier.demo import STAFF_GROUP
from dossier.models import Attachment, Contact, DossierItem, ItemType, Relation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Which types each user is authorised for (the demo world's contract, plus the outsider).
TYPES_OF = {
    "admin": {"SOLL", "CORR", "CONTR", "KLACHT", "CURSUS", "MEMO"},
    "importeur": {"SOLL", "CORR", "CONTR", "KLACHT", "CURSUS"},
    "profit": {"CORR"},
    "zonderrechten": set(),
    "outsider": {"CORR", "KLACHT"},
}
numbers = count(80000)


def add_item(type_code: str, *, relation=None, contact=None, days_ago: int = 0, **fields) -> DossierItem:
    """An item as the database holds it (the dossier only reads items)."""
    return DossierItem.objects.create(
        item_type=ItemType.objects.get(code=type_code),
        number=next(numbers),
        subject=fields.pop("subject", f"{type_code} item"),
        submitter=User.objects.get(username="admin"),
        submitted_at=timezone.now() - dt.timedelta(days=days_ago),
        relation=relation,
        contact=contact,
        **fields,
    )


@pytest.fixture
def outsider(demo):
    user = UserFactory(username="outsider", is_staff=True, has_insite_rights=True)
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    user.user_permissions.add(
        *Permission.objects.filter(codename__startswith="view_", content_type__app_label="dossier")
    )
    for code in TYPES_OF["outsider"]:
        ItemType.objects.get(code=code).authorised_users.add(user)
    return user


@pytest.fixture
def organisation(demo):
    return Relation.objects.get(number="20001")


@pytest.fixture
def world(demo, outsider, organisation):
    """Beside the demo's two letters on 20001 (through contact 30001): one item of every
    type on 20001, a course evaluation on contact 30001 alone, and items elsewhere."""
    contact = Contact.objects.get(contact_id="30001")
    own = [add_item(code, relation=organisation, days_ago=i) for i, code in enumerate(TYPES_OF["admin"])]
    own.append(add_item("CURSUS", contact=contact, days_ago=10, subject="Course on the contact only"))
    add_item("CORR", relation=Relation.objects.get(number="20002"), subject="Another organisation's letter")
    add_item("CORR", contact=Contact.objects.get(contact_id="30002"), subject="Another contact's letter")
    return {"contact": contact, "items": own}


def dossier_url(relation: Relation, query: str = "") -> str:
    return reverse("admin:dossier_relation_dossier", args=[relation.pk]) + query


def sign_in(client, username: str):
    client.force_login(User.objects.get(username=username))
    return client


def shown_pks(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/admin/dossier/dossieritem/(\d+)/change/"', response.content.decode())}


def in_dossier_of(relation: Relation) -> set[int]:
    """The items of the relation's dossier by the rule, independent of the page."""
    contacts = Contact.objects.filter(organisation=relation) | Contact.objects.filter(person=relation)
    return set(DossierItem.objects.filter(relation=relation).values_list("pk", flat=True)) | set(
        DossierItem.objects.filter(contact__in=contacts).values_list("pk", flat=True)
    )


# --- what the dossier holds --------------------------------------------------------------


def test_an_organisations_dossier_holds_its_items_and_its_contacts_items(world, organisation):
    found = set(DossierItem.objects.for_relation(organisation).values_list("subject", flat=True))
    assert "Course on the contact only" in found
    assert {"Offerteaanvraag kantoorinrichting", "Offerte kantoorinrichting"} <= found
    assert "Another organisation's letter" not in found and "Another contact's letter" not in found


def test_a_persons_dossier_holds_the_items_on_the_contacts_that_are_that_person(world):
    person = Relation.objects.get(number="10001")  # contact 30001 is this person at 20001
    mine = add_item("CORR", relation=person, subject="Letter to the person")
    found = set(DossierItem.objects.for_relation(person))
    assert mine in found
    assert set(DossierItem.objects.filter(contact=world["contact"])) <= found
    assert not any(item.relation == Relation.objects.get(number="20002") for item in found)


def test_an_item_regarding_a_role_of_the_relation_is_in_its_dossier(demo, organisation):
    regarding_sales = add_item("KLACHT", relation=organisation, regarding_sales=True, subject="About the debtor")
    assert regarding_sales in DossierItem.objects.for_relation(organisation)


def test_the_parts_of_a_dossier_make_up_the_whole_dossier_without_overlap(world):
    add_item("CORR", relation=Relation.objects.get(number="10001"), subject="Letter to the person")
    for number in ("20001", "10001", "20002", "10150"):
        relation = Relation.objects.get(number=number)
        parts = [set(part) for part in DossierItem.objects.for_relation_in_parts(relation)]
        assert sum(len(part) for part in parts) == len(set().union(*parts))
        assert set().union(*parts) == set(DossierItem.objects.for_relation(relation))


# --- who sees what -----------------------------------------------------------------------


@pytest.mark.parametrize("username", ["admin", "importeur", "profit", "zonderrechten", "outsider"])
def test_each_user_sees_exactly_the_dossier_items_of_his_types(client, world, organisation, username):
    response = sign_in(client, username).get(dossier_url(organisation))
    assert response.status_code == 200
    expected = {
        item.pk
        for item in DossierItem.objects.filter(pk__in=in_dossier_of(organisation)).select_related("item_type")
        if item.item_type.code in TYPES_OF[username]
    }
    assert shown_pks(response) == expected
    assert response.context["counts"].total == len(expected)
    offered = {choice.instance.code for choice, _label in list(response.context["form"].fields["type"].choices)[1:]}
    assert offered == TYPES_OF[username]


def test_a_user_without_types_sees_the_page_but_no_items(client, world, organisation):
    response = sign_in(client, "zonderrechten").get(dossier_url(organisation))
    assert response.status_code == 200
    assert "This dossier holds no item you may see." in response.content.decode()


def test_the_confidential_contract_does_not_reach_a_user_not_authorised_for_it(client, world, organisation):
    add_item("CONTR", relation=organisation, subject="GEHEIM salary contract")
    assert "GEHEIM" not in sign_in(client, "outsider").get(dossier_url(organisation)).content.decode()
    assert "GEHEIM" in sign_in(client, "importeur").get(dossier_url(organisation)).content.decode()


def test_it_requires_view_permission_on_relations(client, demo, organisation):
    staff = UserFactory(username="staff", is_staff=True)
    response = sign_in(client, "staff").get(dossier_url(organisation))
    assert response.status_code == 403
    assert staff.has_perm("dossier.view_relation") is False


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, organisation):
    response = client.get(dossier_url(organisation))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("key", ["999999", "abc"])
def test_an_unknown_relation_is_not_found(client, demo, key):
    response = sign_in(client, "importeur").get(f"/admin/dossier/relation/{key}/dossier/")
    assert response.status_code == 404


# --- the page ----------------------------------------------------------------------------


def test_the_page_shows_the_relation_its_roles_and_its_contacts(client, world, organisation):
    response = sign_in(client, "importeur").get(dossier_url(organisation))
    text = response.content.decode()
    assert response.context["title"] == f"Dossier of {organisation}"
    assert "sales relation D20001" in text
    assert str(world["contact"]) in text
    crumbs = re.search(r'<ol class="breadcrumbs">(.*?)</ol>', text, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<li.*?</li>", crumbs, re.S)] == [
        "Home",
        "Dossier",
        "Organisations/persons",
        str(organisation),
        "Dossier",
    ]


def test_items_come_newest_first_and_link_to_their_admin_page(client, world, organisation):
    rows = sign_in(client, "admin").get(dossier_url(organisation)).context["rows"]
    moments = [(item.submitted_at, item.pk) for item in rows]
    assert moments == sorted(moments, reverse=True)
    response = client.get(dossier_url(organisation))
    assert f'href="{reverse("admin:dossier_dossieritem_change", args=[rows[0].pk])}"' in response.content.decode()


def test_a_row_lists_its_attachments_with_name_size_and_links(client, world, organisation):
    letter = world["items"][0]
    for name, size in (("a.pdf", 1_258_291), ("b.docx", 10)):
        Attachment.objects.create(
            item=letter, file=ContentFile(b"x", name=name), original_name=name, sha256="0" * 64, size=size
        )
    response = sign_in(client, "admin").get(dossier_url(organisation))
    rows = response.context["rows"]
    page = response.content.decode()

    assert [a.original_name for a in {item.pk: item for item in rows}[letter.pk].attachments.all()] == [
        "a.pdf",
        "b.docx",
    ]
    a, b = Attachment.objects.filter(item=letter).order_by("pk")
    assert f'href="{reverse("dossier:attachment-download", args=[a.pk])}"' in page
    assert f'href="{reverse("dossier:attachment-view", args=[a.pk])}"' in page  # a PDF is shown in the browser
    assert reverse("dossier:attachment-view", args=[b.pk]) not in page  # a .docx is only downloaded
    assert "(1.2\xa0MB)" in page and "(10\xa0bytes)" in page
    assert f'href="{reverse("admin:dossier_relation_files", args=[organisation.pk])}"' in page


def test_the_type_filter_shows_only_that_type(client, world, organisation):
    response = sign_in(client, "importeur").get(dossier_url(organisation, "?type=KLACHT"))
    assert {item.item_type.code for item in response.context["rows"]} == {"KLACHT"}


def test_a_type_the_user_may_not_use_is_refused_with_a_message_and_not_applied(client, world, organisation):
    response = sign_in(client, "profit").get(dossier_url(organisation, "?type=CONTR"))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert {item.item_type.code for item in response.context["rows"]} == {"CORR"}


def test_the_date_filter_takes_whole_days(client, world, organisation):
    today = timezone.localdate()
    query = f"?submitted_from={today - dt.timedelta(days=1)}&submitted_to={today}"
    rows = sign_in(client, "admin").get(dossier_url(organisation, query)).context["rows"]
    expected = {
        item.pk
        for item in DossierItem.objects.filter(pk__in=in_dossier_of(organisation))
        if today - dt.timedelta(days=1) <= timezone.localdate(item.submitted_at) <= today
    }
    assert {item.pk for item in rows} == expected and expected


def test_a_wrong_date_is_named_and_the_other_filters_still_apply(client, world, organisation):
    response = sign_in(client, "admin").get(dossier_url(organisation, "?submitted_from=31-31-2025&type=CORR"))
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()
    assert {item.item_type.code for item in response.context["rows"]} == {"CORR"}


def test_an_end_before_the_start_is_named(client, world, organisation):
    response = sign_in(client, "admin").get(
        dossier_url(organisation, "?submitted_from=2025-02-01&submitted_to=2025-01-01")
    )
    assert "The end date is before the start date" in response.content.decode()


@pytest.mark.parametrize("done, expected", [("yes", {True}), ("no", {False})])
def test_the_done_filter(client, world, organisation, done, expected):
    DossierItem.objects.filter(pk=world["items"][0].pk).update(done=True)
    rows = sign_in(client, "admin").get(dossier_url(organisation, f"?done={done}")).context["rows"]
    assert rows and {item.done for item in rows} == expected


def test_the_dossier_is_paged_by_fifty(client, demo, organisation):
    for day in range(120):
        add_item("CORR", relation=organisation, days_ago=day)
    sign_in(client, "importeur")
    total = DossierItem.objects.for_relation(organisation).count()
    pages = [client.get(dossier_url(organisation, f"?p={n}")).context["rows"] for n in (1, 2, 3)]
    assert [len(rows) for rows in pages] == [50, 50, total - 100]
    assert len({item.pk for rows in pages for item in rows}) == total
    page_two = client.get(dossier_url(organisation, "?type=CORR&p=1")).content.decode()
    assert 'href="?type=CORR&amp;p=2"' in page_two


@pytest.mark.parametrize(
    "page, message",
    [("abc", "The page number is not a number; the first page is shown."), ("99", "There is no page 99")],
)
def test_a_wrong_page_number_gets_a_message_not_an_error(client, world, organisation, page, message):
    response = sign_in(client, "admin").get(dossier_url(organisation, f"?p={page}"))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["rows"]


def test_the_title_is_dutch_for_a_dutch_user(client, world, organisation):
    sign_in(client, "importeur")
    with translation.override("nl"):
        response = client.get(dossier_url(organisation), headers={"accept-language": "nl"})
    text = response.content.decode()
    assert f"Dossier van {organisation}" in text
    assert "Alle soorten" in text


# --- query counts ------------------------------------------------------------------------


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("username", ["admin", "importeur"])
def test_the_number_of_queries_does_not_grow_with_the_items(
    client, demo, organisation, username, django_assert_num_queries
):
    contact = Contact.objects.get(contact_id="30001")
    sign_in(client, username)

    def add(n):
        for i in range(n):
            item = add_item("KLACHT" if i % 2 else "CORR", relation=organisation, contact=contact if i % 3 else None)
            Attachment.objects.create(
                item=item, file=ContentFile(b"x", name="a.pdf"), original_name="a.pdf", sha256="0"
            )

    add(3)
    client.get(dossier_url(organisation))  # the session is warm
    few = queries_of(client, dossier_url(organisation))
    add(27)
    with django_assert_num_queries(few):
        response = client.get(dossier_url(organisation))
    assert len(response.context["rows"]) >= 30


def test_the_relations_list_counts_visible_items_without_a_query_per_row(
    client, world, organisation, django_assert_num_queries
):
    sign_in(client, "profit")
    url = reverse("admin:dossier_relation_changelist") + "?kind__exact=organisation"
    client.get(url)
    few = queries_of(client, url)
    for number in ("20003", "20004", "10005"):
        add_item("CORR", relation=Relation.objects.get(number=number))
    with django_assert_num_queries(few):
        response = client.get(url)
    counts = {relation.pk: relation.item_count for relation in response.context["cl"].result_list}
    expected = DossierItem.objects.filter(pk__in=in_dossier_of(organisation), item_type__code="CORR").count()
    assert counts[organisation.pk] == expected
    assert f'<a href="{dossier_url(organisation)}">{expected}</a>' in response.content.decode()


def test_the_relations_list_counts_a_persons_items_on_his_contacts(client, world):
    person = Relation.objects.get(number="10001")  # contact 30001 at 20001
    response = sign_in(client, "importeur").get(reverse("admin:dossier_relation_changelist") + "?q=10001")
    counts = {relation.pk: relation.item_count for relation in response.context["cl"].result_list}
    dossier = sign_in(client, "importeur").get(dossier_url(person))
    assert counts[person.pk] == dossier.context["counts"].total > 0


# --- links to the dossier ----------------------------------------------------------------


def test_the_relations_page_links_to_its_dossier(client, demo, organisation):
    response = sign_in(client, "importeur").get(reverse("admin:dossier_relation_change", args=[organisation.pk]))
    assert f'href="{dossier_url(organisation)}"' in response.content.decode()


def test_the_item_page_links_to_the_dossier_of_its_relation(client, demo, organisation):
    item = DossierItem.objects.filter(relation=organisation).first()
    response = sign_in(client, "importeur").get(reverse("dossier:item-detail", args=[item.pk]))
    assert f'href="{dossier_url(organisation)}"' in response.content.decode()


def test_the_item_page_of_an_item_on_a_contact_only_links_to_the_contacts_organisation(client, world, organisation):
    item = DossierItem.objects.get(subject="Course on the contact only")
    response = sign_in(client, "importeur").get(reverse("dossier:item-detail", args=[item.pk]))
    assert f'href="{dossier_url(organisation)}"' in response.content.decode()


def test_a_long_subject_is_cut_in_the_dossier_and_whole_in_its_title(client, world, organisation):
    subject = "Brief " + "s" * 249
    add_item("CORR", relation=organisation, subject=subject, text="t" * 30_000)
    response = sign_in(client, "admin").get(dossier_url(organisation))
    content = response.content.decode()
    assert f'title="{subject}"' in content
    assert subject[:79] + "…" in content
    assert "t" * 100 not in content
