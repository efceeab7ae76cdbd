"""The items list (`/admin/dossier/dossieritem/`): who sees which rows and filter choices,
each filter, the search, the columns, and a query count that does not grow with the items."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from dossier.demo import STAFF_GROUP
from dossier.models import CharacteristicValue, DossierItem, ItemType, Relation, Workflow, WorkflowInstance
from imports.models import ImportJob
from tests.factories import RelationFactory, UserFactory

URL = "/admin/dossier/dossieritem/"
SECRET_SUBJECT = "Salary of the new director"


def _at(day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2025, 3, day, 12, 0))


@pytest.fixture
def world(demo):
    """The demo world (items of CORR and KLACHT) plus a confidential contract, a memo and a
    course evaluation, and a staff user authorised for CORR and KLACHT but not for CONTR."""
    users = {user.username: user for user in Group.objects.get(name=STAFF_GROUP).user_set.all()}
    users["admin"] = type(users["importeur"]).objects.get(username="admin")
    types = {t.code: t for t in ItemType.objects.all()}
    importeur = users["importeur"]
    employee = Relation.objects.get(number="10001")
    contract = DossierItem.objects.create(
        item_type=types["CONTR"],
        number=501,
        subject=SECRET_SUBJECT,
        submitter=importeur,
        relation=employee,
        submitted_at=_at(3),
    )
    memo = DossierItem.objects.create(item_type=types["MEMO"], number=502, subject="Canteen", submitter=users["admin"])
    notcontr = UserFactory(username="notcontr", is_staff=True, has_insite_rights=True)
    notcontr.groups.add(Group.objects.get(name=STAFF_GROUP))
    for code in ("CORR", "KLACHT"):
        types[code].authorised_users.add(notcontr)
    users["notcontr"] = notcontr
    return {"users": users, "types": types, "contract": contract, "memo": memo}


def listing(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def rows(response) -> set[str]:
    return {f"{item.item_type.code} {item.number}" for item in response.context["cl"].result_list}


def codes(response) -> set[str]:
    return {item.item_type.code for item in response.context["cl"].result_list}


def filter_spec(response, title: str):
    return next(spec for spec in response.context["cl"].filter_specs if str(spec.title) == title)


# --- rights ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("admin", {"CORR", "KLACHT", "CONTR", "MEMO"}),
        ("importeur", {"CORR", "KLACHT", "CONTR"}),
        ("profit", {"CORR"}),
        ("zonderrechten", set()),
        ("notcontr", {"CORR", "KLACHT"}),
    ],
)
def test_each_user_lists_only_the_items_of_his_types(client, world, username, expected):
    response = listing(client, world["users"][username])

    assert codes(response) == expected
    assert response.context["cl"].result_count == DossierItem.objects.filter(item_type__code__in=expected).count()


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("admin", {"SOLL", "CORR", "CONTR", "KLACHT", "CURSUS", "MEMO"}),
        ("importeur", {"SOLL", "CORR", "CONTR", "KLACHT", "CURSUS"}),
        ("profit", {"CORR"}),
        ("zonderrechten", set()),
        ("notcontr", {"CORR", "KLACHT"}),
    ],
)
def test_the_type_filter_offers_only_the_types_the_user_may_see(client, world, username, expected):
    response = listing(client, world["users"][username])

    specs = [spec for spec in response.context["cl"].filter_specs if str(spec.title) == "type"]
    offered = {label.split()[0] for spec in specs for _pk, label in spec.lookup_choices}
    assert offered == (expected if len(expected) > 1 else set())  # one type leaves nothing to choose


def test_a_user_not_authorised_for_contracts_never_meets_one(client, world):
    user = world["users"]["notcontr"]
    pages = [
        listing(client, user),
        listing(client, user, _facets="1"),
        listing(client, user, q="director"),
        listing(client, user, q=str(world["contract"].number)),
        listing(client, user, relation="10001"),
        listing(client, user, item_type__id__exact=world["types"]["CONTR"].pk),
    ]

    for page in pages:
        assert SECRET_SUBJECT not in page.text
        assert "Contract" not in page.text
        assert "CONTR" not in codes(page)


def test_the_list_offers_no_facet_counts_which_would_count_every_visible_item(client, world):
    response = listing(client, world["users"]["profit"], _facets="1")

    done = filter_spec(response, "done")
    counts = [choice["display"] for choice in done.choices(response.context["cl"])]
    assert counts == ["All", "Yes", "No"]
    assert "Show counts" not in response.text


def test_the_characteristic_filter_offers_the_values_of_the_users_types(client, world):
    profit = listing(client, world["users"]["profit"])
    importeur = listing(client, world["users"]["importeur"])

    def offered(response):
        return {label for _pk, label in filter_spec(response, "characteristic").lookup_choices}

    assert offered(profit) == {"Richting: Inkomend", "Richting: Uitgaand"}
    assert offered(importeur) == offered(profit) | {"Ernst: Laag", "Ernst: Midden", "Ernst: Hoog"}


def test_the_import_filter_offers_only_imports_of_visible_items(client, world):
    users, types = world["users"], world["types"]
    contract_job = ImportJob.objects.create(user=users["admin"], item_type=types["CONTR"], file_name="contracts.csv")
    letter_job = ImportJob.objects.create(user=users["admin"], item_type=types["CORR"], file_name="letters.csv")
    world["contract"].import_job = contract_job
    world["contract"].save()
    DossierItem.objects.filter(item_type__code="CORR").update(import_job=letter_job)
    notcontr_job = ImportJob.objects.create(user=users["notcontr"], item_type=types["CORR"], file_name="mine.csv")

    admin = listing(client, users["admin"])
    notcontr = listing(client, users["notcontr"])

    def offered(response):
        specs = [spec for spec in response.context["cl"].filter_specs if str(spec.title) == "import"]
        return {label.split()[-1] for spec in specs for _pk, label in spec.lookup_choices}

    assert offered(admin) == {"contracts.csv", "letters.csv"}
    assert offered(notcontr) == set()  # his own job made no items; the others are not his
    assert notcontr_job.file_name not in notcontr.text


# --- filters --------------------------------------------------------------------------------


def test_it_filters_by_relation_number_and_by_name(client, world):
    admin = world["users"]["admin"]
    organisation = Relation.objects.get(number="20001")

    by_number = listing(client, admin, relation="20001")
    by_name = listing(client, admin, relation=organisation.name[3:].lower())

    expected = set(DossierItem.objects.filter(relation=organisation).values_list("number", flat=True))
    assert expected
    assert {item.number for item in by_number.context["cl"].result_list} == expected
    assert {item.number for item in by_name.context["cl"].result_list} == expected


def test_the_relation_filter_is_a_labelled_input_that_keeps_the_other_filters(client, world):
    response = listing(client, world["users"]["admin"], done__exact="1", relation="20001")

    assert '<label for="id_filter_relation">Number or name:</label>' in response.text
    assert 'name="relation" value="20001"' in response.text
    assert '<input type="hidden" name="done__exact" value="1">' in response.text


def test_it_filters_by_a_submit_date_range(client, world):
    admin = world["users"]["admin"]
    DossierItem.objects.filter(subject="Canteen").update(submitted_at=_at(20))

    inside = listing(client, admin, submitted_from="2025-03-01", submitted_to="2025-03-03")
    open_end = listing(client, admin, submitted_from="2025-03-04")
    the_day = listing(client, admin, submitted_from="2025-03-20", submitted_to="2025-03-20")

    assert rows(inside) == {"CONTR 501"}
    assert "CONTR 501" not in rows(open_end)
    assert "MEMO 502" in rows(open_end)
    assert rows(the_day) == {"MEMO 502"}


def test_a_reversed_date_range_is_refused_with_a_message(client, world):
    response = listing(client, world["users"]["admin"], submitted_from="2025-03-10", submitted_to="2025-03-01")

    assert "The submit date range starts after it ends" in response.text
    assert response.context["cl"].result_count == DossierItem.objects.count()


def test_it_filters_by_done(client, world):
    response = listing(client, world["users"]["admin"], done__exact="1")

    assert {item.subject for item in response.context["cl"].result_list} == {"Levering een dag te laat"}


@pytest.mark.parametrize("few", [5000, 0], ids=["few items, by their keys", "many items, by the condition"])
def test_it_filters_by_workflow_state(client, world, monkeypatch, few):
    from review import filters

    monkeypatch.setattr(filters, "FEW_ITEMS", few)
    workflow = Workflow.objects.get(code="ESCALATIE")
    first, second = workflow.tasks.order_by("position")[:2]
    letters = list(DossierItem.objects.filter(item_type__code="CORR").order_by("pk"))
    WorkflowInstance.objects.create(item=letters[0], workflow=workflow, current_task=first)
    WorkflowInstance.objects.create(item=letters[1], workflow=workflow, current_task=second)
    WorkflowInstance.objects.create(item=letters[2], workflow=workflow, current_task=None)
    admin = world["users"]["admin"]

    at_first = listing(client, admin, workflow=first.pk)
    finished = listing(client, admin, workflow="finished")
    without = listing(client, admin, workflow="none")

    def found(response) -> set[int]:
        return {item.pk for item in response.context["cl"].result_list}

    instances = WorkflowInstance.objects.all()
    assert found(at_first) == set(instances.filter(current_task=first).values_list("item", flat=True))
    assert letters[0].pk in found(at_first)
    assert found(finished) == {letters[2].pk}
    assert found(without) == set(
        DossierItem.objects.exclude(pk__in=instances.values("item")).values_list("pk", flat=True)
    )
    assert letters[1].pk not in found(without)


def test_the_workflow_filter_offers_tasks_only_of_workflows_the_users_types_lead_into(client, world):

    def offered(username):
        response = listing(client, world["users"][username])
        return [str(label) for _value, label in filter_spec(response, "workflow state").lookup_choices]

    assert any(label.startswith("Escalatie:") for label in offered("importeur"))
    assert offered("profit") == ["No workflow", "Finished"]  # letters enter no workflow


def test_it_filters_by_characteristic_value(client, world):
    high = CharacteristicValue.objects.get(characteristic__code="ERNST", code="HOOG")

    response = listing(client, world["users"]["admin"], characteristic=high.pk)

    assert {item.subject for item in response.context["cl"].result_list} == {"Installatie defect bij oplevering"}


@pytest.mark.parametrize("rare_up_to", [5000, 0], ids=["a rare value, by its items' keys", "a common value"])
def test_the_characteristic_filter_lists_the_same_items_whether_the_value_is_rare_or_common(
    client, world, monkeypatch, rare_up_to
):
    from review import filters

    monkeypatch.setattr(filters, "FEW_ITEMS", rare_up_to)
    high = CharacteristicValue.objects.get(characteristic__code="ERNST", code="HOOG")
    assert (filters.items_with_rare_value(high.pk) is None) == (rare_up_to == 0)

    for_admin = listing(client, world["users"]["admin"], characteristic=high.pk)
    for_profit = listing(client, world["users"]["profit"], characteristic=high.pk)  # KLACHT is not his

    assert {item.subject for item in for_admin.context["cl"].result_list} == {"Installatie defect bij oplevering"}
    assert rows(for_profit) == set()


def test_it_filters_by_type(client, world):
    response = listing(client, world["users"]["importeur"], item_type__id__exact=world["types"]["KLACHT"].pk)

    assert codes(response) == {"KLACHT"}


def test_a_type_the_filter_does_not_offer_still_narrows_the_list(client, world):
    profit = world["users"]["profit"]  # one type: the type filter is not shown to him
    hidden = listing(client, profit, item_type__id__exact=world["types"]["CONTR"].pk)
    own = listing(client, profit, item_type__id__exact=world["types"]["CORR"].pk)

    assert rows(hidden) == set()
    assert codes(own) == {"CORR"}


# --- search ---------------------------------------------------------------------------------


def test_a_number_finds_the_item_and_the_items_of_the_relation_with_that_number(client, world):
    admin = world["users"]["admin"]

    by_item = listing(client, admin, q="501")
    by_relation = listing(client, admin, q="10001")

    assert rows(by_item) == {"CONTR 501"}
    assert rows(by_relation) == {"CONTR 501"}


def test_text_finds_items_by_subject_and_by_relation_name(client, world):
    admin = world["users"]["admin"]
    employee = Relation.objects.get(number="10001")

    by_subject = listing(client, admin, q="director")
    by_name = listing(client, admin, q=employee.name.split()[-1])

    assert rows(by_subject) == {"CONTR 501"}
    assert "CONTR 501" in rows(by_name)


# --- columns --------------------------------------------------------------------------------


def test_a_long_subject_is_cut_short_with_the_whole_in_its_title(client, world):
    long_subject = "Een heel lang onderwerp " * 6
    DossierItem.objects.filter(pk=world["memo"].pk).update(subject=long_subject)

    response = listing(client, world["users"]["admin"])

    assert f'title="{long_subject}"' in response.text
    assert f">{long_subject}<" not in response.text


def test_the_relation_column_names_the_relation(client, world):
    response = listing(client, world["users"]["importeur"], q="501")

    assert "10001 " + Relation.objects.get(number="10001").name in response.text


def test_the_list_takes_the_same_number_of_queries_for_5_and_for_50_items(client, world):
    users, types = world["users"], world["types"]
    letters, complaints = types["CORR"], types["KLACHT"]
    admin = users["admin"]

    def grow(count: int, start: int) -> None:
        for n in range(start, start + count):
            relation = RelationFactory()
            job = ImportJob.objects.create(user=admin, item_type=letters, file_name=f"{n}.csv")
            DossierItem.objects.create(
                item_type=letters if n % 2 else complaints,
                number=1000 + n,
                subject=f"Item {n}",
                submitter=admin,
                relation=relation,
                import_job=job,
            )

    def count(user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"_facets": "1"}).status_code == 200
        return len(queries)

    grow(5, 0)
    before = {name: count(users[name]) for name in ("admin", "importeur", "profit")}
    grow(45, 5)
    after = {name: count(users[name]) for name in ("admin", "importeur", "profit")}

    assert after == before


def test_the_filters_are_labelled_in_dutch(client, world):
    user = world["users"]["importeur"]
    user.language = "nl"
    user.save()
    client.force_login(user)

    with translation.override("nl"):
        response = client.get(URL, headers={"accept-language": "nl"})

    text = response.text
    assert "Nummer of naam" in text
    assert "Geen workflow" in text
    assert "Filteren" in text


def test_staff_without_the_view_permission_is_refused(client, world):
    stranger = UserFactory(username="stranger", is_staff=True)
    stranger.user_permissions.set(Permission.objects.none())

    client.force_login(stranger)

    assert client.get(URL).status_code == 403


def test_a_list_longer_than_the_count_cap_says_more_than_and_pages_the_first_rows(client, world, monkeypatch):
    from review.admin import DossierItemAdmin
    from review.paging import CappedCountPaginator

    admin = world["users"]["admin"]
    visible = DossierItem.objects.visible_to(admin).count()
    assert visible > 3
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    monkeypatch.setattr(DossierItemAdmin, "list_per_page", 2)
    response = listing(client, admin)

    assert response.context["cl"].result_count == 3
    assert "More than 3 dossier items" in response.text
    assert len(response.context["cl"].result_list) == 2
    monkeypatch.setattr(CappedCountPaginator, "cap", visible)
    assert "More than" not in listing(client, admin).text


# --- a link on an import the user may not see ------------------------------------------------


@pytest.fixture
def admins_letters(world):
    """Admin's import of the CORR letters, items profit may see (CORR is his type)."""
    users, types = world["users"], world["types"]
    job = ImportJob.objects.create(user=users["admin"], item_type=types["CORR"], file_name="admins-letters.csv")
    DossierItem.objects.filter(item_type__code="CORR").update(import_job=job)
    return job


