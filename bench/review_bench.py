"""Review pages benchmark: prints figures, asserts nothing. Not part of the test suite.

    .venv/bin/python bench/review_bench.py --items 1000000                    # SQLite, kept file
    .venv/bin/python bench/review_bench.py --items 1000000 --database postgres
    .venv/bin/python bench/review_bench.py --items 1000000 --reuse            # time again, no seeding
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/review_bench.py

It builds its own database: the SQLite file data/bench/review_bench.sqlite3 (git-ignored; or
--sqlite-file), or the PostgreSQL database dossier_bench at 127.0.0.1:5432. It runs the
migrations and `seed_demo`, and adds N items by bulk INSERTs spread over the demo types,
relations, contacts, characteristic values, workflow states and three years of submit dates;
one relation is busy (5 % of the items). Each of admin, importeur and profit gets imports
that created items of his types and 40 that created nothing (checked and not continued,
failed, cancelled, undone), as a year of use leaves the history. `--reuse` keeps a database
that already holds the items: build the million once, then time it again after a change
(the migrations still run, so a new index is built on the kept items).

Then, for each demo user, it times pages server-side (Django's test Client, force_login):
the median of --runs runs after one warm-up run. "items list" shows the import filter with
its choices; "items by import" is filtered on the user's own newest import with items;
"items by other's import" on admin's first import (a refusal for the others). Target: under
200 ms with 100,000 items, under 500 ms with 1,000,000; a figure over target is marked "!".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USERS = ("admin", "importeur", "profit", "zonderrechten")
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/dossier_bench"
SQLITE_FILE = ROOT / "data" / "bench" / "review_bench.sqlite3"
BATCH = 5000
EMPTY_JOBS = 40  # per user: jobs that created no items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--sqlite-file", help="SQLite file to use (kept); default: a temporary one")
    parser.add_argument("--reuse", action="store_true", help="keep the items already in the database")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="time only the pages whose name contains one of these texts (comma-separated)")
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL")
    if not url:
        if options.database == "postgres":
            url = POSTGRES_URL
            if not options.reuse:
                psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
                subprocess.run([*psql, "DROP DATABASE IF EXISTS dossier_bench"], check=True)
                subprocess.run([*psql, "CREATE DATABASE dossier_bench"], check=True)
        else:
            path = Path(options.sqlite_file or SQLITE_FILE)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not options.reuse:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{path.resolve()}"
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "ENV_FILE": "/dev/null",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_FILE": "",
            "LOG_LEVEL": "ERROR",
            "PRIVATE_STORAGE_ROOT": tempfile.mkdtemp(prefix="review-bench-private-"),
        }
    )
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from dossier.models import DossierItem

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"Database: {url.split('@')[-1]}; migrate {time.monotonic() - started:.0f} s", flush=True)
    present = DossierItem.objects.count()
    if options.reuse and present >= options.items:
        print(f"Reusing {present:,} items", flush=True)
    else:
        call_command("seed_demo", verbosity=0)
        started = time.monotonic()
        seed(options.items)
        print(f"Seeded {options.items:,} items in {time.monotonic() - started:.0f} s", flush=True)
    analyse()
    target = 0.200 if options.items <= 100_000 else 0.500
    report(pages(), options.runs, target, options.only)


# --- seeding --------------------------------------------------------------------------------


def seed(count: int) -> None:
    """N items by plain executemany INSERTs in batches, numbered on from each type's last."""
    from itertools import batched

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from dossier.models import CharacteristicValue, Contact, ItemType, Relation, WorkflowInstance, WorkflowTask
    from imports.models import ImportJob

    types = list(ItemType.objects.order_by("code"))
    relations = list(Relation.objects.order_by("number").values_list("pk", flat=True))
    contacts_of: dict[int, list[int]] = {}
    for contact_id, organisation_id in Contact.objects.values_list("pk", "organisation_id"):
        contacts_of.setdefault(organisation_id, []).append(contact_id)
    values_of = {
        t.pk: list(
            CharacteristicValue.objects.filter(characteristic=t.characteristic_1_id).values_list("pk", flat=True)
        )
        for t in types
        if t.use_characteristics and t.characteristic_1_id
    }
    users = list(get_user_model().objects.order_by("pk").values_list("pk", flat=True))
    jobs = {}
    bench_users = {u.username: u for u in get_user_model().objects.filter(username__in=USERS)}
    for username in ("admin", "importeur", "profit"):
        user = bench_users[username]
        own_types = types if user.is_superuser else list(ItemType.objects.authorised_for(user).order_by("code"))
        for item_type in own_types[:3]:
            job = ImportJob.objects.create(
                user=user, item_type=item_type, file_name=f"bench-{item_type.code}-{username}.xlsx", state="done"
            )
            jobs.setdefault(item_type.pk, []).append(ImportJob._meta.pk.get_db_prep_value(job.pk, connection))
        # A history as a year of use leaves it: most jobs created nothing (checked and not
        # continued, refused, failed, cancelled, undone). The import filter must not pay
        # for each of them with a walk over the type's items.
        for n in range(EMPTY_JOBS):
            item_type = own_types[n % len(own_types)] if own_types else types[0]
            state = ("validated", "failed", "cancelled", "undone")[n % 4]
            ImportJob.objects.create(
                user=user, item_type=item_type, file_name=f"bench-empty-{n}-{username}.xlsx", state=state
            )
    tasks = list(WorkflowTask.objects.values_list("pk", "workflow_id"))
    numbers = {t.pk: t.last_number for t in types}
    now = timezone.now()
    start = now - dt.timedelta(days=3 * 365)
    busy = relations[len(relations) // 2]
    adapt = connection.ops.adapt_datetimefield_value
    columns = (
        "item_type_id",
        "number",
        "subject",
        "text",
        "done",
        "priority",
        "submitter_id",
        "submitted_at",
        "relation_id",
        "contact_id",
        "regarding_relation",
        "regarding_employee",
        "regarding_sales",
        "regarding_purchase",
        "regarding_applicant",
        "characteristic_value_1_id",
        "free_values",
        "import_job_id",
        "created_at",
    )
    sql = (
        f"INSERT INTO dossier_dossieritem ({', '.join(columns)}) "  # noqa: S608 - fixed column names
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    in_workflow = []
    with transaction.atomic():
        for batch in batched(range(count), BATCH):
            rows = []
            for n in batch:
                item_type = types[n % len(types)]
                numbers[item_type.pk] += 1
                relation = busy if n % 20 == 0 else relations[(n * 7919) % len(relations)]
                contacts = contacts_of.get(relation)
                contact = contacts[n % len(contacts)] if contacts and n % 3 == 0 else None
                values = values_of.get(item_type.pk)
                value = values[n % len(values)] if values else None
                # Every fourth item of a type that has imports came from one of them.
                number = numbers[item_type.pk]
                type_jobs = jobs.get(item_type.pk)
                job = type_jobs[(number // 4) % len(type_jobs)] if type_jobs and number % 4 == 0 else None
                submitted = adapt(start + dt.timedelta(seconds=(n * 7_919_993) % (3 * 365 * 86400)))
                rows.append(
                    (
                        item_type.pk,
                        number,
                        f"Brief {n} over {('levering', 'factuur', 'contract', 'klacht')[n % 4]}",
                        "",
                        n % 5 == 0,
                        "",
                        users[n % len(users)],
                        submitted,
                        relation,
                        contact,
                        False,
                        False,
                        False,
                        False,
                        False,
                        value,
                        "{}",
                        job,
                        adapt(now),
                    )
                )
                if n % 50 == 0:
                    in_workflow.append((item_type.pk, numbers[item_type.pk], n))
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)
        for item_type in types:
            ItemType.objects.filter(pk=item_type.pk).update(last_number=numbers[item_type.pk])
        # Workflow instances for every 50th item: at each task in turn, or finished.
        from dossier.models import DossierItem

        ids = {}
        for chunk in batched(in_workflow, 500):
            query = DossierItem.objects.none()
            for type_id in {c[0] for c in chunk}:
                wanted = [c[1] for c in chunk if c[0] == type_id]
                query = query | DossierItem.objects.filter(item_type_id=type_id, number__in=wanted)
            ids.update({(t, nr): pk for pk, t, nr in query.values_list("pk", "item_type_id", "number")})
        instances = []
        for type_id, number, n in in_workflow:
            task_id, workflow_id = tasks[n % len(tasks)]
            current = None if n % (len(tasks) + 1) == 0 else task_id
            instances.append(
                WorkflowInstance(item_id=ids[(type_id, number)], workflow_id=workflow_id, current_task_id=current)
            )
        WorkflowInstance.objects.bulk_create(instances, batch_size=1000)


def analyse() -> None:
    """Statistics, and on PostgreSQL the visibility map: what autovacuum does within a minute
    of a bulk insert (without it counts read the table instead of the index alone)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- timing ---------------------------------------------------------------------------------


def pages() -> list[tuple[str, object]]:
    from django.db.models import Count

    from dossier.models import CharacteristicValue, DossierItem, Relation, WorkflowTask
    from imports.models import ImportJob

    items = "/admin/dossier/dossieritem/"
    busy = Relation.objects.annotate(n=Count("items")).order_by("-n").first()
    sample = DossierItem.objects.filter(relation=busy).order_by("pk").first()
    job = ImportJob.objects.order_by("created_at").first()
    value = CharacteristicValue.objects.order_by("pk").first()
    task = WorkflowTask.objects.order_by("pk").first()
    year = dt.date.today().year - 1
    return [
        ("items list", items),
        ("items page 2", f"{items}?p=1"),
        ("items by type", f"{items}?item_type__id__exact={sample.item_type_id}"),
        ("items by import", lambda user: import_page(user, items)),
        ("items by other's import", f"{items}?import_job__id__exact={job.pk}"),
        ("items by relation", f"{items}?relation={busy.number}"),
        ("items by date range", f"{items}?submitted_from={year}-03-01&submitted_to={year}-03-31"),
        ("items by done", f"{items}?done__exact=1"),
        ("items by workflow", f"{items}?workflow={task.pk}"),
        ("items no workflow", f"{items}?workflow=none"),
        ("items by characteristic", f"{items}?characteristic={value.pk}"),
        ("items facets", f"{items}?_facets=1"),
        ("items search number", f"{items}?q={sample.number}"),
        ("items search name", f"{items}?q={busy.name.split()[0]}"),
        ("relation dossier", f"/admin/dossier/relation/{busy.pk}/dossier/"),
        ("item page", lambda user: item_page(user, busy)),
        ("relations list", "/admin/dossier/relation/"),
        ("import history", "/admin/imports/importjob/"),
    ]


def import_page(user, items: str) -> str:
    """The items list filtered on the user's newest import that created items."""
    from django.db.models import Exists, OuterRef

    from dossier.models import DossierItem
    from imports.models import ImportJob

    made = DossierItem.objects.filter(import_job=OuterRef("pk"))
    job = ImportJob.objects.visible_to(user).filter(user=user).filter(Exists(made)).order_by("-created_at").first()
    return f"{items}?import_job__id__exact={job.pk}" if job else ""


def item_page(user, relation) -> str:
    """The change page of one of the relation's items that the user may see."""
    from dossier.models import DossierItem

    item = DossierItem.objects.visible_to(user).filter(relation=relation).order_by("pk").first()
    return f"/admin/dossier/dossieritem/{item.pk}/change/" if item else ""


def dossier_installed() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("admin:dossier_relation_dossier", args=[1])
    except NoReverseMatch:
        return False
    return True


def report(urls: list[tuple[str, str]], runs: int, target: float, only: str | None) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = {u.username: u for u in get_user_model().objects.filter(username__in=USERS)}
    print()
    print("Load average (1, 5, 15 min) at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"Median server time in ms of {runs} runs after a warm-up; '!' over {target * 1000:.0f} ms")
    print(f"{'page':26}" + "".join(f"{name:>15}" for name in USERS))
    for name, url in urls:
        if only and not any(part in name for part in only.split(",")):
            continue
        cells = []
        for username in USERS:
            page = url(users[username]) if callable(url) else url
            if not page or (name == "relation dossier" and not dossier_installed()):
                cells.append(f"{'not present' if page else 'no item':>15}")
                continue
            client = Client()
            client.force_login(users[username])
            first = client.get(page)
            if first.status_code == 404 and name == "relation dossier":
                cells.append(f"{'not present':>15}")
                continue
            times = []
            for _run in range(runs):
                started = time.perf_counter()
                response = client.get(page)
                times.append(time.perf_counter() - started)
            median = statistics.median(times)
            mark = "!" if median > target else " "
            status = "" if response.status_code == 200 else f" [{response.status_code}]"
            cells.append(f"{median * 1000:.0f}{mark}{status}".rjust(15))
        print(f"{name:26}" + "".join(cells), flush=True)
    print("Load average (1, 5, 15 min) at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
