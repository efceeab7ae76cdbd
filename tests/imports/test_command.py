"""manage.py import_items: exit codes, JSON summary, bad files. Runs on the demo world."""

import json

import openpyxl
import pytest

from dossier.models import DossierItem
from imports.models import ImportJob
from tests.imports.commands import import_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def soll_csv(tmp_path):
    path = tmp_path / "soll.csv"
    path.write_text("Relatienummer;Onderwerp\n10001;Sollicitatiebrief\n10002;CV\n", encoding="utf-8")
    return path


@pytest.fixture
def bad_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Relatienummer;Onderwerp\n10001;Sollicitatiebrief\nE0002;CV\n", encoding="utf-8")
    return path


def test_it_imports_and_prints_a_json_summary(demo, soll_csv):
    code, out, err = import_items(soll_csv, "--type", "SOLL", "--user", "importeur", "--json")
    assert code == 0
    summary = json.loads(out)
    assert {k: summary[k] for k in ("state", "rows", "valid_rows", "invalid_rows", "items_created")} == {
        "state": "done",
        "rows": 2,
        "valid_rows": 2,
        "invalid_rows": 0,
        "items_created": 2,
    }
    assert [p for p in summary["problems"] if not p["is_warning"]] == []
    assert {p["code"] for p in summary["problems"]} == {"submitter_filled_in", "submit_date_filled_in", "set_by_type"}
    assert summary["job"]
    assert ImportJob.objects.get(pk=summary["job"]).source == "command line"
    assert '"relation"' in err  # the mapping it used, on stderr
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 2


def test_a_dry_run_stores_nothing_and_exits_0_when_the_file_is_clean(demo, soll_csv):
    from imports.models import ImportJob
    from imports.services import staging_path

    code, out, _err = import_items(soll_csv, "--type", "SOLL", "--user", "importeur", "--dry-run")
    assert code == 0
    assert "2 valid, 0 invalid" in out
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()
    assert not staging_path(ImportJob.objects.get()).exists()


def test_invalid_rows_exit_1_and_store_nothing_with_every_problem_listed(demo, bad_csv):
    code, out, _err = import_items(bad_csv, "--type", "SOLL", "--user", "importeur", "--json")
    assert code == 1
    summary = json.loads(out)
    assert (summary["state"], summary["invalid_rows"], summary["items_created"]) == ("validated", 1, 0)
    (problem,) = [p for p in summary["problems"] if not p["is_warning"]]
    assert problem == {
        "row": 3,
        "column": "Relatienummer",
        "value": "E0002",
        "code": "relation_not_found",
        "message": problem["message"],
        "is_warning": False,
    }
    assert "Use relation number 10002 instead" in problem["message"]
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()


def test_a_dry_run_with_errors_exits_1(demo, bad_csv):
    code, out, _err = import_items(bad_csv, "--type", "SOLL", "--user", "importeur", "--dry-run")
    assert code == 1
    assert "error row 3, column 'Relatienummer', value 'E0002': [relation_not_found]" in out


def test_skip_invalid_imports_the_valid_rows_and_writes_the_rejected_ones(demo, bad_csv, tmp_path):
    rejected = tmp_path / "rejected.xlsx"
    code, out, _err = import_items(
        bad_csv, "--type", "SOLL", "--user", "importeur", "--skip-invalid", "--rejected-out", rejected, "--json"
    )
    assert code == 0
    summary = json.loads(out)
    assert (summary["items_created"], summary["rows_imported"], summary["rows_left_out"]) == (1, 1, 1)
    rows = list(openpyxl.load_workbook(rejected).active.values)
    assert rows[0] == ("Relatienummer", "Onderwerp", "Problems")
    assert rows[1][:2] == ("E0002", "CV")