REFUSED = "an import that does not exist or that you may not see"


def test_a_list_filtered_on_another_users_import_says_so_and_lists_nothing(client, world, admins_letters):
    response = listing(client, world["users"]["profit"], import_job__id__exact=admins_letters.pk)

    assert REFUSED in response.text
    assert list(response.context["cl"].result_list) == []
    assert "admins-letters.csv" not in response.text


def test_a_list_filtered_on_an_import_that_does_not_exist_says_so_and_lists_nothing(client, world, admins_letters):
    for key in ("0b8f5a5e-4c1e-4f7a-9d61-000000000000", "not-a-key"):
        response = listing(client, world["users"]["profit"], import_job__id__exact=key)

        assert REFUSED in response.text
        assert list(response.context["cl"].result_list) == []


def test_another_lookup_on_the_import_is_refused_as_well(client, world, admins_letters):
    for name in ("import_job", "import_job__exact", "import_job__id", "import_job__in"):
        client.force_login(world["users"]["profit"])
        response = client.get(URL, {name: str(admins_letters.pk)})

        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert REFUSED in response.text
            assert list(response.context["cl"].result_list) == []


def test_the_owner_still_lists_the_items_of_his_import(client, world, admins_letters):
    response = listing(client, world["users"]["admin"], import_job__id__exact=admins_letters.pk)

    assert REFUSED not in response.text
    assert codes(response) == {"CORR"}
    assert response.context["cl"].result_count == DossierItem.objects.filter(import_job=admins_letters).count()


