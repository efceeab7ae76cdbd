"""Matching columns to fields by name (mapping.match_columns, suggest): synonyms in Dutch and
English, words inside a column name, how sure each match is, and one column per field."""

import pytest

from dossier.models import FieldState, ItemType
from dossier.spec import ItemSpec, Purpose
from imports.pipeline.mapping import (
    EXACT,
    GUESS,
    LIKELY,
    REMEMBERED,
    SYNONYMS,
    check_mapping,
    match_columns,
    normalise,
    suggest,
    suggest_mapping,
)
from tests.factories import ItemTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def klacht(demo):
    return ItemSpec(ItemType.objects.get(code="KLACHT"), purpose=Purpose.IMPORT)


@pytest.fixture
def letter():
    """A type with a responsible, a subject and a text, and no regarding role."""
    item_type = ItemTypeFactory(has_responsible=True, has_subject=True, has_text=True, has_begin_date=False)
    return ItemSpec(item_type, purpose=Purpose.IMPORT)


def test_the_complaints_file_of_the_issue_is_matched_column_by_column(klacht):
    headers = [
        "Klantnummer",
        "Contactpersoon",
        "Onderwerp brief",
        "Opmerking",
        "Datum ontvangen",
        "Behandelaar",
        "Ernst",
        "Prioriteit",
        "Afgehandeld",
        "Project",
        "Klantgroep",
    ]
    found = suggest(klacht, headers)
    assert found.mapping == {
        "subject": {"column": "Onderwerp brief"},
        "text": {"column": "Opmerking"},
        "done": {"column": "Afgehandeld"},
        "responsible": {"column": "Behandelaar"},
        "priority": {"column": "Prioriteit"},
        "submitted_at": {"column": "Datum ontvangen"},
        "relation": {"column": "Klantnummer"},
        "contact": {"column": "Contactpersoon"},
        "project": {"column": "Project"},
        "characteristic_1": {"column": "Ernst"},
    }
    assert found.sureness["subject"] == GUESS  # a word inside the name
    assert found.sureness["text"] == found.sureness["submitted_at"] == found.sureness["responsible"] == LIKELY
    assert found.sureness["characteristic_1"] == found.sureness["project"] == EXACT
    assert "Klantgroep" not in [source["column"] for source in found.mapping.values()]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Onderwerp", "subject"),
        ("Onderwerpregel", "subject"),
        ("Omschrijving", "text"),
        ("Opmerking", "text"),
        ("Notitie", "text"),
        ("Remarks", "text"),
        ("Datum ontvangen", "submitted_at"),
        ("Datum verzonden", "submitted_at"),
        ("Datum ingestuurd", "submitted_at"),
        ("Submitted on", "submitted_at"),
        ("Behandelaar", "responsible"),
        ("Eigenaar", "responsible"),
        ("Verantwoordelijke", "responsible"),
        ("Relatie nr.", "relation"),
        ("Klantnummer", "relation"),
        ("Debiteur", "relation"),
        ("Customer number", "relation"),
    ],
)
def test_the_synonyms_of_the_issue_find_their_field(letter, header, field):
    assert suggest_mapping(letter, [header]) == {field: {"column": header}}


def test_scores_rank_code_over_label_over_synonym_over_words_inside(letter):
    # Four columns compete for the subject; each can only be had once.
    matches = match_columns(letter, ["Onderwerp van de brief", "Titel", "Onderwerp", "Ds"])
    assert matches["subject"].position == 3  # the AFAS name Ds
    assert matches["subject"].sureness == EXACT
    label = match_columns(letter, ["Onderwerp van de brief", "Titel", "Onderwerp"])["subject"]
    synonym = match_columns(letter, ["Onderwerp van de brief", "Titel"])["subject"]
    inside = match_columns(letter, ["Onderwerp van de brief"])["subject"]
    assert (label.position, label.sureness) == (2, EXACT)
    assert (synonym.position, synonym.sureness) == (1, LIKELY)
    assert (inside.position, inside.sureness) == (0, GUESS)
    assert label.score > synonym.score > inside.score


def test_one_column_never_feeds_two_fields_and_the_best_match_wins_it(letter):
    # "Datum" is a synonym of the submit date and a word inside "Datum afgehandeld"; the
    # exact name of the date done wins that column, the submit date gets its own.
    mapping = suggest_mapping(letter, ["Datum afgehandeld", "Datum"])
    assert mapping["submitted_at"] == {"column": "Datum"}
    columns = [source["column"] for source in mapping.values()]
    assert len(columns) == len(set(columns))
    # Alone, "Datum afgehandeld" is the date done's, never also a guess for the submit date.
    assert suggest_mapping(letter, ["Datum afgehandeld"]).get("submitted_at") is None


def test_a_column_named_for_a_field_the_type_sets_or_hides_is_guessed_at_by_no_other(letter, demo):
    klacht = ItemSpec(ItemType.objects.get(code="KLACHT"), purpose=Purpose.IMPORT)
    assert klacht["regarding_sales"].auto
    # "debiteur" is a word of the relation's synonyms, but this column is the regarding role's.
    assert suggest_mapping(klacht, ["Betreft debiteur"]) == {}
    # The letter type has no begin date: "Begindatum" is not taken for the submit date.
    assert suggest_mapping(letter, ["Begindatum"]) == {}


def test_short_names_match_only_a_whole_column_name(letter):
    assert suggest_mapping(letter, ["Vandaag"]) == {}  # "van" is no word of it
    assert suggest_mapping(letter, ["Update"]) == {}  # "date" inside a word is no date


def test_a_name_two_columns_share_is_still_never_matched(letter):
    assert suggest_mapping(letter, ["Opmerking", "opmerking "]) == {}


def test_a_saved_mapping_is_remembered_and_the_other_columns_matched_by_name(letter):
    found = suggest(letter, ["Nummer", "Opmerking"], saved={"relation": {"column": "Nummer"}})
    assert found.mapping == {"relation": {"column": "Nummer"}, "text": {"column": "Opmerking"}}
    assert found.sureness == {"relation": REMEMBERED, "text": LIKELY}


def test_a_column_the_saved_mapping_leaves_out_is_not_matched_again(letter):
    saved = {"relation": {"column": "Nummer"}, "not_imported": ["Opmerking"]}
    found = suggest(letter, ["Nummer", "Opmerking"], saved=saved)
    assert "text" not in found.mapping
    assert found.mapping["not_imported"] == [{"column": "Opmerking"}]


def test_the_synonym_table_names_each_name_once_per_field():
    for field, names in SYNONYMS.items():
        normal = [normalise(name) for name in names]
        assert len(normal) == len(set(normal)), field


def test_a_type_without_a_responsible_leaves_the_handler_unmatched():
    spec = ItemSpec(ItemTypeFactory(has_responsible=False, relation_state=FieldState.REQUIRED), purpose=Purpose.IMPORT)
    assert "responsible" not in suggest_mapping(spec, ["Behandelaar", "Relatienummer"])


def test_a_saved_mapping_names_the_columns_as_this_file_writes_them(letter):
    saved = {"relation": {"column": "Nummer"}, "not_imported": ["Extra"]}
    found = suggest(letter, ["NUMMER", "extra"], saved=saved)
    assert found.mapping == {"relation": {"column": "NUMMER"}, "not_imported": [{"column": "extra"}]}
    assert check_mapping(letter, ["NUMMER", "extra"], found.mapping) == []
