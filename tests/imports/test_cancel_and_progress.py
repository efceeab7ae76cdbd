"""Cancel, heartbeat and progress of a running import (issue 8, part 2): a cancel stops a
validation between batches and rolls a commit back; progress and heartbeat are read without
the database while a commit runs; the command line writes heartbeats too."""

import io
import zipfile

import openpyxl
import pytest

from dossier.models import DossierItem, ItemType
from imports import progress as progress_module
from imports import services
from imports.models import ImportJob
from imports.pipeline import committing
from imports.progress import estimate_rows, manifest_path, progress_path, staging_folder
from imports.services.staging import row_record_path
from tests.imports.commands import import_items
from tests.imports.test_services import _stored_attachment_files, _with_batch_size, mapped

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def look_for_cancel_at_every_batch(monkeypatch):
    monkeypatch.setattr(progress_module, "CANCEL_CHECK_EVERY", 0)


def many_rows(count: int, attachment: bool = False) -> str:
    header = "Relatienummer;Onderwerp" + (";Bijlage" if attachment else "") + "\n"
    return header + "".join(
        f"{10001 + n % 80};Brief {n}" + (";brief.pdf" if attachment else "") + "\n" for n in range(count)
    )


def zip_with_letter() -> io.BytesIO:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("brief.pdf", b"%PDF brief")
    archive.seek(0)
    return archive


def staged_files(job) -> list:
    """What the running job wrote beside its uploads: staged rows, progress, marks, manifest.
    Not the check's row record (the status of every row, for the status workbook), which
    stays with the uploads: a job that failed or was cancelled still offers that workbook."""
    kept = {
        job.file.name.rpartition("/")[2],
        job.attachments_zip.name.rpartition("/")[2],
        row_record_path(job).name,
    }
    return [path.name for path in staging_folder().glob(f"{job.pk}*") if path.name not in kept]


def test_a_cancel_stops_the_validation_between_batches_and_leaves_nothing(demo):
    job = mapped(many_rows(1500))
    seen = []

    def cancel_at_the_first_batch(done, total):
        seen.append(done)
        services.request_cancel(job=job)

    with pytest.raises(services.ImportRefused, match="cancelled"):
        services.validate_import(job=job, progress=cancel_at_the_first_batch)
    assert seen == [500]  # stopped at the next batch
    job = ImportJob.objects.get(pk=job.pk)
    assert (job.state, job.validated_at) == ("cancelled", None)
    assert staged_files(job) == []


def test_a_cancel_rolls_the_commit_back_and_removes_the_files_it_wrote(demo, monkeypatch, private_files):
    job = mapped(many_rows(40, attachment=True), attachments=zip_with_letter(), attachments_name="docs.zip")
    services.validate_import(job=job)
    monkeypatch.setattr(committing.Committer, "__init__", _with_batch_size(committing.Committer.__init__, 10))
    calls = []

    def cancel_after_two_batches(done, total):
        calls.append(done)
        if done == 20:
            assert len(_stored_attachment_files(private_files)) == 20  # written, not yet committed
            services.request_cancel(job=ImportJob.objects.get(pk=job.pk))

    with pytest.raises(services.ImportRefused, match="cancelled"):
        services.commit_import(job=job, progress=cancel_after_two_batches)
    assert calls == [10, 20]
    job = ImportJob.objects.get(pk=job.pk)
    assert (job.state, job.items_created) == ("cancelled", 0)
    assert not DossierItem.objects.filter(import_job=job).exists()
    assert ItemType.objects.get(code="SOLL").last_number == 0
    assert _stored_attachment_files(private_files) == []
    assert staged_files(job) == []


def test_the_commit_names_each_file_in_its_manifest_before_writing_it(demo, monkeypatch, private_files):
    job = mapped(many_rows(20, attachment=True), attachments=zip_with_letter(), attachments_name="docs.zip")
    services.validate_import(job=job)
    monkeypatch.setattr(committing.Committer, "__init__", _with_batch_size(committing.Committer.__init__, 10))
    listed_before_written = []
    save = type(private_files)._save

    def checking_save(storage, name, content):
        listed_before_written.append(name in manifest_path(job.pk).read_text().splitlines())
        return save(storage, name, content)

    monkeypatch.setattr(type(private_files), "_save", checking_save)
    services.commit_import(job=job)
    assert listed_before_written == [True] * 20
    assert not manifest_path(job.pk).exists()  # a committed job's manifest is dropped
    assert len(_stored_attachment_files(private_files)) == 20


