"""A Message (spreadsheets/messages.py): a sentence kept as its msgid and parameters,
translated when shown, in the language active then."""

import json

from django.utils import translation

from spreadsheets.messages import N_, Message, listed, message_of, render, restored, sentences, stored

REQUIRED = N_("%(field)s is required: fill it in.")


def test_a_message_is_translated_when_shown_not_when_made():
    with translation.override("nl"):
        message = N_("The file '%(name)s' is empty.") % {"name": "x.csv"}
    assert str(message) == "The file 'x.csv' is empty."
    with translation.override("nl"):
        assert str(message) == "Het bestand 'x.csv' is leeg."


def test_a_label_among_the_parameters_follows_the_readers_language_capitalised_in_each():
    message = REQUIRED % {"field": N_("begin date").capitalise()}
    assert str(message) == "Begin date is required: fill it in."
    with translation.override("nl"):
        assert str(message) == "Het veld Begindatum is verplicht: vul het in."


def test_a_message_is_stored_as_plain_json_data_and_read_back_equal():
    message = sentences(REQUIRED % {"field": N_("subject")}, N_("Text, at most %(length)s characters.") % {"length": 5})
    data = json.loads(json.dumps(stored(message)))
    assert data == {
        "msgid": "%(first)s %(second)s",
        "params": {
            "first": {"msgid": "%(field)s is required: fill it in.", "params": {"field": {"msgid": "subject"}}},
            "second": {"msgid": "Text, at most %(length)s characters.", "params": {"length": 5}},
        },
    }
    assert restored(data) == message
    assert render(data) == "subject is required: fill it in. Text, at most 5 characters."


def test_a_text_stored_before_messages_were_kept_as_data_is_shown_as_it_was():
    assert restored("Rij 3 is ongeldig.") == "Rij 3 is ongeldig."
    assert render("Rij 3 is ongeldig.") == "Rij 3 is ongeldig."
    assert render(None) == ""


def test_a_stored_message_whose_translation_no_longer_fits_shows_the_source_text():
    message = Message.from_data({"msgid": "The file '%(name)s' is empty.", "params": {"other": "x"}})
    assert str(message) == "The file '%(name)s' is empty."


def test_a_message_reads_like_a_text_where_code_and_tests_treat_it_so():
    message = N_("The file '%(name)s' is empty.") % {"name": "x.csv"}
    assert "is empty" in message
    assert message == "The file 'x.csv' is empty."
    assert message.startswith("The file")
    assert f"[{message}]" == "[The file 'x.csv' is empty.]"
    assert len(message) == len("The file 'x.csv' is empty.")


def test_an_exception_raised_with_a_message_gives_it_back_to_be_stored():
    error = ValueError(N_("The file '%(name)s' is empty.") % {"name": "x"})
    assert isinstance(message_of(error), Message)
    assert message_of(ValueError("plain")) == "plain"


def test_texts_of_the_parameters_can_be_cleaned_without_touching_the_msgid():
    message = REQUIRED % {"field": "a\x1bb"}
    assert str(message.with_texts(lambda text: text.replace("\x1b", ""))) == "ab is required: fill it in."


def test_a_list_of_labels_is_shown_in_the_readers_language_and_stored_as_data():
    message = listed([N_("high"), N_("normal"), "Vast contract"])
    assert str(message) == "high, normal, Vast contract"
    with translation.override("nl"):
        assert str(restored(json.loads(json.dumps(stored(message))))) == "hoog, normaal, Vast contract"
