"""Cleaning the text of a cell: what trimming removes, and the control characters no text
should hold. The readers trim with these; dossier's value parsers warn with them."""

from __future__ import annotations

import re

# Control characters no text should hold: C0 except tab, line feed and carriage return; DEL;
# C1; and the invisible bidirectional embeddings, overrides and isolates, which can make a
# text read differently from what it holds (U+202A-U+202E, U+2066-U+2069). A text is checked
# with str.isprintable() first, a C loop twice as fast as the expression, which then runs only
# for the texts it refuses (line breaks, tabs, other spaces, controls).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# What trimming removes: real whitespace only. str.strip() without an argument also strips
# the controls U+001C-U+001F and U+0085 (and VT, FF), which would then vanish from the ends
# of a cell without the warning CONTROL_CHARACTERS gives.
WHITESPACE = (
    "\t\n\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def without_controls(text: str) -> str:
    """`text` without the characters CONTROL_CHARACTERS matches."""
    return CONTROL_CHARACTERS.sub("", text)
