import pytest

from dossier.models import FieldState, FreeField
from dossier.spec import ItemSpec, Purpose
from imports.pipeline.mapping import check_mapping, header_key, row_reader, suggest_mapping
from tests.factories import FreeFieldFactory, ItemTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec():
    item_type = ItemTypeFactory(
        kind="own",
        contact_state=FieldState.OPTIONAL,
        regarding_employee_state=FieldState.REQUIRED,
        has_begin_date=True,
        attach_file=True,
    )
    FreeFieldFactory(item_type=item_type, code="Salaris", label="Salaris", kind=FreeField.Kind.DECIMAL, required=True)
    return ItemSpec(item_type, purpose=Purpose.IMPORT)


def test_it_matches_headers_on_code_labels_afas_names_and_dutch_words(spec):
    headers = ["BcId", "Contactpersoon", "Ds", "begin date", "Bijlage", "Salaris", "Instuurdatum", "Opmerking"]
    mapping = suggest_mapping(spec, headers)
    assert mapping == {
        "subject": {"column": "Ds"},
        "begin_date": {"column": "begin date"},
        "submitted_at": {"column": "Instuurdatum"},
        "relation": {"column": "BcId"},
        "contact": {"column": "Contactpersoon"},
        "free_Salaris": {"column": "Salaris"},
        "attachment": {"column": "Bijlage"},
    }


def test_it_matches_fuzzily_and_uses_each_column_once(spec):
    mapping = suggest_mapping(spec, ["Relatienumer", "Onderwerpen", "Salaris"])
    assert mapping["relation"] == {"column": "Relatienumer"}
    assert mapping["free_Salaris"] == {"column": "Salaris"}
    columns = [source["column"] for source in mapping.values()]
    assert len(columns) == len(set(columns))


def test_a_saved_mapping_is_offered_first(spec):
    saved = {"relation": {"column": "Kolom A"}, "subject": {"fixed": "CV"}, "text": {"column": "gone"}}
    mapping = suggest_mapping(spec, ["Kolom A", "BcId"], saved=saved)
    assert mapping["relation"] == {"column": "Kolom A"}
    assert mapping["subject"] == {"fixed": "CV"}
    assert "text" not in mapping


def test_it_never_suggests_a_field_the_rules_set(spec):
    assert "regarding_employee" not in suggest_mapping(spec, ["Betreft medewerker", "BcId"])


def test_a_mapping_without_a_required_field_is_refused(spec):
    problems = check_mapping(spec, ["Nummer"], {"relation": {"column": "Nummer"}})
    assert [(p.field, p.code) for p in problems] == [("free_Salaris", "required_unmapped")]
    assert "choose the column" in problems[0].message


def test_r14_the_relation_may_be_a_fixed_value(spec):
    mapping = {"relation": {"fixed": "10001"}, "free_Salaris": {"column": "Salaris"}}
    assert check_mapping(spec, ["Salaris"], mapping) == []
    read = row_reader(["Salaris"], mapping)
    assert read(["3500"]) == {"relation": ("10001", None), "free_Salaris": ("3500", "Salaris")}


def test_a_field_fed_twice_or_from_a_missing_column_is_refused(spec):
    mapping = {
        "relation": {"column": "Nummer", "fixed": "10001"},
        "free_Salaris": {"column": "Loon"},
        "regarding_employee": {"column": "Nummer"},
        "begin_date": {"column": "Nummer"},
        "nonsense": {"column": "Nummer"},
    }
    problems = check_mapping(spec, ["Nummer"], mapping)
    assert {(p.field, p.code) for p in problems} == {
        ("relation", "fed_twice"),
        ("free_Salaris", "unknown_column"),
        ("regarding_employee", "field_set_by_type"),
        ("nonsense", "unknown_field"),
    }


def test_a_hidden_field_cannot_be_mapped():
    spec = ItemSpec(ItemTypeFactory(has_begin_date=False), purpose=Purpose.IMPORT)
    problems = check_mapping(
        spec, ["Nummer", "Datum"], {"relation": {"column": "Nummer"}, "begin_date": {"column": "Datum"}}
    )
    assert [(p.field, p.code) for p in problems] == [("begin_date", "unknown_field")]


def test_the_header_key_ignores_order_and_case():
    assert header_key(["Nummer", "Onderwerp"]) == header_key(["onderwerp", "NUMMER"])
    assert header_key(["Nummer"]) != header_key(["Nummer", "Onderwerp"])
