"""One huge cell against the readers: prints figures, asserts nothing. Not part of the test suite.

    .venv/bin/python bench/cell_limit_bench.py              # a cell of 300 MB
    .venv/bin/python bench/cell_limit_bench.py --megabytes 50

Builds a workbook (.xlsx with the cell inline, .xlsx with it as a shared string, and an .ods)
whose one cell holds N MB of text, packed under the ZIP ratio limit (a letter at random every
150 characters), and reads each through `spreadsheets.reading.open_table`, the path of the
wizard, `import_items` and the admin's Import button, in a fresh process. Prints the file's
size, the seconds until the refusal, the process's peak memory and the sentence. Before the
cell limit (issue 14) such a cell took 47 s and 1.9 GB on the mapping page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("xlsx inline", "xlsx shared string", "ods")


def huge_text(megabytes: int):
    """Chunks of the cell's text: runs of x with a random letter every 150 characters."""
    rng = random.Random(14)
    block = 1 << 20
    for _ in range(megabytes):
        yield "".join(("x" * 149 + rng.choice(string.ascii_letters)) for _ in range(block // 150))


def write(path: Path, kind: str, megabytes: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.spreadsheets.test_cell_limit import SHEET_HEAD, WORKBOOK, inline
    from tests.spreadsheets.test_ods import BODY_END, BODY_START, HEAD, MANIFEST

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind == "ods":
            archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
            archive.writestr("META-INF/manifest.xml", MANIFEST.format(extra=""))
            with archive.open("content.xml", "w", force_zip64=True) as member:
                member.write(
                    (
                        HEAD
                        + BODY_START
                        + '<table:table table:name="Blad1"><table:table-row>'
                        + '<table:table-cell office:value-type="string"><text:p>Nummer</text:p></table:table-cell>'
                        + "</table:table-row><table:table-row>"
                        + '<table:table-cell office:value-type="string"><text:p>'
                    ).encode()
                )
                for chunk in huge_text(megabytes):
                    member.write(chunk.encode())
                member.write(("</text:p></table:table-cell></table:table-row></table:table>" + BODY_END).encode())
            return
        archive.writestr("xl/workbook.xml", WORKBOOK)
        shared = kind == "xlsx shared string"
        cell = '<c r="A2" t="s"><v>0</v></c>' if shared else None
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write((SHEET_HEAD + f'<row r="1">{inline("A1", "Nummer")}</row><row r="2">').encode())
            if shared:
                member.write(cell.encode())
            else:
                member.write(b'<c r="A2" t="inlineStr"><is><t>')
                for chunk in huge_text(megabytes):
                    member.write(chunk.encode())
                member.write(b"</t></is></c>")
            member.write(b"</row></sheetData></worksheet>")
        if shared:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
                member.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
                for chunk in huge_text(megabytes):
                    member.write(chunk.encode())
                member.write(b"</t></si></sst>")


def read(path: str) -> dict:
    import resource

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from spreadsheets.reading import ReadError, open_table

    started = time.perf_counter()
    try:
        table = open_table(path)
        rows = sum(1 for _ in table.rows())
        outcome = f"read {rows} rows"
    except ReadError as error:
        outcome = str(error)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--child")
    options = parser.parse_args()
    if options.child:
        print(json.dumps(read(options.child)))
        return
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ENV_FILE": "/dev/null",
    }
    with tempfile.TemporaryDirectory() as folder:
        for kind in KINDS:
            path = Path(folder) / ("huge.ods" if kind == "ods" else "huge.xlsx")
            write(path, kind, options.megabytes)
            command = [sys.executable, __file__, "--child", str(path)]
            result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
            if result.returncode != 0:
                raise SystemExit(f"{kind} failed:\n{result.stderr[-3000:]}")
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            size = path.stat().st_size / 2**20
            print(
                f"{kind:20} cell {options.megabytes} MB, file {size:.1f} MB: {figures['seconds']} s, "
                f"peak {figures['peak_mb']} MB; {figures['outcome']}"
            )
            path.unlink()


if __name__ == "__main__":
    main()
