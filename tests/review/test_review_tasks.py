"""The reviewer's pages (issue 17, part 6): "my review tasks" with its count on the index, a
task's page with approve or reject and a comment, the notice of a task an undo removed, and
the raw admin table that no longer lets anyone edit a reviewer or delete. The demo world's
two contracts (profile NIEUW) give admin and importeur one task each per contract; profit is
not authorised for CONTR, so their tasks are none of his business."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from dossier.models import DossierItem, ItemType, ReviewTask
from dossier.reviewing import ReviewRefused, decide_review_task
from imports import services
from imports.models import ImportJob, WithdrawnReviewTask

pytestmark = pytest.mark.django_db

MY_TASKS = "/admin/review-tasks/"


def user(name: str):
    return get_user_model().objects.get(username=name)


def signed_in(client, name: str):
    client.force_login(user(name))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def task_of(name: str, number: int = 1) -> ReviewTask:
    return ReviewTask.objects.get(reviewer__username=name, item__item_type__code="CONTR", item__number=number)


def task_url(task: ReviewTask) -> str:
    return reverse("review:task", args=[task.pk])


def contract_import(count: int = 2) -> ImportJob:
    """Contracts imported by admin with profile NIEUW: a task for admin and importeur each."""
    rows = "".join(f"{10011 + n};Contract {n};3.500,00;01-02-2026\n" for n in range(count))
    contract = ItemType.objects.get(code="CONTR")
    job = services.start_import(
        user=user("admin"),
        item_type=contract,
        profile=contract.creation_profiles.get(code="NIEUW"),
        file=io.BytesIO(("Relatienummer;Onderwerp;Salaris;Ingangsdatum\n" + rows).encode()),
        file_name="contracten.csv",
    )
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    services.commit_import(job=job)
    job.refresh_from_db()
    return job


# --- the list and its count -----------------------------------------------------------------


def test_the_page_has_its_address():
    assert reverse("review:my-tasks") == MY_TASKS


def test_a_reviewer_sees_his_open_tasks_with_item_person_documents_and_due_date(client, demo):
    signed_in(client, "importeur")
    page = client.get(MY_TASKS)
    task = task_of("importeur")
    item = task.item
    document = item.attachments.get()

    assert page.status_code == 200
    assert set(page.context["page"].object_list) == set(ReviewTask.objects.filter(reviewer__username="importeur"))
    text = page.text
    assert reverse("dossier:item-detail", args=[item.pk]) in text
    assert reverse("admin:dossier_relation_dossier", args=[item.relation_id]) in text
    assert reverse("dossier:attachment-download", args=[document.pk]) in text
    assert document.original_name in text
    assert task_url(task) in text
    assert "2 open tasks" in text


def test_the_index_counts_the_open_tasks_of_the_user(client, demo):
    index = signed_in(client, "importeur").get(reverse("admin:index"))

    assert 'id="my-review-tasks-link"' in index.text
    assert "2 open" in index.text


def test_a_user_who_reviews_nothing_has_no_line_on_the_index_and_an_empty_page(client, demo):
    signed_in(client, "profit")

    assert "my-review-tasks-link" not in client.get(reverse("admin:index")).text
    page = client.get(MY_TASKS)
    assert page.status_code == 200
    assert "You have no open review tasks." in page.text


def test_a_reviewer_not_authorised_for_the_type_does_not_see_its_tasks(client, demo):
    ReviewTask.objects.filter(reviewer__username="importeur").update(reviewer=user("profit"))

    page = signed_in(client, "profit").get(MY_TASKS)

    assert list(page.context["page"].object_list) == []
    assert "Arbeidsovereenkomst" not in page.text


def test_decided_tasks_are_shown_on_asking(client, demo):
    decide_review_task(task=task_of("importeur"), user=user("importeur"), approve=True, comment="Akkoord")
    signed_in(client, "importeur")

    assert [t.state for t in client.get(MY_TASKS).context["page"].object_list] == ["open"]
    decided = client.get(MY_TASKS, {"state": "decided"}).context["page"].object_list
    assert [t.state for t in decided] == ["approved"]
    assert len(client.get(MY_TASKS, {"state": "all"}).context["page"].object_list) == 2
    assert client.get(MY_TASKS, {"state": "<script>"}).context["shown"] == "open"


def test_the_list_takes_the_same_queries_for_many_tasks(client, demo, django_assert_max_num_queries):
    signed_in(client, "importeur")
    with django_assert_max_num_queries(30) as few:
        client.get(MY_TASKS)
    contract_import(count=8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(MY_TASKS).context["page"].object_list) == 10


# --- a task's page and the decision ---------------------------------------------------------


def test_the_reviewer_approves_with_a_comment(client, demo):
    task = task_of("importeur")
    signed_in(client, "importeur")
    page = client.get(task_url(task))
    assert page.status_code == 200
    assert 'name="comment"' in page.text and 'value="approve"' in page.text
    assert 'name="reviewer"' not in page.text and 'name="due_date"' not in page.text

    response = client.post(task_url(task), {"decision": "approve", "comment": "Salaris klopt."})

    assert response.status_code == 302 and response["Location"] == MY_TASKS
    task.refresh_from_db()
    assert (task.state, task.comment, task.decided_by) == ("approved", "Salaris klopt.", user("importeur"))
    assert task.decided_at is not None
    assert "1 open" in client.get(reverse("admin:index")).text
    shown = client.get(task_url(task)).text
    assert "Salaris klopt." in shown and 'value="approve"' not in shown


def test_a_rejection_needs_a_comment(client, demo):
    task = task_of("importeur")
    response = signed_in(client, "importeur").post(task_url(task), {"decision": "reject", "comment": "  "})

    assert response.status_code == 200
    assert "Say in the comment why you reject the item" in response.text
    task.refresh_from_db()
    assert task.state == "open"
    client.post(task_url(task), {"decision": "reject", "comment": "Verkeerde functie."})
    task.refresh_from_db()
    assert (task.state, task.comment) == ("rejected", "Verkeerde functie.")


def test_a_decision_without_a_button_or_with_a_forged_one_is_refused(client, demo):
    task = task_of("importeur")
    signed_in(client, "importeur")

    for data in ({"comment": "x"}, {"decision": "delete", "comment": "x"}):
        response = client.post(task_url(task), data)
        assert response.status_code == 200 and "Choose Approve or Reject." in response.text
    task.refresh_from_db()
    assert task.state == "open"


def test_the_reviewer_item_and_dates_cannot_be_changed_on_the_page(client, demo):
    task = task_of("importeur")
    other = DossierItem.objects.get(item_type__code="CONTR", number=2)
    due = task.due_date

    signed_in(client, "importeur").post(
        task_url(task),
        {
            "decision": "approve",
            "comment": "ok",
            "reviewer": user("profit").pk,
            "item": other.pk,
            "due_date": "2030-01-01",
        },
    )

    task.refresh_from_db()
    assert (task.reviewer.username, task.item.number, task.due_date) == ("importeur", 1, due)


def test_a_decided_task_is_not_decided_again(client, demo):
    task = task_of("importeur")
    decide_review_task(task=task, user=user("importeur"), approve=True, comment="Eerst")

    signed_in(client, "importeur").post(task_url(task), {"decision": "reject", "comment": "Toch niet"})

    task.refresh_from_db()
    assert (task.state, task.comment) == ("approved", "Eerst")
    with pytest.raises(ReviewRefused):
        decide_review_task(task=task, user=user("importeur"), approve=False, comment="Toch niet")


@pytest.mark.parametrize("name", ["profit", "zonderrechten"])
def test_someone_else_gets_404_on_a_task_and_cannot_decide_it(client, demo, name):
    task = task_of("importeur")
    signed_in(client, name)

    assert client.get(task_url(task)).status_code == 404
    assert client.post(task_url(task), {"decision": "approve", "comment": ""}).status_code == 404
    task.refresh_from_db()
    assert task.state == "open"


def test_a_reviewer_authorised_for_the_type_still_gets_404_on_another_reviewers_task(client, demo):
    task = task_of("admin")
    signed_in(client, "importeur")

    assert client.get(task_url(task)).status_code == 404
    assert client.post(task_url(task), {"decision": "approve"}).status_code == 404
    with pytest.raises(ReviewRefused):
        decide_review_task(task=task, user=user("importeur"), approve=True)


def test_a_superuser_may_decide_another_reviewers_task(client, demo):
    task = task_of("importeur")
    signed_in(client, "admin").post(task_url(task), {"decision": "approve", "comment": "Namens Ivo"})

    task.refresh_from_db()
    assert (task.state, task.decided_by) == ("approved", user("admin"))


def test_strangers_are_sent_to_sign_in(client, demo):
    assert client.get(MY_TASKS).status_code == 302
    assert client.get(task_url(task_of("importeur"))).status_code == 302


# --- the raw admin table --------------------------------------------------------------------


def test_the_admin_table_lets_nobody_edit_the_reviewer_item_or_decision(client, demo):
    task = task_of("importeur")
    importeur = user("importeur")
    importeur.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_reviewtask", "change_reviewtask", "delete_reviewtask"])
    )
    signed_in(client, "importeur")
    change = reverse("admin:dossier_reviewtask_change", args=[task.pk])

    page = client.get(change)
    assert page.status_code == 200
    assert 'name="reviewer"' not in page.text and 'name="item"' not in page.text and 'name="state"' not in page.text
    assert reverse("admin:dossier_reviewtask_delete", args=[task.pk]) not in page.text
    assert client.get(reverse("admin:dossier_reviewtask_delete", args=[task.pk])).status_code == 403
    client.post(change, {"reviewer": user("profit").pk, "state": "approved", "due_date": "2030-01-02"})
    task.refresh_from_db()
    assert (task.reviewer, task.state, str(task.due_date)) == (importeur, "open", "2030-01-02")
    assert ReviewTask.objects.filter(pk=task.pk).exists()


# --- a task removed by an undo --------------------------------------------------------------


def test_an_undo_tells_the_reviewers_of_the_tasks_it_removes(client, demo):
    job = contract_import(count=1)
    item = DossierItem.objects.get(import_job=job)
    services.undo_import(job=job, user=user("admin"))

    notice = WithdrawnReviewTask.objects.get(reviewer__username="importeur")
    assert (notice.item_type.code, notice.item_number, notice.item_subject) == ("CONTR", item.number, "Contract 0")
    assert (notice.import_job, notice.undone_by, notice.state) == (job, user("admin"), "open")
    assert str(item.relation) in notice.relation
    assert WithdrawnReviewTask.objects.filter(reviewer__username="admin").count() == 1

    signed_in(client, "importeur")
    page = client.get(MY_TASKS).text
    assert f"CONTR {item.number} Contract 0" in page
    assert "was undone by admin" in page
    assert "1 withdrawn" in client.get(reverse("admin:index")).text


def test_the_reviewer_dismisses_the_notice_and_nobody_else_can(client, demo):
    job = contract_import(count=1)
    services.undo_import(job=job, user=user("admin"))
    notice = WithdrawnReviewTask.objects.get(reviewer__username="importeur")
    dismiss = reverse("review:dismiss-withdrawn", args=[notice.pk])

    assert signed_in(client, "profit").post(dismiss).status_code == 404
    assert signed_in(client, "admin").post(dismiss).status_code == 404  # his own notice is another
    signed_in(client, "importeur")
    assert client.get(dismiss).status_code == 405
    assert client.post(dismiss).status_code == 302

    notice.refresh_from_db()
    assert notice.dismissed_at is not None
    assert "Contract 0" not in client.get(MY_TASKS).text


def test_a_notice_is_not_shown_to_a_reviewer_no_longer_authorised_for_its_type(client, demo):
    job = contract_import(count=1)
    services.undo_import(job=job, user=user("admin"))
    ItemType.objects.get(code="CONTR").authorised_users.remove(user("importeur"))

    assert "Contract 0" not in signed_in(client, "importeur").get(MY_TASKS).text


def test_an_undo_that_fails_tells_nobody(demo, monkeypatch):
    job = contract_import(count=1)

    def fail(**kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr("imports.services.undoing.delete_items", fail)
    with pytest.raises(RuntimeError):
        services.undo_import(job=job, user=user("admin"))

    assert not WithdrawnReviewTask.objects.exists()
    assert ReviewTask.objects.filter(item__import_job=job).count() == 2


def test_the_index_shows_the_line_while_a_notice_is_pending(client, demo):
    ReviewTask.objects.filter(reviewer__username="importeur").delete()
    ItemType.objects.get(code="CONTR").creation_profiles.get().review_profile.reviewers.remove(user("importeur"))
    signed_in(client, "importeur")
    assert "my-review-tasks-link" not in client.get(reverse("admin:index")).text

    WithdrawnReviewTask.objects.create(
        reviewer=user("importeur"),
        import_job=ImportJob.objects.create(user=user("admin"), item_type=ItemType.objects.get(code="CONTR")),
        item_type=ItemType.objects.get(code="CONTR"),
        item_number=7,
        item_subject="Weg",
        withdrawn_at=timezone.now(),
    )
    assert "1 withdrawn" in client.get(reverse("admin:index")).text


def test_the_pages_speak_dutch_to_a_dutch_reviewer(client, demo):
    signed_in(client, "importeur")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    task = task_of("importeur")

    assert "Mijn beoordeeltaken" in client.get(MY_TASKS).text
    assert "2 open" in client.get(reverse("admin:index")).text
    response = client.post(task_url(task), {"decision": "reject", "comment": ""})
    assert "Zeg in de toelichting waarom u het item afkeurt" in response.text
    assert "Goedkeuren" in response.text and "Afkeuren" in response.text
