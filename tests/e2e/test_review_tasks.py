"""A reviewer's day in Chromium (issue 17, part 6): importeur finds his open review tasks from
the admin's index, opens a contract's task, downloads its generated document, approves it with
a comment and sees one task left; no policy violation. Writes docs/screenshots/review-tasks.png
and review-task.png."""

import pytest

from dossier.models import ReviewTask
from tests.e2e.conftest import shot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_opens_his_review_tasks_and_approves_one_with_a_comment(demo, live_server, watched):
    page, violations = watched
    task = ReviewTask.objects.select_related("item").get(
        reviewer__username="importeur", item__item_type__code="CONTR", item__number=1
    )
    document = task.item.attachments.get()
    sign_in(page, live_server, "importeur")

    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#my-review-tasks-count").text_content().strip() == "2 open"
    page.get_by_role("link", name="My review tasks").click()
    page.wait_for_url("**/admin/review-tasks/")
    rows = page.locator("#my-review-tasks tbody tr.review-task")
    assert rows.count() == 2
    row = page.locator(f"tr.review-task[data-task='{task.pk}']")
    assert "Arbeidsovereenkomst" in row.text_content()
    assert str(task.item.relation) in row.get_by_role("link", name=str(task.item.relation)).text_content()
    assert row.get_by_role("link", name=document.original_name).is_visible()
    shot(page, "review-tasks.png")
    violations.extend(page.evaluate("window.__violations"))

    row.get_by_role("link", name="Review").click()
    page.wait_for_url(f"**/admin/review-tasks/{task.pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name=document.original_name).click()
    assert download.value.suggested_filename == document.original_name
    with open(download.value.path(), "rb") as downloaded, document.file.open("rb") as stored:
        assert downloaded.read() == stored.read()
    page.get_by_label("Comment").fill("Salaris en functie kloppen.")
    shot(page, "review-task.png")
    violations.extend(page.evaluate("window.__violations"))
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url("**/admin/review-tasks/")
    assert "You approved CONTR 1 Arbeidsovereenkomst." in page.locator(".messagelist").text_content()
    assert page.locator("#my-review-tasks tbody tr.review-task").count() == 1
    task.refresh_from_db()
    assert (task.state, task.comment, task.decided_by.username) == (
        "approved",
        "Salaris en functie kloppen.",
        "importeur",
    )

    page.get_by_role("link", name="Decided").click()
    page.wait_for_url("**/admin/review-tasks/?state=decided")
    assert "approved" in page.locator(f"tr.review-task[data-task='{task.pk}']").text_content()
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
