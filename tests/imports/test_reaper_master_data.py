"""The reaper also ends master-data imports whose task worker died (issue 14), without anyone
opening their page, and removes their stored files after IMPORT_RETENTION_DAYS."""

import datetime as dt
import time

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from dossier import masterdata
from dossier.models import MasterDataImport
from imports import tasks

pytestmark = pytest.mark.django_db


def a_job(user, state: str, **fields) -> MasterDataImport:
    job = MasterDataImport(
        user=user, resource="RelationResource", file_name="relations.csv", file_format=0, row_count=8, state=state
    )
    job.file.save(f"{job.pk}.csv", ContentFile(b"number,kind,name\n"), save=False)
    job.save()
    if fields:
        MasterDataImport.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


@pytest.mark.parametrize("state", ["checking", "importing"])
def test_the_reaper_ends_a_master_data_job_whose_worker_stopped_beating(root, settings, state):
    settings.IMPORT_STALE_AFTER = 60
    job = a_job(root, state)
    masterdata.write_progress(job.pk, 3, 8, beat=time.time() - 120)
    stored = job.file.name

    call_command("reap_imports")

    job.refresh_from_db()
    assert job.state == "failed"
    assert job.message.startswith("The task worker stopped before the file was done; nothing was stored.")
    assert not job.file and not job.file.storage.exists(stored)
    assert masterdata.read_progress(job) == (0, 8)


def test_the_reaper_leaves_a_beating_or_waiting_master_data_job_alone(root, settings):
    settings.IMPORT_STALE_AFTER = 60
    beating = a_job(root, "importing")
    masterdata.write_progress(beating.pk, 3, 8)
    waiting = a_job(root, "checking")  # no worker took it up yet: no progress

    tasks.reap_stale_imports()

    assert MasterDataImport.objects.get(pk=beating.pk).state == "importing"
    assert MasterDataImport.objects.get(pk=waiting.pk).state == "checking"
    assert MasterDataImport.objects.get(pk=waiting.pk).file


def test_the_file_of_a_check_never_confirmed_is_removed_after_the_retention_days(root, settings):
    settings.IMPORT_RETENTION_DAYS = 30
    old = timezone.now() - dt.timedelta(days=31)
    expired = a_job(root, "checked", created_at=old, finished_at=old)
    recent = a_job(root, "checked", created_at=old, finished_at=timezone.now() - dt.timedelta(days=2))
    stored = expired.file.name

    tasks.reap_stale_imports()

    expired.refresh_from_db()
    assert not expired.file and not expired.file.storage.exists(stored)
    assert expired.state == "checked" and not masterdata.can_confirm(expired)
    assert expired.message == "Its file was removed after 30 days; upload the file again to import it."
    assert MasterDataImport.objects.get(pk=recent.pk).file  # not yet


def test_the_file_of_a_failed_master_data_job_is_removed_after_the_retention_days_and_its_sentence_kept(root, settings):
    settings.IMPORT_RETENTION_DAYS = 30
    old = timezone.now() - dt.timedelta(days=40)
    failed = a_job(root, "failed", created_at=old, finished_at=old, message="The file has problems.")

    tasks.reap_stale_imports()

    failed.refresh_from_db()
    assert not failed.file
    assert failed.message == (
        "The file has problems. Its file was removed after 30 days; upload the file again to import it."
    )


def test_no_retention_days_keep_the_files(root, settings):
    settings.IMPORT_RETENTION_DAYS = 0
    old = timezone.now() - dt.timedelta(days=400)
    job = a_job(root, "checked", created_at=old, finished_at=old)

    tasks.reap_stale_imports()

    assert MasterDataImport.objects.get(pk=job.pk).file
