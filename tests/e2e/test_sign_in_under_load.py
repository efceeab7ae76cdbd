"""Signing in and reading pages while SQLite's write lock is held (issue 14, part 1).

A long write (an item import's commit: one transaction; an undo, a master-data import) holds
the SQLite database's write lock for as long as it runs. Readers go on (WAL mode); a request
that writes waits for the busy timeout and then fails. Signing in and reading pages must
therefore write nothing: sessions live in signed cookies, last_login is skipped while the lock
is held, and django-axes writes nothing on a successful sign-in.

Each scenario holds the lock as its operation does (an open IMMEDIATE transaction that has
written to the operation's own tables), from another connection, for as long as the browser
works (longer than the live server's busy timeout, conftest.BUSY_TIMEOUT, whenever a request
waits for it).
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
def an_open_write(path, *statements):
    """One IMMEDIATE transaction that has written (the statements) and stays open: how the task
    worker holds the lock while it stores an import, an undo or a master-data import."""
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    for statement in statements:
        holder.execute(statement)  # written, not committed
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def an_item_import_commits(path):
    """The commit allocates the type's numbers, then inserts the items."""
    return an_open_write(path, "UPDATE dossier_itemtype SET last_number = last_number + 1000")


def an_undo_runs(path):
    """The undo deletes an import's items in one transaction."""
    return an_open_write(path, "DELETE FROM dossier_dossieritem")


def a_master_data_import_runs(path):
    """The master-data import writes its relations in one transaction, after checking them
    without a lock (a few seconds for 30,000; held here for longer)."""
    return an_open_write(path, "UPDATE dossier_relation SET name = name")


SCENARIOS = {
    "an item import commits": an_item_import_commits,
    "an undo runs": an_undo_runs,
    "a master-data import runs": a_master_data_import_runs,
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
