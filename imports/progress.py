"""Heartbeat, progress and the cancel mark of a running import, kept outside the database.

With SQLite the commit holds the only write lock for its whole transaction: a heartbeat or
progress written to the database from a second connection would wait for it, and one written
by the commit's own connection stays invisible until the end. So a running job keeps them in
small files next to its staged rows in private storage (shared by web servers and workers):

    imports/<job>-progress.json   phase, rows done, rows in total, phase start, last beat
    imports/<job>-cancel          present when a user asked to cancel: who and when (JSON)
    imports/<job>-written.txt     files the commit wrote (attachments, documents), each
                                  named before it is written, for the reaper

The progress file is replaced atomically (written beside it, then renamed), so a reader never
sees half of it. A thread beats every IMPORT_HEARTBEAT_EVERY seconds while the job works, also
while one batch takes long; progress is written at most every IMPORT_PROGRESS_EVERY seconds.
During a validation (no long transaction) the beat and the progress also go to the job's
row, so the history shows them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import socket
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone

from imports.models import ImportJob
from spreadsheets.messages import N_, Message, render

QUEUED, VALIDATING, IMPORTING = "queued", "validating", "importing"
CANCEL_CHECK_EVERY = 0.5  # seconds: how often a running job looks for the cancel mark


def staging_folder() -> Path:
    """Where a job's staged rows and its progress, cancel and written-files marks live."""
    return Path(ImportJob._meta.get_field("file").storage.path("imports"))


PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700


def make_staging_folder() -> Path:
    """The staging folder, made for the application's user only when it is missing."""
    folder = staging_folder()
    if not folder.is_dir():
        folder.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
        folder.chmod(PRIVATE_FOLDER_MODE)  # whatever the umask
    return folder


def private_open(path: Path, mode: str = "w", **kwargs):
    """`path.open(mode)` for a file the import writes itself, readable and writable by the
    application's user only (0600 whatever the umask), as FILE_UPLOAD_PERMISSIONS makes
    the uploads."""

    def opener(name: str, flags: int) -> int:
        descriptor = os.open(name, flags, PRIVATE_FILE_MODE)
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
        return descriptor

    return open(path, mode, opener=opener, **kwargs)


def progress_path(job_id) -> Path:
    return staging_folder() / f"{job_id}-progress.json"


def cancel_path(job_id) -> Path:
    return staging_folder() / f"{job_id}-cancel"


def manifest_path(job_id) -> Path:
    return staging_folder() / f"{job_id}-written.txt"


def cancel_requested(job_id) -> bool:
    return cancel_path(job_id).exists()


def mark_cancel(job_id, *, by=None) -> None:
    """Ask the job to stop, noting who asked (`by`, a user) and when; the job records them
    (cancelled_by, cancelled_at) once it has ended cancelled."""
    make_staging_folder()
    mark = {"by": getattr(by, "pk", None), "at": timezone.now().isoformat()}
    with private_open(cancel_path(job_id), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(mark))


