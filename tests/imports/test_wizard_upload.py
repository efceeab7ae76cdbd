"""Step b of the wizard: the upload (a spreadsheet recognised by its content, an optional
attachments ZIP, limits answered with the limit), and the sheet step that follows it when
the workbook has several sheets or a title above its column names."""

import io
import zipfile

import pytest
from django.urls import reverse

from imports.models import ImportJob
from imports.uploads import content_format, recognised_name
from tests.imports.wizard import SOLL_CSV, start_job, upload_file, user, xlsx_bytes

pytestmark = pytest.mark.django_db


def upload_url(type_code: str = "SOLL") -> str:
    return reverse("imports:upload", args=[type_code])


def post(client, content, name, type_code="SOLL", **extra):
    return client.post(upload_url(type_code), {"file": upload_file(content, name), **extra})


# --- the upload -----------------------------------------------------------------------------


def test_it_shows_the_upload_form_with_a_csrf_token(importeur, client):
    response = client.get(upload_url())
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert b'enctype="multipart/form-data"' in response.content


def test_a_csv_goes_to_the_mapping_step(importeur, client):
    response = post(client, SOLL_CSV, "rows.csv")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:map", args=[job.pk])
    assert (job.user, job.item_type.code, job.file_name, job.state) == (importeur, "SOLL", "rows.csv", "uploaded")
    assert job.headers == ["Relatienummer", "Onderwerp", "Instuurdatum"]


