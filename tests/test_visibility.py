"""One rule of visibility everywhere in the admin (issue 7, part 1).

A confidential CONTR item (its subject, its salary, its attachment's name, its reaction) and
the import jobs of importeur (file names, problems quoting a cell value) are walked through
every admin URL of the models that show them, as each demo user and as an outsider: a user
with InSite rights and every view permission who is not authorised for CONTR. Those who may
not see them never find them in a page; those who may, do.
"""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.urls import reverse

from dossier.demo import STAFF_GROUP
from dossier.models import (
    Attachment,
    DossierItem,
    ItemType,
    Reaction,
    ReviewProfile,
    ReviewTask,
    Workflow,
    WorkflowInstance,
)
from imports.models import ImportJob, SavedMapping, WithdrawnReviewTask
from tests.factories import UserFactory

SUBJECT = "Arbeidsovereenkomst GEHEIM-SUBJECT"
SALARY = "98765.43"
ATTACHMENT = "loonstrook-GEHEIM-ATTACHMENT.pdf"
REACTION = "Reactie GEHEIM-REACTION"
NOTICE_SUBJECT = "Contract GEHEIM-WITHDRAWN"  # the administrator's notice of a task an undo removed
JOB_FILE = "salarissen-GEHEIM-JOBFILE.xlsx"
JOB_CELL = "GEHEIM-CELL-77123"  # a cell value a problem quotes
OPEN_JOB_FILE = "brieven-GEHEIM-OPENJOB.csv"  # a job of importeur that made a non-confidential item
MAPPING_HEADER = "GEHEIM-MAPPING-HEADER"  # a mapping shared with CONTR's users
ADMIN_MAPPING_HEADER = "GEHEIM-ADMINMAPPING-HEADER"  # the administrator's remembered mapping
ADMIN_JOB_FILE = "beheer-GEHEIM-ADMINJOB.csv"  # the administrator's own job: not importeur's to see
ADMIN_JOB_CELL = "GEHEIM-ADMINCELL-5521"
ATTEMPT_USER = "geheim-attempt-user"  # a failed sign-in (django-axes): for superusers only
ATTEMPT_ADDRESS = "203.0.113.77"
ITEM_SECRETS = (SUBJECT, SALARY, ATTACHMENT, REACTION)
ATTEMPT_SECRETS = (ATTEMPT_USER, ATTEMPT_ADDRESS)
JOB_SECRETS = (JOB_FILE, JOB_CELL, OPEN_JOB_FILE)

pytestmark = pytest.mark.django_db

VIEW_MODELS = ("dossieritem", "attachment", "reaction", "workflowinstance", "reviewtask")


