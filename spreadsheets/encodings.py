"""Which character set a CSV is written in, from its first bytes.

    detect_encoding(head, complete=True)  # "utf-8", "utf-8-sig", "utf-16", "utf-16-le",
                                          # "cp1252", "cp1251", "cp1253" or None

UTF-8 is what decodes as UTF-8 (a character cut off by the end of a sample that is not the
whole file excused); UTF-16 is told by its byte order mark, or without one by the zero bytes
every other byte of Latin text is. A file that is neither is one of the Windows ANSI code
pages; which one is decided by how the words read in each (`implausible_words`):

- West-European text in Windows-1252 has accented letters among plain ones ("café",
  "Größe"); Cyrillic or Greek read as Windows-1252 gives words made of accented letters
  only ("Ïðèâåò"), which no West-European language writes;
- a word read in the wrong one of Windows-1251 (Cyrillic) and Windows-1253 (Greek) mixes
  scripts, mixes upper and lower case (the Greek accented vowels are Cyrillic capitals), or
  puts the Greek final sigma inside a word.

None means that no code page reads the text as words (or two read it equally well): the
caller refuses the file rather than read it wrongly. No dependency: charset-normalizer would
guess among a hundred code pages from statistics and still need this choice made for short
files; the import needs three.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

# Windows-1252 first: the default of Dutch and English Windows, chosen when it reads well.
ANSI_CANDIDATES = ("cp1252", "cp1251", "cp1253")
NAMES = {
    "cp1252": "Windows-1252",
    "cp1251": "Windows-1251",
    "cp1253": "Windows-1253",
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
}
SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
WORD = re.compile(r"[^\W\d_]+")
# West-European words hold at most a few accented letters in a row ("ääö" in Finnish).
ACCENTED_RUN = 4


def detect_encoding(head: bytes, *, complete: bool) -> str | None:
    """The encoding of a text whose first bytes are `head` (`complete`: the whole file)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        return _utf16_without_bom(head)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if complete or error.reason != "unexpected end of data":
            return ansi_code_page(head)
    return "utf-8"


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a byte order mark: Latin text has a zero byte after (little-endian) or
    before (big-endian) nearly every character. None for anything else (a binary file)."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    if odd.count(0) >= len(odd) / 3 and even.count(0) <= len(even) / 20:
        encoding = "utf-16-le"
    elif even.count(0) >= len(even) / 3 and odd.count(0) <= len(odd) / 20:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = head[: len(head) - len(head) % 2].decode(encoding)
    except UnicodeDecodeError:
        return None  # a binary file
    controls = sum(1 for char in text if char < " " and char not in "\t\r\n")
    return encoding if controls * 100 <= len(text) else None


def ansi_code_page(head: bytes) -> str | None:
    """Windows-1252, -1251 or -1253, by the words each reads (see the module); None when none
    reads well or two read equally well."""
    text_of: dict[str, str] = {}
    for candidate in ANSI_CANDIDATES:
        try:
            text_of[candidate] = head.decode(candidate)
        except UnicodeDecodeError as error:
            if error.end < len(head) - 1:  # the last byte may be a cut-off character's
                continue
            text_of[candidate] = head[: error.start].decode(candidate)
    scores = {candidate: implausible_words(text) for candidate, text in text_of.items()}
    if scores.get("cp1252", (1, 0))[0] == 0:
        return "cp1252"
    # fewest implausible words first; Windows-1252 first among equals
    ranked = sorted(scores.items(), key=lambda item: (item[1][0], item[0] != "cp1252"))
    if not ranked:
        return None
    best, (wrong, words) = ranked[0]
    if best != "cp1252" and len(ranked) > 1 and ranked[1][1][0] == wrong:
        return None  # Cyrillic and Greek read it equally well
    if wrong * 5 > words:
        return None  # too many words that no language writes so
    return best


def implausible_words(text: str) -> tuple[int, int]:
    """(words that no language writes so, words with a letter outside ASCII) of a text."""
    wrong = total = 0
    for match in WORD.finditer(text):
        word = match.group()
        if word.isascii():
            continue
        total += 1
        if not _plausible(word):
            wrong += 1
    return wrong, total


def _plausible(word: str) -> bool:
    scripts = {_script(char) for char in word if char.isalpha()}
    scripts.discard(None)
    if len(scripts) > 1:
        return False
    script = next(iter(scripts), None)
    if script != "LATIN" and not (
        word.islower() or word.isupper() or (word[:1].isupper() and (len(word) == 1 or word[1:].islower()))
    ):
        return False  # a Greek accented vowel read as a Cyrillic capital
    if script == "LATIN":
        accented = [not char.isascii() for char in word]
        if len(word) >= 2 and all(accented):
            return False
        run = 0
        for flag in accented:
            run = run + 1 if flag else 0
            if run >= ACCENTED_RUN:
                return False
    elif script == "GREEK" and ("ς" in word[:-1] or word.endswith("σ")):
        return False  # the final sigma inside a word, or the other one at its end
    return True


def _script(char: str) -> str | None:
    """LATIN, CYRILLIC or GREEK; None for any other letter (ª, µ)."""
    script = unicodedata.name(char, "").split(" ", 1)[0]
    return script if script in SCRIPTS else None


def encoding_name(encoding: str) -> str:
    """The name a user knows an encoding by."""
    return NAMES.get(encoding, encoding)
