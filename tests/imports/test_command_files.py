"""manage.py import_items --files DIR_OR_ZIP: files first on the command line, through the
wizard's own proposal (imports/services/proposing.py), then the usual run and its options."""

import json
import zipfile

import openpyxl
import pytest

from dossier.models import DossierItem
from tests.imports.commands import import_items

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def folder(tmp_path):
    docs = tmp_path / "docs"
    (docs / "Diplomas").mkdir(parents=True)
    (docs / "10001 CV Jansen.pdf").write_bytes(PDF + b"a")
    (docs / "E0002 - brief.pdf").write_bytes(PDF + b"b")
    (docs / "Diplomas" / "10003.pdf").write_bytes(PDF + b"c")
    return docs


def items_by_relation():
    items = DossierItem.objects.filter(item_type__code="SOLL", import_job__isnull=False).select_related("relation")
    return {
        item.relation.number: (item.subject, sorted(a.original_name for a in item.attachments.all())) for item in items
    }


def test_a_folder_is_proposed_printed_and_imported_with_its_files(demo, folder):
    code, out, err = import_items("--files", folder, "--type", "SOLL", "--user", "importeur", "--json")
    assert code == 0, err
    assert "Proposed from 3 files: 3 items." in err
    assert "10002, 'brief': E0002 - brief.pdf" in err
    assert json.loads(out)["items_created"] == 3
    assert items_by_relation() == {
        "10001": ("CV Jansen", ["10001 CV Jansen.pdf"]),
        "10002": ("brief", ["E0002 - brief.pdf"]),
        "10003": ("Diplomas", ["10003.pdf"]),
    }


def test_a_zip_with_an_unknown_number_fails_the_dry_run_and_stores_nothing(demo, tmp_path):
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("10001 cv.pdf", PDF)
        zipped.writestr("99999 brief.pdf", PDF)
    proposal = tmp_path / "proposal.xlsx"
    before = DossierItem.objects.count()
    code, _out, err = import_items(
        "--files", archive, "--type", "SOLL", "--user", "importeur", "--dry-run", "--proposal-out", proposal
    )
    assert code == 1
    assert "no organisation/person has number 99999, 'brief': 99999 brief.pdf" in err
    assert DossierItem.objects.count() == before
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(proposal).active.iter_rows()]
    assert rows == [
        ["Organisation/person *", "Subject", "Attachment"],
        ["10001", "cv", "10001 cv.pdf"],
        [None, "brief", "99999 brief.pdf"],
    ]


def test_files_and_a_spreadsheet_together_are_refused(demo, folder, tmp_path):
    sheet = tmp_path / "rows.csv"
    sheet.write_text("Relatienummer\n10001\n", encoding="utf-8")
    code, _out, err = import_items(sheet, "--files", folder, "--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert "Give --files alone" in err


def test_neither_a_spreadsheet_nor_files_is_refused(demo):
    code, _out, err = import_items("--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert "Give the spreadsheet to import, or --files" in err


def test_a_type_without_attachments_is_refused_with_one_sentence(demo, folder):
    code, _out, err = import_items("--files", folder, "--type", "KLACHT", "--user", "importeur")
    assert code == 2
    assert "takes no attachments" in err
