"""Reconciliation workbook benchmark: prints figures, asserts only that the counts are right.
Not part of the test suite.

    nice .venv/bin/python bench/reconcile_bench.py                 # 100,000 rows, SQLite
    nice .venv/bin/python bench/reconcile_bench.py --rows 20000 --database postgres

The rows of bench/import_bench.py (twelve columns), every 100th with a relation that does not
exist (1 % invalid). Each step in a fresh process, so its peak memory is its own: the check,
the workbook after the check (.xlsx with a comment per bad cell, .csv), the import of the valid
rows, the workbook after the import, and that workbook uploaded again (its rows recognised
as created before, by fingerprint, none imported twice).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import import_bench  # noqa: E402  (the rows, the type and the mapping of the import benchmark)

BAD_EVERY = 100


def write_file(folder: Path, rows: int) -> Path:
    path = folder / f"reconcile-{rows}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(import_bench.HEADERS)
        for n in range(rows):
            values = import_bench.row(n)
            if n % BAD_EVERY == 0:
                values[0] = "99999"
                values[1] = ""
            writer.writerow(values)
    return path


def child(step: str, database_url: str, storage: str, **arguments) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ENV_FILE": "/dev/null",
        "PRIVATE_STORAGE_ROOT": storage,
    }
    command = [sys.executable, __file__, "--child", step, "--arguments", json.dumps(arguments)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{step} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--child")
    parser.add_argument("--arguments")
    options = parser.parse_args()
    if options.child:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        print(json.dumps(globals()[f"step_{options.child}"](**json.loads(options.arguments))))
        return

    folder = Path(tempfile.mkdtemp(prefix="reconcile-bench-"))
    storage = str(folder / "private")
    url = import_bench.fresh_database(options.database, folder)
    path = write_file(folder, options.rows)
    rows = options.rows
    child("setup", url, storage)
    checked = child("validate", url, storage, path=str(path))
    print(
        f"{rows:,} rows ({rows // BAD_EVERY:,} invalid), {options.database}; seconds and peak MB of each step's process:"
    )
    print(f"  check (validation with the row record)      {checked['seconds']:6.1f} s {checked['peak_mb']:5.0f} MB")
    for fmt in ("xlsx", "csv"):
        made = child("workbook", url, storage, job=checked["job"], fmt=fmt, target=str(folder / f"checked.{fmt}"))
        print(
            f"  workbook after the check, .{fmt:4}            {made['seconds']:6.1f} s {made['peak_mb']:5.0f} MB"
            f"  ({made['rows']:,} rows, {made['mb']:.1f} MB file)"
        )
    committed = child("commit", url, storage, job=checked["job"])
    print(f"  import of the valid rows                    {committed['seconds']:6.1f} s {committed['peak_mb']:5.0f} MB")
    workbook = folder / "imported.xlsx"
    made = child("workbook", url, storage, job=checked["job"], fmt="xlsx", target=str(workbook))
    print(
        f"  workbook after the import, .xlsx            {made['seconds']:6.1f} s {made['peak_mb']:5.0f} MB"
        f"  ({made['rows']:,} rows, {made['mb']:.1f} MB file)"
    )
    again = child("validate", url, storage, path=str(workbook), recognised=rows - rows // BAD_EVERY)
    print(f"  that workbook checked again (recognition)   {again['seconds']:6.1f} s {again['peak_mb']:5.0f} MB")


def step_setup() -> dict:
    return import_bench.step_setup()


def step_validate(path: str, recognised: int = 0) -> dict:
    from django.contrib.auth import get_user_model

    from dossier.models import ItemType
    from imports import services

    user = get_user_model().objects.get(username="admin")
    started = time.monotonic()
    with open(path, "rb") as handle:
        job = services.start_import(
            user=user, item_type=ItemType.objects.get(code="BENCH"), file=handle, file_name=Path(path).name
        )
    assert services.set_mapping(job=job, mapping=import_bench.MAPPING) == []
    summary = services.validate_import(job=job).summary
    seconds = time.monotonic() - started
    assert summary.recognised_rows == recognised, (summary.recognised_rows, recognised)
    return {"job": str(job.pk), "seconds": seconds, "peak_mb": import_bench.peak_mb()}


def step_workbook(job: str, fmt: str, target: str) -> dict:
    from imports import services
    from imports.models import ImportJob

    job = ImportJob.objects.get(pk=job)
    started = time.monotonic()
    written = services.write_reconciliation_file(job=job, target=Path(target), fmt=fmt)
    seconds = time.monotonic() - started
    assert written == job.row_count
    return {
        "seconds": seconds,
        "peak_mb": import_bench.peak_mb(),
        "rows": written,
        "mb": Path(target).stat().st_size / 2**20,
    }


def step_commit(job: str) -> dict:
    from imports import services
    from imports.models import ImportJob

    job = ImportJob.objects.get(pk=job)
    started = time.monotonic()
    services.commit_import(job=job, skip_invalid=True)
    return {"seconds": time.monotonic() - started, "peak_mb": import_bench.peak_mb()}


if __name__ == "__main__":
    main()
