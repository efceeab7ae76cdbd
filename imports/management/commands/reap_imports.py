"""manage.py reap_imports: end the imports whose worker died (`tasks.reap_stale_imports`).
Once, or with --loop every --every seconds (as `make run` starts it beside the worker)."""

import logging
import signal
import threading

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from imports import tasks
from imports.management.plain import PlainErrorsCommand

logger = logging.getLogger(__name__)


class Command(PlainErrorsCommand):
    help = "Fail the imports whose heartbeat is stale (their worker died) and remove what they wrote."
    # Started beside a worker that may hold SQLite's lock: a system check's first query then
    # fails ("SQLite does not support JSONFields") and would stop the reaper before its first
    # round. The web server and migrate run the checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, one round every --every seconds")
        parser.add_argument(
            "--every",
            type=float,
            default=settings.IMPORT_REAPER_EVERY,
            help="seconds between two rounds with --loop (default: IMPORT_REAPER_EVERY)",
        )

    def handle(self, *args, loop=False, every=None, **options):
        stop = threading.Event()
        if loop:
            # Started in the background by `make run`, where a shell ignores Ctrl-C for it:
            # SIGINT and SIGTERM end the loop after the round at hand.
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda signum, frame: stop.set())
        while not stop.is_set():
            try:
                ended = tasks.reap_stale_imports()
            except DatabaseError:
                if not loop:
                    raise
                # A busy or restarting database ends this round only; the loop tries again.
                logger.warning("A round of the reaper failed on the database; the next one tries again.", exc_info=True)
                ended = []
            for job in ended:
                self.stdout.write(f"Import {job.pk} ({job.get_state_display()}): {job.error_message}")
            if not loop:
                return
            stop.wait(every)
            close_old_connections()  # as between two requests: a database restarted meanwhile
