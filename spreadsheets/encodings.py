"""Which character set a CSV is written in, from its first bytes.

    detect_encoding(head, complete=True)  # "utf-8", "utf-8-sig", "utf-16", "utf-16-le",
                                          # a Windows code page ("cp1252", "cp1250", ...),
                                          # "iso8859_2" or None
    possible_code_pages(head)             # the code pages a refused file may be in

UTF-8 is what decodes as UTF-8 (a character cut off by the end of a sample that is not the
whole file excused); UTF-16 is told by its byte order mark, or without one by the zero bytes
every other byte of Latin text is. A file that is neither is in one of the ANSI code pages;
which one is decided by how the words read in each (`word_scores`):

- a word is implausible in a code page when no language written in it spells it so: its
  letters outside ASCII are not the alphabet of one language (LANGUAGES: "Pøíliš", Czech read
  as Windows-1252, mixes Danish, Spanish and Finnish letters), it is made of such letters
  only ("Ïðèâåò": Cyrillic as Windows-1252), it mixes scripts or puts a capital after a small
  letter ("ódŸ": Polish as Windows-1252), or it puts a letter where its language never has
  it (`_spelled_right`: an Italian ì inside a word, a Spanish ñ before a consonant, the Greek
  final sigma inside a word); a sign between two letters or on one side of a word ("by³o",
  "£ódŸ") counts as one more implausible word (`_signs_among_letters`);
- Windows-1252 (Dutch, English and other West-European Windows) is chosen when no word reads
  implausibly in it and none has a letter it seldom has (ð, þ, ý: Turkish ğ, ş, ı read as
  Windows-1252); with such letters only when no other code page reads every word well; with
  at most one word in ten implausible unless another code page reads every word well, all in
  one language. Otherwise the code page with fewest implausible words, then with most words
  in one language, when it is the only one so (code pages that read the text alike count as
  one). The other code pages are read only when Windows-1252 does not read the text well.

None means that no code page reads the text well, or two read it equally well but
differently: the caller refuses the file rather than read it wrongly, naming the code pages
(`possible_code_pages`). A text whose only letters outside ASCII read as West-European words
too (a Czech "moře" alone reads "moøe") cannot be told and is read as Windows-1252. No
dependency: charset-normalizer guesses among a hundred code pages from statistics and
would still need this choice made for short files.
"""

from __future__ import annotations

import codecs
import collections
import functools
import re
import unicodedata
from dataclasses import dataclass

from spreadsheets.messages import N_, Message