def test_a_mapping_file_with_a_fixed_relation_is_used(demo, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("Titel\nBrief\nCV\n", encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"relation": {"fixed": "10005"}, "subject": "Titel"}), encoding="utf-8")
    code, _out, _err = import_items(rows, "--type", "SOLL", "--user", "importeur", "--mapping", mapping)
    assert code == 0
    assert list(
        DossierItem.objects.filter(item_type__code="SOLL").values_list("relation__number", "subject").order_by("number")
    ) == [
        ("10005", "Brief"),
        ("10005", "CV"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "SOLL", "--user", "zonderrechten"], "InSite or Profit rights"),
        (["--type", "SOLL", "--user", "profit"], "not authorised for item type SOLL"),
        (["--type", "MEMO", "--user", "admin"], "No destination is possible"),
        (["--type", "NOPE", "--user", "admin"], "There is no item type NOPE"),
        (["--type", "SOLL", "--user", "nobody"], "There is no user nobody"),
        (["--type", "SOLL", "--user", "importeur", "--profile", "NIEUW"], "has no creation profile NIEUW"),
    ],
)
def test_a_refused_import_exits_2_with_one_sentence(demo, soll_csv, args, message):
    code, out, err = import_items(soll_csv, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("headers.csv", b"Relatienummer;Onderwerp\n", "no rows to import"),
        ("photo.png", b"\x89PNG\r\n", "is not a spreadsheet"),
        ("broken.xlsx", b"PK\x03\x04garbage", "not a valid Excel file"),
        ("secret.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "protected with a password"),
        ("binary.csv", b"\x00\x01\x02\x03", "not a text"),
    ],
)
def test_a_bad_file_exits_2_with_one_clear_sentence(demo, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = import_items(path, "--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


def test_a_file_over_the_limit_exits_2(demo, soll_csv, settings):
    settings.IMPORT_MAX_FILE_SIZE = 10
    code, _out, err = import_items(soll_csv, "--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert "at most" in err


def test_a_mapping_without_the_required_relation_exits_2(demo, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("Titel\nBrief\n", encoding="utf-8")
    code, _out, err = import_items(rows, "--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert "Organisation/person is required" in err


def test_a_missing_file_exits_2(demo, tmp_path):
    code, _out, err = import_items(tmp_path / "nope.csv", "--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert "does not exist" in err


def test_attachments_come_from_the_zip(demo, tmp_path):
    import zipfile

    rows = tmp_path / "rows.csv"
    rows.write_text(
        "Relatienummer;Onderwerp;Bijlage\n10001;CV;\\\\client\\C$\\Import\\10001_cv.pdf\n", encoding="utf-8"
    )
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("Import/10001_cv.pdf", b"%PDF cv")
    code, _out, _err = import_items(rows, "--type", "SOLL", "--user", "importeur", "--attachments", archive)
    assert code == 0
    item = DossierItem.objects.get(item_type__code="SOLL")
    assert item.attachments.get().original_name == "10001_cv.pdf"


def test_a_file_full_of_mistakes_counts_them_all_and_lists_the_first(demo, tmp_path, monkeypatch):
    from imports.services import validating

    monkeypatch.setattr(validating, "MAX_STORED_PROBLEMS", 5)  # and one warning (a fifth)
    rows = tmp_path / "rows.csv"
    rows.write_text("Relatienummer;Onderwerp\n" + "".join(f"E{n:04d};CV\n" for n in range(1, 21)), encoding="utf-8")
    code, out, _err = import_items(rows, "--type", "SOLL", "--user", "importeur", "--json")
    summary = json.loads(out)
    errors = [p for p in summary["problems"] if not p["is_warning"]]  # 5 errors and 1 warning kept
    assert (code, summary["invalid_rows"], summary["errors"], len(errors), len(summary["problems"])) == (
        1,
        20,
        20,
        5,
        6,
    )


def test_a_file_imported_before_is_refused_with_its_date_user_and_count_unless_again(demo, soll_csv):
    from django.utils import timezone

    from imports.models import ImportJob

    assert import_items(soll_csv, "--type", "SOLL", "--user", "importeur")[0] == 0
    first = ImportJob.objects.get()
    code, out, err = import_items(soll_csv, "--type", "SOLL", "--user", "admin")
    assert code == 2
    when = timezone.localtime(first.finished_at).strftime("%d-%m-%Y %H:%M")
    assert err.strip().splitlines()[-1] == (
        f"This file was imported before for type SOLL: on {when} by importeur, 2 items (import {first.pk})."
        " Give --again to import it once more."
    )
    assert "Traceback" not in out + err
    refused = ImportJob.objects.exclude(pk=first.pk).get()
    assert refused.state == "cancelled" and refused.error_message.startswith("This file was imported before")
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 2

    code, out, _err = import_items(soll_csv, "--type", "SOLL", "--user", "admin", "--again", "--json")
    summary = json.loads(out)
    assert (code, summary["items_created"], summary["earlier_import"]["job"]) == (0, 2, str(first.pk))
    assert summary["earlier_import"]["items_created"] == 2 and summary["earlier_import"]["user"] == "importeur"
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 4


def test_a_dry_run_of_a_file_imported_before_says_so_and_keeps_its_exit_code(demo, soll_csv):
    assert import_items(soll_csv, "--type", "SOLL", "--user", "importeur")[0] == 0
    code, out, _err = import_items(soll_csv, "--type", "SOLL", "--user", "importeur", "--dry-run")
    assert code == 0
    assert "This file was imported before for type SOLL" in out


def test_the_first_line_names_the_sheet_that_was_read(demo, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Blad1"
    workbook.active.append(["Relatienummer", "Onderwerp"])
    workbook.active.append(["10001", "CV"])
    workbook.save(tmp_path / "docs.xlsx")
    code, out, _err = import_items(tmp_path / "docs.xlsx", "--type", "SOLL", "--user", "importeur")
    assert code == 0
    assert out.splitlines()[0].startswith("Import ") and "(SOLL, docs.xlsx, sheet 'Blad1'): done." in out
    code, out, _err = import_items(tmp_path / "docs.xlsx", "--type", "SOLL", "--user", "importeur", "--json", "--again")
    assert json.loads(out)["sheet"] == "Blad1"


def test_a_first_sheet_with_column_names_only_names_the_other_sheets(demo, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Leeg"
    workbook.active.append(["Relatienummer", "Onderwerp"])
    rows = workbook.create_sheet("Items")
    rows.append(["Relatienummer", "Onderwerp"])
    rows.append(["10001", "CV"])
    workbook.save(tmp_path / "docs.xlsx")
    code, _out, err = import_items(tmp_path / "docs.xlsx", "--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert "no rows to import on sheet 'Leeg'. Its other sheets are 'Items'" in err
    code, _out, _err = import_items(tmp_path / "docs.xlsx", "--type", "SOLL", "--user", "importeur", "--sheet", "Items")
    assert code == 0


def test_a_csv_names_no_sheet(demo, soll_csv):
    code, out, _err = import_items(soll_csv, "--type", "SOLL", "--user", "importeur")
    assert code == 0 and "(SOLL, soll.csv): done." in out


def test_a_zip_member_whose_checksum_lies_exits_2_with_one_sentence(demo, tmp_path):
    from imports.models import ImportJob
    from tests.imports.test_attachments import lying_zip

    rows = tmp_path / "rows.csv"
    rows.write_text("Relatienummer;Onderwerp;Bijlage\n10001;CV;10001_cv.pdf\n", encoding="utf-8")
    archive = lying_zip(tmp_path / "docs.zip", "Import/10001_cv.pdf", crc=99)
    code, out, err = import_items(rows, "--type", "SOLL", "--user", "importeur", "--attachments", archive)
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "'Import/10001_cv.pdf' in the attachments ZIP is damaged (its size or checksum does not match its contents);"
        " make the ZIP again."
    )
    assert "Traceback" not in out + err
    assert ImportJob.objects.get().state == "failed"
    assert not DossierItem.objects.exists() or not DossierItem.objects.filter(item_type__code="SOLL").exists()


def test_rejected_rows_that_cannot_be_written_exit_2_store_nothing_and_cancel_the_job(demo, bad_csv, tmp_path):
    from imports.models import ImportJob

    target = tmp_path / "no such folder" / "rejected.xlsx"
    code, out, err = import_items(
        bad_csv, "--type", "SOLL", "--user", "importeur", "--skip-invalid", "--rejected-out", target
    )
    assert code == 2
    assert (
        err.strip().splitlines()[-1]
        == "The rejected rows could not be written to rejected.xlsx: No such file or directory."
    )
    assert "Traceback" not in out + err
    job = ImportJob.objects.get()
    assert job.state == "cancelled" and job.error_message.startswith("The rejected rows could not be written")
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()


def test_a_control_character_in_a_rejected_row_written_to_xlsx_gives_no_traceback(demo, tmp_path, monkeypatch):
    import gc
    import sys

    from imports.models import ImportJob

    unraisable = []  # what Python would print to stderr as "Exception ignored in ...", with a traceback
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    rows = tmp_path / "rows.csv"
    rows.write_text("Relatienummer;Onderwerp\n10001;CV\nE0002;Brief \x1b[31m rood\n", encoding="utf-8")
    target = tmp_path / "rejected.xlsx"
    code, out, err = import_items(rows, "--type", "SOLL", "--user", "importeur", "--rejected-out", target)
    gc.collect()
    assert "Traceback" not in out + err and unraisable == []
    job = ImportJob.objects.get()
    if code == 2:  # the cell writer cannot hold it: one sentence, and the job says why it stopped
        assert job.state == "cancelled" and err.strip().splitlines()[-1] == job.error_message
        assert not target.exists()
    else:
        assert code == 1 and job.state == "validated"
        assert list(openpyxl.load_workbook(target).active.values)[1][0] == "E0002"


def test_a_file_that_cannot_be_read_exits_2_with_one_sentence(demo, soll_csv, monkeypatch):
    import errno
    import pathlib

    original = pathlib.Path.open

    def refusing(self, *args, **kwargs):
        if self == soll_csv:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", refusing)
    code, out, err = import_items(soll_csv, "--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert err.strip() == f"The file {soll_csv} cannot be read: Permission denied."
    assert "Traceback" not in out + err


def test_a_column_holding_data_no_field_takes_is_refused_until_it_is_ignored_by_name(demo, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("Relatienummer;Onderwerp;Afdeling\n10001;Brief;\n10002;Brief;HR\n", encoding="utf-8")
    code, out, err = import_items(rows, "--type", "SOLL", "--user", "importeur", "--json")
    assert code == 2
    assert "Columns hold data that no field takes: 'Afdeling' (C, from row 3)." in err
    assert "--ignore-column" in err
    assert not DossierItem.objects.filter(import_job__isnull=False).exists()

    code, out, err = import_items(
        rows, "--type", "SOLL", "--user", "importeur", "--json", "--ignore-column", "Afdeling"
    )
    assert code == 0
    assert "Warning: Column 'Afdeling' (C) is not imported: no field takes it." in err
    summary = json.loads(out)
    assert summary["not_imported_columns"] == [{"column": "Afdeling", "letter": "C"}]
    assert [(c["letter"], c["row"], c["confirmed"]) for c in summary["left_out_columns"]] == [("C", 3, True)]


def test_every_column_taken_means_no_not_imported_warning(demo, soll_csv):
    code, out, err = import_items(soll_csv, "--type", "SOLL", "--user", "importeur", "--json")
    assert code == 0
    assert "is not imported" not in err
    assert json.loads(out)["not_imported_columns"] == []


def test_the_help_is_in_the_language_of_the_run_with_two_examples():
    from django.utils import translation

    from imports.management.commands.import_items import Command

    with translation.override("nl"):
        dutch = Command().create_parser("manage.py", "import_items").format_help()
    with translation.override("en"):
        english = Command().create_parser("manage.py", "import_items").format_help()
    assert "Importeer nieuwe dossieritems" in dutch and "alleen controleren; niets opslaan" in dutch
    assert "Voorbeelden:" in dutch and dutch.count("manage.py import_items brieven.xlsx") == 2
    assert "Import new dossier items" in english and "validate only; store nothing" in english
    assert "Examples:" in english and english.count("manage.py import_items letters.xlsx") == 2
