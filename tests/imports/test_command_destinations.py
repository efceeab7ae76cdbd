"""manage.py import_items and destinations the file names that are no relation number
(issue 16, part 2): printed once each with their candidates, and the choices taken from the
"values" of the --mapping file. Runs on the demo world."""

import json

import pytest

from dossier.models import DossierItem
from tests.imports.commands import import_items

pytestmark = pytest.mark.django_db

ROWS = "Relatienummer;Onderwerp\nE0003;Sollicitatiebrief\nCarla Bakker;CV\nE0003;Brief\nNiemand;Brief\n"


@pytest.fixture
def named_csv(tmp_path):
    path = tmp_path / "named.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def test_the_destinations_not_found_are_printed_with_their_candidates(demo, named_csv):
    code, out, _err = import_items(named_csv, "--type", "SOLL", "--user", "importeur")

    assert code == 1
    assert "Destinations not found" in out
    assert (
        "organisation/person 'E0003' (2 rows: 2, 4): E0003 is the employee number of Carla Bakker: relation number 10003."
        in out
    )
    assert "      10003 Carla Bakker, Leeuwarden (person) (suggested)" in out
    assert "organisation/person 'Niemand' (1 row: 5): No relation you may see" in out
    assert '{"relation": {"E0003": "10003", "Carla Bakker": "10003"}}' in out


def test_the_json_summary_holds_them(demo, named_csv):
    _code, out, _err = import_items(named_csv, "--type", "SOLL", "--user", "importeur", "--json")

    found = {d["value"]: d for d in json.loads(out)["destinations_not_found"]}

    assert set(found) == {"E0003", "Carla Bakker", "Niemand"}
    assert found["E0003"]["evidence"] == "role_number"
    assert found["E0003"]["first_rows"] == [2, 4]
    assert found["E0003"]["candidates"] == [
        {"number": "10003", "label": "10003 Carla Bakker, Leeuwarden (person)", "is_active": True, "blocked": False}
    ]
    assert found["Niemand"]["suggestion"] is None


def test_the_choices_are_taken_from_the_values_of_the_mapping_file(demo, named_csv, tmp_path):
    mapping = tmp_path / "mapping.json"
    values = {"E0003": "10003", "Carla Bakker": "10003", "Niemand": "10004"}
    mapping.write_text(
        json.dumps({"relation": {"column": "Relatienummer", "values": values}, "subject": "Onderwerp"}),
        encoding="utf-8",
    )

    code, out, _err = import_items(named_csv, "--type", "SOLL", "--user", "importeur", "--mapping", mapping)

    assert code == 0, out
    assert "Destinations not found" not in out
    assert DossierItem.objects.filter(relation__number="10003").count() == 3
    assert DossierItem.objects.filter(relation__number="10004").count() == 1


def test_a_malformed_value_map_refuses_the_mapping(demo, named_csv, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"relation": {"column": "Relatienummer", "values": ["E0003"]}}), encoding="utf-8")

    code, _out, err = import_items(named_csv, "--type", "SOLL", "--user", "importeur", "--mapping", mapping)

    assert code == 2
    assert "\"values\" of 'relation' in the mapping must be an object of the values in the file" in err
