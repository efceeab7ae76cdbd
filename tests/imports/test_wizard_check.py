"""Step d of the wizard (views.check): the validation queued when the mapping is saved, its
progress page (refreshing itself without JavaScript, a JSON progress URL for the script), the
result with counts and grouped problems, an earlier import of the same file, and a corrected
file that keeps the type, profile, mapping and ZIP."""

import io
import zipfile

import pytest
from django.urls import reverse

from imports import services, tasks
from imports.models import ImportJob
from tests.imports.wizard import SOLL_CSV, start_job, upload_file, user

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
WITH_ERRORS = SOLL_CSV + "E0003;CV;05-04-2025\n"


def mapped(text: str = SOLL_CSV, **kwargs) -> ImportJob:
    job = start_job(text, **kwargs)
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    return job


def validated(text: str = SOLL_CSV, **kwargs) -> ImportJob:
    job = mapped(text, **kwargs)
    services.validate_import(job=job)
    return ImportJob.objects.get(pk=job.pk)


def check_url(job) -> str:
    return reverse("imports:check", args=[job.pk])


def test_saving_the_mapping_runs_the_check_through_the_task(
    importeur, client, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    job = start_job(WITH_ERRORS)
    page = client.get(reverse("imports:map", args=[job.pk]))
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["date_order_submitted_at"] = "dmy"  # 03-04-2025 and the like: asked once
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:map", args=[job.pk]), data)
    assert response["Location"] == check_url(job)
    job.refresh_from_db()
    assert (job.state, job.row_count, job.invalid_row_count) == ("validated", 3, 1)


def test_a_running_check_shows_rows_done_of_rows_in_total_and_refreshes_itself(importeur, client):
    job = mapped()
    tasks.start_validation(job=job)
    ImportJob.objects.filter(pk=job.pk).update(progress_done=1, progress_total=2)
    response = client.get(check_url(job))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<meta http-equiv="refresh"' in content
    assert 'id="progress-bar"' in content
    assert reverse("imports:progress", args=[job.pk]) in content
    assert "csrfmiddlewaretoken" in content  # the Cancel form


def test_the_progress_url_answers_json_and_names_the_next_page_once_done(importeur, client):
    job = mapped()
    tasks.start_validation(job=job)
    running = client.get(reverse("imports:progress", args=[job.pk])).json()
    assert (running["running"], running["phase"], running["next"]) == (True, "queued", "")
    services.run_validation(job_id=str(job.pk))
    ended = client.get(reverse("imports:progress", args=[job.pk])).json()
    assert (ended["running"], ended["next"]) == (False, check_url(job))


def test_the_result_shows_counts_grouped_problems_the_status_workbook_and_only_the_valid_rows(importeur, client):
    job = validated(WITH_ERRORS)
    response = client.get(check_url(job))
    content = response.content.decode()
    assert "Rows read: 3 = 2 valid + 1 invalid." in content
    assert 'id="history-problems-report"' in content
    assert reverse("admin:imports_importjob_download", args=[job.pk, "workbook-xlsx"]) in content
    assert reverse("admin:imports_importjob_download", args=[job.pk, "workbook-csv"]) in content
    assert "Import only the 2 valid rows" in content
    assert 'id="import-all"' not in content


def test_import_all_rows_is_offered_only_when_nothing_is_invalid(importeur, client):
    content = client.get(check_url(validated())).content.decode()
    assert "Import all rows" in content
    assert "valid rows" not in content.split('id="check-confirm"')[1]


def test_a_file_imported_before_is_shown_with_date_user_and_items_and_needs_import_again(importeur, client):
    first = validated()
    services.commit_import(job=first)
    second = validated()
    content = client.get(check_url(second)).content.decode()
    assert "This file was imported before." in content
    assert "by importeur: 2 items." in content
    assert "Import again" in content and 'name="again" value="1"' in content


def test_a_corrected_file_keeps_profile_zip_and_mapping(importeur, client):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("a.txt", "x")
    job = start_job()
    job = services.start_import(
        user=importeur,
        item_type=job.item_type,
        file=io.BytesIO(WITH_ERRORS.encode()),
        file_name="rows.csv",
        attachments=io.BytesIO(archive.getvalue()),
        attachments_name="bijlagen.zip",
    )
    mapping = {"relation": {"column": "Relatienummer"}, "subject": {"fixed": "Brief"}}
    assert services.set_mapping(job=job, mapping=mapping) == []
    services.validate_import(job=job)
    page = client.get(check_url(job))
    correct = page.context["correct_url"]
    assert correct == reverse("imports:upload", args=["SOLL"]) + f"?corrects={job.pk}"
    assert "its attachments ZIP bijlagen.zip is kept" in client.get(correct).content.decode()
    response = client.post(correct, {"file": upload_file(SOLL_CSV, "rows.csv")})
    new = ImportJob.objects.exclude(pk=job.pk).get(file_name="rows.csv", attachments_name="bijlagen.zip")
    assert response["Location"] == reverse("imports:map", args=[new.pk]) + f"?from={job.pk}"
    assert new.attachments_zip.open("rb").read() == archive.getvalue()
    form = client.get(response["Location"]).context["form"]
    assert form["fixed_subject"].value() == "Brief"


def test_another_users_job_answers_404_on_every_wizard_url(demo, client):
    job = validated()
    client.force_login(user("profit"))
    for name in ("check", "progress", "import", "result"):
        assert client.get(reverse(f"imports:{name}", args=[job.pk])).status_code == 404, name
    for name in ("check", "import", "cancel"):
        assert client.post(reverse(f"imports:{name}", args=[job.pk])).status_code == 404, name
    job.refresh_from_db()
    assert job.state == "validated"


def test_r02_zonderrechten_is_refused_with_the_reason(demo, client):
    job = validated()
    client.force_login(user("zonderrechten"))
    response = client.get(check_url(job))
    assert response.status_code == 403
    assert b"You need InSite or Profit rights" in response.content


def test_a_wizard_page_cannot_be_framed(importeur, client):
    response = client.get(check_url(validated()))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_check_page_asks_a_bounded_number_of_queries(importeur, client, django_assert_max_num_queries):
    job = validated(WITH_ERRORS * 1 + "".join(f"E{i:04};CV;05-04-2025\n" for i in range(200)))
    with django_assert_max_num_queries(20):
        client.get(check_url(job))
