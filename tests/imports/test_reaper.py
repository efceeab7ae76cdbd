"""The reaper (issue 8, part 2): a job whose worker died ends failed, with a message that
says to run it again, without its staging or the files its commit wrote; a live job, or one
waiting behind a live one, is left alone. The worker killed for real: test_worker_killed.py."""

import datetime as dt
import io
import json
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dossier.models import Attachment, DossierItem
from imports import services, tasks
from imports.models import ImportJob
from imports.progress import manifest_path, mark_cancel, progress_path, staging_folder
from tests.imports.test_services import SOLL_ROWS, mapped

pytestmark = pytest.mark.django_db

LONG_AGO = dt.timedelta(minutes=5)


def fresh(job) -> ImportJob:
    return ImportJob.objects.get(pk=job.pk)


def died_while(state: str, job: ImportJob, *, beat_ago=LONG_AGO) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        state=state, heartbeat_at=timezone.now() - beat_ago, queued_at=timezone.now() - beat_ago
    )
    return fresh(job)


def queued(job: ImportJob, state: str, *, ago=LONG_AGO, task_id="") -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        state=state, heartbeat_at=None, queued_at=timezone.now() - ago, task_id=task_id
    )
    return fresh(job)


def test_a_validation_whose_worker_died_fails_without_its_staging_and_can_run_again(demo):
    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    assert services.staging_path(job).exists()
    job = died_while("validating", job)
    assert tasks.reap_stale_imports() == [job]
    job = fresh(job)
    assert job.state == "failed"
    assert "gave no sign of life" in job.error_message and "Run it again" in job.error_message
    assert not services.staging_path(job).exists() and not services.rejected_path(job).exists()
    assert services.commit_import(job=job).items_created == 2  # validates again, then stores


def test_a_commit_whose_worker_died_loses_the_files_it_wrote_but_no_stored_file(demo, private_files):
    earlier = mapped(SOLL_ROWS)
    services.commit_import(job=earlier)
    item = DossierItem.objects.filter(import_job=earlier).first()
    kept = Attachment(item=item, original_name="kept.pdf", size=1, sha256="0" * 64)
    kept.file.save("kept.pdf", ContentFile(b"1"), save=False)
    kept.save()

    job = mapped(SOLL_ROWS.replace("CV", "Cv"))
    services.validate_import(job=job)
    orphans = [private_files.save(f"attachments/2026/12/orphan{n}.pdf", ContentFile(b"%PDF")) for n in range(3)]
    manifest_path(job.pk).write_text("\n".join([*orphans, kept.file.name, "attachments/never-written.pdf"]) + "\n")
    job = died_while("importing", job)

    assert tasks.reap_stale_imports() == [job]
    assert fresh(job).state == "failed"
    assert [name for name in orphans if private_files.exists(name)] == []
    assert private_files.exists(kept.file.name)  # named, but it belongs to a stored item
    assert not manifest_path(job.pk).exists()
    assert not services.staging_path(job).exists()
    assert not DossierItem.objects.filter(import_job=job).exists()
    # its rows are the earlier import's but for case: probable duplicates, imported anyway
    assert services.commit_import(job=fresh(job), duplicates="import").items_created == 2


def test_a_job_that_beats_in_its_progress_file_is_left_alone(demo):
    job = died_while("importing", mapped(SOLL_ROWS))  # its row's heartbeat is old ...
    staging_folder().mkdir(parents=True, exist_ok=True)
    progress_path(job.pk).write_text(json.dumps({"phase": "importing", "beat": time.time()}))  # ... its file's not
    assert tasks.reap_stale_imports() == []
    assert fresh(job).state == "importing"


def test_a_job_whose_heartbeat_is_recent_is_left_alone(demo):
    job = died_while("validating", mapped(SOLL_ROWS), beat_ago=dt.timedelta(seconds=5))
    assert tasks.reap_stale_imports() == []
    assert fresh(job).state == "validating"


