"""Files-first benchmark: prints figures, asserts nothing but correctness. Not part of the test suite.

    .venv/bin/python bench/files_first_bench.py               # 5,000 files, SQLite
    .venv/bin/python bench/files_first_bench.py --files 20000

A ZIP of small PDFs named as people name them ("10081 CV Jansen.pdf", "E0003 - diploma.pdf",
"Contracten/10004.pdf", and some numbers nobody has), on the demo world in a temporary folder:
- the proposal alone: the ZIP's directory read through its guards, the names read, every
  number resolved (imports/pipeline/proposal.py);
- the wizard: the ZIP posted to the upload view without a spreadsheet (Django's test client)
  and the proposal page it leads to, from the first byte sent to the page (target under 3 s);
- "Continue" on the proposal: the spreadsheet written and its column names read.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBJECTS = ["CV Jansen", "- diploma", "_motivatiebrief", " getuigschrift", "contract getekend"]


def documents_zip(count: int) -> bytes:
    """`count` small PDFs: relation numbers, employee numbers, folders and unknown numbers."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for index in range(count):
            person = 10001 + index % 150
            match index % 5:
                case 0 | 1:
                    name = f"{person} {SUBJECTS[index % len(SUBJECTS)]} {index}.pdf"
                case 2:
                    name = f"E{1 + index % 80:04d}{SUBJECTS[index % len(SUBJECTS)]} {index}.pdf"
                case 3:
                    name = f"Contracten {index // 500}/{person}-{index}.pdf"
                case _:
                    name = f"{90000 + index} onbekend.pdf"
            zipped.writestr(name, b"%PDF-1.4\n" + str(index).encode() + b"\n%%EOF\n")
    return stream.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(
            {
                "ENV_FILE": "/dev/null",
                "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                "DEBUG": "false",
                "SECRET_KEY": "bench-" + "x" * 50,
                "ALLOWED_HOSTS": "testserver",
                "SECURE_SSL_REDIRECT": "false",
                "PRIVATE_STORAGE_ROOT": f"{folder}/private",
                "LOG_FILE": "",
                "LANGUAGE_CODE": "en",
            }
        )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        run(options.files)


def run(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from imports import services
    from imports.models import ImportJob
    from imports.pipeline.proposal import archive_files, propose, resolved_numbers

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    user = get_user_model().objects.get(username="importeur")
    content = documents_zip(count)
    print(f"ZIP of {count:,} files: {len(content) / 1024**2:.1f} MB")

    started = time.monotonic()
    files = archive_files(io.BytesIO(content))
    listed = time.monotonic()
    proposal = propose(files, resolve=lambda numbers: resolved_numbers(numbers, user=user))
    proposed = time.monotonic()
    found = sum(1 for entry in proposal if entry.relation)
    assert len(proposal) == count, len(proposal)
    print(
        f"the proposal alone: {listed - started:.2f} s reading the directory + {proposed - listed:.2f} s names and "
        f"numbers = {proposed - started:.2f} s ({found:,} of {count:,} files with a relation)"
    )

    client = Client()
    client.force_login(user)
    handle = io.BytesIO(content)
    handle.name = "documenten.zip"
    started = time.monotonic()
    response = client.post(reverse("imports:upload", args=["SOLL"]), {"attachments": handle})
    posted = time.monotonic()
    assert response.status_code == 302 and response["Location"].endswith("/files/"), response.status_code
    page = client.get(response["Location"])
    assert page.status_code == 200
    shown = time.monotonic()
    print(
        f"upload to the proposal page: {posted - started:.2f} s upload + {shown - posted:.2f} s page = "
        f"{shown - started:.2f} s (target < 3 s)"
    )

    job = ImportJob.objects.get(user=user, state=ImportJob.State.UPLOADED)
    started = time.monotonic()
    services.continue_proposal(job=job)
    ended = time.monotonic()
    print(f"continue (the spreadsheet of {count:,} rows written and read): {ended - started:.2f} s")


if __name__ == "__main__":
    main()
