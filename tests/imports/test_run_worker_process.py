"""The task worker of `make run` as a real process on a SQLite file: another connection holds
the database's write lock for longer than the worker's busy timeout, so every poll fails on
"database is locked" (django-tasks-db's own `db_worker` exits for good on the first one). The
worker stays up, takes the next validation once the lock is gone, and stops on SIGTERM."""

import json
import signal
import sqlite3
import sys
import time

import pytest

from tests.imports.test_worker_killed import manage, start, wait_for, world  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="signals")]

QUEUE = """
import io, json
from django.contrib.auth import get_user_model
from dossier.models import ItemType
from imports import services, tasks

job = services.start_import(
    user=get_user_model().objects.get(username="importeur"),
    item_type=ItemType.objects.get(code="SOLL"),
    file=io.BytesIO(b"Relatienummer;Onderwerp\\n10001;Brief\\n10002;CV\\n"),
    file_name="brieven.csv",
)
assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
tasks.start_validation(job=job)
print(json.dumps({"job": str(job.pk)}))
"""

STATE = """
from imports.models import ImportJob
print(ImportJob.objects.get(pk=JOB).state)
"""


def test_the_worker_outlives_a_locked_database_then_runs_the_next_task_and_stops_on_sigterm(world):  # noqa: F811
    env, tmp_path, processes = world
    worker_env = {**env, "DATABASE_URL": f"{env['DATABASE_URL']}?timeout=1"}  # busy gives up after 1 s
    worker = start(
        processes, worker_env, tmp_path, "run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"
    )
    log = tmp_path / "run_worker-0.log"
    wait_for(lambda: True if "Starting worker" in log.read_text() else None, "the worker to start")

    lock = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None, timeout=30)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        wait_for(
            lambda: True if log.read_text().count("could not reach the database") >= 3 else None,
            "three polls to fail on the lock",
        )
        assert worker.poll() is None, log.read_text()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert "database is locked" in log.read_text()

    job_id = json.loads(manage("shell", env=env, code=QUEUE))["job"]

    def validated():
        found = manage("shell", env=env, code=STATE.replace("JOB", repr(job_id)))
        return found if found in ("validated", "failed") else None

    assert wait_for(validated, "the validation") == "validated"
    assert worker.poll() is None

    worker.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.returncode == 0, log.read_text()
