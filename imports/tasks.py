"""The import's background tasks (django.tasks; by default django-tasks-db, worked off by
`manage.py db_worker`). Each is one service call with the job's id: the services queue them
(`services.start_validation`, `services.start_commit`) once the transaction commits, and the
job records what came of it. A task whose worker dies is ended by the reaper
(`services.reap_stale_imports`, `manage.py reap_imports`)."""

from django.tasks import task

from imports import services


@task()
def validate_job(job_id: str) -> str:
    return services.run_validation(job_id=job_id)


@task()
def commit_job(job_id: str, skip_invalid: bool = False, again: bool = False) -> str:
    return services.run_commit(job_id=job_id, skip_invalid=skip_invalid, again=again)
