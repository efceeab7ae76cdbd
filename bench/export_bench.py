"""Items export benchmark: prints figures, asserts nothing. Not part of the test suite.

    .venv/bin/python bench/export_bench.py                 # 100,000 CONTR items, SQLite
    .venv/bin/python bench/export_bench.py --items 20000

On a fresh SQLite file with the demo world plus N items of type CONTR (a relation, a
regarding role, begin and end date and five free fields each), it exports the items list
filtered on CONTR as importeur through the admin's export view (Django's test client, the
whole request: changelist queryset, rows, file), once as .csv and once as .xlsx, each in a
fresh process, and prints the seconds, the file size and the peak memory of that process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(step: str, database_url: str, **arguments) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ENV_FILE": "/dev/null",
        "ALLOWED_HOSTS": "testserver",
    }
    command = [sys.executable, __file__, "--child", step, "--arguments", json.dumps(arguments)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{step} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_setup(items: int) -> dict:
    import datetime as dt

    from django.core.management import call_command

    from dossier.demo import seed_demo_world
    from dossier.models import DossierItem, Employee, ItemType

    call_command("migrate", verbosity=0)
    seed_demo_world()
    contract = ItemType.objects.get(code="CONTR")
    employees = list(Employee.objects.values_list("relation_id", flat=True))
    from django.contrib.auth import get_user_model

    submitter = get_user_model().objects.get(username="importeur")
    started = time.monotonic()
    batch = []
    for n in range(1, items + 1):
        batch.append(
            DossierItem(
                item_type=contract,
                number=1000 + n,
                subject=f"Arbeidsovereenkomst {n}",
                relation_id=employees[n % len(employees)],
                regarding_employee=True,
                begin_date=dt.date(2025, 1, 1) + dt.timedelta(days=n % 365),
                end_date=dt.date(2026, 1, 1),
                submitter=submitter,
                free_values={
                    "Salaris": f"{2500 + n % 1000}.50",
                    "Ingangsdatum": "2025-02-01",
                    "Functie": "Monteur",
                    "Proeftijd": bool(n % 2),
                    "Soort_contract": "VAST",
                },
            )
        )
        if len(batch) == 5000:
            DossierItem.objects.bulk_create(batch)
            batch = []
    DossierItem.objects.bulk_create(batch)
    return {"seconds": time.monotonic() - started}


def step_export(fmt: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from dossier.models import ItemType

    client = Client()
    client.force_login(get_user_model().objects.get(username="importeur"))
    url = reverse("admin:dossier_dossieritem_export") + f"?item_type__id__exact={ItemType.objects.get(code='CONTR').pk}"
    if os.environ.get("EXPORT_BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        client.post(url, {"format": {"xlsx": "0", "csv": "1"}[fmt], "resource": "0"}, secure=True)
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    started = time.monotonic()
    response = client.post(url, {"format": {"xlsx": "0", "csv": "1"}[fmt], "resource": "0"}, secure=True)
    seconds = time.monotonic() - started
    assert response.status_code == 200, response.status_code
    return {"seconds": seconds, "bytes": len(response.content), "peak_mb": peak_mb()}


def run_child(step: str, arguments: dict) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    return globals()[f"step_{step}"](**arguments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--child")
    parser.add_argument("--arguments", default="{}")
    options = parser.parse_args()
    if options.child:
        print(json.dumps(run_child(options.child, json.loads(options.arguments))))
        return
    with tempfile.TemporaryDirectory(prefix="export-bench-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        setup = child("setup", database_url, items=options.items)
        print(f"{options.items:,} CONTR items made in {setup['seconds']:.1f} s (SQLite)")
        for fmt in ("csv", "xlsx"):
            result = child("export", database_url, fmt=fmt)
            rate = options.items / result["seconds"]
            print(
                f"export .{fmt}: {result['seconds']:.1f} s ({rate:,.0f} items/s), "
                f"{result['bytes'] / 2**20:.1f} MB, peak memory {result['peak_mb']:.0f} MB"
            )


if __name__ == "__main__":
    main()
