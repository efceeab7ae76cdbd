"""The wizard's check, import and result in a real browser (Chromium) against a real web
server (`manage.py runserver`), a real task worker (`manage.py run_worker`, as `make run`
starts it) and the reaper (`manage.py reap_imports --loop`), sharing one SQLite file: the work
the pages start runs for real in the background. Each step's screenshot goes to docs/screenshots/
(wizard-5-check.png ... wizard-8-result.png)."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import shot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
BIG_ROWS = 20_000
REAPER_EVERY = 2


def manage(*args: str, env: dict) -> None:
    done = subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def free_port() -> int:
    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        return handle.getsockname()[1]


class World:
    """A web server, a task worker and the reaper on one SQLite file in a folder of their own."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.env = {
            **os.environ,
            "ENV_FILE": "/dev/null",
            "DEBUG": "true",
            "DATA_DIR": str(folder),
            "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
            "PRIVATE_STORAGE_ROOT": str(folder / "private"),
            "LOG_FILE": "",
            "LANGUAGE_CODE": "en",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "IMPORT_STALE_AFTER": "4",
            "IMPORT_HEARTBEAT_EVERY": "0.5",
            "IMPORT_PROGRESS_EVERY": "0",  # the progress file after every batch
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.processes: dict[str, subprocess.Popen] = {}
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        manage("migrate", "-v0", env=self.env)
        manage("seed_demo", env=self.env)
        self.start("web", "runserver", "--noreload", f"127.0.0.1:{port}")
        self.start("worker", "run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2")
        self.start("reaper", "reap_imports", "--loop", "--every", str(REAPER_EVERY))
        self.wait_for(self.answers, "the web server")

    def start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def answers(self) -> bool | None:
        try:
            with socket.create_connection(("127.0.0.1", int(self.url.rsplit(":", 1)[1])), timeout=0.5):
                return True
        except OSError:
            return None

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def query(self, sql: str, *params):
        with sqlite3.connect(self.folder / "db.sqlite3", timeout=30) as db:
            return db.execute(sql, params).fetchone()

    def job(self, job_id: str) -> tuple[str, str]:
        return self.query("SELECT state, error_message FROM imports_importjob WHERE id = ?", uuid.UUID(job_id).hex)

    def items_of(self, job_id: str) -> int:
        return self.query("SELECT COUNT(*) FROM dossier_dossieritem WHERE import_job_id = ?", uuid.UUID(job_id).hex)[0]

    @staticmethod
    def wait_for(condition, what: str, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (found := condition()) is not None:
                return found
            time.sleep(0.01)
        raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("wizard"))
    yield world
    world.stop()


def job_id_of(page) -> str:
    return page.url.split("/admin/imports/new/")[1].split("/")[0]


def upload_and_map(
    page,
    world,
    file: Path,
    *,
    attachments: Path | None = None,
    type_code: str = "SOLL",
    date_order: str | None = None,
) -> str:
    """Upload a file (and ZIP), keep the matched columns, save: the check starts. The job's id.
    `date_order` answers how the submit date column is written, for a file that does not say."""
    page.goto(f"{world.url}/admin/imports/new/upload/{type_code}/")
    page.get_by_label("Spreadsheet").set_input_files(str(file))
    if attachments:
        page.get_by_label("Attachments (ZIP, optional)").set_input_files(str(attachments))
    page.click(".submit-row input.default")
    page.wait_for_url("**/map/**")
    if date_order:
        page.locator("#id_date_order_submitted_at").select_option(date_order)
    page.click(".submit-row input.default")
    page.wait_for_url("**/check/")
    return job_id_of(page)


def test_importeur_imports_the_example_with_its_zip_and_finds_the_4_items(world, watched):
    page, violations = watched
    sign_in(page, world, "importeur")
    job = upload_and_map(page, world, EXAMPLES / "soll.csv", attachments=EXAMPLES / "soll-bijlagen.zip")
    page.wait_for_selector("#check-confirm", timeout=60_000)  # the script follows the check to its end
    assert "Rows read: 3 = 3 valid + 0 invalid." in page.content()
    shot(page, "wizard-5-check.png")
    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=60_000)
    counts = {
        row.locator("th").inner_text(): row.locator("td").inner_text()
        for row in page.locator("#result-counts tbody tr").all()
    }
    assert {k: v for k, v in counts.items() if k != "Duration"} == {
        "Rows read": "3",
        "Rows imported": "3",
        "Rows left out as invalid": "0",
        "Items created": "4",
    }
    shot(page, "wizard-8-result.png")
    page.click("#result-items")
    page.wait_for_url(f"**/admin/dossier/dossieritem/?import_job__id__exact={job}")
    assert page.locator("#result_list tbody tr").count() == 4
    assert world.items_of(job) == 4
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []


def test_a_file_with_errors_shows_them_grouped_and_only_the_valid_rows_are_imported(world, watched):
    page, violations = watched
    sign_in(page, world, "importeur")
    job = upload_and_map(page, world, EXAMPLES / "soll-met-fouten.csv", attachments=EXAMPLES / "soll-bijlagen.zip")
    page.wait_for_selector("#check-confirm", timeout=60_000)
    assert page.locator("#history-errors .history-groups tbody tr").count() >= 1
    assert page.locator("#import-all").count() == 0
    shot(page, "wizard-6-errors.png")
    with page.expect_download() as download:
        page.click("text=Your file with the status of every row (.csv)")
    rejected = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "E0002" in rejected
    page.locator("#files-others").check()  # the ZIP's files no row uses: left out, as decided
    page.click("#files-apply")
    page.wait_for_selector("#import-valid")
    button = page.locator("#import-valid")
    valid = int(button.inner_text().split("only the ")[1].split()[0])
    assert valid >= 1
    button.click()
    page.wait_for_url("**/result/", timeout=60_000)
    assert world.job(job)[0] == "done"
    assert world.items_of(job) == valid
    destinations = page.locator("#result-destinations tbody").inner_text().split()
    assert destinations == ["10001", str(valid)]
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []


def test_refusals_and_other_users_jobs(world, browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, world, "zonderrechten")
    response = page.goto(f"{world.url}/admin/imports/new/")
    assert response.status == 403
    assert "InSite or Profit rights" in page.content()
    context.close()

    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, world, "profit")
    page.goto(f"{world.url}/admin/imports/new/")
    offered = page.locator("input[name=item_type]:not([disabled])")
    assert [offered.nth(i).get_attribute("value") for i in range(offered.count())] == ["CORR"]
    job = world.query("SELECT id FROM imports_importjob ORDER BY created_at LIMIT 1")[0]
    for step in ("check", "progress", "import", "result", "map"):
        response = page.goto(f"{world.url}/admin/imports/new/{uuid.UUID(job)}/{step}/")
        assert response.status == 404, step
    context.close()


def big_file(folder: Path) -> tuple[Path, Path]:
    """20,000 rows, every 100th naming an attachment in the ZIP (so the commit reports its
    progress per batch of rows)."""
    rows = "".join(f"{10001 + n % 80};Brief {n};{'brief.pdf' if n % 100 == 0 else ''}\n" for n in range(BIG_ROWS))
    path = folder / "brieven.csv"
    path.write_text("Relatienummer;Onderwerp;Bijlage\n" + rows, encoding="utf-8")
    archive = folder / "brieven.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("brief.pdf", b"%PDF-1.4 " + b"x" * 200)
    return path, archive


def committed_beyond(world, job: str, done: int) -> int | None:
    """The rows the commit reports stored (its progress file), once more than `done`."""
    try:
        data = json.loads((world.folder / "private" / "imports" / f"{uuid.UUID(job)}-progress.json").read_text())
    except (OSError, ValueError):
        return None
    return data["done"] if data.get("phase") == "importing" and data.get("done", 0) > done else None


def test_the_progress_bar_moves_for_20000_rows_and_cancel_leaves_nothing(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    rows, archive = big_file(tmp_path)
    job = upload_and_map(page, world, rows, attachments=archive)
    page.wait_for_selector("#check-confirm", timeout=60_000)
    page.click("#import-all")
    page.wait_for_url("**/import/")
    # The worker is paused (SIGSTOP) twice mid-commit, so that the page surely shows two
    # different values before the end, and the cancel surely comes before it.
    worker = world.processes["worker"]
    seen = []
    for _pause in range(2):
        done = world.wait_for(lambda: committed_beyond(world, job, seen[-1] if seen else 0), "more items stored")
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            page.wait_for_selector(f"#progress-bar[value='{done}']")  # the page's script moved the bar
            seen.append(done)
        finally:
            if len(seen) < 2:
                os.kill(worker.pid, signal.SIGCONT)
    try:
        assert world.job(job)[0] == "importing"
        assert 0 < seen[0] < seen[1] < BIG_ROWS
        shot(page, "wizard-7-progress.png")
        page.click("#progress-cancel")
        page.wait_for_selector("#progress-cancelling")
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    world.wait_for(lambda: world.job(job)[0] if world.job(job)[0] != "importing" else None, "the cancel")
    page.wait_for_url("**/result/", timeout=30_000)
    assert world.job(job)[0] == "cancelled"
    assert world.items_of(job) == 0
    assert "The import was cancelled: nothing was stored." in page.content()
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []


def test_the_worker_killed_during_a_commit_fails_the_job_leaves_nothing_and_it_runs_again(world, watched, tmp_path):
    page, violations = watched
    sign_in(page, world, "importeur")
    rows, archive = big_file(tmp_path)
    job = upload_and_map(page, world, rows, attachments=archive)
    page.wait_for_selector("#check-confirm", timeout=60_000)
    page.click("#import-all")
    page.wait_for_url("**/import/")
    world.wait_for(lambda: committed_beyond(world, job, 0), "the commit to store its first items", timeout=60)
    worker = world.processes["worker"]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    killed_at = time.monotonic()
    world.wait_for(lambda: True if world.job(job)[0] == "failed" else None, "the reaper", timeout=30)
    assert time.monotonic() - killed_at < 4 + 2 * REAPER_EVERY + 5  # stale after 4 s, the reaper every 2 s
    assert world.items_of(job) == 0
    page.wait_for_url("**/result/", timeout=30_000)
    assert "The import failed: nothing was stored." in page.content()

    world.start("worker", "run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2")
    page.click("#result-again")
    page.wait_for_selector("#check-confirm", timeout=60_000)
    page.click("#import-all")
    page.wait_for_url("**/result/", timeout=120_000)
    assert world.job(job)[0] == "done"
    assert world.items_of(job) == BIG_ROWS
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