@pytest.fixture
def world(demo):
    """The demo world plus a confidential contract with everything hanging off it, and two
    import jobs of importeur."""
    users = {user.username: user for user in Group.objects.get(name=STAFF_GROUP).user_set.all()}
    admin = UserFactory(username="admin")
    importeur = users["importeur"]
    contract, letters = ItemType.objects.get(code="CONTR"), ItemType.objects.get(code="CORR")
    job = ImportJob.objects.create(
        user=importeur,
        item_type=contract,
        file_name=JOB_FILE,
        headers=["Relatienummer", "Salaris"],
        mapping={"Salaris": "free_Salaris"},
        problems=[{"row": 2, "column": "Salaris", "message": f"'{JOB_CELL}' is not an amount."}],
        state=ImportJob.State.DONE,
        items_created=1,
    )
    open_job = ImportJob.objects.create(
        user=importeur, item_type=letters, file_name=OPEN_JOB_FILE, state=ImportJob.State.DONE, items_created=1
    )
    admin_job = ImportJob.objects.create(
        user=admin,
        item_type=contract,
        file_name=ADMIN_JOB_FILE,
        problems=[{"row": 3, "column": "Salaris", "message": f"'{ADMIN_JOB_CELL}' is not an amount."}],
        state=ImportJob.State.VALIDATED,
    )
    item = DossierItem.objects.create(
        item_type=contract,
        number=9001,
        subject=SUBJECT,
        submitter=importeur,
        free_values={"Salaris": SALARY},
        import_job=job,
    )
    letter = DossierItem.objects.create(
        item_type=letters, number=9002, subject="An ordinary letter", submitter=importeur, import_job=open_job
    )
    attachment = Attachment.objects.create(
        item=item, file=ContentFile(b"%PDF-1.4", name="x.pdf"), original_name=ATTACHMENT, sha256="0" * 64, size=8
    )
    Reaction.objects.create(item=item, author=admin, text=REACTION)
    instance = WorkflowInstance.objects.create(item=item, workflow=Workflow.objects.get(code="ESCALATIE"))
    review = ReviewTask.objects.create(
        item=item, review_profile=ReviewProfile.objects.get(code="CONTRACT"), reviewer=admin
    )
    notice = WithdrawnReviewTask.objects.create(
        reviewer=admin, import_job=job, item_type=contract, item_number=9003, item_subject=NOTICE_SUBJECT
    )
    mapping = SavedMapping.objects.create(
        item_type=contract,
        header_key="k" * 64,
        headers=[MAPPING_HEADER],
        mapping={"subject": {"column": MAPPING_HEADER}},
        owner=admin,
        shared=True,
        name="Contracten",
    )
    admin_mapping = SavedMapping.objects.create(
        item_type=contract,
        header_key="k" * 64,
        headers=[ADMIN_MAPPING_HEADER],
        mapping={"subject": {"column": ADMIN_MAPPING_HEADER}},
        owner=admin,
    )
    outsider = UserFactory(username="outsider", is_staff=True, has_insite_rights=True)
    outsider.groups.add(Group.objects.get(name=STAFF_GROUP))
    outsider.user_permissions.add(
        *Permission.objects.filter(codename__startswith="view_", content_type__app_label__in=["dossier", "imports"]),
        # The model permissions of the sign-in attempts do not open them: superusers only.
        *Permission.objects.filter(content_type__app_label="axes"),
    )
    attempt = AccessAttempt.objects.create(
        username=ATTEMPT_USER,
        ip_address=ATTEMPT_ADDRESS,
        user_agent="test",
        path_info="/admin/login/",
        failures_since_start=9,
        get_data="",
        post_data="",
        http_accept="*/*",
    )
    letters.authorised_users.add(outsider)
    return {
        "item": item,
        "letter": letter,
        "job": job,
        "open_job": open_job,
        "admin_job": admin_job,
        "attachment": attachment,
        "instance": instance,
        "review": review,
        "notice": notice,
        "mapping": mapping,
        "admin_mapping": admin_mapping,
        "contract": contract,
        "attempt": attempt,
    }


def admin_url(model: str, page: str, *args, app: str = "dossier") -> str:
    return reverse(f"admin:{app}_{model}_{page}", args=args)


def autocomplete(model: str, field: str, term: str) -> str:
    return f"{reverse('admin:autocomplete')}?app_label=dossier&model_name={model}&field_name={field}&term={term}"


def every_url(world) -> list[str]:
    item, job = world["item"], world["job"]
    urls = []
    for model, obj in (("dossieritem", item), ("workflowinstance", world["instance"]), ("reviewtask", world["review"])):
        changelist = admin_url(model, "changelist")
        urls += [
            changelist,
            f"{changelist}?_facets=1",
            f"{changelist}?q=GEHEIM",
            f"{changelist}?q=GEHEIM&_facets=1",
            admin_url(model, "change", obj.pk),
            admin_url(model, "history", obj.pk),
            admin_url(model, "delete", obj.pk),
        ]
    items = admin_url("dossieritem", "changelist")
    urls += [
        f"{items}?item_type__id__exact={world['contract'].pk}&_facets=1",
        f"{items}?import_job__id__exact={job.pk}",
        f"{items}?import_job__id__exact={world['open_job'].pk}&_facets=1",
        f"{items}?done__exact=0&_facets=1",
        admin_url("dossieritem", "change", world["letter"].pk),
        admin_url("workflowinstance", "add"),
        admin_url("reviewtask", "add"),
        autocomplete("workflowinstance", "item", "GEHEIM"),
        autocomplete("reviewtask", "item", "GEHEIM"),
        autocomplete("dossieritem", "cause", "GEHEIM"),
        autocomplete("reviewtask", "item", ""),
        reverse("dossier:attachment-download", args=[world["attachment"].pk]),
        reverse("dossier:item-detail", args=[item.pk]),
        reverse("review:my-tasks"),
        f"{reverse('review:my-tasks')}?state=all",
        reverse("review:task", args=[world["review"].pk]),
    ]
    jobs = admin_url("importjob", "changelist", app="imports")
    mappings = admin_url("savedmapping", "changelist", app="imports")
    urls += [
        jobs,
        f"{jobs}?_facets=1",
        f"{jobs}?q=GEHEIM",
        f"{jobs}?q=salarissen&_facets=1",
        f"{jobs}?state__exact=done&_facets=1",
        f"{jobs}?created_at__year={job.created_at.year}",
        admin_url("importjob", "change", job.pk, app="imports"),
        admin_url("importjob", "history", job.pk, app="imports"),
        admin_url("importjob", "change", world["open_job"].pk, app="imports"),
        admin_url("importjob", "change", world["admin_job"].pk, app="imports"),
        admin_url("importjob", "history", world["admin_job"].pk, app="imports"),
        mappings,
        f"{mappings}?_facets=1&q=k",
        admin_url("savedmapping", "change", world["mapping"].pk, app="imports"),
        admin_url("savedmapping", "history", world["mapping"].pk, app="imports"),
        admin_url("savedmapping", "delete", world["mapping"].pk, app="imports"),
        admin_url("savedmapping", "change", world["admin_mapping"].pk, app="imports"),
        reverse("admin:index"),
    ]
    attempts = admin_url("accessattempt", "changelist", app="axes")
    urls += [
        attempts,
        f"{attempts}?_facets=1",
        f"{attempts}?q=geheim",
        admin_url("accessattempt", "change", world["attempt"].pk, app="axes"),
        admin_url("accessattempt", "history", world["attempt"].pk, app="axes"),
        admin_url("accessattempt", "delete", world["attempt"].pk, app="axes"),
        reverse("admin:app_list", args=["axes"]),
    ]
    return urls


