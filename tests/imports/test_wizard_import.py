"""Steps e and f of the wizard (views.import_rows, cancel, result): the commit started by a
POST with its CSRF token, rights (R2) and type (R3) checked again when it starts, a progress
page with Cancel, and a result whose counts add up."""

import pytest
from django.test import Client
from django.urls import reverse

from dossier.models import DossierItem, ItemType
from imports import services, tasks
from imports.models import ImportJob
from tests.imports.test_wizard_check import IMMEDIATE, WITH_ERRORS, validated

pytestmark = pytest.mark.django_db


def import_url(job) -> str:
    return reverse("imports:import", args=[job.pk])


def test_only_the_valid_rows_are_imported_when_chosen_and_the_result_adds_up(
    importeur, client, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    job = validated(WITH_ERRORS)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(import_url(job), {"rows": "valid"})
    assert response["Location"] == import_url(job)
    response = client.get(import_url(job))
    assert response["Location"] == reverse("imports:result", args=[job.pk])
    result = client.get(response["Location"])
    content = result.content.decode()
    assert DossierItem.objects.filter(import_job=job).count() == 2
    assert result.context["result"].rows_read == 3
    assert (result.context["result"].rows_imported, result.context["result"].rows_left_out) == (2, 1)
    assert f"?import_job__id__exact={job.pk}" in content
    assert result.context["result"].per_destination == {"10001": 1, "10002": 1}
    assert reverse("admin:imports_importjob_download", args=[job.pk, "workbook-csv"]) in content


def test_import_all_rows_is_refused_when_rows_are_invalid(importeur, client):
    job = validated(WITH_ERRORS)
    response = client.post(import_url(job), {"rows": "all"}, follow=True)
    assert "invalid" in " ".join(str(m) for m in response.context["messages"])
    assert ImportJob.objects.get(pk=job.pk).state == "validated"
    assert not DossierItem.objects.filter(import_job=job).exists()


def test_a_get_never_starts_the_import(importeur, client):
    job = validated()
    response = client.get(import_url(job))
    assert response["Location"] == reverse("imports:check", args=[job.pk])
    assert ImportJob.objects.get(pk=job.pk).state == "validated"


def test_the_import_needs_its_csrf_token(importeur):
    job = validated()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(importeur)
    assert strict.post(import_url(job), {"rows": "all"}).status_code == 403
    assert strict.post(reverse("imports:cancel", args=[job.pk])).status_code == 403
    assert ImportJob.objects.get(pk=job.pk).state == "validated"


def test_r02_rights_removed_between_check_and_confirm_refuse_with_the_reason(importeur, client):
    job = validated()
    type(importeur).objects.filter(pk=importeur.pk).update(has_insite_rights=False, has_profit_rights=False)
    response = client.post(import_url(job), {"rows": "all"})
    assert response.status_code == 403
    assert b"You need InSite or Profit rights" in response.content
    assert ImportJob.objects.get(pk=job.pk).state == "validated"


def test_r03_type_authorisation_removed_between_check_and_confirm_refuses_with_the_reason(importeur, client):
    job = validated()
    soll = ItemType.objects.get(code="SOLL")
    soll.authorised_users.remove(importeur)
    soll.authorised_groups.clear()
    response = client.post(import_url(job), {"rows": "all"})
    assert response.status_code == 403
    assert b"You are not authorised for item type SOLL" in response.content
    assert ImportJob.objects.get(pk=job.pk).state == "validated"


def test_a_running_import_shows_progress_and_cancel_leaves_nothing(importeur, client):
    job = validated()
    tasks.start_commit(job=job)
    page = client.get(import_url(job))
    content = page.content.decode()
    assert "items stored" in content and 'id="progress-cancel"' in content
    response = client.post(reverse("imports:cancel", args=[job.pk]))
    assert response["Location"] == import_url(job)
    services.run_commit(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == "cancelled"
    assert not DossierItem.objects.filter(import_job=job).exists()
    result = client.get(reverse("imports:result", args=[job.pk])).content.decode()
    assert "The import was cancelled: nothing was stored." in result
    assert "upload the file again" in result


def test_a_failed_import_can_be_run_again_from_its_result(importeur, client):
    job = validated()
    ImportJob.objects.filter(pk=job.pk).update(state="failed", error_message="The worker stopped.")
    content = client.get(reverse("imports:result", args=[job.pk])).content.decode()
    assert "The import failed: nothing was stored." in content and "The worker stopped." in content
    assert client.post(reverse("imports:check", args=[job.pk]))["Location"] == reverse("imports:check", args=[job.pk])
    assert ImportJob.objects.get(pk=job.pk).state == "validating"


def test_the_history_links_a_wizard_job_to_its_wizard_page(importeur, client):
    job = validated()
    tasks.start_commit(job=job)
    content = client.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    assert f'href="{import_url(job)}"' in content
