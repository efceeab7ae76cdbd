"""Typed job state (issue 8, part 3): what the validation tells the commit lives in fields of
ImportJob, the services return typed results, and the migration moved the old JSON values."""

import datetime as dt
import io
import zipfile

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from imports import services
from imports.models import ImportJob
from imports.pipeline.outcomes import CommitResult, ValidationResult
from tests.imports.test_services import SOLL_ROWS, mapped, start


@pytest.mark.django_db
def test_the_validation_records_its_state_in_typed_fields_not_in_options(demo):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("cv.pdf", b"%PDF")
    archive.seek(0)
    job = mapped(
        'Relatienummer;Onderwerp;Bijlage\n10001;CV;cv.pdf\n"10002;10003";Brief;\nE0003;CV;\n',
        attachments=archive,
        attachments_name="docs.zip",
    )
    result = services.validate_import(job=job)
    assert isinstance(result, ValidationResult)
    assert (result.summary.rows, result.summary.invalid_rows, result.earlier) == (3, 1, None)
    job = ImportJob.objects.get(pk=job.pk)
    assert job.validated_at is not None
    assert (job.staged_items, job.staged_attachments) == (3, 1)  # the second row names two relations
    assert (job.error_count, job.warning_count) == (1, result.summary.warning_count)
    assert (job.sheet_names, job.attachments_name, job.source) == (["rows"], "docs.zip", "wizard")
    assert job.options == {}


@pytest.mark.django_db
def test_the_commit_result_adds_up_rows_and_counts_items_per_destination(demo):
    job = mapped('Relatienummer;Onderwerp\n10001;CV\n"10001;10002";Brief\nE0003;CV\n')
    result = services.commit_import(job=job, skip_invalid=True)
    assert isinstance(result, CommitResult)
    assert (result.items_created, result.rows_read, result.rows_imported, result.rows_left_out) == (3, 3, 2, 1)
    assert result.rows_read == result.rows_imported + result.rows_left_out
    assert result.per_destination == {"10001": 2, "10002": 1}
    assert result.duration is not None and result.duration >= dt.timedelta(0)
    assert ImportJob.objects.get(pk=job.pk).skip_invalid is True


@pytest.mark.django_db
def test_a_validation_result_names_the_earlier_import_of_the_same_file(demo):
    first = mapped(SOLL_ROWS)
    services.commit_import(job=first)
    result = services.validate_import(job=mapped(SOLL_ROWS))
    assert result.earlier.pk == first.pk


@pytest.mark.django_db
def test_a_dry_run_forgets_when_it_validated(demo):
    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    services.discard_staging(job=job)
    assert ImportJob.objects.get(pk=job.pk).validated_at is None


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_json_values_into_fields_and_back(demo):
    job = start(SOLL_ROWS)
    executor = MigrationExecutor(connection)
    before, after = [("imports", "0003_visible_attachment_names")], [("imports", "0004_typed_job_state")]
    try:
        executor.migrate(before)
        old_job = executor.loader.project_state(before).apps.get_model("imports", "ImportJob")
        old_job.objects.filter(pk=job.pk).update(
            options={
                "source": "command line",
                "sheet_names": ["Blad1"],
                "attachments_name": "docs.zip",
                "validated_at": "2026-01-02T03:04:05+00:00",
                "staged_items": 7,
                "staged_attachments": 2,
                "skip_invalid": True,
                "problem_counts": {"errors": 3, "warnings": 4},
                "kept": "as it was",
            }
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())  # every app back to its latest
    job = ImportJob.objects.get(pk=job.pk)
    assert job.validated_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert (job.staged_items, job.staged_attachments, job.skip_invalid) == (7, 2, True)
    assert (job.error_count, job.warning_count, job.sheet_names) == (3, 4, ["Blad1"])
    assert (job.attachments_name, job.source, job.options) == ("docs.zip", "command line", {"kept": "as it was"})
