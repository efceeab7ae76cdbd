"""One huge cell, and one cell repeated billions of times, against the readers: prints
figures, asserts nothing. Not part of the test suite.

    .venv/bin/python bench/cell_limit_bench.py              # a cell of 300 MB
    .venv/bin/python bench/cell_limit_bench.py --megabytes 50 --timeout 120

Builds a workbook (.xlsx with the cell inline, .xlsx with it as a shared string, and an .ods)
whose one cell holds N MB of text, packed under the ZIP ratio limit (a letter at random every
150 characters), and reads each through `spreadsheets.reading.open_table`, the path of the
wizard, `import_items` and the admin's Import button, in a fresh process. Prints the file's
size, the seconds until the refusal, the process's peak memory and the sentence. Before the
cell limit (issue 14) such a cell took 47 s and 1.9 GB on the mapping page.

Two more files test the limit on the cells of a sheet (IMPORT_MAX_CELLS, issue 15): a 1.3 KB
.ods whose second row is repeated 1,048,575 times and holds one cell repeated 16,384 times
(17 billion cells), and an .xlsx of 1,000,000 rows that each hold a cell in column A and one
in column XFD. Each is read to its end (every row counted, as validation would), or until the
refusal; `--timeout` stops a reader that has not finished (the code before the limit).
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
KINDS = ("xlsx inline", "xlsx shared string", "ods", "ods repeated cell", "xlsx far cells")
REPEATED_ODS = (
    '<table:table table:name="Blad1"><table:table-row>'
    '<table:table-cell office:value-type="string"><text:p>Nummer</text:p></table:table-cell></table:table-row>'
    '<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384" '
    'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>'
)


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
        if kind == "ods repeated cell":
            archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
            archive.writestr("META-INF/manifest.xml", MANIFEST.format(extra=""))
            archive.writestr("content.xml", HEAD + BODY_START + REPEATED_ODS + BODY_END)
            return
        if kind == "xlsx far cells":
            archive.writestr("xl/workbook.xml", WORKBOOK)
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                member.write((SHEET_HEAD + f'<row r="1">{inline("A1", "Nummer")}</row>').encode())
                for number in range(2, 1_000_001):
                    member.write(
                        f'<row r="{number}"><c r="A{number}"><v>{number}</v></c><c r="XFD{number}"><v>1</v></c></row>'.encode()
                    )
                member.write(b"</sheetData></worksheet>")
            return
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
    parser.add_argument("--timeout", type=float, default=None, help="seconds a reader may take (default: no limit)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="which files, comma-separated")
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
        for kind in options.kinds.split(","):
            path = Path(folder) / ("huge.ods" if kind.startswith("ods") else "huge.xlsx")
            write(path, kind, options.megabytes)
            command = [sys.executable, __file__, "--child", str(path)]
            size = path.stat().st_size / 2**20
            try:
                result = subprocess.run(
                    command, env=env, capture_output=True, text=True, cwd=ROOT, check=False, timeout=options.timeout
                )
            except subprocess.TimeoutExpired:
                print(f"{kind:20} file {size:.3f} MB: not finished after {options.timeout} s (stopped)")
                path.unlink()
                continue
            if result.returncode != 0:
                raise SystemExit(f"{kind} failed:\n{result.stderr[-3000:]}")
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            what = "" if kind in ("ods repeated cell", "xlsx far cells") else f"cell {options.megabytes} MB, "
            print(
                f"{kind:20} {what}file {size:.3f} MB: {figures['seconds']} s, "
                f"peak {figures['peak_mb']} MB; {figures['outcome']}"
            )
            path.unlink()


if __name__ == "__main__":
    main()
