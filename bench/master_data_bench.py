"""Master-data import benchmark: prints figures, asserts nothing. Not part of the test suite.

    .venv/bin/python bench/master_data_bench.py                  # 30,000 relations, SQLite
    .venv/bin/python bench/master_data_bench.py --rows 5000 --database-url postgres://...

It writes a relations file (number, kind, name, email, city, is_active and a debtor number on
every other row) and imports it with `dossier.resources.RelationResource`, as the task worker
does (`dossier.masterdata.run_check` and `run_import` use the same calls): the dry run (the
preview), the import of new rows, and a second import of the same file with every name changed
(all updates). Each step runs in a fresh process on a fresh database, so its peak memory
(RSS) is its own; the rows/s cover `import_data` only (not migrate, not reading the file).
"write s" is how long the step held the database's write lock (on SQLite, the only one): the
seconds of its write transaction (`MasterDataResource.write_plan`); a code without it wrote
in one transaction around the whole `import_data`, so there it is the step's seconds.
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
HEADERS = ["number", "kind", "name", "email", "city", "is_active", "debtor_number"]


def write_file(path: Path, rows: int, suffix: str = "") -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for n in range(rows):
            writer.writerow(
                [
                    f"{500000 + n}",
                    "person" if n % 3 else "organisation",
                    f"Relation {n}{suffix}",
                    f"r{n}@example.com",
                    ("Utrecht", "Zwolle", "Delft")[n % 3],
                    "yes",
                    f"D{n}" if n % 2 else "",
                ]
            )


def child(args) -> None:
    """One step in this process: migrate a fresh database, prepare, measure one import."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import resource as rlimit

    import django

    django.setup()
    from django.core.management import call_command

    from dossier.resources import RelationResource, read_dataset

    call_command("migrate", verbosity=0)
    written = []
    if hasattr(RelationResource, "write_plan"):  # the write transaction, timed
        write_plan = RelationResource.write_plan

        def timed(self, result):
            begin = time.perf_counter()
            try:
                return write_plan(self, result)
            finally:
                written.append(time.perf_counter() - begin)

        RelationResource.write_plan = timed
    if args.step == "update":  # the rows exist; the file changes every name
        RelationResource().import_data(read_dataset(Path(args.file), "relations.csv"), dry_run=False)
        path = Path(args.changed)
    else:
        path = Path(args.file)
    dataset = read_dataset(path, "relations.csv")
    start = time.perf_counter()
    result = RelationResource().import_data(dataset, dry_run=args.step == "dry-run", raise_errors=False)
    seconds = time.perf_counter() - start
    if not hasattr(RelationResource, "write_plan"):
        written = [seconds]  # one transaction around it all
    elif written and args.step == "update":
        written = written[1:]  # the first import only prepared the rows
    print(
        json.dumps(
            {
                "rows": len(dataset),
                "seconds": seconds,
                "write_seconds": sum(written),
                "errors": result.has_errors() or result.has_validation_errors(),
                "totals": {k: v for k, v in result.totals.items() if v},
                "peak_mb": rlimit.getrusage(rlimit.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--database-url", default="", help="an empty database of your own (PostgreSQL)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--changed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="masterdata-bench-") as folder:
        folder = Path(folder)
        file, changed = folder / "relations.csv", folder / "changed.csv"
        write_file(file, args.rows)
        write_file(changed, args.rows, suffix=" (changed)")
        print(f"{args.rows:,} relations, {args.database_url or 'SQLite'}")
        print(f"{'step':<22} {'rows/s':>9} {'seconds':>8} {'write s':>8} {'peak MB':>8}  result", flush=True)
        for step, title in (
            ("dry-run", "dry run (preview)"),
            ("create", "import, all new"),
            ("update", "import, all changed"),
        ):
            url = args.database_url or f"sqlite:///{folder / f'{step}.sqlite3'}"
            env = {**os.environ, "DATABASE_URL": url, "PRIVATE_STORAGE_ROOT": str(folder / "private")}
            out = subprocess.run(
                [sys.executable, __file__, "--step", step, "--file", str(file), "--changed", str(changed)],
                env=env,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if out.returncode:
                print(out.stderr[-3000:])
                raise SystemExit(f"{step} failed")
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{title:<22} {figures['rows'] / figures['seconds']:>9,.0f} {figures['seconds']:>8.1f}"
                f" {figures.get('write_seconds', figures['seconds']):>8.1f} {figures['peak_mb']:>8.0f}  {figures['totals']}{' ERRORS' if figures['errors'] else ''}",
                flush=True,
            )


if __name__ == "__main__":
    main()