def cancel_mark(job_id) -> tuple[int | None, dt.datetime | None]:
    """Who asked to cancel the job (a user's id) and when, from its cancel mark; (None, None)
    when there is no mark or it says neither (one made by an older version)."""
    try:
        mark = json.loads(cancel_path(job_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(mark, dict):
        return None, None
    by = mark.get("by") if isinstance(mark.get("by"), int) else None
    try:
        at = dt.datetime.fromisoformat(mark["at"])
    except (KeyError, TypeError, ValueError):
        at = None
    return by, at


def read_progress_file(job_id) -> dict | None:
    """The running job's progress file, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(progress_path(job_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def last_beat(job: ImportJob) -> dt.datetime | None:
    """The job's latest sign of life: its row's heartbeat or its progress file's, the later."""
    beats = [job.heartbeat_at] if job.heartbeat_at else []
    data = read_progress_file(job.pk)
    if data and isinstance(data.get("beat"), (int, float)):
        beats.append(dt.datetime.fromtimestamp(data["beat"], tz=dt.UTC))
    return max(beats, default=None)


def remove_marks(job_id, *, quietly: bool = False) -> None:
    """The progress file and the cancel mark of a job that stopped. `quietly`: storage that
    cannot be written (read-only) is no reason to fail here (the job is being ended for it)."""
    for path in (progress_path(job_id), cancel_path(job_id)):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            if not quietly:
                raise


class ImportCancelled(Exception):
    """The user asked to cancel; raised between batches by `JobMonitor.update`."""


class JobMonitor:
    """The heartbeat and progress of one job while this process works on it.

        with JobMonitor(job) as monitor:
            monitor.start_phase(VALIDATING, total=1000)
            monitor.update(500)   # may raise ImportCancelled

    `in_database`: also write the beat and progress to the job's row (not during a commit).
    `progress_optional`: storage that cannot be written stops the progress file, not the work
    (an undo: it only removes, and its row lock tells the reaper it is alive).
    """

    def __init__(self, job: ImportJob, *, progress_optional: bool = False):
        self.job_id = job.pk
        self.progress_optional = progress_optional
        self.phase = ""
        self.total = 0
        self.done = 0
        self.in_database = False
        self._phase_started = time.time()
        self._written = self._database_written = self._cancel_checked = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> JobMonitor:
        try:
            make_staging_folder()
        except OSError:
            if not self.progress_optional:
                raise
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat {self.job_id}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        """The work stopped: no more beats, and no progress file (the job's row tells the rest)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with contextlib.suppress(OSError):  # storage gone read-only: the job's row tells the rest
            progress_path(self.job_id).unlink(missing_ok=True)

    def start_phase(self, phase: str, *, total: int, in_database: bool) -> None:
        with self._lock:
            self.phase, self.total, self.done, self.in_database = phase, total, 0, in_database
            self._phase_started = time.time()
        self._write_progress()
        if in_database:
            self._write_database()

    def update(self, done: int) -> None:
        """Rows done so far: written at a bounded rate; raises ImportCancelled when the user
        asked to cancel (looked at no more than every CANCEL_CHECK_EVERY seconds)."""
        self.done = done
        now = time.monotonic()
        if now - self._written >= settings.IMPORT_PROGRESS_EVERY:
            self._write_progress()
        if self.in_database and now - self._database_written >= settings.IMPORT_HEARTBEAT_EVERY:
            self._write_database()
        if now - self._cancel_checked >= CANCEL_CHECK_EVERY:
            self._cancel_checked = now
            if cancel_requested(self.job_id):
                raise ImportCancelled

    def _beat(self) -> None:
        while not self._stop.wait(settings.IMPORT_HEARTBEAT_EVERY):
            with contextlib.suppress(OSError):
                self._write()

    def _write_progress(self) -> None:
        try:
            self._write()
        except OSError:
            if not self.progress_optional:
                raise

    def _write(self) -> None:
        """Replace the progress file whole: written beside it, then renamed over it."""
        with self._lock:
            self._written = time.monotonic()
            data = {
                "phase": self.phase,
                "done": self.done,
                "total": self.total,
                "phase_started": self._phase_started,
                "beat": time.time(),
                "pid": os.getpid(),
                "host": socket.gethostname(),
            }
            target = progress_path(self.job_id)
            partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.partial")
            with private_open(partial, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(data))
            partial.replace(target)

    def _write_database(self) -> None:
        """The beat and the counts on the job's row, if the database takes them at once:
        SQLite busy with someone else's commit is not waited for (the file has them)."""
        self._database_written = time.monotonic()
        with contextlib.suppress(OperationalError), _without_waiting():
            ImportJob.objects.filter(pk=self.job_id).update(
                heartbeat_at=timezone.now(), progress_done=self.done, progress_total=self.total
            )


@contextlib.contextmanager
def _without_waiting():
    """On SQLite, a write that finds the database locked fails at once instead of waiting
    for the busy timeout (up to 20 seconds of a validation lost per beat)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (waited,) = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(waited)}")


@dataclass(frozen=True)
class Progress:
    """Where a job stands, for the progress page (polled) and the history.

    phase: "queued" (waiting for the task worker), "validating" or "importing" while it
    runs, otherwise the job's state ("validated", "done", "failed", ...). done / total: rows
    (total 0 when not known yet). rows_per_second and seconds_left: None until there is
    something to measure."""

    state: str
    phase: str
    done: int
    total: int
    rows_per_second: float | None = None
    seconds_left: float | None = None
    heartbeat_at: dt.datetime | None = None
    cancel_requested: bool = False
    message: str | Message = ""

    @property
    def running(self) -> bool:
        return self.phase in (QUEUED, VALIDATING, IMPORTING)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if not self.running and self.state == ImportJob.State.DONE else 0
        return min(100, int(100 * self.done / self.total))

    def as_dict(self) -> dict:
        """For a page that polls as JSON."""
        return {
            "state": self.state,
            "phase": self.phase,
            "running": self.running,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "rows_per_second": round(self.rows_per_second, 1) if self.rows_per_second else None,
            "seconds_left": round(self.seconds_left) if self.seconds_left is not None else None,
            "cancel_requested": self.cancel_requested,
            "message": render(self.message),  # in the reader's language
        }


def read_job_progress(job: ImportJob) -> Progress:
    """The job's progress: from its progress file while it runs (never waiting on the
    import's own transaction), else from its row. One query at most (none for a loaded job)."""
    if not job.is_running:
        return Progress(
            state=job.state,
            phase=job.state,
            done=job.progress_done,
            total=job.progress_total,
            heartbeat_at=job.heartbeat_at,
            message=job.error_message,
        )
    cancelling = cancel_requested(job.pk)
    data = read_progress_file(job.pk)
    if data is None:
        phase = QUEUED if job.heartbeat_at is None else job.state
        return Progress(
            state=job.state,
            phase=phase,
            done=job.progress_done if phase != QUEUED else 0,
            total=job.progress_total,
            heartbeat_at=job.heartbeat_at,
            cancel_requested=cancelling,
        )
    done, total = int(data.get("done", 0)), int(data.get("total", 0))
    elapsed = max(0.0, float(data.get("beat", 0)) - float(data.get("phase_started", 0)))
    rate = done / elapsed if done and elapsed > 0 else None
    left = (total - done) / rate if rate and total >= done else None
    return Progress(
        state=job.state,
        phase=str(data.get("phase") or job.state),
        done=done,
        total=total,
        rows_per_second=rate,
        seconds_left=left,
        heartbeat_at=dt.datetime.fromtimestamp(float(data.get("beat", 0)), tz=dt.UTC),
        cancel_requested=cancelling,
    )


def estimate_rows(path: Path, file_name: str, header_row: int | None, sheet: str | None) -> int:
    """Rows under the header, roughly, for a progress bar before the first validation: a
    .csv's line count, an .xlsx sheet's stated dimension; 0 when unknown."""
    suffix = Path(file_name).suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, "rb") as handle:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            return max(0, lines - (header_row or 1))
        if suffix in (".xlsx", ".xlsm"):
            last = _xlsx_last_row(path, sheet)
            return max(0, last - (header_row or 1)) if last else 0
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return 0
    return 0


def _xlsx_last_row(path: Path, sheet: str | None) -> int:
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml")[: 1 << 20].decode("utf-8", "replace")
        relations = archive.read("xl/_rels/workbook.xml.rels")[: 1 << 20].decode("utf-8", "replace")
        names = re.findall(r'<(?:\w+:)?sheet\b[^>]*\bname="([^"]*)"[^>]*\br:id="([^"]*)"', workbook)
        if not names:
            return 0
        wanted = next((rid for name, rid in names if name == sheet), names[0][1])
        target = re.search(rf'<Relationship\b[^>]*\bId="{re.escape(wanted)}"[^>]*\bTarget="([^"]*)"', relations)
        if target is None:
            target = re.search(rf'<Relationship\b[^>]*\bTarget="([^"]*)"[^>]*\bId="{re.escape(wanted)}"', relations)
        if target is None:
            return 0
        member = target.group(1).lstrip("/")
        member = member if member.startswith("xl/") else f"xl/{member}"
        with archive.open(member) as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    found = re.search(r'<(?:\w+:)?dimension\b[^>]*\bref="[A-Z]*\d*:?[A-Z]*(\d+)"', head)
    return int(found.group(1)) if found else 0


def stale_message(seconds: float) -> Message:
    return N_(
        "The import stopped: its worker gave no sign of life for %(seconds)s seconds, so nothing was stored. Run it again."
    ) % {"seconds": int(seconds)}


def never_started_message() -> Message:
    return N_(
        "The import never started: no task worker took it up, so nothing was stored. Ask an administrator to start the worker, then run it again."
    )


def cancelled_message() -> Message:
    return N_("The import was cancelled; nothing was stored.")
