"""The reaper (issue 8, part 2): a job whose worker died ends failed, with a message that
says to run it again, without its staging or the files its commit wrote; a live job, or one
waiting behind a live one, is left alone. The worker killed for real: test_worker_killed.py."""

import datetime as dt
import io
import json
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
    assert services.commit_import(job=fresh(job)).items_created == 2


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
