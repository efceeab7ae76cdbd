"""The reconciliation workbook (issue 15 part 5): the user's own sheet back with every row's
status, the offending cells commented, every value formula-safe; and uploaded again, only its
open rows imported: rows already created are recognised, also when their status was edited."""

import csv
import io
import json

import openpyxl
import pytest
from django.utils import translation

from dossier.models import DossierItem, ItemType
from imports import services
from imports.models import ImportJob
from imports.pipeline import reconciliation
from imports.pipeline.mapping import header_key, suggest_mapping
from imports.pipeline.reconciliation import RowFingerprints, is_status_column, status_numbers
from imports.services.rows import spec_for
from tests.imports.wizard import user, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADERS = ["Relatienummer", "Onderwerp", "Instuurdatum", "Opmerking"]
# Rows 2 and 4 are invalid: an unknown relation, a date that cannot be read.
ROWS = [
    ["10001", "Sollicitatiebrief", "03-04-2025", "=1+1"],
    ["99999", "CV", "04-04-2025", "onbekend"],
    ["10002", "Diploma", "05-04-2025", None],
    ["10003", "Referentie", "31-31-2025", "@kantoor"],
]


def start(content: bytes, name: str, *, corrects=None):
    job = services.start_import(
        user=user("importeur"),
        item_type=ItemType.objects.get(code="SOLL"),
        file=io.BytesIO(content),
        file_name=name,
        corrects=corrects,
    )
    mapping = {
        "relation": {"column": "Relatienummer"},
        "subject": {"column": "Onderwerp"},
        "submitted_at": {"column": "Instuurdatum"},
        "not_imported": ["Opmerking"],  # a column no field takes is left out on purpose
    }
    assert services.set_mapping(job=job, mapping=mapping) == []
    return job


