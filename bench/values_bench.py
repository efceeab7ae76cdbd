"""Value map benchmark (issue 16 part 1): prints figures, asserts nothing but correctness. Not
part of the test suite.

    .venv/bin/python bench/values_bench.py                # 100,000 rows, SQLite
    .venv/bin/python bench/values_bench.py --rows 20000

A complaints file of the demo world's type KLACHT (relation, subject, severity, priority) whose
severity says "middel" in a quarter of the rows, where the characteristic has Laag, Midden,
Hoog. The first check finds those rows invalid; the value choice "middel" -> MIDDEN is then
applied (services.choose_values) and the same file checked again, as "Apply and check again"
does in the worker (the worker's task body runs the same validation: run_validation ->
validate_and_stage). Prints the seconds of both checks (wall clock and this process's CPU
time, which a busy machine does not stretch) and their ratio (target: the second within 1.2x of
the first). One process, on a fresh SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEVERITIES = ("Laag", "Midden", "middel", "Hoog")


def write_file(folder: Path, rows: int) -> Path:
    path = folder / "klachten.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("Relatienummer;Onderwerp;Ernst;Prioriteit\n")
        for n in range(rows):
            handle.write(f"{20001 + n % 30};Klacht {n};{SEVERITIES[n % 4]};hoog\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    folder = Path(tempfile.mkdtemp(prefix="values-bench-"))
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "ENV_FILE": "/dev/null",
            "PRIVATE_STORAGE_ROOT": str(folder / "private"),
            "LOG_FILE": "",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from dossier.demo import seed_demo_world
    from dossier.models import ItemType
    from imports import services

    call_command("migrate", verbosity=0)
    seed_demo_world()
    path = write_file(folder, rows)
    with path.open("rb") as handle:
        job = services.start_import(
            user=get_user_model().objects.get(username="importeur"),
            item_type=ItemType.objects.get(code="KLACHT"),
            file=handle,
            file_name=path.name,
        )
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []

    started, cpu = time.monotonic(), time.process_time()
    first = services.validate_import(job=job).summary
    first_seconds, first_cpu = time.monotonic() - started, time.process_time() - cpu
    assert first.invalid_rows == rows // 4 + (1 if rows % 4 > 2 else 0), first.invalid_rows
    values = first.unknown_values.as_dict()["values"]
    assert [(v["value"], v["rows"]) for v in values] == [("middel", first.invalid_rows)]

    assert services.choose_values(job=job, choices={"characteristic_1": {"middel": "MIDDEN"}}) == []
    started, cpu = time.monotonic(), time.process_time()
    again = services.validate_import(job=job).summary
    again_seconds, again_cpu = time.monotonic() - started, time.process_time() - cpu
    assert again.invalid_rows == 0, again.problems[:3]

    print(f"rows: {rows:,}; rows with 'middel': {first.invalid_rows:,}")
    print(f"first check:                      {first_seconds:7.1f} s, {first_cpu:7.1f} s of CPU")
    print(f"checked again with the value map: {again_seconds:7.1f} s, {again_cpu:7.1f} s of CPU")
    print(f"ratio: {again_seconds / first_seconds:.2f}, of CPU time {again_cpu / first_cpu:.2f} (target: within 1.20)")


if __name__ == "__main__":
    main()
