"""The README's command-line examples, on the demo world, do what the README says."""

import json
from pathlib import Path

import pytest

from dossier.models import DossierItem
from tests.imports.test_command import import_items

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "docs" / "examples"


def test_the_soll_example_imports_four_items_with_every_file_of_its_zip(demo):
    code, out, _err = import_items(
        EXAMPLES / "soll.csv",
        "--type",
        "SOLL",
        "--user",
        "importeur",
        "--attachments",
        EXAMPLES / "soll-bijlagen.zip",
        "--json",
    )
    summary = json.loads(out)
    assert (code, summary["rows"], summary["items_created"]) == (0, 3, 4)
    assert {p["code"] for p in summary["problems"]} == {
        "attachment_name_without_number",
        "submitter_filled_in",  # the values the import fills in, each a warning
        "set_by_type",
    }
    items = DossierItem.objects.filter(item_type__code="SOLL")
    assert sorted(items.values_list("relation__number", flat=True)) == ["10001", "10002", "10003", "10004"]
    attached = {item.relation.number: sorted(a.original_name for a in item.attachments.all()) for item in items}
    assert attached == {
        "10001": ["10001_getuigschrift.pdf", "10001_sollicitatiebrief.pdf"],
        "10002": ["10002_cv.pdf", "10002_diploma.pdf"],
        "10003": ["reglement.pdf"],
        "10004": ["reglement.pdf"],
    }


def test_the_example_with_mistakes_reports_them_and_stores_nothing(demo):
    code, out, _err = import_items(
        EXAMPLES / "soll-met-fouten.csv",
        "--type",
        "SOLL",
        "--user",
        "importeur",
        "--attachments",
        EXAMPLES / "soll-bijlagen.zip",
        "--json",
    )
    summary = json.loads(out)
    assert code == 1
    assert [(p["row"], p["code"]) for p in summary["problems"] if not p["is_warning"]] == [
        (3, "relation_not_found"),
        (3, "attachment_local_path"),
        (4, "regarding_role_missing"),
    ]
    # the ZIP's files that no row names: a warning each
    assert [p["code"] for p in summary["problems"] if p["row"] is None] == ["attachment_not_named"] * 4
    assert {p["value"] for p in summary["problems"] if p["row"] is None} == {
        "Import/10001_sollicitatiebrief.pdf",
        "Import/10002_cv.pdf",
        "Import/10002_diploma.pdf",
        "Import/reglement.pdf",
    }
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()


def test_the_klacht_example_enters_the_escalation_workflow(demo):
    code, out, _err = import_items(EXAMPLES / "klacht.csv", "--type", "KLACHT", "--user", "importeur", "--json")
    assert (code, json.loads(out)["items_created"]) == (0, 2)
    escalated = DossierItem.objects.filter(item_type__code="KLACHT", workflow_instance__workflow__code="ESCALATIE")
    assert list(escalated.filter(import_job__isnull=False).values_list("relation__number", flat=True)) == ["20001"]


def test_the_soll_example_imported_twice_is_refused_the_second_time_unless_again(demo):
    args = ["--type", "SOLL", "--user", "importeur", "--attachments", EXAMPLES / "soll-bijlagen.zip"]
    assert import_items(EXAMPLES / "soll.csv", *args)[0] == 0
    code, _out, err = import_items(EXAMPLES / "soll.csv", *args)
    assert code == 2
    assert "This file was imported before for type SOLL" in err and "by importeur, 4 items" in err
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 4
    assert import_items(EXAMPLES / "soll.csv", *args, "--again")[0] == 0
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 8
