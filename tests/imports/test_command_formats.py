"""manage.py import_items: how the date and number columns are read, decided by the mapping
(--mapping FILE, "date_order" and "decimal") or by the columns' values; a column neither
decides refuses the run with exit code 2 and the key to add."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from dossier.models import DossierItem
from imports.models import ImportJob, SavedMapping
from tests.imports.commands import import_items

pytestmark = pytest.mark.django_db

SOLL = ("--type", "SOLL", "--user", "importeur")
HEADER = "Relatienummer;Onderwerp;Instuurdatum\n"


def soll_mapping(write, *, subject: str | dict = "Onderwerp", submitted_at: str | dict = "Instuurdatum"):
    """A --mapping file for SOLL rows of HEADER, the subject and submit date as given."""
    return write("mapping.json", {"relation": "Relatienummer", "subject": subject, "submitted_at": submitted_at})


def submit_dates() -> list[dt.date]:
    items = DossierItem.objects.filter(item_type__code="SOLL", import_job__isnull=False)
    return sorted(timezone.localtime(item.submitted_at).date() for item in items)


def test_a_month_first_column_is_read_month_first_and_the_decision_is_printed(demo, write):
    rows = write("rows.csv", HEADER + "10001;Brief;03/25/2026\n10002;CV;04/01/2026\n")
    code, out, err = import_items(rows, *SOLL, "--json")
    assert code == 0, err
    assert submit_dates() == [dt.date(2026, 3, 25), dt.date(2026, 4, 1)]
    assert (
        "Column 'Instuurdatum' (submit date): month first (12-31-2025). Month first: 1 of 2 values have a second part above 12 (such as 03/25/2026)."
        in err
    )
    assert '"date_order": "mdy"' in err  # in the mapping used, to save and pass again
    summary = json.loads(out)
    assert summary["column_formats"] == [
        {
            "field": "submitted_at",
            "column": "Instuurdatum",
            "key": "date_order",
            "decision": "mdy",
            "decided_by": "values",
        }
    ]
    saved = SavedMapping.objects.get()
    assert saved.mapping["submitted_at"] == {"column": "Instuurdatum", "date_order": "mdy"}


def test_an_undecided_column_refuses_the_run_naming_the_column_and_the_key(demo, write):
    rows = write("rows.csv", HEADER + "10001;Brief;03-04-2025\n")
    code, _out, err = import_items(rows, *SOLL)
    assert code == 2
    assert (
        'Column \'Instuurdatum\' (submit date) does not say whether the day or the month comes first (such as 03-04-2025): add "date_order": "dmy" (day first) or "mdy" (month first) to its entry in the mapping, for example {"submitted_at": {"column": "Instuurdatum", "date_order": "dmy"}}.'
        in err
    )
    assert "Traceback" not in err
    assert not DossierItem.objects.filter(import_job__isnull=False).exists()
    assert ImportJob.objects.get().state == ImportJob.State.CANCELLED


def test_the_mapping_file_decides_an_undecided_column(demo, write):
    rows = write("rows.csv", HEADER + "10001;Brief;03-04-2025\n")
    mapping = soll_mapping(write, submitted_at={"column": "Instuurdatum", "date_order": "mdy"})
    code, _out, err = import_items(rows, *SOLL, "--mapping", mapping)
    assert code == 0, err
    assert "Column 'Instuurdatum' (submit date): month first (12-31-2025), as the mapping says." in err
    assert submit_dates() == [dt.date(2025, 3, 4)]


def test_a_value_that_contradicts_the_mapping_is_a_row_problem_naming_the_order(demo, write):
    rows = write(
        "rows.csv",
        HEADER + "10001;Brief;03-04-2025\n10002;CV;13/25/2026\n10002;CV;03/25/2026\n",
    )
    mapping = soll_mapping(write, submitted_at={"column": "Instuurdatum", "date_order": "dmy"})
    code, out, err = import_items(rows, *SOLL, "--mapping", mapping, "--json")
    assert code == 1
    assert (
        "Not fitting day first (31-12-2025), so row problems unless the order is changed: 1 of 3 values (such as 03/25/2026)."
        in err
    )
    errors = [(p["row"], p["column"], p["code"]) for p in json.loads(out)["problems"] if not p["is_warning"]]
    assert errors == [(3, "Instuurdatum", "invalid_date"), (4, "Instuurdatum", "date_order_contradicted")]
    messages = [p["message"] for p in json.loads(out)["problems"] if not p["is_warning"]]
    assert all("day first (31-12-2025), the order decided for this column" in message for message in messages)


def test_a_decision_in_the_mapping_is_checked(demo, write):
    rows = write("rows.csv", HEADER + "10001;Brief;13-04-2025\n")
    mapping = soll_mapping(
        write,
        subject={"column": "Onderwerp", "date_order": "dmy"},
        submitted_at={"column": "Instuurdatum", "date_order": "dd-mm"},
    )
    code, _out, err = import_items(rows, *SOLL, "--mapping", mapping)
    assert code == 2
    assert (
        'The "date_order" of \'submitted_at\' in the mapping must be "dmy" (day first), "mdy" (month first) or "ymd" (year first).'
        in err
    )


def test_a_date_order_for_a_field_that_is_no_date_is_refused(demo, write):
    rows = write("rows.csv", HEADER + "10001;Brief;13-04-2025\n")
    mapping = soll_mapping(write, subject={"column": "Onderwerp", "date_order": "dmy"})
    code, _out, err = import_items(rows, *SOLL, "--mapping", mapping)
    assert code == 2
    assert 'Subject is no date: remove "date_order" from its mapping.' in err


def test_a_decimal_column_is_read_with_its_separator(demo, write):
    rows = write("rows.csv", "Relatienummer;Salaris;Ingangsdatum\n10001;1,234;2026-01-14\n10002;2,500;2026-02-01\n")
    args = ("--type", "CONTR", "--user", "importeur")
    code, _out, err = import_items(rows, *args)
    assert code == 2
    assert '"decimal": "," (comma) or "." (point)' in err
    mapping = write(
        "mapping.json",
        {
            "relation": "Relatienummer",
            "free_Salaris": {"column": "Salaris", "decimal": "."},
            "free_Ingangsdatum": "Ingangsdatum",
        },
    )
    code, _out, err = import_items(rows, *args, "--mapping", mapping)
    assert code == 0, err
    salaries = sorted(
        item.free_values["Salaris"]
        for item in DossierItem.objects.filter(item_type__code="CONTR", import_job__isnull=False)
    )
    assert [float(s) for s in salaries] == [1234.0, 2500.0]
    assert "Column 'Ingangsdatum' (Ingangsdatum): year first (2025-12-31)." in err
