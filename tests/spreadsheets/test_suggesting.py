"""Which allowed value a text from a file most likely means (spreadsheets/suggesting.py)."""

from spreadsheets.suggesting import folded, rank_values, suggest_value

ERNST = {"LAAG": ["Laag"], "MIDDEN": ["Midden"], "HOOG": ["Hoog"]}
PRIORITY = {"high": ["high", "hoog"], "normal": ["normal", "normaal"], "low": ["low", "laag"]}


def test_case_accents_spaces_and_punctuation_are_left_aside():
    assert folded(" Médium-Hoog ") == "mediumhoog"


def test_a_near_spelling_is_suggested_by_likeness():
    assert suggest_value("middel", ERNST) == "MIDDEN"


def test_a_dutch_label_is_suggested_whatever_the_language():
    assert suggest_value("hoog", PRIORITY) == "high"
    assert suggest_value("HIGH", PRIORITY) == "high"


def test_trailing_spaces_and_case_do_not_matter():
    assert suggest_value("Laag ", ERNST) == "LAAG"


def test_the_code_itself_is_a_name():
    assert suggest_value("midden", {"MIDDEN": ["Gemiddeld"]}) == "MIDDEN"


def test_the_start_of_one_name_is_suggested_from_three_characters_on():
    assert suggest_value("Mid", ERNST) == "MIDDEN"
    assert suggest_value("Mi", ERNST) is None


def test_a_text_two_values_fit_equally_well_gets_no_suggestion():
    assert suggest_value("Mid", {"MIDDEN": ["Midden"], "MIDDAG": ["Middag"]}) is None


def test_a_text_like_nothing_gets_no_suggestion():
    assert suggest_value("onbekend", ERNST) is None
    assert rank_values("onbekend", ERNST) == []


def test_the_ranking_puts_the_best_first():
    ranked = rank_values("middel", {"MIDDEN": ["Midden"], "MIDDEL": ["Middel"]})
    assert [code for code, _score in ranked] == ["MIDDEL", "MIDDEN"]
