"""Master-data files above MASTER_DATA_BACKGROUND_ROWS rows are checked and imported by the task
worker, never inside the web request; their pages are their owner's."""

import io
import time

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.core.files.storage import InMemoryStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from dossier import masterdata, models
from tests.dossier.test_resources import format_index
from tests.factories import UserFactory

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
IMPORT_URL = "admin:dossier_relation_import"


def relations_csv(rows: int, *, bad_kind_on: int | None = None) -> bytes:
    lines = ["number,kind,name,city,debtor_number"]
    for n in range(rows):
        kind = "spaceship" if n == bad_kind_on else ("person" if n % 2 else "organisation")
        lines.append(f"{40000 + n},{kind},Relation {n},Delft,D{n}")
    return ("\n".join(lines) + "\n").encode()


def upload(client, content: bytes, name: str = "relations.csv"):
    return client.post(
        reverse(IMPORT_URL),
        {"format": format_index(models.Relation, "csv"), "import_file": SimpleUploadedFile(name, content)},
    )


def work_off_the_queue() -> None:
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=io.StringIO())


def job_url(job) -> str:
    return reverse("admin:dossier_relation_import_job", args=[job.pk])


@pytest.fixture
def small_threshold(settings):
    settings.MASTER_DATA_BACKGROUND_ROWS = 5


@pytest.fixture
def importer(db):
    """A member of staff who may import relations (add and change them), not a superuser."""
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="dossier", codename__in=["add_relation", "change_relation"])
    )
    return user


@pytest.mark.django_db(transaction=True)
def test_a_file_above_the_threshold_is_queued_and_the_worker_checks_and_imports_it(
    client, root, small_threshold, settings
):
    settings.TASKS = DATABASE
    client.force_login(root)

    response = upload(client, relations_csv(12))

    job = models.MasterDataImport.objects.get()
    assert response.status_code == 302 and response.url == job_url(job)
    assert (job.state, job.row_count, job.user) == ("checking", 12, root)
    assert not models.Relation.objects.exists()  # the request wrote no relation
    assert DBTaskResult.objects.get().status == "READY"
    waiting = client.get(job_url(job))
    assert "0 of 12 rows done" in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text

    work_off_the_queue()

    job.refresh_from_db()
    assert job.state == "checked"
    assert not models.Relation.objects.exists()  # the check is a dry run
    preview = client.get(job_url(job))
    assert "Preview" in preview.text and 'name="confirm"' in preview.text
    assert "Relation 11" in preview.text
    assert '<meta http-equiv="refresh"' not in preview.text

    confirmed = client.post(job_url(job), {"confirm": "1"})

    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert job.state == "importing"
    assert not models.Relation.objects.exists()
    work_off_the_queue()
    job.refresh_from_db()
    assert job.state == "done"
    assert models.Relation.objects.count() == 12
    assert models.SalesRelation.objects.get(relation__number="40003").number == "D3"
    assert LogEntry.objects.filter(action_flag=ADDITION).count() == 12  # the admin's history names each
    assert set(LogEntry.objects.values_list("object_id", flat=True)) == {
        str(pk) for pk in models.Relation.objects.values_list("pk", flat=True)
    }
    assert "Import finished: 12 new, 0 changed, 0 unchanged." in client.get(job_url(job)).text
    assert not job.file  # the stored copy is gone once imported


