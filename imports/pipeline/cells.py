"""Cell values the readers hand to validation besides plain Python values."""

from __future__ import annotations


class _Uncomputed:
    """A formula cell the file stores without its computed value (written by a program that
    does not calculate). Validation reports it; it is never taken as an empty cell."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNCOMPUTED"

    def __reduce__(self) -> str:
        return "UNCOMPUTED"  # pickles as this one object (the second reading process)

    def __bool__(self) -> bool:
        return True


UNCOMPUTED = _Uncomputed()
