"""Helpers of the wizard's view tests (tests/imports/test_wizard_*.py); their fixtures (client,
importeur) are in tests/imports/conftest.py."""

import io

import openpyxl
from django.contrib.auth import get_user_model
from django.urls import reverse

from dossier.models import ItemType
from imports import services
from imports.models import ImportJob, SavedMapping
from imports.pipeline.mapping import header_key

SOLL_CSV = "Relatienummer;Onderwerp;Instuurdatum\n10001;Sollicitatiebrief;03-04-2025\n10002;CV;04-04-2025\n"
# settings.TASKS for a test whose queued tasks run at once (see the checked_at_once fixture).
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def user(name: str):
    return get_user_model().objects.get(username=name)


def upload_file(content: bytes | str, name: str) -> io.BytesIO:
    handle = io.BytesIO(content.encode("utf-8") if isinstance(content, str) else content)
    handle.name = name
    return handle


def xlsx_bytes(sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def start_job(text: str = SOLL_CSV, *, username: str = "importeur", type_code: str = "SOLL", name: str = "rows.csv"):
    return services.start_import(
        user=user(username),
        item_type=ItemType.objects.get(code=type_code),
        file=io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text),
        file_name=name,
    )


def checked_job(text: str = SOLL_CSV, **start) -> ImportJob:
    """A job of `text` (start_job's arguments) mapped as suggested and checked, read again."""
    job = start_job(text, **start)
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    services.validate_import(job=job)
    return ImportJob.objects.get(pk=job.pk)


def map_url(job) -> str:
    return reverse("imports:map", args=[job.pk])


def form_data(response) -> dict[str, str]:
    """What the page's form would send as it is."""
    form = response.context["form"]
    return {name: form[name].value() or "" for name in form.fields}


def remembered(job, mapping: dict, *, username: str = "importeur") -> SavedMapping:
    """`mapping` remembered for `username`, the job's type and its header set."""
    return SavedMapping.objects.create(
        owner=user(username),
        item_type=job.item_type,
        header_key=header_key(job.headers),
        headers=job.headers,
        mapping=mapping,
    )