def test_the_import_filter_costs_the_same_queries_for_5_and_for_50_jobs_that_made_nothing(
    client, world, django_assert_max_num_queries
):
    profit = world["users"]["profit"]
    letters = world["types"]["CORR"]

    def jobs(count: int) -> None:
        for n in range(count):
            ImportJob.objects.create(user=profit, item_type=letters, file_name=f"empty-{n}.csv", state="failed")

    jobs(5)
    client.force_login(profit)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    jobs(45)

    with django_assert_max_num_queries(len(queries)):
        assert client.get(URL).status_code == 200


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL's depends on its statistics")
def test_the_done_filter_and_the_searchs_count_of_a_user_of_one_type_read_their_own_indexes(world):
    from django.db.models import Q

    profit = world["users"]["profit"]
    items = DossierItem.objects.visible_to(profit, types_first=True)
    done_page = items.filter(done=True).order_by("-submitted_at", "-pk")[:50]
    search_count = items.filter(Q(subject__icontains="levering") | Q(relation__in=[1, 2])).order_by().values("pk")

    assert "item_type_done_idx" in done_page.explain()
    assert "COVERING INDEX item_search_idx" in search_count[:10001].explain()


# --- why the list is empty, and the export button (issue 19, part 9) ------------------------------

EXPORT_URL = "/admin/dossier/dossieritem/export/"