def sheet_bytes(rows, headers=HEADERS, title="Brieven") -> bytes:
    """An .xlsx of the rows; a text starting with = stays a text cell (no formula)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for values in [headers, *rows]:
        sheet.append(values)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def workbook_of(job, tmp_path, fmt="xlsx"):
    target = tmp_path / f"status.{fmt}"
    services.write_reconciliation_file(job=job, target=target)
    return target


def imported_with_two_bad_rows(tmp_path):
    job = start(sheet_bytes(ROWS), "brieven.xlsx")
    services.validate_import(job=job)
    services.commit_import(job=job, skip_invalid=True)
    job.refresh_from_db()
    return job


def test_after_the_check_every_row_has_its_status_and_the_bad_cells_a_comment(demo, tmp_path):
    job = start(sheet_bytes(ROWS), "brieven.xlsx")
    services.validate_import(job=job)
    book = openpyxl.load_workbook(workbook_of(job, tmp_path))
    sheet = book["Brieven"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [*HEADERS, "Import status"]
    assert [row[:4] for row in rows[1:]] == ROWS  # every row, its own cells, "=1+1" as text
    assert sheet["D2"].data_type == "s" and sheet["D5"].value == "@kantoor"
    assert rows[1][4] == rows[3][4] == "Ready to import"
    assert rows[2][4].startswith("Invalid: Relatienummer: ")
    assert rows[4][4].startswith("Invalid: Instuurdatum: ")
    assert "99999" in sheet["A3"].comment.text
    assert sheet["C5"].comment is not None and sheet["A5"].comment is None
    assert sheet["B3"].comment is None


def test_after_the_import_the_status_names_the_items_each_row_created(demo, tmp_path):
    job = imported_with_two_bad_rows(tmp_path)
    numbers = dict(DossierItem.objects.filter(import_job=job).values_list("subject", "number"))
    sheet = openpyxl.load_workbook(workbook_of(job, tmp_path)).active
    assert sheet["E2"].value == f"Created: item {numbers['Sollicitatiebrief']}"
    assert sheet["E4"].value == f"Created: item {numbers['Diploma']}"
    assert sheet["E3"].value.startswith("Invalid, not imported: ")


def test_the_csv_gets_the_same_status_column_and_formula_safe_cells(demo, tmp_path):
    text = "Relatienummer;Onderwerp;Instuurdatum;Opmerking\n10001;Brief;03-04-2025;=1+1\n99999;CV;04-04-2025;x\n"
    job = start(text.encode(), "brieven.csv")
    services.validate_import(job=job)
    target = workbook_of(job, tmp_path, "csv")
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == [*HEADERS, "Import status"]
    assert rows[1] == ["10001", "Brief", "03-04-2025", "'=1+1", "Ready to import"]
    assert rows[2][4].startswith("Invalid: Relatienummer: ")


def test_the_status_is_in_the_readers_language(demo, tmp_path):
    job = imported_with_two_bad_rows(tmp_path)
    with translation.override("nl"):
        sheet = openpyxl.load_workbook(workbook_of(job, tmp_path)).active
    assert sheet["E1"].value == "Importstatus"
    assert sheet["E2"].value.startswith("Aangemaakt: ")


def test_the_workbook_keeps_the_header_row_and_row_numbers_of_the_file(demo, tmp_path):
    content = xlsx_bytes({"Brieven": [["Brieven van april"], [], HEADERS, *ROWS[:2]]})
    job = services.start_import(
        user=user("importeur"),
        item_type=ItemType.objects.get(code="SOLL"),
        file=io.BytesIO(content),
        file_name="brieven.xlsx",
        header_row=3,
    )
    services.set_mapping(job=job, mapping={"relation": {"column": "Relatienummer"}})
    services.validate_import(job=job)
    sheet = openpyxl.load_workbook(workbook_of(job, tmp_path)).active
    assert sheet["A3"].value == "Relatienummer" and sheet["E3"].value == "Import status"
    assert sheet["A5"].value == "99999" and "row 5" not in (sheet["E5"].value or "row 5")


def test_uploaded_again_only_the_open_rows_are_imported(demo, tmp_path):
    job = imported_with_two_bad_rows(tmp_path)
    before = DossierItem.objects.count()
    book = openpyxl.load_workbook(workbook_of(job, tmp_path))
    sheet = book.active
    sheet["A3"] = "10004"  # the fixes
    sheet["C5"] = "06-04-2025"
    stream = io.BytesIO()
    book.save(stream)
    again = start(stream.getvalue(), "brieven-status.xlsx")
    assert "relation" in services.suggest_mapping_for(again)  # the status column is no field
    services.validate_import(job=again)
    again.refresh_from_db()
    assert (again.row_count, again.valid_row_count, again.invalid_row_count, again.recognised_row_count) == (4, 2, 0, 2)
    assert again.duplicate_row_count == 0  # rows recognised as created are no probable duplicates
    result = services.commit_import(job=again)
    assert result.items_created == 2 and result.rows_created_before == 2
    assert DossierItem.objects.count() == before + 2
    subjects = set(DossierItem.objects.filter(import_job=again).values_list("subject", flat=True))
    assert subjects == {"CV", "Referentie"}
    # Its own workbook names every row's items: two created before, two created now.
    again.refresh_from_db()
    statuses = [status.kind for status in services.read_row_statuses(again)]
    assert statuses == ["created"] * 4


def test_a_created_row_is_recognised_by_its_content_when_its_status_was_erased(demo, tmp_path):
    job = imported_with_two_bad_rows(tmp_path)
    sheet_rows = [[*row, None] for row in ROWS]  # the status column, emptied by the user
    again = start(sheet_bytes(sheet_rows, [*HEADERS, "Import status"]), "brieven.xlsx", corrects=job)
    services.validate_import(job=again)
    again.refresh_from_db()
    assert again.recognised_row_count == 2 and again.invalid_row_count == 2


def test_a_created_row_whose_cells_were_changed_is_recognised_by_its_numbers(demo, tmp_path):
    job = imported_with_two_bad_rows(tmp_path)
    sheet = openpyxl.load_workbook(workbook_of(job, tmp_path)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    rows[0][1] = "Sollicitatiebrief (gewijzigd)"  # changed after it was created
    again = start(sheet_bytes(rows, [*HEADERS, "Import status"]), "brieven.xlsx")
    services.validate_import(job=again)
    again.refresh_from_db()
    assert again.recognised_row_count == 2


def test_a_status_copied_onto_an_open_row_does_not_make_it_created(demo, tmp_path):
    job = imported_with_two_bad_rows(tmp_path)
    sheet = openpyxl.load_workbook(workbook_of(job, tmp_path)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    rows[1][4] = rows[0][4]  # row 3 now claims row 2's item; row 2 is unchanged
    rows[1][0] = "10004"
    again = start(sheet_bytes(rows, [*HEADERS, "Import status"]), "brieven.xlsx")
    services.validate_import(job=again)
    again.refresh_from_db()
    assert again.recognised_row_count == 2  # rows 2 and 4 of the first import
    assert again.valid_row_count == 1  # row 3 stays open: validated, to be imported


def test_rows_of_an_undone_import_are_open_again(demo, tmp_path):
    job = imported_with_two_bad_rows(tmp_path)
    content = workbook_of(job, tmp_path).read_bytes()
    services.undo_import(job=job, user=user("importeur"))
    again = start(content, "brieven-status.xlsx")
    services.validate_import(job=again)
    again.refresh_from_db()
    assert again.recognised_row_count == 0 and again.valid_row_count == 2


def test_another_types_items_are_never_taken_for_created_rows(demo, tmp_path):
    job = imported_with_two_bad_rows(tmp_path)
    job.item_type = ItemType.objects.get(code="CORR")
    assert services.recognised_rows(job) == {}


def test_the_status_column_is_recognised_in_both_languages_and_is_no_field(demo):
    assert is_status_column("Import status") and is_status_column(" importstatus ")
    assert not is_status_column("Status")
    spec = spec_for(ImportJob(item_type=ItemType.objects.get(code="SOLL")))
    mapping = suggest_mapping(spec, ["Relatienummer", "Onderwerp", "Import status"])
    assert {"column": "Import status"} not in mapping.values()
    assert header_key(["Relatienummer", "Onderwerp", "Import status"]) == header_key(["Onderwerp", "Relatienummer"])


def test_a_fingerprint_ignores_column_order_the_status_and_the_format():
    first = RowFingerprints(["A", "B"]).of(("10001", 12.0))
    assert first == RowFingerprints(["B", "A", "Import status"]).of((12, "10001", "Created: 5"))
    assert first != RowFingerprints(["A", "B"]).of(("10001", 13))


def test_status_numbers_are_read_from_the_text_or_a_number():
    assert status_numbers("Created: items 12, 13") == (12, 13)
    assert status_numbers(14.0) == (14,)
    assert status_numbers(None) == ()


def test_each_created_row_is_recognised_once():
    created = reconciliation.CreatedRows()
    created.add("same", [5])
    created.add("same", [6])
    found = reconciliation.recognise([(2, "same", ()), (3, "same", ()), (4, "same", ())], created)
    assert found == {2: (5,), 3: (6,)}


def test_the_wizards_corrected_upload_records_the_import_it_corrects(demo, client, tmp_path):
    from django.urls import reverse

    from tests.imports.wizard import upload_file

    job = imported_with_two_bad_rows(tmp_path)
    client.force_login(user("importeur"))
    url = reverse("imports:upload", args=["SOLL"]) + f"?corrects={job.pk}"
    response = client.post(url, {"file": upload_file(sheet_bytes(ROWS[:1]), "brieven.xlsx")})
    assert response.status_code == 302
    latest = ImportJob.objects.exclude(pk=job.pk).latest("created_at")
    assert latest.corrects_id == job.pk


def test_the_result_page_offers_the_workbook_and_the_corrected_upload(demo, client, tmp_path):
    from django.urls import reverse

    job = imported_with_two_bad_rows(tmp_path)
    client.force_login(user("importeur"))
    content = client.get(reverse("imports:result", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("admin:imports_importjob_download", args=[job.pk, "workbook-xlsx"]) in content
    assert 'id="result-upload-corrected"' in content and f"corrects={job.pk}" in content


def test_the_command_line_leaves_the_rows_created_before_alone_and_says_so(demo, tmp_path):
    from tests.imports.commands import import_items

    job = imported_with_two_bad_rows(tmp_path)
    workbook = workbook_of(job, tmp_path)
    # 03-04-2025 and the like do not say whether the day or the month comes first: the mapping does
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps({**job.mapping, "submitted_at": {"column": "Instuurdatum", "date_order": "dmy"}}), encoding="utf-8"
    )
    code, out, err = import_items(
        workbook,
        "--type",
        "SOLL",
        "--user",
        "importeur",
        "--skip-invalid",
        "--ignore-column",
        "Opmerking",
        "--mapping",
        mapping,
    )
    assert code == 0, err
    assert "2 rows were created by an earlier import already" in out
    assert "Import status" not in err  # no column not imported
    assert DossierItem.objects.filter(item_type__code="SOLL", subject="Sollicitatiebrief").count() == 1
