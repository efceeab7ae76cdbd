import pytest

from dossier.models import FieldState, FreeField
from dossier.spec import ItemSpec, Purpose
from imports.pipeline.mapping import (
    check_mapping,
    duplicate_column_warnings,
    header_key,
    letter_position,
    row_reader,
    suggest_mapping,
)
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
        "text": {"column": "Opmerking"},
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


# --- a column name given twice, and columns by letter -----------------------------------------


def test_letters_name_columns_as_the_spreadsheet_program_does():
    assert [letter_position(letter) for letter in ("A", "d", " AA ", "xfd")] == [0, 3, 26, 16383]
    assert [letter_position(bad) for bad in ("", "1", "A1", "ABCD", "É")] == [None] * 5


def test_a_column_name_given_twice_is_never_matched_automatically(spec):
    mapping = suggest_mapping(spec, ["BcId", "Onderwerp", "Datum van", "onderwerp ", "datumvan"])
    assert mapping == {"relation": {"column": "BcId"}}


def test_mapping_a_field_to_a_name_given_twice_names_both_letters(spec):
    headers = ["BcId", "Salaris", "Opmerking", "salaris"]
    mapping = {"relation": {"column": "BcId"}, "free_Salaris": {"column": "Salaris"}}
    (problem,) = check_mapping(spec, headers, mapping)
    assert (problem.field, problem.code) == ("free_Salaris", "duplicate_column")
    assert "Columns B and D share the name 'Salaris'" in problem.message
    assert '{"letter": "B"}' in problem.message


def test_a_column_mapped_by_its_letter_feeds_its_field_and_problems_name_the_letter(spec):
    headers = ["BcId", "Salaris", "Opmerking", "salaris"]
    mapping = {"relation": {"column": "BcId"}, "free_Salaris": {"letter": "d"}}
    assert check_mapping(spec, headers, mapping) == []
    read = row_reader(headers, mapping)
    assert read(["10001", "100", "x", "3500"]) == {
        "relation": ("10001", "BcId"),
        "free_Salaris": ("3500", "salaris (D)"),
    }


def test_a_letter_without_a_column_or_beside_another_source_is_refused(spec):
    headers = ["BcId", "Salaris"]
    problems = check_mapping(
        spec,
        headers,
        {"relation": {"letter": "A", "fixed": "10001"}, "free_Salaris": {"letter": "C"}, "begin_date": {"letter": "1"}},
    )
    assert {(p.field, p.code) for p in problems} == {
        ("relation", "fed_twice"),
        ("free_Salaris", "unknown_column"),
        ("begin_date", "unknown_column"),
    }
    by_field = {p.field: p.message for p in problems}
    assert by_field["free_Salaris"] == "The file has no column C for Salaris: its columns are A to B."


def test_a_saved_letter_is_reused_only_where_the_saved_header_row_had_the_same_name(spec):
    saved_headers = ["BcId", "Salaris", "Opmerking", "Salaris"]
    saved = {"relation": {"column": "BcId"}, "free_Salaris": {"letter": "D"}, "text": {"letter": "C"}}
    same = suggest_mapping(spec, saved_headers, saved=saved, saved_headers=saved_headers)
    assert same["free_Salaris"] == {"letter": "D"}
    reordered = ["Salaris", "Opmerking", "BcId", "Salaris"]  # the same header set, in another order
    moved = suggest_mapping(spec, reordered, saved=saved, saved_headers=saved_headers)
    assert moved["relation"] == {"column": "BcId"}
    assert moved["free_Salaris"] == {"letter": "D"}  # D is still a 'Salaris' column
    assert moved["text"] == {"column": "Opmerking"}  # not C, which was 'Opmerking' and is now 'BcId'
    assert "free_Salaris" not in suggest_mapping(spec, saved_headers, saved=saved)  # letters need the saved row


def test_a_saved_mapping_naming_a_column_now_given_twice_is_not_reused(spec):
    saved = {"relation": {"column": "BcId"}, "free_Salaris": {"column": "Salaris"}}
    mapping = suggest_mapping(spec, ["BcId", "Salaris", "SALARIS"], saved=saved, saved_headers=["BcId", "Salaris"])
    assert mapping == {"relation": {"column": "BcId"}}


def test_each_name_given_twice_gets_one_warning_with_its_letters():
    assert duplicate_column_warnings(["Naam", "Nummer", "naam", "Nummer", "Naam", "Datum"]) == [
        "The column name 'Naam' is given to columns A, C and E: such a column is mapped by its letter, "
        'for example {"letter": "A"}.',
        "The column name 'Nummer' is given to columns B and D: such a column is mapped by its letter, "
        'for example {"letter": "B"}.',
    ]
    assert duplicate_column_warnings(["Naam", "Nummer"]) == []
