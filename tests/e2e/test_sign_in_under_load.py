"""Signing in and reading pages while SQLite's write lock is held (issue 14, part 1).

A long write (an item import's commit: one transaction; an undo, a master-data import) holds
the SQLite database's write lock for as long as it runs. Readers go on (WAL mode); a request
that writes waits for the busy timeout and then fails. Signing in and reading pages must
therefore write nothing: sessions live in signed cookies, last_login is skipped while the lock
is held, and django-axes writes nothing on a successful sign-in.

Each scenario holds the lock as its operation does, from another connection, for as long as the
browser works (longer than the live server's busy timeout, conftest.BUSY_TIMEOUT, whenever a
request waits for it). A further scenario (an undo, a master-data import running in the
worker) is one more entry of SCENARIOS: a context manager taking the database file that holds
the lock while the browser signs in.
"""

import sqlite3
from contextlib import contextmanager

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_csp import visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def write_is_refused(path) -> bool:
    """Whether a write from yet another connection is refused at once: the lock is held."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    else:
        other.execute("ROLLBACK")
        return False
    finally:
        other.close()


@contextmanager
def an_item_import_commits(path):
    """The commit of an item import: one IMMEDIATE transaction that writes rows and stays open."""
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE accounts_user SET first_name = first_name")  # written, not committed
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


SCENARIOS = {
    "an item import commits": an_item_import_commits,
}


@pytest.mark.parametrize("hold_the_lock", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_a_user_signs_in_and_reads_pages_while_a_long_write_holds_the_database(
    database_file, demo, live_server, watched, hold_the_lock
):
    page, violations = watched
    base = live_server.url

    with hold_the_lock(database_file):
        assert write_is_refused(database_file)

        sign_in(page, live_server, "importeur")
        page.wait_for_url(f"{base}/admin/")
        assert page.locator("#logout-form").count() == 1  # signed in
        assert page.locator("h1").first.text_content() == "Configuration, records and imports"
        visit(page, violations, f"{base}/admin/dossier/dossieritem/")
        assert page.locator("#result_list").count() == 1
        visit(page, violations, f"{base}/admin/imports/importjob/")

        assert write_is_refused(database_file)  # held all along

    assert not write_is_refused(database_file)
    assert violations == []
