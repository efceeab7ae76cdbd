"""import_items --values FILE.json: the value map of issue 16 on the command line, checked
before anything is read, merged into the mapping; every run prints the values not recognised
with their suggestions and the value map to save."""

import json

import pytest

from dossier.models import DossierItem
from imports.models import ImportJob
from tests.imports.commands import import_items
from tests.imports.test_values import KLACHT_CSV

pytestmark = pytest.mark.django_db


@pytest.fixture
def klacht_csv(tmp_path):
    path = tmp_path / "klachten.csv"
    path.write_text(KLACHT_CSV, encoding="utf-8")
    return path


def values_file(tmp_path, content) -> str:
    path = tmp_path / "values.json"
    path.write_text(json.dumps(content) if not isinstance(content, str) else content, encoding="utf-8")
    return str(path)


def run(path, *args):
    return import_items(path, "--type", "KLACHT", "--user", "importeur", *args)


def test_a_dry_run_prints_the_values_not_recognised_with_suggestions_and_the_map(demo, klacht_csv):
    code, out, _err = run(klacht_csv, "--dry-run")
    assert code == 1
    assert "Values not recognised" in out
    assert "'middel' in column 'Ernst', 2 rows: suggested MIDDEN" in out
    assert "'zeer ernstig' in column 'Ernst', 1 row\n" in out
    start = out.index("pass --values):") + len("pass --values):")
    assert json.loads(out[start:].strip()) == {"characteristic_1": {"middel": "MIDDEN"}}


def test_the_json_summary_holds_the_values_and_the_map(demo, klacht_csv):
    _code, out, _err = run(klacht_csv, "--dry-run", "--json")
    summary = json.loads(out)
    assert {v["value"]: v["suggestion"] for v in summary["unknown_values"]} == {
        "middel": "MIDDEN",
        "zeer ernstig": None,
        "urgent": None,
    }
    assert summary["values"] == {"characteristic_1": {"middel": "MIDDEN"}}


def test_values_given_are_applied_and_printed_with_the_rest(demo, klacht_csv, tmp_path):
    given = values_file(
        tmp_path, {"characteristic_1": {"middel": "MIDDEN", "zeer ernstig": "HOOG"}, "priority": {"urgent": "high"}}
    )
    code, out, err = run(klacht_csv, "--values", given, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["valid_rows"], summary["invalid_rows"], summary["unknown_values"]) == (4, 0, [])
    assert DossierItem.objects.filter(subject="Weg", priority="high").count() == 1


def test_the_values_are_remembered_with_the_mapping(demo, klacht_csv, tmp_path):
    run(klacht_csv, "--values", values_file(tmp_path, {"characteristic_1": {"middel": "MIDDEN"}}), "--skip-invalid")
    _code, out, err = run(klacht_csv, "--dry-run", "--json", "--again")
    assert "Mapping remembered" in err
    assert sorted(v["value"] for v in json.loads(out)["unknown_values"]) == ["urgent", "zeer ernstig"]


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "The values file cannot be read"),
        ({"characteristic_1": ["MIDDEN"]}, "A values file is a JSON object"),
        ({"kleur": {"rood": "ROOD"}}, "Type KLACHT has no field 'kleur'"),
        ({"characteristic_1": {"middel": "GEMIDDELD"}}, "cannot take 'GEMIDDELD'"),
        ({"project": {"P1": "PRJ-999"}}, "cannot take 'PRJ-999'"),
        ({"subject": {"a": "b"}}, "takes any value"),
        ({"contact": {"a": "30001"}}, "no column of the file is mapped to it"),
    ],
)
def test_a_values_file_that_cannot_work_exits_2_with_a_sentence(demo, klacht_csv, tmp_path, content, words):
    code, _out, err = run(klacht_csv, "--values", values_file(tmp_path, content))
    assert code == 2
    assert words in err
    assert "Traceback" not in err
    # Nothing waits: no job was made, or it was cancelled with the sentence.
    assert not ImportJob.objects.exclude(state="cancelled").exists()
