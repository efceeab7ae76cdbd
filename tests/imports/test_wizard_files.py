"""Files first in the wizard (issue 17, part 1): a ZIP uploaded without a spreadsheet becomes
the proposal page (a row per file, editable, downloadable), and "Continue" makes the job an
uploaded spreadsheet like any other, on to the columns step."""

import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from dossier.models import ItemType
from imports import services
from imports.models import ImportJob
from tests.imports.wizard import SOLL_CSV, upload_file, user

pytestmark = pytest.mark.django_db


def zip_bytes(names: dict[str, bytes]) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, content in names.items():
            zipped.writestr(name, content)
    return archive.getvalue()


DOCS = {"10001 CV Jansen.pdf": b"%PDF-1.4 a", "E0002 - diploma.pdf": b"%PDF-1.4 b", "99999 brief.pdf": b"%PDF-1.4 c"}


def upload_zip(client, names=DOCS, type_code="SOLL"):
    return client.post(
        reverse("imports:upload", args=[type_code]), {"attachments": upload_file(zip_bytes(names), "docs.zip")}
    )


def files_url(job) -> str:
    return reverse("imports:files", args=[job.pk])


def files_first_job(username="importeur"):
    return services.start_files_first(
        user=user(username),
        item_type=ItemType.objects.get(code="SOLL"),
        archive=io.BytesIO(zip_bytes(DOCS)),
        archive_name="docs.zip",
    )


def test_a_zip_without_a_spreadsheet_goes_to_the_proposal(importeur, client):
    response = upload_zip(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == files_url(job)
    page = client.get(files_url(job)).content.decode()
    assert "10001 CV Jansen.pdf" in page and 'value="10002"' in page
    assert "No organisation/person has this number." in page
    assert "1 item has no organisation/person yet" in page


def test_the_upload_page_of_a_type_with_attachments_says_a_zip_may_come_alone(importeur, client):
    page = client.get(reverse("imports:upload", args=["SOLL"])).content.decode()
    assert "without a spreadsheet" in page


def test_neither_a_spreadsheet_nor_a_zip_is_refused_with_the_choice(importeur, client):
    response = client.post(reverse("imports:upload", args=["SOLL"]), {})
    assert response.status_code == 200
    assert "Choose a spreadsheet, or a ZIP of documents" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_type_without_attachments_still_needs_its_spreadsheet(importeur, client):
    response = upload_zip(client, type_code="KLACHT")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_spreadsheet_with_its_zip_still_goes_to_the_columns(importeur, client):
    response = client.post(
        reverse("imports:upload", args=["SOLL"]),
        {"file": upload_file(SOLL_CSV, "rows.csv"), "attachments": upload_file(zip_bytes(DOCS), "docs.zip")},
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:map", args=[job.pk])
    assert job.proposal == []


def test_a_change_set_is_one_post_and_continue_goes_to_the_columns(importeur, client):
    job = files_first_job()
    # 0: "10001 CV Jansen.pdf", 1: "99999 brief.pdf", 2: "E0002 - diploma.pdf"
    data = {
        "relation-0": "10001",
        "subject-0": "CV",
        "item-0": "1",
        "relation-1": "E0003",
        "subject-1": "Brief",
        "item-1": "2",
        "left_out-1": "",
        "relation-2": "10002",
        "subject-2": "Diploma",
        "item-2": "1",
        "save": "Save changes",
    }
    response = client.post(files_url(job), data)
    assert response.status_code == 302 and response["Location"] == files_url(job)
    entries = services.proposal_of(ImportJob.objects.get(pk=job.pk))
    assert [(e.relation, e.subject, e.item) for e in entries] == [
        ("10001", "CV", 1),
        ("10003", "Brief", 2),
        ("10002", "Diploma", 1),
    ]
    response = client.post(files_url(job), {**data, "left_out-1": "on", "continue": "Continue"})
    assert response["Location"] == reverse("imports:map", args=[job.pk])
    job.refresh_from_db()
    assert job.headers == ["Organisation/person *", "Subject", "Attachment"]
    assert client.get(files_url(job))["Location"] == reverse("imports:map", args=[job.pk])


def test_the_proposal_downloads_as_a_formula_safe_spreadsheet(importeur, client):
    job = files_first_job()
    services.change_proposal(job=job, changes={1: {"subject": "=1+1"}})
    response = client.get(files_url(job) + "?download=1")
    assert response["Content-Disposition"] == 'attachment; filename="docs.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Organisation/person *", "Subject", "Attachment"]
    assert rows[2] == [None, "=1+1", "99999 brief.pdf"]
    assert sheet["B3"].data_type == "s"  # text, never a formula


def test_the_map_step_of_a_proposal_sends_back_to_the_proposal(importeur, client):
    job = files_first_job()
    assert client.get(reverse("imports:map", args=[job.pk]))["Location"] == files_url(job)


def test_another_users_proposal_answers_404(demo, client):
    job = files_first_job(username="admin")
    client.force_login(user("importeur"))
    assert client.get(files_url(job)).status_code == 404
    assert client.post(files_url(job), {}).status_code == 404
    assert client.get(files_url(job) + "?download=1").status_code == 404


def test_r02_zonderrechten_is_refused_with_the_reason(demo, client):
    job = files_first_job()
    client.force_login(user("zonderrechten"))
    response = client.get(files_url(job))
    assert response.status_code == 403


def test_several_documents_without_a_zip_are_proposed_as_one_item_each(importeur, client):
    documents = [upload_file(b"%PDF-1.4 a", "10001 CV.pdf"), upload_file(b"%PDF-1.4 b", "E0002 diploma.pdf")]
    response = client.post(reverse("imports:upload", args=["SOLL"]), {"documents": documents})
    job = ImportJob.objects.get()
    assert response["Location"] == files_url(job)
    entries = services.proposal_of(job)
    assert [(e.path, e.relation, e.subject) for e in entries] == [
        ("10001 CV.pdf", "10001", "CV"),
        ("E0002 diploma.pdf", "10002", "diploma"),
    ]
    assert job.attachments_name == "documents.zip"


def test_documents_and_a_spreadsheet_together_are_refused(importeur, client):
    response = client.post(
        reverse("imports:upload", args=["SOLL"]),
        {"file": upload_file(SOLL_CSV, "rows.csv"), "documents": [upload_file(b"%PDF", "10001 CV.pdf")]},
    )
    assert response.status_code == 200
    assert "not both" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_sheet_step_of_a_proposal_sends_back_to_the_proposal(importeur, client):
    job = files_first_job()
    assert client.get(reverse("imports:sheet", args=[job.pk]))["Location"] == files_url(job)


def test_the_history_shows_a_proposal_and_leads_back_to_it(importeur, client):
    job = files_first_job()
    response = client.get(reverse("admin:imports_importjob_change", args=[job.pk]))
    assert response.status_code == 200
    assert "docs.zip" in response.content.decode()


def test_a_proposal_is_discarded_with_its_zip(importeur, client):
    job = files_first_job()
    stored = job.attachments_zip.name
    response = client.post(reverse("imports:discard", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJob.State.DISCARDED
    assert not job.attachments_zip.storage.exists(stored)