# Windows-1252 first: the default of Dutch and English Windows, chosen when it reads well;
# among the others the earlier wins when two read a text alike.
ANSI_CANDIDATES = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "iso8859_2")
NAMES = {
    "cp1252": "Windows-1252",
    "cp1250": "Windows-1250",
    "cp1251": "Windows-1251",
    "cp1253": "Windows-1253",
    "cp1254": "Windows-1254",
    "cp1257": "Windows-1257",
    "iso8859_2": "ISO-8859-2",
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
}
# What the languages of each code page are called on a page: "Windows-1250 (Central European)".
REGIONS = {
    "cp1252": N_("West European"),
    "cp1250": N_("Central European"),
    "cp1251": N_("Cyrillic"),
    "cp1253": N_("Greek"),
    "cp1254": N_("Turkish"),
    "cp1257": N_("Baltic"),
    "iso8859_2": N_("Central European"),
}
_WEST = (
    "áéíóúàèìòùâêîôûäëïöüçñ",  # Dutch, French, Welsh and the loanwords of English
    "àâæçéèêëîïôœùûüÿ",  # French
    "äöüßéèà",  # German
    "áéíóúüñ",  # Spanish
    "àèéíïòóúüç",  # Catalan
    "áâãàçéêíóôõúü",  # Portuguese
    "àèéìíîòóùú",  # Italian
    "æøåéèóòôàüäö",  # Danish, Norwegian
    "åäöéü",  # Swedish
    "äöåõüšž",  # Finnish, Estonian
    "áðéíóúýþæö",  # Icelandic
    "çöüâîû",  # Turkish without the letters Windows-1252 lacks
    "çë",  # Albanian
)
_CENTRAL = (
    "ąćęłńóśźż",  # Polish
    "áčďéěíňóřšťúůýž",  # Czech
    "áäčďéíĺľňóôŕšťúýž",  # Slovak
    "áéíóöőúüű",  # Hungarian
    "čćđšž",  # Slovene, Croatian, Bosnian, Serbian
    "ăâîşţ",  # Romanian
    "äöüßé",  # German
    "çë",  # Albanian
)
_BALTIC = (
    "ąčęėįšųūž",  # Lithuanian
    "āčēģīķļņšūž",  # Latvian
    "äöõüšž",  # Estonian
    "ąćęłńóśźż",  # Polish
    "äöüßé",  # German
    "æøåé",  # Danish
)
# The alphabets (letters outside ASCII) of the languages written in each Latin code page;
# a code page without one (Cyrillic, Greek) holds no Latin letters outside ASCII.
LANGUAGES = {
    "cp1252": _WEST,
    "cp1250": _CENTRAL,
    "iso8859_2": _CENTRAL,
    "cp1254": ("çğı\u0307öşüâîû", "çêîşû"),  # Turkish ("İ".lower() is i and a dot above), Kurdish
    "cp1257": _BALTIC,
}
ALPHABETS = {code_page: [frozenset(letters) for letters in languages] for code_page, languages in LANGUAGES.items()}
# Letters Windows-1252 has for Icelandic and that Turkish text read in it is full of (ğ ş ı
# İ Ş Ğ), and an õ not before e (Portuguese "ões"; Hungarian ő read as Windows-1252): a word
# with one reads well, unless another code page reads the whole text better.
SELDOM = frozenset("ðþýÐÞÝ")
SELDOM_UNLESS_E = re.compile(r"[õÕ](?![eE])")
SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
# Letters: \w without digits, _ and the signs that Python counts as letters or numbers
# (m², ½ liter, Nº 1, 5 µg).
WORD = re.compile(r"[^\W\d_¹²³¼½¾ªºµ]+")
# A sign that is no letter (or that Python counts as one: ª º µ, ¹ ² ³ ¼ ½ ¾), or a control
# character (ISO-8859-2 reads Windows-1250's ś, ź, Ś as one): where it stands next to letters
# tells a letter of another code page read as a sign (`_signs_among_letters`).
SIGN = re.compile(r"[^\w\s\x00-\x7f]|[¹²³¼½¾ªºµ\x85]")
NOT_LETTERS = frozenset("¹²³¼½¾ªºµ")
# Between two letters these are an apostrophe, an accent typed as one, a dash or the Catalan
# middle dot (l’homme, col·lecció).
JOINERS = frozenset("’‘´`·–—")
VOWELS = frozenset("aeiouyAEIOUYáéíóúàèìòùâêîôûäëïöüÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÄËÏÖÜ")
# A West-European letter or sign in UTF-8 (the lead bytes reading.UTF8_LEADS scans for): in
# a file that is not UTF-8 as a whole, UTF-8 lines among others.
UTF8_LATIN = re.compile(rb"[\xc2\xc3\xc5][\x80-\xbf]|\xe2[\x80-\xbf][\x80-\xbf]")
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


@dataclass(frozen=True)
class Reading:
    """How a code page reads a text: its words outside ASCII, the implausible ones among
    them, those with a letter Windows-1252 seldom has, and the most that one language fits."""

    text: str
    words: int
    wrong: int
    seldom: int = 0
    one_language: int = 0


def readings(head: bytes, candidates: tuple[str, ...] = ANSI_CANDIDATES) -> dict[str, Reading]:
    """The code pages among `candidates` that decode `head` (its last byte may be a cut-off
    character's), with how each reads."""
    found: dict[str, Reading] = {}
    for candidate in candidates:
        try:
            text = head.decode(candidate)
        except UnicodeDecodeError as error:
            if error.end < len(head) - 1:
                continue
            text = head[: error.start].decode(candidate)
        found[candidate] = word_scores(text, candidate)
    return found


