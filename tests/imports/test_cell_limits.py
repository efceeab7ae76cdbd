"""Limits on every path (issue 14, part 3): a cell over the cell limit refuses the upload with
its row and column; an item text over its field's limit is a too_long problem of the check
step; the mapping page, the check page and the history cut what they show, so no page grows
with one cell beyond its limit. The hostile files are built here."""

import pytest
from django.urls import reverse

from dossier.models import TEXT_MAX_LENGTH, DossierItem
from imports import services
from imports.models import ImportJob
from tests.imports.test_history import job_url, signed_in
from tests.imports.wizard import start_job, upload_file
from tests.spreadsheets.test_cell_limit import text, write_long_ods, write_xlsx

pytestmark = pytest.mark.django_db

# A page of the wizard or the history with a few rows is some tens of kilobytes; a cell of
# 100,000 characters shown whole would pass this at once.
PAGE_BOUND = 90_000


def upload(client, content: bytes, name: str):
    return client.post(reverse("imports:upload", args=["SOLL"]), {"file": upload_file(content, name)})


@pytest.mark.parametrize("kind", ["inline", "shared string", "ods"])
def test_an_upload_with_a_cell_over_the_limit_is_refused_with_its_row_and_column(
    importeur, client, tmp_path, settings, kind
):
    settings.IMPORT_MAX_CELL_LENGTH = 1000
    huge = "x" * 4_000_000  # 4 MB in one cell, packed to kilobytes
    if kind == "ods":
        path = write_long_ods(tmp_path / "rows.ods", text(huge))
    else:
        path = write_xlsx(tmp_path / "rows.xlsx", huge, shared=kind == "shared string")
    response = upload(client, path.read_bytes(), path.name)
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "Row 3, column C holds more than 1,000 characters, more than a cell may hold. Shorten it and upload the file again."
    ]
    assert len(response.content) < PAGE_BOUND


def long_text_csv(length: int) -> str:
    return f"Relatienummer;Onderwerp;Tekst\n10001;Brief;kort\n10002;CV;{'x' * length}\n"


def test_an_item_text_over_its_limit_is_a_too_long_problem_with_row_column_and_limit(importeur, client):
    job = start_job(long_text_csv(TEXT_MAX_LENGTH + 1))
    mapping = {"relation": {"column": "Relatienummer"}, "subject": {"column": "Onderwerp"}, "text": {"column": "Tekst"}}
    assert services.set_mapping(job=job, mapping=mapping) == []
    summary = services.validate_import(job=job).summary
    [problem] = summary.errors
    assert (problem.row, problem.column, problem.code) == (3, "Tekst", "too_long")
    assert f"{TEXT_MAX_LENGTH + 1:,} characters long, and at most {TEXT_MAX_LENGTH:,} fit" in problem.message
    assert len(problem.value) <= 200

    response = client.get(reverse("imports:check", args=[job.pk]))
    assert response.status_code == 200
    assert "Text too long" in response.text
    assert len(response.content) < PAGE_BOUND

    services.commit_import(job=job, skip_invalid=True)
    assert list(DossierItem.objects.filter(import_job=job).values_list("text", flat=True)) == ["kort"]


def test_the_mapping_page_cuts_long_column_names_and_samples(importeur, client):
    header = "Toelichting " + "y" * 5000
    rows = "".join(f"1000{n};Brief {n};{'x' * 100_000}\n" for n in range(5))
    job = start_job(f"Relatienummer;Onderwerp;{header}\n{rows}")
    assert job.headers[2] == header[:99] + "…"
    response = client.get(reverse("imports:map", args=[job.pk]))
    assert response.status_code == 200
    assert "x" * 100 not in response.text and "y" * 100 not in response.text
    assert len(response.content) < PAGE_BOUND + 5 * 100 * 3  # five samples of 100 characters, three times


def test_a_problem_quotes_a_long_value_cut_short_in_its_message(importeur, client):
    job = start_job("Relatienummer;Onderwerp;Instuurdatum\n10001;Brief;" + "9" * 100_000 + "\n")
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    [problem] = services.validate_import(job=job).summary.errors
    assert problem.code == "invalid_date"
    assert len(problem.message) < 300
    assert "9" * 59 + "…" in problem.message


def test_the_history_cuts_the_problems_of_a_job_kept_from_before(demo, client):
    job = start_job("Relatienummer;Onderwerp;Instuurdatum\n10001;" + "x" * 300 + ";03-04-2025\n")
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    services.validate_import(job=job)
    huge = "z" * 500_000  # as a job validated before the limits could have kept it
    ImportJob.objects.filter(pk=job.pk).update(
        problems=[{"row": 2, "column": "Onderwerp", "value": huge, "code": "too_long", "message": huge}],
        error_count=1,
    )
    response = signed_in(client, "importeur").get(job_url(job))
    assert response.status_code == 200
    assert "z" * 199 + "…" in response.text
    assert "z" * 1000 not in response.text
    assert len(response.content) < PAGE_BOUND + 3 * 1000