def test_row_errors_of_a_large_file_reach_its_result_page_without_a_confirmation(
    root_client, small_threshold, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(root_client, relations_csv(8, bad_kind_on=2))

    page = root_client.get(response.url)
    assert "Some rows failed to validate" in page.text
    assert "Row 4, column B (kind): &#x27;spaceship&#x27; is not one of the allowed values" in page.text
    assert 'name="confirm"' not in page.text
    job = models.MasterDataImport.objects.get()
    assert job.state == "checked" and not masterdata.can_confirm(job)
    root_client.post(job_url(job), {"confirm": "1"})
    assert models.MasterDataImport.objects.get().state == "checked"
    assert not models.Relation.objects.exists()


def test_a_large_file_without_the_key_column_is_told_so_on_its_result_page(
    root_client, small_threshold, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    content = b"name,city\n" + b"".join(b"Acme %d,Delft\n" % n for n in range(8))

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(root_client, content)

    page = root_client.get(response.url)
    assert "The file has no column number" in page.text
    assert "Traceback" not in page.text
    assert 'name="confirm"' not in page.text
    job = models.MasterDataImport.objects.get()
    assert job.state == "checked" and not masterdata.can_confirm(job)
    assert not job.file  # nothing will read it again


def test_another_user_gets_404_for_the_jobs_pages(client, root, importer, small_threshold, settings):
    settings.TASKS = DATABASE
    client.force_login(root)
    upload(client, relations_csv(8))
    job = models.MasterDataImport.objects.get()
    client.force_login(importer)

    assert client.get(job_url(job)).status_code == 404
    assert client.post(job_url(job), {"confirm": "1"}).status_code == 404
    assert client.get(reverse("admin:dossier_contact_import_job", args=[job.pk])).status_code in (403, 404)


def test_a_user_who_may_import_sees_his_own_job_and_a_superuser_sees_it_too(
    client, root, importer, small_threshold, settings
):
    settings.TASKS = DATABASE
    client.force_login(importer)
    response = upload(client, relations_csv(8))
    job = models.MasterDataImport.objects.get()

    assert client.get(response.url).status_code == 200
    client.force_login(root)
    assert client.get(job_url(job)).status_code == 200
    assert list(models.MasterDataImport.objects.visible_to(importer)) == [job]
    assert not models.MasterDataImport.objects.visible_to(UserFactory(username="other", is_staff=True)).exists()


def test_a_job_of_relations_is_not_shown_on_the_contacts_import_address(root_client, small_threshold, settings):
    settings.TASKS = DATABASE
    upload(root_client, relations_csv(8))
    job = models.MasterDataImport.objects.get()

    assert root_client.get(reverse("admin:dossier_contact_import_job", args=[job.pk])).status_code == 404


def test_a_file_below_the_threshold_is_still_checked_in_the_request(root_client, settings):
    settings.MASTER_DATA_BACKGROUND_ROWS = 10

    preview = upload(root_client, relations_csv(3))

    assert preview.status_code == 200
    assert "confirm_form" in preview.context
    assert not models.MasterDataImport.objects.exists()


def test_the_progress_page_counts_the_rows_the_worker_has_done(root_client, small_threshold, settings):
    settings.TASKS = DATABASE
    upload(root_client, relations_csv(9))
    job = models.MasterDataImport.objects.get()

    masterdata.write_progress(job.pk, 4, 9)

    page = root_client.get(job_url(job))
    assert "4 of 9 rows done" in page.text
    assert '<progress max="9" value="4">' in page.text


def test_confirming_twice_queues_one_import(root_client, small_threshold, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        upload(root_client, relations_csv(7))
    job = models.MasterDataImport.objects.get()
    settings.TASKS = DATABASE

    with django_capture_on_commit_callbacks(execute=True):
        root_client.post(job_url(job), {"confirm": "1"})
        root_client.post(job_url(job), {"confirm": "1"})

    assert DBTaskResult.objects.count() == 1
    assert models.MasterDataImport.objects.get().state == "importing"


def test_the_preview_of_a_large_file_draws_at_most_the_preview_rows(
    root_client, small_threshold, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    settings.MASTER_DATA_PREVIEW_ROWS = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(root_client, relations_csv(9))

    job = models.MasterDataImport.objects.get()
    assert len(job.preview["rows"]) == 3
    assert job.totals == {"new": 9}
    assert "The first 3 of 9 rows are shown." in root_client.get(response.url).text


def test_an_import_that_meets_a_problem_the_check_did_not_see_stores_no_row(
    root_client, small_threshold, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        upload(root_client, relations_csv(7))
    job = models.MasterDataImport.objects.get()
    assert masterdata.can_confirm(job)
    holder = models.Relation.objects.create(number="99999", kind="person", name="Holder")
    models.SalesRelation.objects.create(relation=holder, number="D3")  # taken after the check

    with django_capture_on_commit_callbacks(execute=True):
        root_client.post(job_url(job), {"confirm": "1"})

    job.refresh_from_db()
    assert job.state == "failed"
    assert list(models.Relation.objects.values_list("number", flat=True)) == ["99999"]
    page = root_client.get(job_url(job))
    assert "D3 is already the debtor number of" in page.text
    assert 'name="confirm"' not in page.text


def test_a_job_whose_worker_stopped_answering_fails_with_one_sentence(root_client, small_threshold, settings):
    settings.TASKS = DATABASE
    settings.IMPORT_STALE_AFTER = 60
    upload(root_client, relations_csv(8))
    job = models.MasterDataImport.objects.get()
    masterdata.write_progress(job.pk, 3, 8)
    assert "3 of 8 rows done" in root_client.get(job_url(job)).text  # moving: left alone
    masterdata.write_progress(job.pk, 3, 8, beat=time.time() - 120)  # its last beat, 2 minutes ago

    page = root_client.get(job_url(job))

    assert "The task worker stopped before the file was done; nothing was stored." in page.text
    job.refresh_from_db()
    assert job.state == "failed" and not job.file
    assert masterdata.read_progress(job) == (0, 8)  # its progress is gone


@pytest.fixture
def storage_without_paths(monkeypatch):
    """Private storage without local paths, as S3 is: `path()` raises NotImplementedError."""
    storage = InMemoryStorage()
    monkeypatch.setattr(models.MasterDataImport._meta.get_field("file"), "storage", storage)
    return storage


def test_the_progress_of_a_running_step_goes_through_the_storage_api_without_a_local_path(
    root_client, small_threshold, settings, monkeypatch, storage_without_paths, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    seen = []
    noted = masterdata._Progress.__call__

    def looking_midway(self, done):
        noted(self, done)
        if done == 6:
            self.write()  # as its thread does every IMPORT_PROGRESS_EVERY seconds
            job = models.MasterDataImport.objects.get()
            seen.append(masterdata.read_progress(job))
            seen.append(masterdata.progress_age(job) < 5)
            seen.append("6 of 9 rows done" in root_client.get(job_url(job)).text)

    monkeypatch.setattr(masterdata._Progress, "__call__", looking_midway)

    with django_capture_on_commit_callbacks(execute=True):
        upload(root_client, relations_csv(9))

    assert seen == [(6, 9), True, True]
    job = models.MasterDataImport.objects.get()
    assert job.state == "checked" and masterdata.can_confirm(job)
    assert storage_without_paths.listdir("masterdata")[1] == [job.file.name.split("/")[-1]]  # progress gone


def test_a_dead_worker_is_told_by_its_beat_in_a_storage_without_local_paths(
    root_client, small_threshold, settings, storage_without_paths
):
    settings.TASKS = DATABASE
    settings.IMPORT_STALE_AFTER = 60
    upload(root_client, relations_csv(8))
    job = models.MasterDataImport.objects.get()
    masterdata.write_progress(job.pk, 3, 8, slot=0, beat=time.time() - 200)
    masterdata.write_progress(job.pk, 5, 8, slot=1, beat=time.time() - 10)  # the later beat counts
    assert masterdata.read_progress(job) == (5, 8)
    assert masterdata.end_dead_jobs() == []

    masterdata.write_progress(job.pk, 5, 8, slot=1, beat=time.time() - 100)

    assert masterdata.end_dead_jobs() == [job]
    job.refresh_from_db()
    assert job.state == "failed" and not job.file
    assert storage_without_paths.listdir("masterdata") == ([], [])
