"""The worker killed for real: a `manage.py run_worker` process (as `make run` starts it) on a
SQLite file commits a few thousand rows with attachments and is killed with SIGKILL halfway; a
real `manage.py reap_imports --loop` ends the job failed, nothing of it stays (no item, no orphan
file, no staging), and running it again succeeds. On the way, another process reads the
progress while the commit's transaction holds SQLite's write lock, without waiting."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROWS = 3000
# A loaded machine may take minutes to start a Django process or migrate a database; PATIENCE
# only bounds a wait for something bound to come. The limits that matter (how long a worker
# may stay silent, how long a run may take) are derived from what the test observed.
PATIENCE = 600
BASE_DIR = Path(settings.BASE_DIR)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="signals")]

START = """
import io, json, zipfile
from django.contrib.auth import get_user_model
from dossier.models import ItemType
from imports import services, tasks

rows = "Relatienummer;Onderwerp;Bijlage\\n" + "".join(f"{10001 + n % 80};Brief {n};brief.pdf\\n" for n in range(ROWS))
archive = io.BytesIO()
with zipfile.ZipFile(archive, "w") as zip_file:
    zip_file.writestr("brief.pdf", b"%PDF-1.4 " + b"x" * 2000)
archive.seek(0)
job = services.start_import(
    user=get_user_model().objects.get(username="importeur"),
    item_type=ItemType.objects.get(code="SOLL"),
    file=io.BytesIO(rows.encode()),
    file_name="brieven.csv",
    attachments=archive,
    attachments_name="brieven.zip",
)
assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
services.validate_import(job=job)
tasks.start_commit(job=job)
print(json.dumps({"job": str(job.pk)}))
"""

STATE = """
import json
from dossier.models import DossierItem
from imports import services
from imports.models import ImportJob

job = ImportJob.objects.get(pk=JOB)
progress = services.job_progress(job)
print(json.dumps({
    "state": job.state,
    "message": str(job.error_message),  # a Message: in the language of this process
    "items": DossierItem.objects.filter(import_job=job).count(),
    "phase": progress.phase,
    "done": progress.done,
    "total": progress.total,
}))
"""

AGAIN = """
from imports import tasks
from imports.models import ImportJob

tasks.start_commit(job=ImportJob.objects.get(pk=JOB))
"""


@pytest.fixture
def world(tmp_path):
    """A project of its own: a SQLite file, private storage, the demo world."""
    env = {
        **os.environ,
        "ENV_FILE": "/dev/null",
        "DEBUG": "true",
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "PRIVATE_STORAGE_ROOT": str(tmp_path / "private"),
        "LOG_FILE": "",
        "LANGUAGE_CODE": "en",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "IMPORT_STALE_AFTER": "10",  # the reaper's is set from the worker's observed start
        "IMPORT_HEARTBEAT_EVERY": "0.5",
        "IMPORT_PROGRESS_EVERY": "0",
    }
    manage("migrate", "-v0", env=env)
    manage("seed_demo", env=env)
    processes: list[subprocess.Popen] = []
    yield env, tmp_path, processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


def manage(*args, env, code=None) -> str:
    command = [sys.executable, "manage.py", *args]
    if code is not None:
        command += ["-c", code]
    done = subprocess.run(  # noqa: S603 (our own manage.py)
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=PATIENCE, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def start(processes, env, tmp_path, *args) -> subprocess.Popen:
    log = (tmp_path / f"{args[0]}-{len(processes)}.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    processes.append(process)
    return process


def state(env, job: str, **extra_env) -> dict:
    return json.loads(manage("shell", env={**env, **extra_env}, code=STATE.replace("JOB", repr(job))))


def wait_for(condition, what: str, timeout: float = PATIENCE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := condition()) is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what} after {timeout:.0f} s")


def read_progress(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()} if folder.exists() else set()


def test_a_worker_killed_during_a_commit_leaves_nothing_and_the_import_runs_again(world):
    env, tmp_path, processes = world
    attachments = tmp_path / "private" / "attachments"
    before = files_under(attachments)  # the demo world's own
    job = json.loads(manage("shell", env=env, code=START.replace("ROWS", str(ROWS))))["job"]
    staging = tmp_path / "private" / "imports"
    progress_file = staging / f"{job}-progress.json"

    started = time.monotonic()
    worker = start(processes, env, tmp_path, "run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2")
    # Observed: the worker took the job up (its commit writes the progress file). Only then the
    # reaper starts: the job was queued while no worker ran, for as long as this machine takes
    # to start one, and a reaper that saw that would rightly end it as never started.
    wait_for(lambda: read_progress(progress_file), "the worker to take the job up", PATIENCE)
    startup = time.monotonic() - started
    # The reaper's stale limit follows the machine: a live worker that beats every 0.5 s must
    # never look dead to it, however slowly this machine started the worker (nor the second
    # worker's job, queued while that one starts).
    stale_after = max(10, round(3 * startup))
    reaper_env = {**env, "DATABASE_URL": env["DATABASE_URL"] + "?timeout=1", "IMPORT_STALE_AFTER": str(stale_after)}
    start(processes, reaper_env, tmp_path, "reap_imports", "--loop", "--every", "1")

    def halfway():
        data = read_progress(progress_file)
        return data if data and data.get("phase") == "importing" and 1000 <= data.get("done", 0) < ROWS else None

    at_half = wait_for(halfway, "the commit to be halfway (the progress moved)", PATIENCE)
    commit_seconds = time.monotonic() - started - startup
    os.kill(worker.pid, signal.SIGSTOP)  # frozen inside its transaction, holding the write lock
    assert len(files_under(attachments) - before) >= 1000  # written, not committed

    # Another process reads the job and its progress without waiting for the lock (timeout=0).
    seen = state(env, job, DATABASE_URL=env["DATABASE_URL"] + "?timeout=0")
    assert (seen["state"], seen["phase"], seen["items"], seen["total"]) == ("importing", "importing", 0, ROWS)
    assert 1000 <= seen["done"] < ROWS

    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    ended = wait_for(
        lambda: ((s := state(env, job))["state"] == "failed" and s) or None,
        "the reaper",
        stale_after + max(90, 3 * startup),
    )
    assert "Run it again" in ended["message"]
    assert ended["items"] == 0
    assert files_under(attachments) == before  # no orphan file
    # The upload's ZIP, and the check's row record (the status workbook's), stay; nothing else.
    assert sorted(path.name for path in staging.glob(f"{job}-*")) == [f"{job}-attachments.zip", f"{job}-rows.jsonl"]

    started = time.monotonic()
    start(processes, env, tmp_path, "run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2")
    manage("shell", env=env, code=AGAIN.replace("JOB", repr(job)))
    # The whole run, at the rate observed for the first half, with the first start's time.
    whole = startup + commit_seconds * ROWS / at_half["done"]
    done = wait_for(
        lambda: ((s := state(env, job))["state"] in ("done", "failed") and s) or None,
        "the second run",
        max(90, 4 * whole),
    )
    assert (done["state"], done["items"]) == ("done", ROWS), done["message"]
    assert len(files_under(attachments) - before) == ROWS
