"""Wizard benchmark: prints figures, asserts nothing but correctness. Not part of the test suite.

    .venv/bin/python bench/wizard_bench.py                # 100,000 rows, SQLite
    .venv/bin/python bench/wizard_bench.py --rows 20000

What the wizard adds to the engine (issue 8, part 8), on the rows of bench/import_bench.py
(a 12-column .xlsx of the demo world's sales relations):
- upload: the .xlsx posted to the wizard's upload view (Django's test client) and the
  mapping page it leads to, from the first byte sent to the mapping page (target under 2 s);
- validation and commit through the task path (tasks.start_validation / start_commit,
  worked off by a real `manage.py db_worker` process, from the click to the job's new state)
  against the same services called directly in one process (target within 1.2x).
Every step runs in a fresh process on one SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import import_bench  # noqa: E402 (the rows, the item type and the direct steps)


def environment(database_url: str, storage: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ENV_FILE": "/dev/null",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "PRIVATE_STORAGE_ROOT": storage,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_FILE": "",
    }


def child(script: Path, step: str, env: dict, **arguments) -> dict:
    command = [sys.executable, str(script), "--child", step, "--arguments", json.dumps(arguments)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{step} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child")
    parser.add_argument("--arguments", default="{}")
    options = parser.parse_args()
    if options.child:
        print(json.dumps(run_child(options.child, json.loads(options.arguments))))
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "small").mkdir()
        storage = str(folder / "private")
        env = environment(f"sqlite:///{folder}/bench.sqlite3", storage)
        me = Path(__file__).resolve()
        print(f"Writing the {options.rows:,}-row .xlsx ...", flush=True)
        path = str(import_bench.write_files(folder, options.rows)["xlsx"])
        child(me, "setup", env)

        upload = child(me, "upload", env, path=path)
        print(
            f"upload to the mapping page: {upload['post']:.2f} s upload + {upload['map']:.2f} s mapping page = {upload['seconds']:.2f} s (target < 2 s)"
        )

        direct_validate = child(me, "validate_directly", env, path=path)
        direct_commit = child(me, "commit_directly", env, job=direct_validate["job"])
        child(me, "clear", env)

        small = str(import_bench.write_files(folder / "small", 200)["xlsx"])
        warm_up = child(me, "prepare", env, path=small)["job"]
        job = child(me, "prepare", env, path=path)["job"]
        log = (folder / "worker.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.05"],
            cwd=ROOT,
            env={**env, "IMPORT_HEARTBEAT_EVERY": "5"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # A long-lived worker, as under `make run`: it has run an import before the clock starts.
            child(me, "through_the_worker", env, job=warm_up)
            child(me, "clear", env)
            tasks = child(me, "through_the_worker", env, job=job)
        finally:
            worker.terminate()
            worker.wait(timeout=30)

    rows = options.rows
    print(f"{'':22}{'directly':>12}{'task path':>12}{'ratio':>8}")
    for name, direct, task in (
        ("validation", direct_validate["seconds"], tasks["validate"]),
        ("commit", direct_commit["seconds"], tasks["commit"]),
    ):
        print(f"{name + f' ({rows:,} rows)':22}{direct:>10.2f} s{task:>10.2f} s{task / direct:>7.2f}x")
    print(
        f"inside the worker's task: validation {tasks['validate_task']:.2f} s, commit {tasks['commit_task']:.2f} s"
        " (the rest is queueing, the worker's poll and the page's poll)"
    )
    print("target: the task path within 1.2x of the direct call")


# --- the child steps ------------------------------------------------------------------------


def run_child(step: str, arguments: dict) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    return globals()[f"step_{step}"](**arguments)


def step_setup() -> dict:
    return import_bench.step_setup()


def step_clear() -> dict:
    return import_bench.step_clear()


def step_upload(path: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    started = time.monotonic()
    with open(path, "rb") as handle:
        response = client.post(reverse("imports:upload", args=["BENCH"]), {"file": handle})
    posted = time.monotonic()
    assert response.status_code == 302 and response["Location"].endswith("/map/"), response.status_code
    page = client.get(response["Location"])
    assert page.status_code == 200
    ended = time.monotonic()
    return {"post": posted - started, "map": ended - posted, "seconds": ended - started}


def step_validate_directly(path: str) -> dict:
    from imports import services

    job = _prepared(path)
    started = time.monotonic()
    summary = services.validate_import(job=job).summary
    assert summary.invalid_rows == 0, summary.problems[:3]
    return {"job": str(job.pk), "seconds": time.monotonic() - started}


def step_commit_directly(job: str) -> dict:
    return import_bench.step_commit(job)


def step_prepare(path: str) -> dict:
    return {"job": str(_prepared(path).pk)}


def _prepared(path: str):
    from django.contrib.auth import get_user_model

    from dossier.models import ItemType
    from imports import services

    with open(path, "rb") as handle:
        job = services.start_import(
            user=get_user_model().objects.get(username="admin"),
            item_type=ItemType.objects.get(code="BENCH"),
            file=handle,
            file_name=Path(path).name,
        )
    assert services.set_mapping(job=job, mapping=import_bench.MAPPING) == []
    return job


def step_through_the_worker(job: str) -> dict:
    """From the click (start_validation, start_commit) to the job's new state, as the wizard's
    progress page would see it."""
    from imports import tasks
    from imports.models import ImportJob

    def until(state: str) -> ImportJob:
        while True:
            found = ImportJob.objects.get(pk=job)
            if found.state == state:
                return found
            if found.state in ("failed", "cancelled"):
                raise SystemExit(found.error_message)
            time.sleep(0.05)

    started = time.monotonic()
    tasks.start_validation(job=ImportJob.objects.get(pk=job))
    validated = until("validated")
    validate = time.monotonic() - started
    in_task = _task_seconds(validated, validated.validated_at)
    assert validated.invalid_row_count == 0
    started = time.monotonic()
    tasks.start_commit(job=validated, again=True)
    done = until("done")
    commit = time.monotonic() - started
    assert done.items_created == done.row_count
    return {
        "validate": validate,
        "commit": commit,
        "validate_task": in_task,
        "commit_task": _task_seconds(done, done.finished_at),
    }


def _task_seconds(job, ended) -> float:
    """How long the worker's task itself worked: from its start (django-tasks-db) to the
    moment the job recorded its end."""
    from django_tasks_db.models import DBTaskResult

    task = DBTaskResult.objects.get(pk=job.task_id)
    return (ended - task.started_at).total_seconds()


if __name__ == "__main__":
    main()
