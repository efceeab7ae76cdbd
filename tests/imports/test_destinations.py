"""Destinations the file names that are no relation number or contact id (issue 16, part 2):
grouped per distinct value during the check, and the value map of the mapping applied to the
raw reference before the relation or contact is looked up."""

import pytest

from dossier.models import FieldState
from dossier.spec import ItemSpec, Purpose
from imports.pipeline.destinations import (
    MAX_ROWS,
    MAX_VALUE_LENGTH,
    MAX_VALUES,
    UnknownDestinations,
    unknown_values,
    value_map,
    with_values,
)
from imports.pipeline.mapping import shape_problems
from imports.pipeline.validation import RowValidator
from spreadsheets.reading import Row
from tests.factories import ContactFactory, ItemTypeFactory, OrganisationFactory, RelationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec():
    item_type = ItemTypeFactory(relation_state=FieldState.OPTIONAL, contact_state=FieldState.OPTIONAL)
    return ItemSpec(item_type, purpose=Purpose.IMPORT)


@pytest.fixture
def jansen():
    return OrganisationFactory(number="20004", name="Jansen BV")


def check(spec, rows, *, user, mapping=None):
    mapping = mapping or {"relation": {"column": "Klant"}, "contact": {"column": "Contact"}}
    unknown = UnknownDestinations()
    validator = RowValidator(spec, ["Klant", "Contact"], mapping, user=user, unknown=unknown)
    results = list(validator.validate(Row(number, tuple(cells)) for number, cells in enumerate(rows, start=2)))
    return results, unknown.as_dict()


def test_unknown_references_are_grouped_per_value_with_counts_and_first_rows(spec, jansen, alice):
    rows = [["D20004", None], ["Jansen BV", None], ["D20004", None], ["20004", None], ["D20004; Jansen BV", None]]

    results, unknown = check(spec, rows, user=alice)

    assert unknown["relation"] == [
        {"value": "D20004", "count": 3, "rows": [2, 4, 6]},
        {"value": "Jansen BV", "count": 2, "rows": [3, 6]},
    ]
    assert [r.is_valid for r in results] == [False, False, False, True, False]


def test_an_unknown_contact_keeps_the_relation_of_its_rows(spec, jansen, alice):
    rows = [["20004", "Piet"], ["20004", "Piet"], [None, "Kees"], ["20004", "Kees"]]

    _results, unknown = check(spec, rows, user=alice)

    assert unknown["contact"] == [
        {"value": "Kees", "count": 2, "rows": [4, 5]},
        {"value": "Piet", "count": 2, "rows": [2, 3], "relation": "20004"},
    ]


def test_the_collection_is_bounded():
    unknown = UnknownDestinations()
    for n in range(MAX_VALUES + 3):
        for row in range(MAX_ROWS + 2):
            unknown.add("relation", f"value {n}", row)

    stored = unknown.as_dict()

    assert len(stored["relation"]) == MAX_VALUES
    assert stored["relation"][0]["count"] == MAX_ROWS + 2
    assert len(stored["relation"][0]["rows"]) == MAX_ROWS
    assert stored["relation_others"] == 3 * (MAX_ROWS + 2)


def test_a_reference_longer_than_a_name_is_not_kept():
    unknown = UnknownDestinations()
    unknown.add("relation", "x" * (MAX_VALUE_LENGTH + 1), 2)

    assert unknown.as_dict() == {}


def test_the_value_map_is_applied_before_the_relation_is_looked_up(spec, jansen, alice):
    piet = ContactFactory(contact_id="30004", organisation=jansen, person=RelationFactory(name="Piet"))
    mapping = {
        "relation": {"column": "Klant", "values": {"D20004": "20004", "Jansen BV": "20004"}},
        "contact": {"column": "Contact", "values": {"Piet": "30004"}},
    }
    rows = [["D20004", "Piet"], ["Jansen BV", None], ["D20004; 20004", None], ["Onbekend", None]]

    results, unknown = check(spec, rows, user=alice, mapping=mapping)

    assert [r.is_valid for r in results] == [True, True, True, False]
    assert results[0].clean.items[0]["relation"] == jansen
    assert results[0].clean.items[0]["contact"] == piet
    assert len(results[2].clean.items) == 1  # both name 20004: one destination
    assert unknown == {"relation": [{"value": "Onbekend", "count": 1, "rows": [5]}]}


def test_a_whole_cell_in_the_value_map_is_taken_before_it_is_split(spec, jansen, alice):
    mapping = {"relation": {"column": "Klant", "values": {"Jansen, Utrecht": "20004"}}}

    results, _unknown = check(spec, [["Jansen, Utrecht", None]], user=alice, mapping=mapping)

    assert results[0].is_valid


def test_choices_are_added_to_the_mapping_entry_and_not_found_takes_one_out():
    mapping = {"relation": {"column": "Klant", "values": {"D20004": "20004", "X": "20001"}}, "subject": {"fixed": "s"}}

    changed = with_values(mapping, "relation", {"Jansen BV": "20007", "X": ""})

    assert changed["relation"] == {"column": "Klant", "values": {"D20004": "20004", "Jansen BV": "20007"}}
    assert changed["subject"] == {"fixed": "s"}
    assert value_map(changed, "relation") == {"D20004": "20004", "Jansen BV": "20007"}
    assert "values" not in with_values({"relation": {"column": "Klant"}}, "relation", {"X": ""})["relation"]


def test_a_mapping_with_values_has_the_right_shape_and_a_wrong_one_is_refused():
    assert shape_problems({"relation": {"column": "Klant", "values": {"D20004": "20004"}}}) == []
    (problem,) = shape_problems({"relation": {"column": "Klant", "values": ["D20004"]}})
    assert problem.code == "mapping_malformed"
    assert "\"values\" of 'relation'" in problem.message


def test_stored_values_are_read_back_and_anything_else_is_none():
    assert unknown_values({"relation": [{"value": "X", "count": 1, "rows": [2]}]}, "relation") == [
        {"value": "X", "count": 1, "rows": [2]}
    ]
    assert unknown_values({"relation": "X"}, "relation") == []
    assert unknown_values(None, "contact") == []