def test_progress_is_read_without_the_database_while_the_commit_runs(demo, monkeypatch, django_assert_num_queries):
    job = mapped(many_rows(40, attachment=True), attachments=zip_with_letter(), attachments_name="docs.zip")
    services.validate_import(job=job)
    monkeypatch.setattr(committing.Committer, "__init__", _with_batch_size(committing.Committer.__init__, 10))
    monkeypatch.setattr(progress_module.settings, "IMPORT_PROGRESS_EVERY", 0)
    running = ImportJob.objects.get(pk=job.pk)
    running.state = ImportJob.State.IMPORTING  # as the page loaded it
    seen = []

    def look(done, total):
        with django_assert_num_queries(0):  # nothing that could wait on the open transaction
            seen.append(services.job_progress(running))

    services.commit_import(job=job, progress=look)
    assert [(p.phase, p.done, p.total) for p in seen] == [("importing", n, 40) for n in (10, 20, 30, 40)]
    assert all(p.heartbeat_at is not None and p.running for p in seen)
    assert seen[-1].percent == 100
    assert seen[1].as_dict() | {"rows_per_second": None, "seconds_left": None} == {
        "state": "importing",
        "phase": "importing",
        "running": True,
        "done": 20,
        "total": 40,
        "percent": 50,
        "rows_per_second": None,
        "seconds_left": None,
        "cancel_requested": False,
        "message": "",
    }
    assert not progress_path(job.pk).exists()  # gone once the job ended


def test_the_validation_reports_rows_done_of_rows_in_total(demo, monkeypatch):
    monkeypatch.setattr(progress_module.settings, "IMPORT_PROGRESS_EVERY", 0)
    job = mapped(many_rows(1200))
    seen = []

    def look(done, total):
        seen.append(services.job_progress(ImportJob.objects.get(pk=job.pk)))

    services.validate_import(job=job, progress=look)
    assert [(p.phase, p.done, p.total) for p in seen[:2]] == [("validating", 500, 1200), ("validating", 1000, 1200)]
    assert seen[0].rows_per_second is None or seen[0].rows_per_second > 0


def test_the_command_line_writes_heartbeats_in_both_phases(demo, tmp_path, monkeypatch):
    beats = []
    write = progress_module.JobMonitor._write

    def noted_write(monitor):
        beats.append(monitor.phase)
        write(monitor)

    monkeypatch.setattr(progress_module.JobMonitor, "_write", noted_write)
    rows = tmp_path / "rows.csv"
    rows.write_text(many_rows(3), encoding="utf-8")
    code, _out, _err = import_items(rows, "--type", "SOLL", "--user", "importeur")
    assert code == 0
    assert {"validating", "importing"} <= set(beats)
    job = ImportJob.objects.get()
    assert job.heartbeat_at is not None and job.source == "command line"


def test_the_heartbeat_thread_beats_while_one_batch_takes_long(demo, settings):
    import time

    settings.IMPORT_HEARTBEAT_EVERY = 0.05
    job = mapped(many_rows(2))
    with progress_module.JobMonitor(job) as monitor:
        monitor.start_phase("importing", total=2, in_database=False)
        first = progress_module.read_progress_file(job.pk)["beat"]
        time.sleep(0.3)  # one long batch: no update() call
        later = progress_module.read_progress_file(job.pk)["beat"]
    assert later > first


def test_rows_in_total_are_estimated_before_the_first_validation(tmp_path):
    csv = tmp_path / "rows.csv"
    csv.write_text(many_rows(250), encoding="utf-8")
    assert estimate_rows(csv, "rows.csv", 1, None) == 250
    workbook = openpyxl.Workbook()
    workbook.active.title = "Data"
    for n in range(31):
        workbook.active.append([n, "x"])
    workbook.save(tmp_path / "rows.xlsx")
    assert estimate_rows(tmp_path / "rows.xlsx", "rows.xlsx", 1, "Data") == 30
    assert estimate_rows(tmp_path / "rows.xlsx", "rows.ods", 1, None) == 0  # unknown: no estimate


def test_an_interrupted_commit_fails_at_once_and_leaves_nothing(demo, monkeypatch, private_files):
    job = mapped(many_rows(40, attachment=True), attachments=zip_with_letter(), attachments_name="docs.zip")
    services.validate_import(job=job)
    monkeypatch.setattr(committing.Committer, "__init__", _with_batch_size(committing.Committer.__init__, 10))

    def ctrl_c(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        services.commit_import(job=job, progress=ctrl_c)
    job = ImportJob.objects.get(pk=job.pk)
    assert (job.state, job.error_message) == (
        "failed",
        "The import was interrupted, so nothing was stored. Run it again.",
    )
    assert not DossierItem.objects.filter(import_job=job).exists()
    assert _stored_attachment_files(private_files) == []
    assert staged_files(job) == []
