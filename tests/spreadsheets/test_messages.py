"""A Message (spreadsheets/messages.py): a sentence kept as its msgid and parameters,
translated when shown, in the language active then."""

import json

from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy, pgettext_lazy

from spreadsheets.messages import (
    N_,
    Message,
    comma_listed,
    file_size,
    from_lazy,
    grouped,
    in_every_language,
    joined,
    listed,
    message_of,
    message_with,
    render,
    restored,
    sentences,
    stored,
)
from spreadsheets.reading import cell_too_long_message

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


def test_a_number_is_kept_as_a_number_and_grouped_as_the_readers_language_writes_it():
    with translation.override("nl"):
        message = cell_too_long_message(4, 2, 131_072)
    data = json.loads(json.dumps(stored(message)))
    assert data["params"]["limit"] == {"number": 131_072}
    with translation.override("en"):
        assert render(data) == (
            "Row 4, column C holds more than 131,072 characters, more than a cell may hold. "
            "Shorten it and upload the file again."
        )
    with translation.override("nl"):
        assert "meer dan 131.072 tekens" in render(data)


def test_a_number_made_in_english_reads_grouped_in_dutch():
    with translation.override("en"):
        message = N_("The file is %(size)s MB; at most %(max)s MB can be imported. Split it into smaller files.") % {
            "size": grouped(2048),
            "max": grouped(1000),
        }
    with translation.override("nl"):
        assert render(stored(message)).startswith("Het bestand is 2.048 MB")
    with translation.override("en"):
        assert render(stored(message)).startswith("The file is 2,048 MB; at most 1,000 MB")


def test_several_sentences_are_kept_as_one_message_each_shown_in_the_readers_language():
    with translation.override("nl"):
        message = joined([N_("The file '%(name)s' is empty.") % {"name": "a.csv"}, REQUIRED % {"field": N_("subject")}])
    data = json.loads(json.dumps(stored(message)))
    assert [sentence["msgid"] for sentence in data["params"]["sentences"]] == [
        "The file '%(name)s' is empty.",
        "%(field)s is required: fill it in.",
    ]
    with translation.override("en"):
        assert render(data) == "The file 'a.csv' is empty. subject is required: fill it in."
    with translation.override("nl"):
        assert render(data).startswith("Het bestand 'a.csv' is leeg. ")
    assert restored(data) == message


def test_a_list_in_words_uses_the_readers_and():
    message = listed(["C", "D", "F"])
    with translation.override("en"):
        assert str(message) == "C, D and F"
    with translation.override("nl"):
        assert render(stored(message)) == "C, D en F"
    assert listed(["C"]) == "C"


def test_a_lazy_text_of_djangos_is_kept_as_its_msgid_so_it_follows_the_reader():
    with translation.override("nl"):
        message = message_with(
            gettext_lazy("%(model_name)s with this %(field_label)s already exists."),
            {"model_name": capfirst(gettext_lazy("relation")), "field_label": "x", "model": object},
        )
    data = json.loads(json.dumps(stored(message)))
    assert set(data["params"]) == {"model_name", "field_label"}  # only what the sentence uses
    with translation.override("en"):
        assert render(data) == "Relation with this x already exists."
    with translation.override("nl"):
        assert render(data) == "Er bestaat al een Relatie met eenzelfde x."
    state = from_lazy(pgettext_lazy("import state", "cancelled"))
    with translation.override("nl"):
        assert render(stored(state)) == "geannuleerd"


def test_a_sentence_whose_shape_depends_on_the_language_is_made_in_each_and_shown_in_the_readers():
    def made() -> str:
        return translation.gettext("The file '%(name)s' is empty.") % {"name": translation.get_language()}

    with translation.override("nl"):
        message = in_every_language(made)
    data = json.loads(json.dumps(stored(message)))
    with translation.override("en"):
        assert render(data) == "The file 'en' is empty."
    with translation.override("nl"):
        assert render(data) == "Het bestand 'nl' is leeg."


def test_a_plural_of_djangos_is_kept_with_the_parameter_that_chooses_it():
    from django.core.exceptions import ValidationError
    from django.core.validators import MaxLengthValidator

    try:
        MaxLengthValidator(3)("abcdef")
    except ValidationError as error:
        with translation.override("nl"):
            message = message_with(error.message, error.params)
    data = json.loads(json.dumps(stored(message)))
    assert data["plural_by"] == "limit_value"
    with translation.override("en"):
        assert render(data) == "Ensure this value has at most 3 characters (it has 6)."
    with translation.override("nl"):
        assert render(data) == "Zorg dat deze waarde niet meer dan 3 tekens bevat (het zijn er nu 6)."


def test_a_file_size_is_kept_in_bytes_and_written_as_the_readers_language_writes_it():
    with translation.override("nl"):
        message = N_(
            "'%(name)s' is %(size)s, more than the %(max)s an attachment may be: make the file smaller, or leave it out of this cell."
        ) % {
            "name": "cv.pdf",
            "size": file_size(120 * 2**20),
            "max": file_size(100 * 2**20),
        }
    data = json.loads(json.dumps(stored(message)))
    assert data["params"]["size"] == {"bytes": 120 * 2**20}
    with translation.override("en"):
        assert render(data).replace("\xa0", " ").startswith("'cv.pdf' is 120.0 MB, more than the 100.0 MB")
    with translation.override("nl"):
        assert render(data).replace("\xa0", " ").startswith("'cv.pdf' is 120,0 MB, meer dan de 100,0 MB")


def test_a_list_of_labels_is_shown_in_the_readers_language_and_stored_as_data():
    message = comma_listed([N_("high"), N_("normal"), "Vast contract"])
    assert str(message) == "high, normal, Vast contract"
    with translation.override("nl"):
        assert str(restored(json.loads(json.dumps(stored(message))))) == "hoog, normaal, Vast contract"