def test_a_user_of_no_type_is_told_why_the_list_is_empty_and_gets_no_export(client, world):
    response = listing(client, world["users"]["zonderrechten"])
    content = response.content.decode()
    assert rows(response) == set()
    assert 'id="items-empty-reason"' in content
    assert "authorised for no item type" in content
    assert EXPORT_URL not in content
    assert client.get(EXPORT_URL).status_code == 403


def test_a_user_of_some_type_sees_no_reason_and_the_export_button(client, world):
    content = listing(client, world["users"]["notcontr"]).content.decode()
    assert 'id="items-empty-reason"' not in content
    assert EXPORT_URL in content
    assert client.get(EXPORT_URL).status_code == 200


def test_a_user_without_view_permission_is_told_what_he_lacks(client, db):
    clerk = UserFactory(username="clerk", is_staff=True, has_insite_rights=True)
    client.force_login(clerk)
    response = client.get(URL)
    assert response.status_code == 403
    assert "permission to view dossier items" in response.content.decode()
    assert client.get(EXPORT_URL).status_code == 403


def test_the_reason_is_in_dutch_for_a_dutch_user(client, world):
    client.force_login(world["users"]["zonderrechten"])
    with translation.override("nl"):
        content = client.get(URL, headers={"accept-language": "nl"}).content.decode()
    assert "voor geen enkel type dossieritem geautoriseerd" in content