def test_a_job_no_worker_took_up_fails_once_no_worker_shows_any_sign_of_life(demo):
    job = queued(mapped(SOLL_ROWS), "validating")
    assert tasks.reap_stale_imports() == [job]
    job = fresh(job)
    assert job.state == "failed"
    assert "no task worker took it up" in job.error_message


def test_a_job_queued_behind_a_live_one_waits(demo):
    busy = died_while("importing", mapped(SOLL_ROWS), beat_ago=dt.timedelta(seconds=1))
    waiting = queued(mapped(SOLL_ROWS.replace("CV", "Cv")), "validating")
    assert tasks.reap_stale_imports() == []
    assert (fresh(busy).state, fresh(waiting).state) == ("importing", "validating")


def test_a_job_queued_just_now_waits(demo):
    job = queued(mapped(SOLL_ROWS), "importing", ago=dt.timedelta(seconds=1))
    assert tasks.reap_stale_imports() == []
    assert fresh(job).state == "importing"


def test_a_job_whose_worker_died_before_its_first_heartbeat_fails_and_so_does_its_task(demo, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from imports.tasks import validate_job

    busy = died_while("importing", mapped(SOLL_ROWS), beat_ago=dt.timedelta(seconds=1))  # a worker lives
    job = mapped(SOLL_ROWS.replace("CV", "Cv"))
    result = validate_job.enqueue(str(job.pk))
    DBTaskResult.objects.filter(pk=result.id).update(status="RUNNING", started_at=timezone.now() - LONG_AGO)
    job = queued(job, "validating", task_id=str(result.id))
    assert tasks.reap_stale_imports() == [job]
    assert fresh(job).state == "failed"
    assert DBTaskResult.objects.get(pk=result.id).status == "FAILED"
    assert fresh(busy).state == "importing"


def test_a_queued_job_its_user_cancelled_ends_cancelled_at_once(demo):
    job = queued(mapped(SOLL_ROWS), "validating", ago=dt.timedelta(seconds=1))
    mark_cancel(job.pk)
    assert tasks.reap_stale_imports() == [job]
    assert fresh(job).state == "cancelled"


def test_a_dead_job_its_user_cancelled_ends_cancelled(demo):
    job = died_while("importing", mapped(SOLL_ROWS))
    services.request_cancel(job=job)
    tasks.reap_stale_imports()
    job = fresh(job)
    assert job.state == "cancelled"
    assert "cancelled" in job.error_message


def test_the_manifest_of_a_finished_job_is_dropped_and_its_files_kept(demo, private_files):
    job = mapped(SOLL_ROWS)
    services.commit_import(job=job)
    item = DossierItem.objects.filter(import_job=job).first()
    stored = Attachment(item=item, original_name="cv.pdf", size=1, sha256="0" * 64)
    stored.file.save("cv.pdf", ContentFile(b"1"), save=False)
    stored.save()
    manifest_path(job.pk).write_text(stored.file.name + "\n")  # the process ended before dropping it
    tasks.reap_stale_imports()
    assert not manifest_path(job.pk).exists()
    assert private_files.exists(stored.file.name)


def test_the_reap_imports_command_says_what_it_ended(demo):
    from django.core.management import call_command

    job = died_while("validating", mapped(SOLL_ROWS))
    out = io.StringIO()
    call_command("reap_imports", stdout=out)
    assert f"Import {job.pk} (failed)" in out.getvalue()
    assert fresh(job).state == "failed"


def test_the_reaper_loop_survives_a_round_that_fails_on_the_database(db, monkeypatch, caplog):
    from django.db import OperationalError

    rounds = iter([OperationalError("database is locked"), KeyboardInterrupt()])

    def round_():
        raise next(rounds)

    monkeypatch.setattr(tasks, "reap_stale_imports", round_)
    with pytest.raises(KeyboardInterrupt):  # the second round: it went on after the first
        call_command("reap_imports", "--loop", "--every", "0", stdout=io.StringIO())
    assert "the next one tries again" in caplog.text


# --- retention and discarding (issue 14, part 10) -------------------------------------------


def aged(job: ImportJob, days: float) -> ImportJob:
    """The job as if it was made, and last touched, `days` ago."""
    then = timezone.now() - dt.timedelta(days=days)
    fields = {"created_at": then}
    for name in ("started_at", "queued_at", "heartbeat_at", "validated_at", "finished_at"):
        if getattr(job, name):
            fields[name] = then
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    return fresh(job)


def stored_files(job: ImportJob) -> list[str]:
    return [f.name for f in (job.file, job.attachments_zip) if f and f.storage.exists(f.name)]


def test_a_checked_import_never_continued_loses_its_files_after_the_retention_days_and_keeps_its_record(
    demo, private_files, settings
):
    settings.IMPORT_RETENTION_DAYS = 30
    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    job = aged(fresh(job), 31)
    names = stored_files(job)
    assert names and services.staging_path(job).exists()

    tasks.reap_stale_imports()  # each round of the reaper removes what is due
    job = fresh(job)
    assert job.state == "cancelled" and job.cancelled_by is None  # nobody dropped it: the note says why
    assert job.files_removed_at is not None
    assert "Its files were removed after 30 days." in job.error_message
    assert (job.file.name, job.attachments_zip.name) == ("", "")
    assert [name for name in names if private_files.exists(name)] == []
    assert not services.staging_path(job).exists() and not services.rejected_path(job).exists()
    assert (job.file_name, job.row_count) == ("rows.csv", 2)  # the record stays


def test_an_import_touched_within_the_retention_days_keeps_its_files(demo, private_files, settings):
    settings.IMPORT_RETENTION_DAYS = 30
    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    job = aged(fresh(job), 29)
    assert services.remove_expired_files() == []
    job = fresh(job)
    assert job.state == "validated" and stored_files(job) and services.staging_path(job).exists()


def test_an_import_created_long_ago_but_checked_lately_keeps_its_files(demo, private_files, settings):
    settings.IMPORT_RETENTION_DAYS = 30
    job = aged(mapped(SOLL_ROWS), 40)
    services.validate_import(job=job)  # touched today
    assert services.remove_expired_files() == []
    assert fresh(job).state == "validated"


@pytest.mark.parametrize("state", ["failed", "cancelled"])
def test_the_files_of_a_failed_or_cancelled_import_go_after_the_retention_days_and_its_state_stays(
    demo, private_files, settings, state
):
    settings.IMPORT_RETENTION_DAYS = 7
    job = mapped(SOLL_ROWS)
    ImportJob.objects.filter(pk=job.pk).update(state=state, error_message="It went wrong.", finished_at=timezone.now())
    job = aged(fresh(job), 8)
    names = stored_files(job)
    assert names

    assert [cleared.pk for cleared in services.remove_expired_files()] == [job.pk]
    job = fresh(job)
    assert job.state == state
    assert job.error_message == "It went wrong. Its files were removed after 7 days."
    assert [name for name in names if private_files.exists(name)] == []
    assert services.remove_expired_files() == []  # once


def test_a_refused_upload_loses_its_file_after_the_retention_days(demo, private_files, settings):
    from tests.imports.wizard import start_job

    settings.IMPORT_RETENTION_DAYS = 30
    with pytest.raises(services.ImportRefused):
        start_job("Relatienummer;Onderwerp\n")  # column names, no rows: refused, failed
    job = ImportJob.objects.get()
    assert job.state == "failed" and stored_files(job)
    job = aged(job, 31)
    services.remove_expired_files()
    assert stored_files(fresh(job)) == [] and fresh(job).files_removed_at is not None


def test_done_and_running_imports_keep_their_files_whatever_their_age(demo, private_files, settings):
    settings.IMPORT_RETENTION_DAYS = 1
    done = mapped(SOLL_ROWS)
    services.commit_import(job=done)
    running = died_while("validating", mapped(SOLL_ROWS.replace("CV", "Cv")), beat_ago=dt.timedelta(days=5))
    aged(fresh(done), 10), aged(running, 10)
    assert services.remove_expired_files() == []
    assert stored_files(fresh(done)) and stored_files(fresh(running))


def test_a_retention_of_zero_days_keeps_every_file(demo, private_files, settings):
    settings.IMPORT_RETENTION_DAYS = 0
    job = aged(mapped(SOLL_ROWS), 400)
    assert services.remove_expired_files() == []
    assert fresh(job).state == "mapped"


def test_the_history_says_when_the_files_were_removed(demo, private_files, settings, client):
    from tests.imports.wizard import user

    settings.IMPORT_RETENTION_DAYS = 30
    job = aged(mapped(SOLL_ROWS), 31)
    services.remove_expired_files()
    client.force_login(user("importeur"))
    page = client.get(f"/admin/imports/importjob/{job.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="history-files-removed"' in page
    assert "Its files were removed after 30 days." in page
    assert "history-download-file" not in page


@pytest.mark.parametrize("state", ["uploaded", "mapped", "validated", "failed"])
def test_an_owner_discards_his_unfinished_import_and_its_files_go(demo, private_files, client, state):
    from tests.imports.wizard import user

    job = mapped(SOLL_ROWS)
    if state == "validated":
        services.validate_import(job=job)
    elif state != "mapped":
        ImportJob.objects.filter(pk=job.pk).update(state=state)
    job = fresh(job)
    names = stored_files(job)
    client.force_login(user(job.user.username))
    url = f"/admin/imports/new/{job.pk}/discard/"
    confirm = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert confirm.status_code == 200 and 'id="discard-yes"' in confirm.content.decode()
    assert fresh(job).state == state  # a GET asks, it changes nothing

    response = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    job = fresh(job)
    assert job.state == "cancelled" and job.files_removed_at is not None
    assert job.cancelled_by == job.user and job.cancelled_at == job.files_removed_at
    assert [name for name in names if private_files.exists(name)] == []
    assert not services.staging_path(job).exists()
    assert ImportJob.objects.filter(pk=job.pk).exists()  # the record stays
    history = client.get(f"/admin/imports/importjob/{job.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Cancelled by {job.user.username} at" in history
    assert "Dropped before it was imported; its files were removed." in history


def test_a_cancelled_import_dropped_later_keeps_who_cancelled_it_and_loses_its_files(demo, private_files, client):
    from tests.imports.wizard import user

    job = mapped(SOLL_ROWS)
    admin = user("admin")
    services.request_cancel(job=job, by=admin)
    job = fresh(job)
    assert job.can_be_discarded and stored_files(job)
    services.discard_import(job=job, by=job.user)
    job = fresh(job)
    assert (job.state, job.cancelled_by) == ("cancelled", admin)
    assert job.files_removed_at is not None and not stored_files(job)
    assert not job.can_be_discarded  # nothing left to drop


def test_a_discard_needs_its_csrf_token(demo, private_files):
    from django.test import Client

    from tests.imports.wizard import user

    job = mapped(SOLL_ROWS)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user(job.user.username))
    assert client.post(f"/admin/imports/new/{job.pk}/discard/").status_code == 403
    assert fresh(job).state == "mapped"


def test_only_the_owner_discards_an_import_not_even_an_administrator(demo, private_files, client):
    from tests.imports.wizard import user

    job = mapped(SOLL_ROWS)
    client.force_login(user("admin"))
    assert client.post(f"/admin/imports/new/{job.pk}/discard/").status_code == 404
    assert fresh(job).state == "mapped" and stored_files(fresh(job))


@pytest.mark.parametrize("state", ["validating", "importing", "done", "undoing", "undone"])
def test_a_running_or_imported_job_cannot_be_discarded(demo, private_files, state):
    job = mapped(SOLL_ROWS)
    ImportJob.objects.filter(pk=job.pk).update(state=state)
    with pytest.raises(services.ImportRefused, match="cannot be discarded"):
        services.discard_import(job=fresh(job))
    assert fresh(job).state == state and stored_files(fresh(job))


def test_the_check_and_result_pages_offer_the_owner_to_discard(demo, private_files, client):
    from tests.imports.wizard import user

    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    client.force_login(user(job.user.username))
    assert 'id="discard-button"' in client.get(f"/admin/imports/new/{job.pk}/check/").content.decode()
    ImportJob.objects.filter(pk=job.pk).update(state="failed")
    assert 'id="discard-button"' in client.get(f"/admin/imports/new/{job.pk}/result/").content.decode()
    upload_again = client.get(f"/admin/imports/new/upload/SOLL/?corrects={job.pk}").content.decode()
    assert 'id="discard-button"' in upload_again


# --- files readable by the application's user only -------------------------------------------


def mode_of(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_every_file_the_import_keeps_is_readable_by_the_application_user_only(demo, private_files, settings):
    settings.FILE_UPLOAD_PERMISSIONS = 0o600
    settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
    private_files.file_permissions_mode = 0o600
    private_files.directory_permissions_mode = 0o700
    old = os.umask(0o002)  # a lenient umask must not make them readable to others
    try:
        job = mapped(SOLL_ROWS)
        services.validate_import(job=job)
        mark_cancel(job.pk)
        from imports.progress import JobMonitor

        with JobMonitor(job) as monitor:
            monitor.start_phase("validating", total=2, in_database=False)
            progress = mode_of(progress_path(job.pk))
        job = fresh(job)
        written = {
            "upload": mode_of(job.file.path),
            "staged rows": mode_of(services.staging_path(job)),
            "rejected rows": mode_of(services.rejected_path(job)),
            "cancel mark": mode_of(staging_folder() / f"{job.pk}-cancel"),
            "progress": progress,
            "staging folder": mode_of(staging_folder()),
        }
    finally:
        os.umask(old)
    assert written == {
        "upload": 0o600,
        "staged rows": 0o600,
        "rejected rows": 0o600,
        "cancel mark": 0o600,
        "progress": 0o600,
        "staging folder": 0o700,
    }


def test_the_settings_keep_uploads_to_the_application_user():
    from django.conf import settings

    assert (settings.FILE_UPLOAD_PERMISSIONS, settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS) == (0o600, 0o700)


def test_a_failed_import_whose_files_were_removed_offers_an_upload_again_not_a_run_again(
    demo, private_files, settings, client
):
    from tests.imports.wizard import user

    settings.IMPORT_RETENTION_DAYS = 7
    job = mapped(SOLL_ROWS)
    ImportJob.objects.filter(pk=job.pk).update(
        state="failed", error_message="It went wrong.", finished_at=timezone.now()
    )
    services.remove_expired_files(now=timezone.now() + dt.timedelta(days=8))
    client.force_login(user(job.user.username))
    page = client.get(f"/admin/imports/new/{job.pk}/result/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="result-again"' not in page
    assert 'id="result-upload-again"' in page
    assert "Its files were removed after 7 days." in page


def test_the_migration_turns_discarded_imports_into_cancelled_ones_by_their_owner_or_by_nobody(demo, private_files):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("imports.migrations.0018_dropped_imports_end_cancelled")
    dropped, reaped = mapped(SOLL_ROWS), mapped(SOLL_ROWS)
    removed = timezone.now() - dt.timedelta(days=2)
    ImportJob.objects.filter(pk=dropped.pk).update(state="discarded", files_removed_at=removed)
    ImportJob.objects.filter(pk=reaped.pk).update(
        state="discarded", files_removed_at=removed, error_message="Its files were removed after 30 days."
    )
    migration.discarded_to_cancelled(apps, None)
    dropped, reaped = fresh(dropped), fresh(reaped)
    assert (dropped.state, dropped.cancelled_by, dropped.cancelled_at) == ("cancelled", dropped.user, removed)
    assert (reaped.state, reaped.cancelled_by, reaped.cancelled_at) == ("cancelled", None, None)
    assert not ImportJob.objects.filter(state="discarded").exists()
