"""Starting an upload while a master-data import runs in the task worker (issue 14, part 1).

On SQLite one transaction holds the only write lock. A master-data check and import used to
run in one transaction each, for minutes on a large file, so any other request that writes
(starting an item upload in the wizard) waited out the busy timeout and got the 503 page. Now
the check writes nothing and the import checks its rows without writing, then writes them in
one short transaction of bulk statements (dossier/resources.py, `MasterDataResource`).

Here the real steps (`masterdata.run_check`, `masterdata.run_import`) import a few thousand
relations in a thread of their own, as the task worker does, on a SQLite file (the live
server's, `database_file`); each is held midway through its rows while importeur starts an
upload in the wizard (the test client: its requests go through every middleware, the busy
database's 503 page included, and wait at most conftest.BUSY_TIMEOUT seconds for the lock;
no browser is needed to see a 503)."""

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse

from dossier import masterdata, models
from dossier.resources import IMPORT_FORMATS, GuardedCSV, RelationResource
from imports.models import ImportJob
from tests.e2e.test_sign_in_under_load import write_is_refused

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = 3000
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def relations_csv(rows: int) -> bytes:
    lines = ["number,kind,name,city,debtor_number"]
    lines += [f"{700000 + n},{'person' if n % 2 else 'organisation'},Relation {n},Delft,DX{n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@contextmanager
def held_midway(monkeypatch, step, job_id):
    """Run the step in a thread of its own (its own database connection, as the worker's),
    held after half of the rows until the block ends; yields once it is held there."""
    held, go_on, outcome = threading.Event(), threading.Event(), {}
    progress = masterdata._Progress.__call__

    def counting(self, done):
        progress(self, done)
        if done == ROWS // 2:
            held.set()
            go_on.wait(120)

    monkeypatch.setattr(masterdata._Progress, "__call__", counting)

    def work():
        try:
            outcome["state"] = step(job_id)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert held.wait(120), "the step never reached half of its rows"
        yield outcome
    finally:
        go_on.set()
        worker.join(120)
    assert not worker.is_alive()


def start_an_upload(client) -> None:
    """importeur uploads a sheet for SOLL: the request stores the file and records the job (a
    write), and answers with the next step, not the busy page."""
    with (EXAMPLES / "soll.csv").open("rb") as sheet:
        response = client.post(reverse("imports:upload", args=["SOLL"]), {"file": sheet})
    assert response.status_code == 302, (response.status_code, response.text[:500])
    assert response.url.rstrip("/").endswith(("sheet", "map"))


def test_importeur_starts_an_upload_while_a_master_data_check_and_import_run(database_file, demo, client, monkeypatch):
    job = masterdata.start(
        user=get_user_model().objects.get(username="admin"),
        resource_class=RelationResource,
        upload=SimpleUploadedFile("relations.csv", relations_csv(ROWS)),
        file_format=IMPORT_FORMATS.index(GuardedCSV),
        row_count=ROWS,
    )
    client.force_login(get_user_model().objects.get(username="importeur"))
    relations_before = models.Relation.objects.count()

    with held_midway(monkeypatch, masterdata.run_check, job.pk) as checked:
        assert not write_is_refused(database_file)  # the check holds no lock
        start_an_upload(client)
    assert checked["state"] == "checked"
    job.refresh_from_db()
    assert job.totals == {"new": ROWS} and masterdata.can_confirm(job)
    assert ImportJob.objects.filter(user__username="importeur").count() == 1

    models.MasterDataImport.objects.filter(pk=job.pk).update(state="importing")  # confirmed
    with held_midway(monkeypatch, masterdata.run_import, job.pk) as imported:
        assert not write_is_refused(database_file)  # checking its rows again: no lock yet
        start_an_upload(client)
    assert imported["state"] == "done"
    assert ImportJob.objects.filter(user__username="importeur").count() == 2
    assert models.Relation.objects.count() == relations_before + ROWS
    assert models.SalesRelation.objects.filter(number__startswith="DX").count() == ROWS
