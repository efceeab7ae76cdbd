"""No traceback reaches a terminal: standard error gets one line per log record, the log
file keeps the whole record for an administrator."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
FAILING = (
    "import logging\n"
    "try:\n"
    "    open('/no/such/dir/file')\n"
    "except OSError:\n"
    "    logging.getLogger('imports.services').exception('Import 42 failed')\n"
    "logging.getLogger('imports.services').error('Rows could not be written:\\nTraceback (most recent call last):')\n"
)


def run_manage(*arguments: str, log_file: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "LOG_FILE": str(log_file), "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_standard_error_gets_one_line_per_record_and_no_traceback(tmp_path):
    log_file = tmp_path / "logs" / "dossier.log"

    result = run_manage("shell", "-c", FAILING, log_file=log_file)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"Import 42 failed (details in {log_file})" in result.stderr
    assert f"Rows could not be written: (details in {log_file})" in result.stderr


def test_the_log_file_keeps_the_whole_record_with_its_traceback(tmp_path):
    log_file = tmp_path / "logs" / "dossier.log"

    run_manage("shell", "-c", FAILING, log_file=log_file)

    written = log_file.read_text()
    assert "ERROR imports.services: Import 42 failed" in written
    assert "Traceback (most recent call last):" in written
    assert "FileNotFoundError" in written
