"""The real file checks of dossier/attachments.py (issue 17, part 3): programs and web pages are
always refused, each item type says which types it accepts and how large they may be, and a
file's first bytes must be what its extension says. The files are built here, byte by byte.
The import's side: tests/imports/test_file_checks.py."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from dossier.attachments import (
    DOCUMENTS_AND_IMAGES,
    OLE2,
    Where,
    accepted_attachments,
    accepted_types,
    check_attachment,
    check_content,
    max_size,
)
from dossier.forms import AttachmentField
from dossier.models import ItemType


def codes(problems) -> list[str]:
    return [problem.code for problem in problems]


def a_zip(members: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if stored_first:  # OpenDocument: the mimetype first, uncompressed
            archive.writestr(zipfile.ZipInfo("mimetype"), stored_first)
        for name, data in members.items():
            archive.writestr(name, data)
    return stream.getvalue()


def content_codes(name: str, data: bytes) -> list[str]:
    return codes(check_content(name, io.BytesIO(data)))


@pytest.fixture
def server_types(settings):
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 100 * 1024**2
    settings.IMPORT_ATTACHMENT_TYPES = sorted(DOCUMENTS_AND_IMAGES | {"xlsm", "zip", "exe"})


def a_type(**settings) -> ItemType:
    return ItemType(code="SOLLICITANT", name="Documenten (sollicitant)", **({"attach_file": True} | settings))


# --- programs and web pages, by extension -------------------------------------------------


@pytest.mark.parametrize("name", ["10001_cv.exe", "10001.BAT", "brief.js", "pagina.html", "pagina.HTM", "logo.svg"])
def test_it_always_refuses_programs_and_web_pages_by_extension_whatever_the_settings(server_types, settings, name):
    assert "attachment_type_never_allowed" in codes(check_attachment(name, 10))
    settings.IMPORT_ATTACHMENT_TYPES = []  # every type
    assert codes(check_attachment(name, 10, item_type=a_type(attachment_types="exe, html, js, svg, bat"))) == [
        "attachment_type_never_allowed"
    ]


def test_the_never_allowed_sentence_names_the_file_and_its_extension(server_types):
    (problem,) = check_attachment("Import/10001_cv.exe", 10, item_type=a_type())
    assert problem.message == (
        "'Import/10001_cv.exe' is a program or a web page (.exe), which is never accepted as an attachment: save"
        " the document as PDF, or leave it out of this cell."
    )
    with translation.override("nl"):
        assert str(problem.message).startswith("'Import/10001_cv.exe' is een programma of een webpagina (.exe)")


# --- per item type --------------------------------------------------------------------------


def test_a_type_without_a_setting_accepts_documents_and_images(server_types):
    assert accepted_types(a_type()) == set(DOCUMENTS_AND_IMAGES)
    assert check_attachment("10081_cv.pdf", 10, item_type=a_type()) == []
    assert check_attachment("10081_foto.jpg", 10, item_type=a_type()) == []
    (problem,) = check_attachment("10081_macro.xlsm", 10, item_type=a_type(), where=Where.FORM)
    assert problem.code == "attachment_type_not_allowed"
    assert problem.message.startswith("'10081_macro.xlsm' is not of a type that items of type SOLLICITANT accept")
    assert problem.message.endswith("an administrator can change the types the item type accepts.")


def test_a_types_setting_narrows_what_it_accepts_and_the_server_stays_the_outer_limit(server_types, settings):
    only_pdf = a_type(attachment_types=".PDF; docx")
    assert accepted_types(only_pdf) == {"pdf", "docx"}
    assert codes(check_attachment("10081_foto.jpg", 10, item_type=only_pdf)) == ["attachment_type_not_allowed"]
    assert "(accepted: .docx, .pdf)" in check_attachment("10081_foto.jpg", 10, item_type=only_pdf)[0].message
    settings.IMPORT_ATTACHMENT_TYPES = ["pdf"]  # the server accepts less than the type asks
    assert accepted_types(only_pdf) == {"pdf"}
    assert codes(check_attachment("10081_cv.docx", 10, item_type=only_pdf)) == ["attachment_type_not_allowed"]
    wider = a_type(attachment_types="xlsm")
    assert codes(check_attachment("10081_macro.xlsm", 10, item_type=wider)) == ["attachment_type_not_allowed"]
    settings.IMPORT_ATTACHMENT_TYPES = []  # the server accepts every type: the type decides
    assert check_attachment("10081_macro.xlsm", 10, item_type=wider) == []


def test_a_type_may_have_a_smaller_size_limit_never_a_larger_one(server_types, settings):
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 5 * 1024**2
    assert max_size(a_type()) == 5 * 1024**2
    assert max_size(a_type(attachment_max_size=1)) == 1024**2
    assert max_size(a_type(attachment_max_size=50)) == 5 * 1024**2
    (problem,) = check_attachment("10081_cv.pdf", 1024**2 + 1, item_type=a_type(attachment_max_size=1))
    assert problem.code == "attachment_too_large" and "more than the 1.0\xa0MB an attachment may be" in problem.message
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 0  # no server limit: the type's holds
    assert max_size(a_type(attachment_max_size=2)) == 2 * 1024**2
    assert max_size(a_type()) == 0


def test_the_type_refuses_a_setting_with_a_program_or_a_word_that_is_no_extension():
    with pytest.raises(ValidationError) as refused:
        a_type(attachment_types="pdf, exe, html").clean()
    assert refused.value.message_dict["attachment_types"] == [
        "Programs and web pages are never accepted: leave out .exe, .html."
    ]
    with pytest.raises(ValidationError) as odd:
        a_type(attachment_types="pdf, *.docx").clean()
    assert "is not a file extension" in odd.value.message_dict["attachment_types"][0]
    a_type(attachment_types="pdf, .docx; jpg").clean()


def test_the_type_step_says_whether_a_type_takes_attachments_and_which(server_types):
    assert accepted_attachments(a_type()) == "Attachments: documents and images"
    assert accepted_attachments(a_type(attachment_types="pdf,docx")) == "Attachments: .docx, .pdf"
    assert accepted_attachments(a_type(attach_file=False)) == "No attachments"
    with translation.override("nl"):
        assert str(accepted_attachments(a_type())) == "Bijlagen: documenten en afbeeldingen"


# --- the contents, by their first bytes -----------------------------------------------------

DOCX = a_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = a_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = a_zip({"content.xml": b"<office:document-content/>"}, stored_first="application/vnd.oasis.opendocument.text")
GENUINE = [
    ("10001_cv.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
    ("10001_foto.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("10001_foto.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
    ("10001_foto.gif", b"GIF89a\x01\x00\x01\x00"),
    ("10001_scan.tif", b"II*\x00\x08\x00\x00\x00"),
    ("10001_scan.tiff", b"MM\x00*\x00\x00\x00\x08"),
    ("10001_cv.docx", DOCX),
    ("10001_cijfers.xlsx", XLSX),
    ("10001_brief.odt", ODT),
    ("10001_brief.doc", OLE2 + b"\x00" * 100),
    ("10001_lijst.xls", OLE2 + b"\x00" * 100),
    ("10001_mail.msg", OLE2 + b"\x00" * 100),
    ("10001_brief.rtf", b"{\\rtf1\\ansi Geachte heer,}"),
    ("10001_notitie.txt", "Geachte heer, één notitie".encode("cp1252")),
    ("10001_lijst.csv", b"\xef\xbb\xbfnaam;nummer\nJansen;10001\n"),
    ("10001_notitie.txt", "notitie".encode("utf-16")),  # with its byte order mark
]


@pytest.mark.parametrize(("name", "data"), GENUINE, ids=[name for name, _data in GENUINE])
def test_it_accepts_files_whose_contents_are_what_their_extension_says(name, data):
    assert content_codes(name, data) == []


FAKE = [
    ("10001_cv.pdf", b"Dit is geen PDF", "attachment_content_mismatch"),
    ("10001_foto.png", b"\xff\xd8\xff\xe0 a JPEG named .png", "attachment_content_mismatch"),
    ("10001_cv.docx", b"PK\x03\x04 not a zip at all", "attachment_content_mismatch"),
    ("10001_cv.docx", a_zip({"readme.txt": b"a ZIP, but no Word document"}), "attachment_content_mismatch"),
    ("10001_cv.docx", XLSX, "attachment_content_mismatch"),  # an Excel workbook renamed .docx
    ("10001_brief.odt", a_zip({"content.xml": b"<x/>"}), "attachment_content_mismatch"),
    ("10001_brief.doc", b"Geachte heer", "attachment_content_mismatch"),
    ("10001_brief.rtf", b"Geachte heer", "attachment_content_mismatch"),
    ("10001_notitie.txt", b"\x00\x01\x02\x03binary", "attachment_content_mismatch"),
    ("10001_cv.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "attachment_content_program"),
    ("10001_cv.txt", b"\x7fELF\x02\x01\x01", "attachment_content_program"),
    ("10001_cv.pdf", b"<!DOCTYPE html>\n<html><script>alert(1)</script>", "attachment_content_web_page"),
    ("10001_cv.pdf", b"\xef\xbb\xbf  <HTML><body>", "attachment_content_web_page"),
    ("10001_brief.txt", b"<html><body onload=alert(1)>", "attachment_content_web_page"),
]


@pytest.mark.parametrize(("name", "data", "code"), FAKE, ids=[f"{n}-{c}" for n, _d, c in FAKE])
def test_it_refuses_files_whose_contents_are_not_what_their_extension_says(name, data, code):
    assert content_codes(name, data) == [code]


def test_the_content_sentences_name_the_file_and_say_what_to_do():
    (mismatch,) = check_content("Import/10001_cv.docx", io.BytesIO(b"PK\x03\x04 fake"))
    assert mismatch.message == (
        "'Import/10001_cv.docx' is named .docx, but its contents are not a .docx file (it may be damaged, or"
        " renamed): save the document again as .docx, or leave it out of this cell."
    )
    (page,) = check_content("10001_cv.pdf", io.BytesIO(b"<html>"), where=Where.FORM)
    assert page.message == (
        "'10001_cv.pdf' is a web page (HTML), whatever its name says; web pages are never accepted as attachments:"
        " save the page as PDF and choose that."
    )
    with translation.override("nl"):
        assert str(mismatch.message).startswith("'Import/10001_cv.docx' heet .docx, maar de inhoud is geen .docx")


def test_a_type_without_a_known_beginning_is_only_checked_for_being_no_program_or_page():
    assert content_codes("10001_foto.heic", b"\x00\x00\x00\x18ftypheic") == []
    assert content_codes("10001_data.dat", b"anything at all") == []
    assert content_codes("10001_data.dat", b"MZ") == ["attachment_content_program"]
    assert content_codes("10001_leeg.pdf", b"") == []  # empty: check_attachment's problem


def test_the_upload_field_checks_the_contents_and_leaves_the_file_at_its_start(server_types):
    field = AttachmentField(item_type=a_type(), required=False)
    with pytest.raises(ValidationError) as refused:
        field.clean(SimpleUploadedFile("10081_cv.pdf", b"<!doctype html><p>phish</p>"))
    assert [error.code for error in refused.value.error_list] == ["attachment_content_web_page"]
    upload = SimpleUploadedFile("10081_cv.docx", DOCX)
    assert field.clean(upload) is upload and upload.read() == DOCX
    assert field.widget.attrs["accept"].startswith(".bmp,.csv,.doc,.docx")
    assert ".exe" not in field.widget.attrs["accept"] and ".xlsm" not in field.widget.attrs["accept"]
