"""Other users' imports (issue 14, part 4): one rule, written once. An administrator reads
them in the history and may cancel a running one there, recorded as his act (who, when);
only the owner continues or commits an import in the wizard (`ImportJob.objects.owned_by`):
every wizard address of another user's job answers 404, administrators included."""

import pytest
from django.urls import reverse

from imports import progress as progress_module
from imports import services, tasks
from imports.models import ImportJob
from imports.progress import cancel_requested
from tests.imports.test_cancel_and_progress import many_rows
from tests.imports.test_reaper import fresh, queued
from tests.imports.test_services import SOLL_ROWS, mapped
from tests.imports.wizard import upload_file, user

pytestmark = pytest.mark.django_db

WIZARD_STEPS = ("sheet", "map", "check", "progress", "import", "cancel", "result")


@pytest.fixture
def admin_client(demo, client):
    client.force_login(user("admin"))
    return client


def importeurs_job(state: str = "validated") -> ImportJob:
    job = mapped(SOLL_ROWS)
    if state == "validated":
        services.validate_import(job=job)
    elif state != "mapped":
        ImportJob.objects.filter(pk=job.pk).update(state=state)
    return fresh(job)


def history_cancel_url(job: ImportJob) -> str:
    return reverse("admin:imports_importjob_cancel", args=[job.pk])


@pytest.mark.parametrize("state", ["uploaded", "validated", "importing", "done"])
def test_an_administrator_gets_404_on_every_wizard_step_of_another_users_job(admin_client, state):
    job = importeurs_job(state)
    for step in WIZARD_STEPS:
        url = reverse(f"imports:{step}", args=[job.pk])
        # Each step answers 404, or 405 for a method it never takes (cancel is POST only,
        # progress and result GET only): the same as for a job that does not exist.
        assert admin_client.get(url).status_code == (405 if step == "cancel" else 404), url
        posted = admin_client.post(url, {"rows": "all", "sheet": "x", "header_row": "1"})
        assert posted.status_code == (405 if step in ("progress", "result") else 404), url
    after = fresh(job)
    assert (after.state, after.items_created, after.mapping) == (job.state, job.items_created, job.mapping)
    assert not cancel_requested(job.pk)


def test_an_administrator_cannot_commit_another_users_import(admin_client):
    job = importeurs_job()

    response = admin_client.post(reverse("imports:import", args=[job.pk]), {"rows": "all"})

    assert response.status_code == 404
    assert fresh(job).state == "validated"
    assert fresh(job).items_created == 0


def test_an_administrators_upload_of_a_corrected_file_does_not_take_another_users_job(admin_client):
    job = importeurs_job()
    url = reverse("imports:upload", args=["SOLL"]) + f"?corrects={job.pk}"

    assert admin_client.get(url).context["corrects"] is None
    response = admin_client.post(url, {"file": upload_file(SOLL_ROWS, "rows.csv")})

    assert response.status_code == 302
    assert f"from={job.pk}" not in response["Location"]
    new_job = ImportJob.objects.exclude(pk=job.pk).get()
    assert new_job.user == user("admin")


def test_an_administrator_cancels_another_users_running_import_from_the_history_and_it_is_recorded(admin_client):
    job = queued(importeurs_job(), "validating")

    response = admin_client.post(history_cancel_url(job))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:imports_importjob_change", args=[job.pk])
    assert cancel_requested(job.pk)
    tasks.reap_stale_imports()  # a queued job its cancel reached ends cancelled at once
    job = fresh(job)
    assert job.state == "cancelled"
    assert job.cancelled_by == user("admin")
    assert job.cancelled_at is not None
    assert job.user == user("importeur")
    page = admin_client.get(reverse("admin:imports_importjob_change", args=[job.pk])).text
    assert "Cancelled by admin at" in page


def test_a_validation_an_administrator_cancelled_records_him_when_it_stops(admin_client, monkeypatch):
    monkeypatch.setattr(progress_module, "CANCEL_CHECK_EVERY", 0)
    job = mapped(many_rows(1500))
    asked = []

    def cancel_from_the_history(done, total):
        asked.append(admin_client.post(history_cancel_url(fresh(job))).status_code)

    with pytest.raises(services.ImportRefused, match="cancelled"):
        services.validate_import(job=fresh(job), progress=cancel_from_the_history)

    assert asked and asked[0] == 302
    job = fresh(job)
    assert (job.state, job.cancelled_by) == ("cancelled", user("admin"))


def test_the_history_offers_the_cancel_of_a_running_import_only(admin_client):
    job = importeurs_job()
    change_url = reverse("admin:imports_importjob_change", args=[job.pk])
    assert history_cancel_url(job) not in admin_client.get(change_url).text

    job = queued(job, "importing")
    assert history_cancel_url(job) in admin_client.get(change_url).text


def test_a_job_that_is_not_running_is_not_cancelled_from_the_history(admin_client):
    job = importeurs_job()

    response = admin_client.post(history_cancel_url(job), follow=True)

    assert "cannot be cancelled" in response.text
    assert fresh(job).state == "validated"
    assert fresh(job).cancelled_by is None


def test_the_history_cancel_is_post_only(admin_client):
    job = queued(importeurs_job(), "validating")

    assert admin_client.get(history_cancel_url(job)).status_code == 405
    assert not cancel_requested(job.pk)


def test_another_user_who_may_not_see_the_job_gets_404_on_its_history_cancel(demo, client):
    job = queued(importeurs_job(), "validating")
    client.force_login(user("profit"))

    assert client.post(history_cancel_url(job)).status_code in (403, 404)
    assert not cancel_requested(job.pk)


def test_the_owner_continues_and_cancels_his_own_import_in_the_wizard(demo, client):
    client.force_login(user("importeur"))
    job = importeurs_job("mapped")
    assert client.get(reverse("imports:map", args=[job.pk])).status_code == 200
    job = importeurs_job()
    assert client.get(reverse("imports:check", args=[job.pk])).status_code == 200

    response = client.post(reverse("imports:cancel", args=[job.pk]))

    assert response.status_code == 302
    job = fresh(job)
    assert (job.state, job.cancelled_by) == ("cancelled", user("importeur"))
    assert "Cancelled by importeur" in client.get(reverse("admin:imports_importjob_change", args=[job.pk])).text


def test_the_owner_may_cancel_his_running_import_from_the_history(demo, client):
    client.force_login(user("importeur"))
    job = queued(importeurs_job(), "importing")

    assert client.post(history_cancel_url(job)).status_code == 302
    assert cancel_requested(job.pk)


def test_owned_by_is_the_users_own_jobs_only(demo):
    job = importeurs_job("mapped")

    assert list(ImportJob.objects.owned_by(user("importeur"))) == [job]
    assert list(ImportJob.objects.owned_by(user("admin"))) == []
    assert list(ImportJob.objects.visible_to(user("admin"))) == [job]