def pages(client, username: str, world) -> dict[str, str]:
    from accounts.models import User

    client.force_login(User.objects.get(username=username))
    found = {}
    for url in every_url(world):
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), (url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        found[url] = body.decode("utf-8", errors="replace")
    return found


def leaks(found: dict[str, str], secrets) -> list[tuple[str, str]]:
    return [(url, secret) for url, text in found.items() for secret in secrets if secret in text]


@pytest.mark.parametrize("username", ["profit", "zonderrechten", "outsider"])
def test_a_user_finds_neither_a_confidential_item_he_is_not_authorised_for_nor_another_users_jobs(
    client, world, username
):
    found = pages(client, username, world)

    assert leaks(found, (*ITEM_SECRETS, MAPPING_HEADER, ADMIN_MAPPING_HEADER, NOTICE_SUBJECT)) == []
    assert leaks(found, (*JOB_SECRETS, ADMIN_JOB_FILE, ADMIN_JOB_CELL)) == []
    assert leaks(found, ATTEMPT_SECRETS) == []


def test_the_outsider_does_see_what_he_may(client, world):
    from accounts.models import User

    client.force_login(User.objects.get(username="outsider"))

    assert "An ordinary letter" in client.get(admin_url("dossieritem", "changelist")).text
    letter_page = client.get(admin_url("dossieritem", "change", world["letter"].pk)).text
    assert "An import by another user." in letter_page


def test_importeur_sees_the_contract_he_is_authorised_for_and_his_own_jobs_only(client, world):
    found = pages(client, "importeur", world)
    item_page = found[admin_url("dossieritem", "change", world["item"].pk)]
    job_page = found[admin_url("importjob", "change", world["job"].pk, app="imports")]

    assert SUBJECT in found[f"{admin_url('dossieritem', 'changelist')}?q=GEHEIM"]
    assert all(secret in item_page for secret in ITEM_SECRETS)
    assert JOB_FILE in item_page  # his own job, named on the item
    assert JOB_FILE in job_page and JOB_CELL in job_page
    assert OPEN_JOB_FILE in found[admin_url("dossieritem", "changelist")]  # the import filter
    assert leaks(found, (ADMIN_JOB_FILE, ADMIN_JOB_CELL)) == []  # the administrator's job is his
    # The contract's review task is the administrator's: its page and his notice are his alone.
    assert SUBJECT not in found[f"{reverse('review:my-tasks')}?state=all"]
    assert SUBJECT not in found[reverse("review:task", args=[world["review"].pk])]
    assert leaks(found, (NOTICE_SUBJECT,)) == []
    assert leaks(found, ATTEMPT_SECRETS) == []


def test_only_a_superuser_sees_the_failed_sign_ins(client, world):
    found = pages(client, "admin", world)
    attempts = admin_url("accessattempt", "changelist", app="axes")

    assert all(secret in found[attempts] for secret in ATTEMPT_SECRETS)
    assert ATTEMPT_USER in found[f"{attempts}?q=geheim"]
    assert ATTEMPT_ADDRESS in found[admin_url("accessattempt", "change", world["attempt"].pk, app="axes")]


def test_a_shared_mapping_is_shown_to_a_user_of_its_type_and_another_users_remembered_one_is_not(client, world):
    from accounts.models import User

    importeur = User.objects.get(username="importeur")
    importeur.user_permissions.add(Permission.objects.get(codename="view_savedmapping"))
    client.force_login(importeur)
    changelist = client.get(admin_url("savedmapping", "changelist", app="imports")).text
    admins = client.get(admin_url("savedmapping", "change", world["admin_mapping"].pk, app="imports"))

    assert MAPPING_HEADER in changelist
    assert ADMIN_MAPPING_HEADER not in changelist
    assert admins.status_code in (302, 404) and ADMIN_MAPPING_HEADER not in admins.text


def test_a_users_own_remembered_mapping_is_shown_to_him(client, world):
    from accounts.models import User

    importeur = User.objects.get(username="importeur")
    importeur.user_permissions.add(Permission.objects.get(codename="view_savedmapping"))
    SavedMapping.objects.create(
        item_type=world["contract"], header_key="m" * 64, headers=["MIJN-KOLOM"], mapping={}, owner=importeur
    )
    client.force_login(importeur)

    assert "MIJN-KOLOM" in client.get(admin_url("savedmapping", "changelist", app="imports")).text


def test_the_administrator_sees_everything(client, world):
    found = pages(client, "admin", world)
    all_text = "".join(found.values())

    assert all(
        secret in all_text
        for secret in (*ITEM_SECRETS, *JOB_SECRETS, MAPPING_HEADER, ADMIN_MAPPING_HEADER, ADMIN_JOB_CELL)
    )
    assert SUBJECT in found[autocomplete("workflowinstance", "item", "GEHEIM")]
    assert SUBJECT in found[admin_url("reviewtask", "changelist")]
    assert SUBJECT in found[reverse("review:my-tasks")] and NOTICE_SUBJECT in found[reverse("review:my-tasks")]
    assert SUBJECT in found[reverse("review:task", args=[world["review"].pk])]
    assert JOB_FILE in found[admin_url("importjob", "changelist", app="imports")]


def test_a_hidden_item_cannot_be_chosen_in_a_form(client, world):
    from accounts.models import User

    outsider = User.objects.get(username="outsider")
    outsider.user_permissions.add(Permission.objects.get(codename="add_reviewtask"))
    client.force_login(outsider)
    tasks = ReviewTask.objects.count()

    response = client.post(
        admin_url("reviewtask", "add"),
        {
            "item": world["item"].pk,
            "review_profile": world["review"].review_profile_id,
            "reviewer": outsider.pk,
            "state": "open",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert ReviewTask.objects.count() == tasks


def test_a_delete_page_of_another_object_names_hidden_items_and_jobs_by_their_kind_only(client, world):
    from accounts.models import User
    from tests.factories import RelationFactory

    relation = RelationFactory(number="19999")
    DossierItem.objects.filter(pk=world["item"].pk).update(relation=relation)
    outsider = User.objects.get(username="outsider")
    outsider.user_permissions.add(
        *Permission.objects.filter(codename__startswith="delete_", content_type__app_label__in=["dossier", "imports"]),
        Permission.objects.get(codename="change_itemtype"),  # he configures types: he sees them all
    )
    client.force_login(outsider)

    pages = [
        client.get(admin_url("relation", "delete", relation.pk)).text,
        client.get(admin_url("itemtype", "delete", world["contract"].pk)).text,
    ]

    assert all("Dossier item: not shown (you may not see it)" in page for page in pages)
    assert "Import: not shown (you may not see it)" in pages[1]
    assert leaks(dict(enumerate(pages)), (*ITEM_SECRETS, *JOB_SECRETS)) == []
    client.force_login(User.objects.get(username="admin"))
    assert SUBJECT in client.get(admin_url("relation", "delete", relation.pk)).text


def test_a_user_sees_in_the_configuration_only_the_types_he_is_authorised_for(client, world):
    from accounts.models import User

    profit = User.objects.get(username="profit")
    client.force_login(profit)
    types_page = client.get(admin_url("itemtype", "changelist")).text
    profiles_page = client.get(admin_url("creationprofile", "changelist")).text
    contract = world["contract"]

    assert "Correspondentie" in types_page and "Contract" not in types_page
    assert client.get(admin_url("itemtype", "change", contract.pk)).status_code == 302  # "does not exist"
    assert "NIEUW" not in profiles_page
    profit.user_permissions.add(Permission.objects.get(codename="change_itemtype"))
    client.force_login(profit)
    assert "Contract" in client.get(admin_url("itemtype", "changelist")).text
