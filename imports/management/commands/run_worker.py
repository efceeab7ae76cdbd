"""manage.py run_worker: the task worker, as `make run` starts it. It is django-tasks-db's
`manage.py db_worker` (same options) with one thing more: a poll or claim that fails on the
database (SQLite busy beyond its timeout, "database is locked", or a database that is away or
restarting: any DatabaseError, OperationalError and InterfaceError among them) no longer ends
the worker for good. It logs one line, waits (RETRY_FIRST seconds, doubling up to RETRY_MOST),
drops its connections so the next poll opens new ones, and goes on. SIGINT and SIGTERM still
stop it gracefully after the task at hand (a second one at once), also while it waits.

A task's own failure is the task's (django-tasks-db records it as failed); a database error
while recording a task's outcome is handled like a failed poll (the reaper ends the import
whose task then shows running)."""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, InterfaceError, connections
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("django_tasks_db")

RETRY_FIRST = 0.5  # seconds to wait after the first failed poll
RETRY_MOST = 5.0  # the longest wait between two tries


class PatientWorker(db_worker.Worker):
    """django-tasks-db's Worker, whose loop (`run`) is started again after a database error."""

    def run(self) -> None:
        failures = 0
        quiet = _WithoutStartLine()
        try:
            while True:
                started = time.monotonic()
                try:
                    super().run()
                    return
                except (DatabaseError, InterfaceError) as error:
                    if not self.running:  # asked to stop meanwhile: stop, as asked
                        return
                    if time.monotonic() - started > 2 * RETRY_MOST:
                        failures = 0  # it worked for a while: start the back-off afresh
                    failures += 1
                    wait = min(RETRY_MOST, RETRY_FIRST * 2 ** (failures - 1))
                    first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
                    logger.warning(
                        "The task worker could not reach the database (%s: %s); it tries again in %s s.",
                        type(error).__name__,
                        first_line,
                        f"{wait:g}",
                    )
                    self.wait(wait)
                    self.startup_delay = False
                    logger.addFilter(quiet)  # one line a failure: no "Starting worker" again
                    reconnect()
        finally:
            logger.removeFilter(quiet)

    def wait(self, seconds: float) -> None:
        """Between two tries. SIGINT or SIGTERM here end the process at once (`shutdown`:
        no task is running)."""
        time.sleep(seconds)


class _WithoutStartLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Starting worker")


def reconnect() -> None:
    """Close every connection of this thread, broken ones too: the next query opens anew."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except (DatabaseError, InterfaceError):
            connection.connection = None


class Command(db_worker.Command):
    help = (
        "Run the task worker (django-tasks-db's db_worker) that waits for a busy or absent "
        "database and goes on, instead of exiting."
    )

    def handle(self, *args, **options) -> None:
        original = db_worker.Worker
        db_worker.Worker = PatientWorker
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original
