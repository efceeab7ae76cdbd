"""The ZIP bomb check, from a ZIP's directory alone, before anything unpacks it: for a
spreadsheet (.xlsx and .ods are ZIPs; reading.py) and for the attachments ZIP of an import.
The caller passes its limits and turns the reason into its own sentence."""

from __future__ import annotations

import zipfile

# Below this many unpacked bytes no ZIP is a bomb, however tight it packs (b"A" * 5000 packs
# 300 to 1): the ratio limit applies only above it.
RATIO_FLOOR = 10 * 1024 * 1024


def unpacks_too_far(infos: list[zipfile.ZipInfo], limits: dict[str, int]) -> str | None:
    """A ZIP bomb check from the directory alone: "members" (too many), "bytes" (too many
    unpacked), "ratio" (over RATIO_FLOOR bytes, packed too tightly: unpacked / packed), or
    None when the ZIP is within every limit."""
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if len(infos) > limits["members"]:
        return "members"
    if total > limits["uncompressed_bytes"]:
        return "bytes"
    if total > RATIO_FLOOR and total / packed > limits["ratio"]:
        return "ratio"
    return None
