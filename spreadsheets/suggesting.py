"""Which allowed value a text from a file most likely means: for the value map of the check
page (a cell "middel" where the list says MIDDEN) and the command line's report.

Plain functions over plain data: the candidates are the allowed codes, each with the names a
person may write for it (the code itself, its label in every language). A name matches

1. exactly once case, accents, spaces and punctuation are left aside ("Laag " is LAAG,
   "Hoog" is the label hoog of the priority high in any language): score 1;
2. as the start of one name, from three characters on ("Mid" for Midden): score PREFIX;
3. by likeness (difflib's ratio of the folded texts, "middel" and "midden": 0.83).

A suggestion is made only when the best score reaches CUTOFF and no other code scores as
high: a text two values fit equally well gets none, and the user chooses.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping

CUTOFF = 0.75
PREFIX = 0.9
PREFIX_LENGTH = 3


def folded(text: str) -> str:
    """A text with case, accents, spaces and punctuation left aside: "Midden " -> "midden",
    "Réd" -> "red"."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(char for char in decomposed if char.isalnum())


def _score(text: str, name: str) -> float:
    if not text or not name:
        return 0.0
    if text == name:
        return 1.0
    if len(text) >= PREFIX_LENGTH and name.startswith(text):
        return PREFIX
    return difflib.SequenceMatcher(None, text, name, autojunk=False).ratio()


def rank_values(raw: str, candidates: Mapping[str, Iterable[str]]) -> list[tuple[str, float]]:
    """Every code with its best score for `raw` (see the module), best first; codes that do
    not reach CUTOFF are left out."""
    text = folded(raw)
    ranked = []
    for code, names in candidates.items():
        score = max((_score(text, folded(name)) for name in (code, *names)), default=0.0)
        if score >= CUTOFF:
            ranked.append((code, score))
    ranked.sort(key=lambda pair: -pair[1])
    return ranked


def suggest_value(raw: str, candidates: Mapping[str, Iterable[str]]) -> str | None:
    """The code `raw` most likely means, or None when none is likely or two are as likely."""
    ranked = rank_values(raw, candidates)
    if not ranked or (len(ranked) > 1 and ranked[1][1] >= ranked[0][1]):
        return None
    return ranked[0][0]
