"""Validation and commit as background tasks (issue 8, part 2): start_validation and
start_commit queue them once the transaction commits, re-check what must be re-checked, and
the tasks run the same services as the command line."""

import io
import time

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from dossier.models import DossierItem, ItemType
from imports import services, tasks
from imports.models import ImportJob
from imports.progress import progress_path
from tests.imports.test_services import SOLL_ROWS, mapped, user

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def immediate(settings):
    settings.TASKS = IMMEDIATE


def fresh(job) -> ImportJob:
    return ImportJob.objects.get(pk=job.pk)


@pytest.mark.django_db
def test_start_validation_queues_the_task_only_when_the_transaction_commits(
    demo, immediate, django_capture_on_commit_callbacks
):
    job = mapped(SOLL_ROWS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.start_validation(job=job)
    queued = fresh(job)
    assert (queued.state, queued.heartbeat_at, queued.task_id) == ("validating", None, "")
    assert queued.queued_at is not None
    assert services.job_progress(queued).phase == "queued"
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_the_validation_task_validates_and_records_its_task(demo, immediate, django_capture_on_commit_callbacks):
    job = mapped(SOLL_ROWS + "E0003;CV\n")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_validation(job=job)
    job = fresh(job)
    assert (job.state, job.row_count, job.invalid_row_count) == ("validated", 3, 1)
    assert job.task_id and job.heartbeat_at and job.validated_at
    assert not progress_path(job.pk).exists()
    assert services.job_progress(job).phase == "validated"


@pytest.mark.django_db
def test_the_commit_task_imports_the_valid_rows_when_chosen(demo, immediate, django_capture_on_commit_callbacks):
    job = mapped(SOLL_ROWS + "E0003;CV\n")
    services.validate_import(job=job)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_commit(job=job, skip_invalid=True)
    job = fresh(job)
    assert (job.state, job.items_created, job.skip_invalid) == ("done", 2, True)
    assert DossierItem.objects.filter(import_job=job).count() == 2
    progress = services.job_progress(job)
    assert (progress.phase, progress.done, progress.total, progress.percent) == ("done", 2, 2, 100)


@pytest.mark.django_db
def test_start_commit_refuses_a_user_who_lost_his_rights(demo, immediate):
    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    job.user.has_insite_rights = job.user.has_profit_rights = False
    job.user.save()
    with pytest.raises(services.ImportRefused, match="InSite or Profit rights"):
        tasks.start_commit(job=fresh(job))
    assert fresh(job).state == "validated"


@pytest.mark.django_db
def test_start_commit_refuses_a_type_the_user_is_no_longer_authorised_for(demo, immediate):
    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    ItemType.objects.get(code="SOLL").authorised_users.remove(user("importeur"))
    with pytest.raises(services.ImportRefused, match="not authorised for item type SOLL"):
        tasks.start_commit(job=fresh(job))
    assert fresh(job).state == "validated"


@pytest.mark.django_db
def test_start_commit_refuses_invalid_rows_the_user_did_not_choose_to_leave_out(demo, immediate):
    job = mapped(SOLL_ROWS + "E0003;CV\n")
    services.validate_import(job=job)
    with pytest.raises(services.RowsInvalid, match="Row 4 is invalid"):
        tasks.start_commit(job=fresh(job))
    assert fresh(job).state == "validated"


@pytest.mark.django_db
def test_start_commit_asks_before_importing_a_file_again(demo, immediate, django_capture_on_commit_callbacks):
    first = mapped(SOLL_ROWS)
    services.commit_import(job=first)
    second = mapped(SOLL_ROWS)
    services.validate_import(job=second)
    with pytest.raises(services.ImportedBefore) as refused:
        tasks.start_commit(job=fresh(second))
    assert refused.value.earlier.pk == first.pk
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_commit(job=fresh(second), again=True)
    assert (fresh(second).state, fresh(second).items_created) == ("done", 2)


@pytest.mark.django_db
def test_a_queued_commit_validates_again_and_goes_back_when_rows_became_invalid(
    demo, immediate, settings, django_capture_on_commit_callbacks
):
    from dossier.models import Relation

    job = mapped("Relatienummer;Onderwerp\n10001;Sollicitatiebrief\n10060;CV\n")
    services.validate_import(job=job)
    settings.IMPORT_VALIDATION_MAX_AGE = -1  # the validation is out of date by the time the worker runs
    Relation.objects.filter(number="10060").delete()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_commit(job=fresh(job))
    job = fresh(job)
    assert (job.state, job.invalid_row_count) == ("validated", 1)
    assert "Row 3 is invalid" in job.error_message
    assert not DossierItem.objects.filter(import_job=job).exists()


@pytest.mark.django_db
def test_a_task_for_a_job_cancelled_while_queued_does_nothing(demo, immediate, django_capture_on_commit_callbacks):
    job = mapped(SOLL_ROWS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.start_validation(job=job)
    services.request_cancel(job=fresh(job))
    assert services.job_progress(fresh(job)).cancel_requested
    callbacks[0]()  # the worker takes it up now
    job = fresh(job)
    assert job.state == "cancelled"
    assert job.validated_at is None
    assert not services.staging_path(job).exists()


@pytest.mark.django_db
def test_cancelling_a_job_that_does_not_run_cancels_it_at_once(demo):
    job = mapped(SOLL_ROWS)
    services.request_cancel(job=job)
    assert fresh(job).state == "cancelled"
    with pytest.raises(services.ImportRefused, match="cannot be cancelled"):
        services.request_cancel(job=fresh(job))


@pytest.mark.django_db(transaction=True)
def test_the_database_backend_and_db_worker_run_validation_and_commit(demo, settings):
    settings.TASKS = DATABASE
    job = mapped(SOLL_ROWS)
    tasks.start_validation(job=job)  # autocommit: queued at once
    assert DBTaskResult.objects.get().status == "READY"
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=io.StringIO())
    assert fresh(job).state == "validated"
    tasks.start_commit(job=fresh(job))
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=io.StringIO())
    job = fresh(job)
    assert (job.state, job.items_created) == ("done", 2)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert str(DBTaskResult.objects.order_by("enqueued_at").last().pk) == job.task_id


@pytest.mark.django_db
def test_a_commit_queued_after_a_new_mapping_validates_with_the_new_mapping(
    demo, immediate, django_capture_on_commit_callbacks
):
    job = mapped("Relatienummer;Onderwerp;Titel\n10001;Sollicitatiebrief;Eerste\n")
    services.validate_import(job=job)
    remapped = {"relation": {"column": "Relatienummer"}, "subject": {"column": "Titel"}, "not_imported": ["Onderwerp"]}
    assert services.set_mapping(job=fresh(job), mapping=remapped) == []
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_commit(job=fresh(job))
    assert list(DossierItem.objects.filter(import_job=job).values_list("subject", flat=True)) == ["Eerste"]


@pytest.mark.django_db(transaction=True)
def test_a_large_commit_on_postgresql_vacuums_the_item_table(demo, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("VACUUM and its statistics are PostgreSQL's.")
    from imports.services import storing

    monkeypatch.setattr(storing, "VACUUM_AFTER_ITEMS", 2)

    def vacuums() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'dossier_dossieritem'")
            return cursor.fetchone()[0]

    before = vacuums()
    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    services.commit_import(job=fresh(job))
    assert fresh(job).items_created == 2
    for _attempt in range(50):  # the statistics collector reports within a moment
        if vacuums() > before:
            break
        connection.close()
        time.sleep(0.1)
    assert vacuums() == before + 1
