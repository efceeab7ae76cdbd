"""Browser tests: Debian's Chromium (/usr/bin/chromium, never a downloaded browser) driven by
Playwright against a live server. Without Chromium they are skipped with the reason; .ci/run
installs it, so CI always runs them.

They take the README's screenshots only when asked (SCREENSHOTS=1, which `make screenshots`
sets): a normal test run leaves docs/screenshots/ as committed."""

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from django.db import connection

from tests.e2e.watching import LISTEN

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install -y chromium); .ci/run installs it.")
    from playwright.sync_api import sync_playwright

    # Playwright keeps an event loop in this thread while the browser is open; the tests'
    # own database work happens between its steps, never inside them, but Django cannot tell.
    # Allowed for this module only: the deployment checks of other tests must not see it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    """A full-page screenshot in docs/screenshots/, when asked for with SCREENSHOTS=1."""
    if os.environ.get("SCREENSHOTS", "0") in ("", "0"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", username)  # demo world: the password is the user name
    page.click("input[type=submit]")


@pytest.fixture
def watched(page):
    """The page, 1280 px wide, and the CSP violations it reported, from events and from the console."""
    violations: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    return page, violations


# The busy timeout of the live server's connections to `database_file`: a request that waits
# for the write lock fails after this many seconds instead of the settings' 20.
BUSY_TIMEOUT = 2


@pytest.fixture
def database_file(live_server, transactional_db, tmp_path):
    """The live server on a SQLite *file*, for tests that need a second connection to its
    database (one holding the write lock as a long import does).

    The test database is in memory, and the live server shares the test's one connection to
    it. For this test the database is copied to a file, every request of the live server opens
    its own connection to it (as under `make run`, with the settings' init_command: WAL mode),
    with a busy timeout of BUSY_TIMEOUT seconds; afterwards the in-memory database is back as
    it was. Request it before fixtures that fill the database (`demo`)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL locks rows, not the database.")
    connection.ensure_connection()
    memory = connection.connection
    path = tmp_path / "live.sqlite3"
    copy = sqlite3.connect(path)
    memory.backup(copy)
    copy.close()
    database = connection.settings_dict  # the same dict the server's threads connect with
    saved_name, saved_options = database["NAME"], dict(database["OPTIONS"])
    server = live_server.thread.httpd
    shared = server.connections_override
    server.connections_override = {}
    database["NAME"] = str(path)
    database["OPTIONS"]["timeout"] = BUSY_TIMEOUT
    connection.connection = None  # opened again on the file at the next query
    try:
        yield path
    finally:
        connection.close()
        database["NAME"] = saved_name
        database["OPTIONS"].clear()
        database["OPTIONS"].update(saved_options)
        connection.connection = memory
        server.connections_override = shared
