"""Which file may be an attachment: one rule (dossier/attachments.py) for the import and the
record page. The rule on its own first (no database), then the record page of the demo world
as the demo admin and as importeur: a refused file is named with the limit under the input,
and nothing is stored. The import's side: tests/imports/test_attachments.py."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from dossier.attachments import Where, check_attachment
from dossier.models import Attachment, DossierItem

NAME_255 = "10001_" + "x" * 245 + ".pdf"


@pytest.fixture
def small_limit(settings):
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 1000
    settings.IMPORT_ATTACHMENT_TYPES = ["pdf", ".DOCX"]


def codes(problems) -> list[str]:
    return [problem.code for problem in problems]


# --- the rule -------------------------------------------------------------------------------


def test_it_accepts_a_file_of_an_accepted_type_up_to_the_limit(small_limit):
    assert check_attachment("Import/10001_cv.pdf", 1000) == []
    assert check_attachment("10001_brief.Docx", 1) == []
    assert check_attachment(NAME_255, 1) == []


def test_it_refuses_a_file_over_the_limit_naming_the_file_and_the_limit(small_limit):
    (problem,) = check_attachment("Import/10001_cv.pdf", 1001)
    assert problem.code == "attachment_too_large"
    assert problem.message == (
        "'Import/10001_cv.pdf' is 1001\xa0bytes, more than the 1000\xa0bytes an attachment may be: make the file"
        " smaller, or leave it out of this cell."
    )
    (chosen,) = check_attachment("10001_cv.pdf", 1001, where=Where.FORM)
    assert chosen.message == (
        "'10001_cv.pdf' is 1001\xa0bytes, more than the 1000\xa0bytes an attachment may be: make the file smaller"
        " and choose it again."
    )


def test_it_refuses_a_type_not_accepted_by_its_extension_listing_the_accepted_ones(small_limit, settings):
    (problem,) = check_attachment("10001_cv.xlsm", 2, where=Where.FORM)
    assert problem.code == "attachment_type_not_allowed"
    assert "'10001_cv.xlsm' is not of a type accepted as an attachment (accepted: .docx, .pdf)" in problem.message
    assert codes(check_attachment("10001_zonder_extensie", 2)) == ["attachment_type_not_allowed"]
    settings.IMPORT_ATTACHMENT_TYPES = []  # every type
    assert check_attachment("10001_cv.xlsm", 2) == []


def test_it_refuses_an_empty_file(small_limit):
    (problem,) = check_attachment("10001_cv.pdf", 0, where=Where.FORM)
    assert problem.code == "attachment_empty"
    assert problem.message == "'10001_cv.pdf' is empty (0 bytes): choose the file with its contents."


def test_it_refuses_a_name_longer_than_an_attachment_holds(small_limit):
    name = NAME_255[:-4] + "x.pdf"  # 256 characters
    (problem,) = check_attachment(f"Import/{name}", 1)
    assert problem.code == "attachment_name_too_long"
    assert "The file name is 256 characters long, and at most 255 fit" in problem.message


def test_it_gives_every_problem_of_one_file(small_limit):
    assert codes(check_attachment("10001_cv.xlsm", 1001)) == ["attachment_too_large", "attachment_type_not_allowed"]
    assert codes(check_attachment("10001_cv.exe", 0)) == ["attachment_empty", "attachment_type_never_allowed"]


def test_it_judges_the_name_without_its_invisible_characters_as_it_is_stored(small_limit):
    assert check_attachment("10001_cv.pd\u200bf", 1) == []
    (problem,) = check_attachment("10001_cv\u202efdp.exe", 1, where=Where.FORM)
    assert problem.code == "attachment_type_never_allowed"
    assert problem.message.startswith("'10001_cvfdp.exe' is a program or a web page (.exe)")


def test_a_limit_of_zero_is_no_limit(settings):
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 0
    assert check_attachment("10001_cv.pdf", 10**12) == []


def test_its_messages_are_shown_in_the_readers_language(small_limit):
    (problem,) = check_attachment("10001_cv.pdf", 1001, where=Where.FORM)
    with translation.override("nl"):
        assert str(problem.message) == (
            "'10001_cv.pdf' is 1001\xa0bytes, meer dan de 1000\xa0bytes die een bijlage mag zijn: maak het bestand"
            " kleiner en kies het opnieuw."
        )


# --- the record page ------------------------------------------------------------------------

RECORD_URL = reverse("dossier:record-item", args=["CORR"])  # attach file on


@pytest.fixture(params=["admin", "importeur"])
def recorder(request, demo, client):
    """The demo admin or importeur, signed in; both may record CORR."""
    client.force_login(user(request.param))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def user(username: str):
    return get_user_model().objects.get(username=username)


def record(client, upload, **headers):
    return client.post(RECORD_URL, {"relation": "10005", "subject": "Brief", "attachment": upload}, **headers)


def stored_files(private_files) -> list[str]:
    return private_files.listdir("attachments")[0] if private_files.exists("attachments") else []


@pytest.mark.django_db
def test_the_record_page_stores_an_accepted_file(recorder, small_limit):
    before = DossierItem.objects.count()
    response = record(recorder, SimpleUploadedFile("10005_brief.pdf", b"%PDF" + b"x" * 996))
    assert response.status_code == 302
    assert DossierItem.objects.count() == before + 1
    assert Attachment.objects.filter(original_name="10005_brief.pdf").count() == 1


REFUSED = [
    pytest.param(
        "10005_brief.pdf",
        b"x" * 1001,
        "'10005_brief.pdf' is 1001\xa0bytes, more than the 1000\xa0bytes an attachment may be: make the file smaller"
        " and choose it again.",
        id="too-large",
    ),
    pytest.param(
        "10005_brief.xlsm",
        b"PK",
        "'10005_brief.xlsm' is not of a type that items of type CORR accept (accepted: .docx, .pdf): save it as one"
        " of those, e.g. as PDF, and choose it again; an administrator can change the types the item type accepts.",
        id="type",
    ),
    pytest.param(
        "10005_brief.exe",
        b"MZ",
        "'10005_brief.exe' is a program or a web page (.exe), which is never accepted as an attachment: save the"
        " document as PDF and choose that.",
        id="program",
    ),
    pytest.param(
        "10005_brief.pdf",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "'10005_brief.pdf' is a web page (HTML), whatever its name says; web pages are never accepted as"
        " attachments: save the page as PDF and choose that.",
        id="web-page-named-pdf",
    ),
    pytest.param(
        "10005_brief.pdf",
        b"",
        "'10005_brief.pdf' is empty (0 bytes): choose the file with its contents.",
        id="empty",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_the_record_page_refuses_the_files_the_import_refuses_and_stores_nothing(
    recorder, small_limit, private_files, name, content, message
):
    items, attachments = DossierItem.objects.count(), Attachment.objects.count()
    response = record(recorder, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert response.context["form"].errors["attachment"] == [message]
    assert message.replace("'", "&#x27;") in response.text
    assert (DossierItem.objects.count(), Attachment.objects.count()) == (items, attachments)
    assert stored_files(private_files) == []


@pytest.mark.django_db
def test_the_record_page_says_so_in_dutch(demo, client, small_limit):
    client.force_login(user("importeur"))
    response = record(client, SimpleUploadedFile("10005_brief.xlsm", b"PK"), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    assert "'10005_brief.xlsm' is geen soort bestand dat items van type CORR aanvaarden".replace("'", "&#x27;") in (
        response.text
    )


@pytest.mark.django_db
def test_the_record_page_says_the_limits_beside_the_file_input(recorder, small_limit):
    response = recorder.get(RECORD_URL)
    field = response.context["form"].fields["attachment"]
    assert str(field.help_text) == "At most 1000\xa0bytes, of one of these types: .docx, .pdf."
    assert 'accept=".docx,.pdf"' in response.text
    assert "At most 1000\xa0bytes, of one of these types: .docx, .pdf." in response.text
