"""Helpers of the wizard's view tests (tests/imports/test_wizard_*.py); their fixtures (client,
importeur) are in tests/imports/conftest.py."""

import io

import openpyxl
from django.contrib.auth import get_user_model

from dossier.models import ItemType
from imports import services

SOLL_CSV = "Relatienummer;Onderwerp;Instuurdatum\n10001;Sollicitatiebrief;03-04-2025\n10002;CV;04-04-2025\n"


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
