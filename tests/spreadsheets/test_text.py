"""The text helpers the readers trim and clean with. No database needed."""

from spreadsheets.text import CONTROL_CHARACTERS, without_controls


def test_control_characters_other_than_tab_and_line_breaks_are_matched():
    controls = [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]]
    bidi = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
    kept = "tab\there\r\nline\u2028é€\u200d"
    assert without_controls("".join(controls + bidi) + kept) == kept


def test_every_control_character_fails_isprintable_so_the_fast_check_lets_none_pass():
    matched = [chr(c) for c in range(0x3000) if CONTROL_CHARACTERS.match(chr(c))]
    assert len(matched) == 29 + 1 + 32 + 5 + 4
    assert not any(char.isprintable() for char in matched)
