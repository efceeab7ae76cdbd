"""The settings: SQLite tuned for a web process and a worker writing side by side, a
deployment that passes Django's checklist, and every environment variable documented."""

import os
import re
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, transaction

BASE_DIR = Path(settings.BASE_DIR)

sqlite_only = pytest.mark.skipif(connections["default"].vendor != "sqlite", reason="SQLite connection settings")


@pytest.fixture
def sqlite_file_connection(tmp_path, django_db_blocker):
    """A connection made exactly as the configured one, but to a database file of its own:
    the test database lives in memory, where journal_mode=WAL does not apply."""
    alias = "settings_probe"
    path = tmp_path / "probe.sqlite3"
    probe = type(connections["default"])({**connections["default"].settings_dict, "NAME": str(path)}, alias=alias)
    connections[alias] = probe
    with django_db_blocker.unblock():
        yield probe, path
        probe.close()
    del connections[alias]


def pragma(db, name: str):
    with db.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@sqlite_only
def test_sqlite_connections_run_every_init_command(sqlite_file_connection):
    probe, _ = sqlite_file_connection
    assert pragma(probe, "journal_mode") == "wal"
    assert pragma(probe, "synchronous") == 1  # NORMAL: the second statement ran too
    assert pragma(probe, "foreign_keys") == 1


@sqlite_only
def test_sqlite_connections_wait_for_a_busy_database(db):
    assert pragma(connections["default"], "busy_timeout") >= 5000


@sqlite_only
def test_sqlite_transactions_take_the_write_lock_when_they_begin(sqlite_file_connection):
    probe, path = sqlite_file_connection
    probe.ensure_connection()
    assert probe.transaction_mode == "IMMEDIATE"
    with transaction.atomic(using=probe.alias):
        # Nothing written yet, yet another writer is already shut out: BEGIN IMMEDIATE.
        other = sqlite3.connect(path, timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process, reading no .env file: only the environment given counts."""
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**os.environ, "ENV_FILE": os.devnull, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_like_settings_pass_the_deployment_checklist():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_refuse_to_load_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="false", SECRET_KEY="", ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "Set SECRET_KEY in the environment" in result.stderr


def variables_read_by_settings() -> set[str]:
    source = (BASE_DIR / "config" / "settings.py").read_text()
    return set(re.findall(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))


def test_the_settings_parser_finds_the_variables():
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "MAX_UPLOAD_SIZE"} <= variables_read_by_settings()


@pytest.mark.parametrize("document", [".env.example", "docs/configuration.md"])
def test_every_variable_the_settings_read_is_documented(document):
    text = (BASE_DIR / document).read_text()
    missing = {name for name in variables_read_by_settings() if not re.search(rf"\b{name}\b", text)}
    assert not missing, f"{document} does not mention {sorted(missing)}"


def test_env_example_lists_every_variable_as_an_assignment():
    text = (BASE_DIR / ".env.example").read_text()
    assigned = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    assert variables_read_by_settings() <= assigned


def test_env_example_is_for_development():
    assert re.search(r"^DEBUG=true$", (BASE_DIR / ".env.example").read_text(), flags=re.MULTILINE)
