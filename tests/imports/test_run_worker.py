"""The task worker of `make run` (manage.py run_worker): a poll or claim that fails on the
database is waited out and retried instead of ending the worker for good; SIGTERM still stops
it gracefully. The waits are recorded, never slept through."""

import contextlib
import io
import logging
import os
import signal

import pytest
from django.core.management import call_command
from django.db import InterfaceError, OperationalError
from django.tasks import task
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from imports.management.commands import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RAN: list[str] = []


@task()
def remember(text: str) -> str:
    RAN.append(text)
    return text


@task()
def stop_me_while_i_run(text: str) -> str:
    os.kill(os.getpid(), signal.SIGTERM)
    RAN.append(text)
    return text


@pytest.fixture
def queue(settings):
    settings.TASKS = DATABASE
    RAN.clear()
    yield
    RAN.clear()


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The worker's waits between two tries, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(run_worker.PatientWorker, "wait", lambda self, seconds: recorded.append(seconds))
    return recorded


def worker(**options) -> run_worker.PatientWorker:
    return run_worker.PatientWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
        **options,
    )


def fail_polls(monkeypatch, times: int, error: Exception) -> list[int]:
    """The worker's poll (get_locked) fails `times` times with `error`, then works."""
    calls = []
    real = DBTaskResultQuerySet.get_locked

    def get_locked(self):
        calls.append(1)
        if len(calls) <= times:
            raise error
        return real(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", get_locked)
    return calls


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
        OperationalError("could not connect to server: Connection refused"),
    ],
    ids=["closed", "interface", "away"],
)
def test_the_worker_goes_on_after_its_poll_failed_several_times_and_runs_the_queued_task(
    queue, waits, monkeypatch, caplog, error
):
    result = remember.enqueue("after the outage")
    calls = fail_polls(monkeypatch, 4, error)

    with caplog.at_level(logging.INFO, logger="django_tasks_db"):
        worker().run()

    assert RAN == ["after the outage"]
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert len(calls) >= 5
    assert waits == [0.5, 1.0, 2.0, 4.0]
    lines = [record.getMessage() for record in caplog.records if "could not reach the database" in record.message]
    assert len(lines) == 4 and all("\n" not in line for line in lines)
    assert [record.getMessage() for record in caplog.records].count(
        "Starting worker worker_id=test-worker queues=default"
    ) == 1  # one line a failure, no more


def test_the_wait_between_tries_backs_off_to_a_few_seconds_at_most(queue, waits, monkeypatch):
    fail_polls(monkeypatch, 8, OperationalError("server closed the connection unexpectedly"))
    worker().run()
    assert waits == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]


def test_a_database_locked_when_the_poll_begins_its_transaction_is_waited_out(queue, waits, monkeypatch):
    """SQLite busy beyond its timeout: django-tasks-db's own loop lets this one through
    (it is raised when the poll's exclusive transaction begins) and exits for good."""
    remember.enqueue("after the lock")
    calls = []
    real = db_worker.exclusive_transaction

    @contextlib.contextmanager
    def locked_twice(using=None):
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("database is locked")
        with real(using):
            yield

    monkeypatch.setattr(db_worker, "exclusive_transaction", locked_twice)
    worker().run()
    assert RAN == ["after the lock"]
    assert waits == [0.5, 1.0]


def test_the_command_runs_the_patient_worker_with_db_workers_options(queue, waits, monkeypatch, caplog):
    remember.enqueue("through the command")
    fail_polls(monkeypatch, 2, OperationalError("server closed the connection unexpectedly"))
    with caplog.at_level(logging.WARNING, logger="django_tasks_db"):
        call_command(
            "run_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0", stdout=io.StringIO()
        )
    assert RAN == ["through the command"]
    assert waits == [0.5, 1.0]
    assert "could not reach the database" in caplog.text
    assert db_worker.Worker is not run_worker.PatientWorker  # put back afterwards


def test_sigterm_stops_the_worker_while_it_waits_for_the_database(queue, monkeypatch):
    remember.enqueue("never")
    fail_polls(monkeypatch, 100, OperationalError("server closed the connection unexpectedly"))
    monkeypatch.setattr(run_worker.PatientWorker, "wait", lambda self, seconds: os.kill(os.getpid(), signal.SIGTERM))
    patient = worker()
    patient.configure_signals()
    try:
        with pytest.raises(SystemExit) as stopped:
            patient.run()
    finally:
        patient.reset_signals()
    assert stopped.value.code == 0
    assert patient.running is False
    assert RAN == []


def test_sigterm_during_a_task_lets_it_finish_and_then_stops_the_worker(queue, waits):
    first = stop_me_while_i_run.enqueue("finished")
    second = remember.enqueue("left for the next worker")
    patient = worker()
    patient.configure_signals()
    try:
        patient.run()
    finally:
        patient.reset_signals()
    assert RAN == ["finished"]
    assert DBTaskResult.objects.get(pk=first.id).status == "SUCCESSFUL"
    assert DBTaskResult.objects.get(pk=second.id).status == "READY"