def ansi_code_page(head: bytes) -> str | None:
    """The code page `head` reads best in (see the module); None when none reads well or
    two read it equally well but differently."""
    if utf8 := UTF8_LATIN.search(head):
        # UTF-8 lines among others: the lines above them tell the code page (the reader
        # then names where the UTF-8 starts); Windows-1252 when they are plain ASCII.
        head = head[: head.rfind(b"\n", 0, utf8.start()) + 1]
        if head.isascii():
            return "cp1252"
    west = readings(head, ("cp1252",)).get("cp1252")
    if west is not None and west.wrong == 0 and west.seldom == 0:
        return "cp1252"  # the others are read only when Windows-1252 reads the text badly
    found = readings(head, ANSI_CANDIDATES[1:])
    if west is not None:
        found = {"cp1252": west, **found}
    if west is not None and west.wrong == 0:
        others = {candidate: reading for candidate, reading in found.items() if candidate != "cp1252"}
        best = _best(others)
        if best is not None and others[best].wrong == 0:
            return best
        if best is None and any(reading.wrong == 0 for reading in others.values()):
            return None  # Turkish or Icelandic, and two other code pages read it alike
        return "cp1252"
    if west is not None and west.wrong * 10 <= west.words:
        # A few odd words in a long West-European text, unless another code page reads
        # every word, all in one language (a Hungarian text with one "Árvíztûrõ").
        best = _best(found)
        return (
            best
            if best is not None and found[best].wrong == 0 and found[best].one_language == found[best].words
            else "cp1252"
        )
    return _best(found)


def possible_code_pages(head: bytes) -> list[str]:
    """The code pages that read `head` with fewest implausible words (as long as those are
    few; code pages that read it alike named once), for a refusal to name."""
    found = readings(head)
    if not found:
        return []
    fewest = min(reading.wrong for reading in found.values())
    if any(reading.wrong == fewest and reading.wrong * 5 > reading.words for reading in found.values()):
        return []
    texts: set[str] = set()
    pages = []
    for candidate, reading in found.items():
        if reading.wrong == fewest and reading.text not in texts:
            texts.add(reading.text)
            pages.append(candidate)
    return pages


def _best(found: dict[str, Reading]) -> str | None:
    """The code page with fewest implausible words, then most words in one language; None
    when another reads the text differently as well, or too many words read wrong."""
    ranked = sorted(
        found.items(),
        key=lambda item: (item[1].wrong, -item[1].one_language),
    )
    if not ranked:
        return None
    best, reading = ranked[0]
    for _candidate, other in ranked[1:]:
        if (other.wrong, other.one_language) != (reading.wrong, reading.one_language):
            break
        if other.text != reading.text:
            return None  # two code pages read it equally well
    if reading.wrong * 5 > reading.words:
        return None  # too many words that no language writes so
    return best


def word_scores(text: str, code_page: str) -> Reading:
    """How `text` reads in `code_page` (see Reading and the module)."""
    fits = [0] * len(LANGUAGES.get(code_page, ()))
    wrong = words = 0
    if fits:  # signs among letters: in a Latin reading only, as before for the others
        wrong = words = _signs_among_letters(text)
    seldom = 0
    # each word once: a file repeats its words (and most hold no letter outside ASCII)
    for word, count in collections.Counter(WORD.findall(text)).items():
        if word.isascii():
            continue
        words += count
        plausible, languages, rare = _word_verdict(word, code_page)
        if not plausible:
            wrong += count
            continue
        for language in languages:
            fits[language] += count
        seldom += count if rare else 0
    return Reading(text, words, wrong, seldom, max(fits, default=0))


def _signs_among_letters(text: str) -> int:
    """Signs where West-European text never has them: a control character; a sign between two
    letters ("by³o" było, "mo¿e" może); or on one side of a word ("s¹" są, "¯ywiec" Żywiec,
    "Oraº" Oraş, "£ódŸ" Łódź), but not m² or m³, Nº, 1ª, ¿Qué or ¡Olé!."""
    found = 0
    last = len(text) - 1
    for match in SIGN.finditer(text):
        index, sign = match.start(), match.group()
        before = text[index - 1] if index else " "
        after = text[index + 1] if index < last else " "
        letter_before = before.isalpha() and before not in NOT_LETTERS
        letter_after = after.isalpha() and after not in NOT_LETTERS
        if "\x80" <= sign <= "\x9f":
            found += 1
        elif letter_before and letter_after:
            found += sign not in JOINERS
        elif sign in "¯¥£¼½¾¦¨¤¿¡":  # ¿ and ¡ may open a word
            found += letter_before or (letter_after and sign not in "¿¡")
        elif sign in "¹²³ªº":
            found += letter_after or (letter_before and before not in ("mM" if sign in "¹²³" else "nN"))
    return found


