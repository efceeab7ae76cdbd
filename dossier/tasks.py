"""The master-data imports' background work, queued for the task worker (django.tasks; by
default django-tasks-db, worked off by `manage.py db_worker`) once the transaction commits,
as `imports/tasks.py` queues the item import. Each task is one call into `dossier.masterdata`
with the job's id."""

from __future__ import annotations

from django.db import transaction
from django.tasks import task

from dossier import masterdata
from dossier.models import MasterDataImport


@task()
def check_master_data(job_id: str) -> str:
    return masterdata.run_check(job_id)


@task()
def import_master_data(job_id: str) -> str:
    return masterdata.run_import(job_id)


@transaction.atomic
def start_check(*, job: MasterDataImport) -> MasterDataImport:
    """Queue the check (the preview) of a job just stored (checking)."""
    _enqueue(job, check_master_data)
    return job


@transaction.atomic
def start_import(*, job: MasterDataImport) -> bool:
    """Queue the import of a checked job without problems (importing). False when the job is
    not (or no longer) waiting for its confirmation, say after a second click."""
    if job.state != MasterDataImport.State.CHECKED or not masterdata.can_confirm(job):
        return False
    if not MasterDataImport.objects.filter(pk=job.pk, state=MasterDataImport.State.CHECKED).update(
        state=MasterDataImport.State.IMPORTING
    ):
        return False
    job.state = MasterDataImport.State.IMPORTING
    _enqueue(job, import_master_data)
    return True


def _enqueue(job: MasterDataImport, task) -> None:
    def enqueue() -> None:
        result = task.enqueue(str(job.pk))
        MasterDataImport.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])

    transaction.on_commit(enqueue)