def test_the_post_without_a_csrf_token_is_refused(demo):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user("importeur"))
    response = client.post(upload_url(), {"file": upload_file(SOLL_CSV, "rows.csv")})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_the_attachments_zip_is_stored_with_the_job(importeur, client):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("10001_brief.pdf", b"%PDF-1.4")
    zip_upload = upload_file(archive.getvalue(), "bijlagen.zip")
    response = client.post(upload_url(), {"file": upload_file(SOLL_CSV, "rows.csv"), "attachments": zip_upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.attachments_zip
    assert job.attachments_name == "bijlagen.zip"


def test_r21_the_profile_in_the_address_goes_with_the_job(importeur, client):
    rows = "Relatienummer;Salaris;Ingangsdatum\n10001;3000;01-01-2026\n"
    response = client.post(upload_url("CONTR") + "?profile=NIEUW", {"file": upload_file(rows, "c.csv")})
    assert response.status_code == 302
    assert ImportJob.objects.get().creation_profile.code == "NIEUW"


def test_r21_an_unknown_profile_answers_404(importeur, client):
    assert client.get(upload_url("CONTR") + "?profile=NOPE").status_code == 404


def test_a_file_the_reader_refuses_gets_its_sentence_on_the_form(importeur, client):
    response = post(client, "Relatienummer;Onderwerp\n", "rows.csv")
    assert response.status_code == 200
    assert "has column names but no rows to import" in response.context["form"].errors["file"][0]


def test_r02_zonderrechten_is_refused_with_the_reason(demo, client):
    client.force_login(user("zonderrechten"))
    response = client.get(upload_url())
    assert response.status_code == 403
    assert b"You need InSite or Profit rights" in response.content
    response = post(client, SOLL_CSV, "rows.csv")
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_r03_a_type_the_user_may_not_use_answers_404(demo, client):
    client.force_login(user("profit"))
    assert client.get(upload_url("SOLL")).status_code == 404
    assert post(client, SOLL_CSV, "rows.csv").status_code == 404
    assert not ImportJob.objects.exists()


def test_r05_a_type_that_cannot_be_imported_is_refused_with_the_reason(demo, client):
    client.force_login(user("admin"))
    response = client.get(upload_url("MEMO"))
    assert response.status_code == 403
    assert b"No destination is possible" in response.content


# --- too large ------------------------------------------------------------------------------


def test_a_file_over_the_upload_limit_gets_the_limit_and_nothing_is_stored(importeur, client, settings):
    settings.MAX_UPLOAD_SIZE = 1000
    response = post(client, SOLL_CSV + "10003;Brief;05-04-2025\n" * 100, "rows.csv")
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file is larger than 1000\xa0bytes, the most that can be uploaded. Split it into smaller files."
    ]
    assert not ImportJob.objects.exists()


def test_an_attachments_zip_over_the_limit_gets_the_limit(importeur, client, settings):
    settings.MAX_UPLOAD_SIZE = 1000
    zip_upload = upload_file(b"PK\x03\x04" + b"x" * 5000, "bijlagen.zip")
    response = client.post(upload_url(), {"file": upload_file(SOLL_CSV, "rows.csv"), "attachments": zip_upload})
    assert "larger than 1000\xa0bytes" in response.context["form"].errors["attachments"][0]
    assert not ImportJob.objects.exists()


def test_a_request_body_over_the_memory_limit_gets_the_limit_not_a_server_error(importeur, client, settings):
    """A body Django will not hold in memory (RequestDataTooBig): a form field posted as
    text instead of as a file, far over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(upload_url(), {"file": "x" * 5000})
    assert response.status_code == 413
    assert b"the most that can be uploaded" in response.content
    assert not ImportJob.objects.exists()


def test_a_non_multipart_body_over_the_memory_limit_gets_the_limit(importeur, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(upload_url(), "file=" + "x" * 5000, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert b"the most that can be uploaded" in response.content


# --- recognised by content ------------------------------------------------------------------

SOLL_XLSX_ROWS = [["Relatienummer", "Onderwerp"], ["10001", "Sollicitatiebrief"]]


def test_an_xlsx_named_csv_is_read_as_an_xlsx(importeur, client):
    response = post(client, xlsx_bytes({"Blad1": SOLL_XLSX_ROWS}), "export.csv")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.file_name == "export.xlsx"
    assert job.headers == ["Relatienummer", "Onderwerp"]
    shown = [str(m) for m in response.wsgi_request._messages]
    assert shown == ["'export.csv' holds a .xlsx file and was read as one."]


def test_a_csv_named_xlsx_is_read_as_a_csv(importeur, client):
    response = post(client, SOLL_CSV, "export.xlsx")
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.file_name == "export.csv"
    assert job.headers == ["Relatienummer", "Onderwerp", "Instuurdatum"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("tests/files/calc_source.xlsx", "xlsx"),
        ("tests/files/calc_source.ods", "ods"),
        ("tests/files/calc_source.xls", "xls"),
        ("tests/files/calc_source.csv", "csv"),
    ],
)
def test_each_format_is_recognised_by_its_content(source, expected):
    with open(source, "rb") as handle:
        assert content_format(handle) == expected
        assert handle.tell() == 0
        assert recognised_name(handle, "no-extension") == (f"no-extension.{expected}", expected)


def test_a_file_whose_extension_is_right_keeps_its_name():
    assert recognised_name(io.BytesIO(b"a;b\n1;2\n"), "rows.csv") == ("rows.csv", None)


def test_a_utf16_csv_is_recognised_as_text():
    content = "\ufeffRelatienummer\tOnderwerp\n10001\tBrief\n".encode("utf-16")
    assert recognised_name(io.BytesIO(content), "rows.xls") == ("rows.csv", "csv")


def test_a_zip_that_is_no_spreadsheet_and_a_pdf_keep_their_names():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("10001_brief.pdf", b"%PDF-1.4")
    assert recognised_name(archive, "bijlagen.xlsx") == ("bijlagen.xlsx", None)
    assert recognised_name(io.BytesIO(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), "scan.csv") == ("scan.csv", None)


def test_a_macro_workbook_keeps_its_name_so_the_reader_refuses_it(importeur, client):
    response = post(client, xlsx_bytes({"Blad1": SOLL_XLSX_ROWS}), "macros.xlsm")
    assert response.status_code == 200
    assert "workbook with macros" in response.context["form"].errors["file"][0]


def test_a_password_protected_xlsx_gets_the_password_message(importeur, client):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 600
    response = post(client, ole, "secret.csv")
    assert response.status_code == 200
    assert "protected with a password" in response.context["form"].errors["file"][0]


# --- the sheet step -------------------------------------------------------------------------


def test_a_workbook_with_several_sheets_goes_to_the_sheet_step(importeur, client):
    content = xlsx_bytes({"Items": SOLL_XLSX_ROWS, "Toelichting": [["Lees dit eerst"]]})
    response = post(client, content, "book.xlsx")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:sheet", args=[job.pk])


def test_column_names_below_empty_rows_go_to_the_sheet_step(importeur, client):
    content = xlsx_bytes({"Blad1": [[], [], *SOLL_XLSX_ROWS]})
    response = post(client, content, "book.xlsx")
    job = ImportJob.objects.get()
    assert job.header_row == 3
    assert response["Location"] == reverse("imports:sheet", args=[job.pk])


def test_a_title_above_the_column_names_goes_to_the_sheet_step(importeur, client):
    content = xlsx_bytes({"Blad1": [["Export HR"], [], *SOLL_XLSX_ROWS]})
    response = post(client, content, "book.xlsx")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:sheet", args=[job.pk])


def test_the_sheet_step_previews_the_first_rows_and_marks_hidden_sheets(importeur, client):
    content = xlsx_bytes({"Items": SOLL_XLSX_ROWS, "Oud": [["x"]]}, hidden=("Oud",))
    post(client, content, "book.xlsx")
    job = ImportJob.objects.get()
    response = client.get(reverse("imports:sheet", args=[job.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Oud (hidden)" in page
    assert "Sollicitatiebrief" in page
    assert "csrfmiddlewaretoken" in page


def test_choosing_another_sheet_and_header_row_reads_the_headers_there(importeur, client):
    content = xlsx_bytes({"Items": [["Export HR"], *SOLL_XLSX_ROWS], "Toelichting": [["Lees dit eerst"]]})
    post(client, content, "book.xlsx")
    job = ImportJob.objects.get()
    url = reverse("imports:sheet", args=[job.pk])
    preview = client.post(url, {"sheet": "Items", "header_row": "1", "preview": "1"})
    assert "Sollicitatiebrief" in preview.content.decode()
    response = client.post(url, {"sheet": "Items", "header_row": "2"})
    assert response["Location"] == reverse("imports:map", args=[job.pk])
    job.refresh_from_db()
    assert (job.sheet, job.header_row, job.headers) == ("Items", 2, ["Relatienummer", "Onderwerp"])


def test_a_first_sheet_with_column_names_only_goes_to_the_sheet_step_to_choose_the_one_with_rows(importeur, client):
    content = xlsx_bytes({"Leeg": [SOLL_XLSX_ROWS[0]], "Items": SOLL_XLSX_ROWS})
    response = post(client, content, "book.xlsx")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:sheet", args=[job.pk])
    assert job.state == ImportJob.State.UPLOADED and job.sheet == "Leeg"
    response = client.post(reverse("imports:sheet", args=[job.pk]), {"sheet": "Items", "header_row": "1"})
    assert response["Location"] == reverse("imports:map", args=[job.pk])
    job.refresh_from_db()
    assert job.sheet == "Items"


def test_a_workbook_whose_first_sheet_is_empty_is_not_refused_and_offers_the_sheet_step(importeur, client):
    content = xlsx_bytes({"Voorblad": [], "Items": SOLL_XLSX_ROWS})
    response = post(client, content, "book.xlsx")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:sheet", args=[job.pk])
    assert (job.state, job.sheet, job.headers) == ("uploaded", "Items", ["Relatienummer", "Onderwerp"])
    page = client.get(reverse("imports:sheet", args=[job.pk])).content.decode()
    assert '<option value="Items" selected>' in page
    assert "Sollicitatiebrief" in page


def test_a_comma_csv_with_a_title_offers_the_sheet_step_naming_the_row_taken_as_column_names(importeur, client):
    text = "Overzicht sollicitaties, maart\n\n" + SOLL_CSV.replace(";", ",")
    response = post(client, text.encode(), "rows.csv")
    job = ImportJob.objects.get()
    assert (job.header_row, job.headers) == (3, ["Relatienummer", "Onderwerp", "Instuurdatum"])
    assert response["Location"] == reverse("imports:sheet", args=[job.pk])
    page = client.get(reverse("imports:sheet", args=[job.pk])).content.decode()
    assert "Overzicht sollicitaties" in page  # the preview shows the title above them
    assert (
        "Row 3, highlighted, is taken as the row with the column names; the rows above it (a title or a comment) "
        "are not imported." in page
    )
    response = client.post(reverse("imports:sheet", args=[job.pk]), {"sheet": job.sheet, "header_row": "3"})
    assert response["Location"] == reverse("imports:map", args=[job.pk])


def test_an_xlsb_gets_its_own_sentence_on_the_form(importeur, client):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("xl/workbook.bin", b"\x83\x01\x00")
    response = post(client, archive.getvalue(), "rows.xlsb")
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "'rows.xlsb' is an Excel binary workbook (.xlsb), which is not read. Save it as .xlsx (Excel workbook) "
        "and upload that file."
    ]


def test_a_header_row_without_rows_under_it_gets_one_sentence(importeur, client):
    content = xlsx_bytes({"Items": SOLL_XLSX_ROWS, "Toelichting": [["Lees dit eerst"]]})
    post(client, content, "book.xlsx")
    job = ImportJob.objects.get()
    response = client.post(reverse("imports:sheet", args=[job.pk]), {"sheet": "Toelichting", "header_row": "1"})
    assert response.status_code == 200
    assert "no rows under them to import" in response.context["form"].errors["header_row"][0]
    job.refresh_from_db()
    assert (job.sheet, job.headers) == ("Items", ["Relatienummer", "Onderwerp"])


def test_the_sheet_step_of_another_users_job_answers_404(demo, client):
    job = start_job(username="admin")
    client.force_login(user("importeur"))
    assert client.get(reverse("imports:sheet", args=[job.pk])).status_code == 404


def test_the_sheet_step_refuses_zonderrechten_with_the_reason(demo, client):
    job = start_job()
    client.force_login(user("zonderrechten"))
    response = client.get(reverse("imports:sheet", args=[job.pk]))
    assert response.status_code == 403
    assert b"You need InSite or Profit rights" in response.content


def test_the_sheet_step_of_a_mapped_job_sends_the_user_on(importeur, client):
    from imports import services

    job = start_job()
    services.set_mapping(job=job, mapping=services.suggest_mapping_for(job))
    response = client.get(reverse("imports:sheet", args=[job.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:check", args=[job.pk])


def test_an_attachments_file_that_is_no_zip_gets_one_sentence_on_its_field(importeur, client):
    zip_upload = upload_file(b"this is no zip", "bijlagen.zip")
    response = client.post(upload_url(), {"file": upload_file(SOLL_CSV, "rows.csv"), "attachments": zip_upload})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["attachments"] == ["The attachments file is not a valid ZIP archive."]
    assert not ImportJob.objects.exists()