@functools.lru_cache(maxsize=8192)
def _word_verdict(word: str, code_page: str) -> tuple[bool, tuple[int, ...], bool]:
    """Whether a word reads well in a code page, the languages whose alphabet it fits, and
    whether it holds a letter Windows-1252 seldom has."""
    letters = {low for char in word if not char.isascii() for low in char.lower() if not low.isascii()}
    alphabets = ALPHABETS.get(code_page, ())
    languages = tuple(i for i, alphabet in enumerate(alphabets) if letters <= alphabet)
    plausible = (
        _plausible(word) and (not alphabets or bool(languages)) and (len(word) == 1 or _spelled_right(word, code_page))
    )
    rare = code_page == "cp1252" and (not SELDOM.isdisjoint(word) or SELDOM_UNLESS_E.search(word) is not None)
    return plausible, languages, rare


def _spelled_right(word: str, code_page: str) -> bool:
    """Where the languages of a code page put a letter. In Windows-1252: the Spanish ñ, the
    French œ before a vowel, and è and æ never (Czech and Croatian č and ć read as
    Windows-1252: "uèí", "kuæa"); the Italian ì and ù only last ("dìkuji" is Czech ě); the
    ï after a vowel ("naïef"; "Ïoti" is Latvian Ļ), ë and û never first; the Icelandic ð never
    first and þ only first (Estonian š and Turkish ş). In Windows-1253 the Greek final sigma
    only at the end."""
    if code_page == "cp1252":
        last = len(word) - 1
        for index, char in enumerate(word):
            after = word[index + 1] if index < last else ""
            if char in "ñÑœŒ" and after not in VOWELS:
                return False
            if char in "èÈæÆ" and after and after in VOWELS:
                return False
            if (char in "ìÌùÙ" and index < last) or (char in "ðÐëËûÛ" and index == 0):
                return False
            if char in "ïÏ" and (index == 0 or word[index - 1] not in VOWELS):
                return False
            if char in "þÞ" and index > 0:
                return False
    elif code_page == "cp1253" and ("ς" in word[:-1] or word.endswith("σ")):
        return False
    return True


def _plausible(word: str) -> bool:
    scripts = {_script(char) for char in word if char.isalpha()}
    scripts.discard(None)
    if len(scripts) > 1:
        return False
    script = next(iter(scripts), None)
    cased = word.islower() or word.isupper() or (word[:1].isupper() and (len(word) == 1 or word[1:].islower()))
    # a Greek accented vowel read as a Cyrillic capital, a Polish ź read as Ÿ ("ódŸ")
    if not cased and (script != "LATIN" or any(char.isupper() and not char.isascii() for char in word[1:])):
        return False
    if script == "LATIN":
        accented = [not char.isascii() for char in word]
        if len(word) >= 2 and all(accented):
            return False
        run = 0
        for flag in accented:
            run = run + 1 if flag else 0
            if run >= ACCENTED_RUN:
                return False
    return True


def _script(char: str) -> str | None:
    """LATIN, CYRILLIC or GREEK; None for any other letter (ª, µ)."""
    script = unicodedata.name(char, "").split(" ", 1)[0]
    return script if script in SCRIPTS else None


def encoding_name(encoding: str) -> str:
    """The name a user knows an encoding by."""
    return NAMES.get(encoding, encoding)


def code_page_name(encoding: str) -> Message | str:
    """An encoding's name with its languages where it has them: "Windows-1250 (Central
    European)", translated when shown."""
    if encoding not in REGIONS:
        return encoding_name(encoding)
    return N_("%(name)s (%(region)s)") % {"name": encoding_name(encoding), "region": REGIONS[encoding]}
