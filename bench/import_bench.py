"""Import benchmark: prints figures, asserts nothing. Not part of the test suite.

    .venv/bin/python bench/import_bench.py                   # 100,000 rows, SQLite and PostgreSQL
    .venv/bin/python bench/import_bench.py --rows 20000 --databases sqlite
    .venv/bin/python bench/import_bench.py --million         # also a 1,000,000-row .xlsx (slow)

For every database and format it measures, each in a fresh process (so peak memory is that
step's own): validate (rows/s, peak RSS), commit (rows/s, peak RSS), the floor (reading the
file plus a bare bulk insert of the same rows) and, for the baseline, a plain
django-import-export ModelResource import of the same rows into the same item table.
Also: the mapping step's sample (headers and first rows) of the large .xlsx.

Rows: the demo world's sales relations with their contacts, a regarding role, a
characteristic and four free fields: twelve columns per row.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADERS = [
    "Relatienummer",
    "Contactpersoon",
    "Onderwerp",
    "Toelichting",
    "Instuurdatum",
    "Begindatum",
    "Betreft verkooprelatie",
    "Ernst",
    "Bedrag",
    "Datum",
    "Omschrijving",
    "Soort",
]
MAPPING = {
    "relation": {"column": "Relatienummer"},
    "contact": {"column": "Contactpersoon"},
    "subject": {"column": "Onderwerp"},
    "text": {"column": "Toelichting"},
    # how the date and number columns are written, as the mapping page keeps it
    "submitted_at": {"column": "Instuurdatum", "date_order": "dmy"},
    "begin_date": {"column": "Begindatum", "date_order": "dmy"},
    "regarding_sales": {"column": "Betreft verkooprelatie"},
    "characteristic_1": {"column": "Ernst"},
    "free_Bedrag": {"column": "Bedrag", "decimal": ","},
    "free_Datum": {"column": "Datum", "date_order": "dmy"},
    "free_Omschrijving": {"column": "Omschrijving"},
    "free_Soort": {"column": "Soort"},
}


def row(n: int) -> list:
    nn = n % 30 + 1
    return [
        f"200{nn:02d}",
        f"300{nn:02d}",
        f"Brief {n}",
        f"Toelichting bij brief {n}",
        f"{n % 28 + 1:02d}-{n % 12 + 1:02d}-2025",
        f"{n % 28 + 1:02d}-{n % 12 + 1:02d}-2025",
        "ja" if n % 2 else "nee",
        ("LAAG", "MIDDEN", "HOOG")[n % 3],
        f"{n % 5000},{n % 100:02d}",
        f"{n % 28 + 1}-{n % 12 + 1}-2026",
        f"Omschrijving {n}",
        "A" if n % 2 else "B",
    ]


# --- the parent: files, child processes, the table -----------------------------------------


def write_files(folder: Path, rows: int) -> dict[str, Path]:
    from openpyxl import Workbook

    csv_path = folder / f"bench-{rows}.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        for n in range(rows):
            writer.writerow(row(n))
    xlsx_path = folder / f"bench-{rows}.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Blad1")
    sheet.append(HEADERS)
    for n in range(rows):
        values = row(n)
        values[0], values[1] = int(values[0]), int(values[1])  # numbers, as Excel keeps them
        sheet.append(values)
    workbook.save(xlsx_path)
    return {"csv": csv_path, "xlsx": xlsx_path}


def child(step: str, database_url: str, **arguments) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ENV_FILE": "/dev/null",
    }
    env["PRIVATE_STORAGE_ROOT"] = arguments.pop("storage")
    command = [sys.executable, __file__, "--child", step, "--arguments", json.dumps(arguments)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{step} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def fresh_database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        path = folder / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = os.environ.get("BENCH_DATABASE", "dossier_bench")  # its own, when several run at once
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--million", action="store_true", help="also import a 1,000,000-row .xlsx on SQLite")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="count the process's CPU time instead of the wall clock (SQLite: for a machine that other work shares)",
    )
    parser.add_argument("--child")
    parser.add_argument("--arguments")
    options = parser.parse_args()
    if options.child:
        print(json.dumps(run_child(options.child, json.loads(options.arguments))))
        return

    if options.cpu:
        os.environ["BENCH_CLOCK"] = "cpu"  # the children count their CPU time
    folder = Path(tempfile.mkdtemp(prefix="import-bench-"))
    storage = str(folder / "private")
    print(f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    started = time.monotonic()
    files = write_files(folder, options.rows)
    small = write_files(folder, options.baseline_rows)
    print(
        f"Wrote {options.rows:,}-row files in {time.monotonic() - started:.0f} s: "
        + ", ".join(f"{k} {v.stat().st_size / 2**20:.1f} MB" for k, v in files.items())
    )

    sample = child("sample", "sqlite://:memory:", path=str(files["xlsx"]), storage=storage)
    print(f"Mapping step sample of the {options.rows:,}-row .xlsx: {sample['seconds']:.2f} s")
    print()
    print(
        f"{'database':9} {'format':6} {'rows':>9} | {'validate r/s':>12} {'MB':>5} | {'commit r/s':>10} {'MB':>5} | {'v+c r/s':>8} | {'floor r/s':>9} {'raw r/s':>9} {'x floor':>7} | {'baseline r/s':>12} {'x base':>6}"
    )
    for database in options.databases.split(","):
        url = fresh_database(database, folder)
        child("setup", url, storage=storage)
        baseline = child("baseline", url, path=str(small["csv"]), storage=storage)
        for fmt in options.formats.split(","):
            report(database, fmt, options.rows, files[fmt], url, storage, baseline)
        if options.million and database == "sqlite":
            big = write_files(folder, 1_000_000)["xlsx"]
            report(database, "xlsx", 1_000_000, big, url, storage, baseline)
    print()
    print("MB: peak resident memory of the process doing that step (Django included).")
    print("v+c: validate and commit together (the wizard's two passes). floor: reading the file plus a bare")
    print("insert of the same rows, with bulk_create (floor) and with plain multi-row INSERTs (raw);")
    print("x floor: v+c time over the faster of the two.")
    if options.cpu:
        print("Every rate and ratio counts the process's CPU time (--cpu), not the wall clock.")
    print(f"baseline: django-import-export ModelResource, {options.baseline_rows:,} rows.")


def report(database, fmt, rows, path, url, storage, baseline):
    child("clear", url, storage=storage)
    validated = child("validate", url, path=str(path), storage=storage)
    committed = child("commit", url, job=validated["job"], storage=storage)
    child("clear", url, storage=storage)
    floor_orm = child("floor", url, path=str(path), storage=storage)
    child("clear", url, storage=storage)
    floor_raw = child("floor", url, path=str(path), raw=True, storage=storage)
    child("clear", url, storage=storage)
    floor = min(floor_orm["seconds"], floor_raw["seconds"])
    both = rows / (validated["seconds"] + committed["seconds"])
    print(
        f"{database:9} {fmt:6} {rows:>9,} | {rows / validated['seconds']:>12,.0f} {validated['peak_mb']:>5.0f} | "
        f"{rows / committed['seconds']:>10,.0f} {committed['peak_mb']:>5.0f} | {both:>8,.0f} | "
        f"{rows / floor_orm['seconds']:>9,.0f} {rows / floor_raw['seconds']:>9,.0f} "
        f"{(validated['seconds'] + committed['seconds']) / floor:>7.2f} | "
        f"{baseline['rows_per_second']:>12,.0f} {both / baseline['rows_per_second']:>6.1f}",
        flush=True,
    )


# --- the children: one measured step each --------------------------------------------------


class Clock:
    """Seconds since it was made: on the wall clock, or with BENCH_CLOCK=cpu (--cpu) the CPU
    time of the process (every thread) and of the reader processes it waited for, which other
    work on the machine hardly moves."""

    def __init__(self):
        self.cpu = os.environ.get("BENCH_CLOCK") == "cpu"
        self.started = self._now()

    def _now(self) -> float:
        if not self.cpu:
            return time.monotonic()
        spent = os.times()
        return spent.user + spent.system + spent.children_user + spent.children_system

    def seconds(self) -> float:
        return self._now() - self.started


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(step: str, arguments: dict) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    return globals()[f"step_{step}"](**arguments)


def step_sample(path: str) -> dict:
    from spreadsheets.reading import sample

    clock = Clock()
    table, rows = sample(path, size=10)
    assert len(rows) == 10 and len(table.headers) == len(HEADERS)
    return {"seconds": clock.seconds()}


def step_setup() -> dict:
    from django.core.management import call_command

    from dossier.demo import seed_demo_world
    from dossier.models import Characteristic, FieldState, FreeField, ItemType

    call_command("migrate", verbosity=0)
    seed_demo_world()
    item_type, _created = ItemType.objects.update_or_create(
        code="BENCH",
        defaults={
            "name": "Benchmark",
            "kind": ItemType.Kind.OWN,
            "has_begin_date": True,
            "relation_state": FieldState.REQUIRED,
            "contact_state": FieldState.OPTIONAL,
            "regarding_sales_state": FieldState.OPTIONAL,
            "use_characteristics": True,
            "characteristic_1": Characteristic.objects.get(code="ERNST"),
        },
    )
    for position, (code, kind, choices) in enumerate(
        [("Bedrag", "decimal", ""), ("Datum", "date", ""), ("Omschrijving", "text", ""), ("Soort", "choice", "A\nB")]
    ):
        FreeField.objects.update_or_create(
            item_type=item_type,
            code=code,
            defaults={"label": code, "kind": kind, "choices": choices, "position": position},
        )
    return {}


def step_clear() -> dict:
    from django.db import transaction

    from dossier.models import DossierItem, ItemType
    from dossier.services import delete_items

    with transaction.atomic():
        delete_items(items=DossierItem.objects.filter(item_type__code="BENCH"))
        ItemType.objects.filter(code="BENCH").update(last_number=0)
    return {}


def step_validate(path: str) -> dict:
    from django.contrib.auth import get_user_model

    from dossier.models import ItemType
    from imports import services

    user = get_user_model().objects.get(username="admin")
    clock = Clock()
    with open(path, "rb") as handle:
        job = services.start_import(
            user=user, item_type=ItemType.objects.get(code="BENCH"), file=handle, file_name=Path(path).name
        )
    assert services.set_mapping(job=job, mapping=MAPPING) == []
    summary = services.validate_import(job=job).summary
    seconds = clock.seconds()
    assert summary.invalid_rows == 0, summary.problems[:3]
    return {"job": str(job.pk), "seconds": seconds, "peak_mb": peak_mb()}


def step_commit(job: str) -> dict:
    from imports import services
    from imports.models import ImportJob

    job = ImportJob.objects.get(pk=job)
    clock = Clock()
    created = services.commit_import(job=job, again=True).items_created  # the same file, run after run
    seconds = clock.seconds()
    assert created == job.row_count
    return {"seconds": seconds, "peak_mb": peak_mb()}


def step_floor(path: str, raw: bool = False) -> dict:
    """Reading the file plus a bare insert of the same rows, with Django's bulk_create or,
    with raw=True, plain multi-row INSERTs of the columns that need a value."""
    from itertools import batched

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from dossier.models import DossierItem, ItemType, Relation
    from spreadsheets.reading import open_table

    item_type = ItemType.objects.get(code="BENCH")
    user = get_user_model().objects.get(username="admin")
    relations = dict(Relation.objects.values_list("number", "pk"))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    constants = [item_type.pk, user.pk, "", False, "", now, now, "{}", False, False, False, False, False]
    columns = (
        "item_type_id, submitter_id, text, done, priority, submitted_at, created_at, free_values, regarding_relation, "
        "regarding_employee, regarding_sales, regarding_purchase, regarding_applicant, number, relation_id, subject"
    )
    row_sql = "(" + ", ".join(["%s"] * 16) + ")"
    clock = Clock()
    table = open_table(path)
    number = 0
    with transaction.atomic():
        for batch in batched(table.rows(), 1000):
            if raw:
                params = []
                for r in batch:
                    number += 1
                    params.append([*constants, number, relations[str(r.cells[0])], r.cells[2]])
                with connection.cursor() as cursor:
                    for chunk in batched(params, 60):  # 960 parameters: inside every database's limit
                        values = ", ".join([row_sql] * len(chunk))
                        sql = f"INSERT INTO dossier_dossieritem ({columns}) VALUES {values}"  # noqa: S608
                        cursor.execute(sql, [value for row in chunk for value in row])
                continue
            items = []
            for r in batch:
                number += 1
                relation_id = relations[str(r.cells[0])]
                items.append(
                    DossierItem(
                        item_type=item_type, number=number, submitter=user, relation_id=relation_id, subject=r.cells[2]
                    )
                )
            DossierItem.objects.bulk_create(items)
    return {"seconds": clock.seconds(), "peak_mb": peak_mb()}


def step_baseline(path: str) -> dict:
    """The same rows through a plain django-import-export ModelResource."""
    import tablib
    from django.contrib.auth import get_user_model
    from import_export import fields, resources, widgets

    from dossier.models import CharacteristicValue, Contact, DossierItem, ItemType, Relation

    item_type = ItemType.objects.get(code="BENCH")
    user = get_user_model().objects.get(username="admin")

    class ItemResource(resources.ModelResource):
        relation = fields.Field(
            attribute="relation", column_name="Relatienummer", widget=widgets.ForeignKeyWidget(Relation, "number")
        )
        contact = fields.Field(
            attribute="contact", column_name="Contactpersoon", widget=widgets.ForeignKeyWidget(Contact, "contact_id")
        )
        subject = fields.Field(attribute="subject", column_name="Onderwerp")
        text = fields.Field(attribute="text", column_name="Toelichting")
        begin_date = fields.Field(
            attribute="begin_date", column_name="Begindatum", widget=widgets.DateWidget("%d-%m-%Y")
        )
        submitted_at = fields.Field(
            attribute="submitted_at", column_name="Instuurdatum", widget=widgets.DateTimeWidget("%d-%m-%Y")
        )
        regarding_sales = fields.Field(
            attribute="regarding_sales", column_name="Betreft verkooprelatie", widget=widgets.BooleanWidget()
        )
        characteristic_value_1 = fields.Field(
            attribute="characteristic_value_1",
            column_name="Ernst",
            widget=widgets.ForeignKeyWidget(CharacteristicValue, "code"),
        )

        class Meta:
            model = DossierItem
            fields = (
                "relation",
                "contact",
                "subject",
                "text",
                "begin_date",
                "submitted_at",
                "regarding_sales",
                "characteristic_value_1",
            )
            import_id_fields = ()
            use_transactions = True

        def before_import_row(self, row, **kwargs):
            row["Betreft verkooprelatie"] = row["Betreft verkooprelatie"] == "ja"

        def before_save_instance(self, instance, row, **kwargs):
            instance.item_type = item_type
            instance.submitter = user
            item_type.last_number += 1
            instance.number = item_type.last_number
            instance.free_values = {
                "Bedrag": row["Bedrag"],
                "Datum": row["Datum"],
                "Omschrijving": row["Omschrijving"],
                "Soort": row["Soort"],
            }

    with open(path, encoding="utf-8") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="csv", delimiter=";")
    clock = Clock()
    result = ItemResource().import_data(dataset, dry_run=False, raise_errors=True)
    seconds = clock.seconds()
    assert not result.has_errors()
    step_clear()
    return {"rows_per_second": len(dataset) / seconds, "seconds": seconds}


if __name__ == "__main__":
    main()
