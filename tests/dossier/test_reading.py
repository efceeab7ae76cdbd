"""Reading files where they are filed (issue 17, part 4): a PDF or an image shown in the
browser, sandboxed; anything else downloaded; all files of a person, or of an import, as one
streamed ZIP with only what the user may see, under safe and unique names.

The cast is the demo's: admin (superuser), importeur (SOLL, CORR, CONTR, KLACHT, CURSUS),
profit (CORR), zonderrechten (no types)."""

import io
import zipfile
from itertools import count

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from dossier.models import Attachment, DossierItem, ItemType, Relation
from dossier.reading import ZipEntry, inline_type, safe_part, unique_entries, zip_stream
from imports.models import ImportJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a letter\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
numbers = count(70000)


def add_item(type_code: str, relation: Relation, *, job: ImportJob | None = None) -> DossierItem:
    return DossierItem.objects.create(
        item_type=ItemType.objects.get(code=type_code),
        number=next(numbers),
        subject=f"{type_code} item",
        submitter=User.objects.get(username="admin"),
        submitted_at=timezone.now(),
        relation=relation,
        import_job=job,
    )


def attach(item: DossierItem, name: str, content: bytes = PDF) -> Attachment:
    return Attachment.objects.create(
        item=item, file=ContentFile(content, name="stored.bin"), original_name=name, sha256="0" * 64, size=len(content)
    )


def sign_in(client, username: str):
    client.force_login(User.objects.get(username=username))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def zip_of(response) -> zipfile.ZipFile:
    assert response.streaming  # written while it is sent, never built in memory first
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def person(demo):
    return Relation.objects.get(number="10001")


@pytest.fixture
def files(person):
    """A person with a letter (CORR: every demo user with types may see it) holding a PDF,
    an image and a web page, and a contract (CONTR: not for profit) holding a PDF."""
    letter, contract = add_item("CORR", person), add_item("CONTR", person)
    return {
        "pdf": attach(letter, "10001 brief.pdf"),
        "png": attach(letter, "foto.png", PNG),
        "html": attach(letter, "pagina.html", b"<script>alert(1)</script>"),
        "contract": attach(contract, "10001 contract.pdf"),
        "letter": letter,
        "contract_item": contract,
    }


# --- one file in the browser ----------------------------------------------------------------


def test_a_pdf_opens_in_the_browser_sandboxed_without_script(client, files):
    response = sign_in(client, "importeur").get(reverse("dossier:attachment-view", args=[files["pdf"].pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox") and "script-src 'none'" in policy and "default-src 'none'" in policy
    assert b"".join(response.streaming_content) == PDF


def test_an_image_opens_in_the_strict_sandbox(client, files):
    response = sign_in(client, "importeur").get(reverse("dossier:attachment-view", args=[files["png"].pk]))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"].startswith("sandbox;")  # no allow-scripts at all


@pytest.mark.parametrize(
    "name, content",
    [
        ("pagina.html", b"<html><script>alert(1)</script></html>"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("vermomd.pdf", b"<html><script>alert(1)</script></html>"),  # a web page named .pdf
        ("brief.docx", b"PK\x03\x04"),
    ],
)
def test_anything_else_is_downloaded_never_shown(client, files, name, content):
    attachment = attach(files["letter"], name, content)

    response = sign_in(client, "importeur").get(reverse("dossier:attachment-view", args=[attachment.pk]))

    assert response["Content-Disposition"].startswith("attachment;")
    assert "text/html" not in response["Content-Type"] and "svg" not in response["Content-Type"]


def test_only_a_pdf_or_an_image_whose_first_bytes_say_so_is_shown():
    def named(name):
        return Attachment(original_name=name)

    assert inline_type(named("a.PDF"), PDF) == "application/pdf"
    assert inline_type(named("a.jpg"), b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert inline_type(named("a.webp"), b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert inline_type(named("a.webp"), b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
    assert inline_type(named("a.pdf"), b"<html>") is None
    assert inline_type(named("a.svg"), b"<svg") is None
    assert inline_type(named("a.html"), b"%PDF-") is None


@pytest.mark.parametrize("username", ["profit", "zonderrechten"])
def test_a_file_of_an_item_the_user_may_not_see_is_not_found(client, files, username):
    url = reverse("dossier:attachment-view", args=[files["contract"].pk])

    assert sign_in(client, username).get(url).status_code == 404


# --- all files of a person ------------------------------------------------------------------


def files_url(person: Relation) -> str:
    return reverse("admin:dossier_relation_files", args=[person.pk])


def test_all_files_of_a_person_come_as_one_zip(client, files, person):
    response = sign_in(client, "importeur").get(files_url(person))

    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="10001 files.zip"'
    archive = zip_of(response)
    letter, contract = files["letter"], files["contract_item"]
    assert sorted(archive.namelist()) == sorted(
        [
            f"CORR-{letter.number} 10001 brief.pdf",
            f"CORR-{letter.number} foto.png",
            f"CORR-{letter.number} pagina.html",
            f"CONTR-{contract.number} 10001 contract.pdf",
        ]
    )
    assert archive.read(f"CORR-{letter.number} 10001 brief.pdf") == PDF


def test_the_zip_holds_only_the_files_the_user_may_see(client, files, person):
    names = zip_of(sign_in(client, "profit").get(files_url(person))).namelist()

    assert len(names) == 3 and not any("contract" in name for name in names)


def test_a_user_of_no_types_gets_an_empty_zip(client, files, person):
    assert zip_of(sign_in(client, "zonderrechten").get(files_url(person))).namelist() == []


def test_a_user_who_may_not_view_relations_gets_403(client, files, person):
    client.force_login(UserFactory(username="staff-only", is_staff=True, has_insite_rights=True))

    assert client.get(files_url(person)).status_code == 403


def test_names_in_the_zip_are_unique_and_safe(client, files, person):
    attach(files["letter"], "10001 brief.pdf")  # the same name on the same item
    attach(files["letter"], "../../etc/passwd")
    attach(files["letter"], "C:\\Windows\\evil\u202egpj.exe")

    names = zip_of(sign_in(client, "admin").get(files_url(person))).namelist()

    number = files["letter"].number
    assert f"CORR-{number} 10001 brief (2).pdf" in names
    assert f"CORR-{number} .._.._etc_passwd" in names  # one name: its separators are gone
    assert all("/" not in name and "\\" not in name and "\u202e" not in name for name in names)
    assert len(set(name.lower() for name in names)) == len(names)


def test_unique_names_ignore_case():
    entries = unique_entries([("a", "Brief.pdf"), ("b", "brief.PDF"), ("c", "brief.pdf")])

    assert [entry.name for entry in entries] == ["Brief.pdf", "brief (2).PDF", "brief (3).pdf"]


def test_a_part_of_a_name_never_climbs_out_of_its_folder():
    assert safe_part("..") == "file"
    assert safe_part("../x") == "_x"
    assert safe_part(" .hidden") == "hidden"


def test_a_file_the_storage_cannot_give_is_named_in_a_note(private_files):
    private_files.save("there.pdf", ContentFile(PDF))
    entries = [ZipEntry("there.pdf", "there.pdf"), ZipEntry("gone.pdf", "gone.pdf")]

    archive = zipfile.ZipFile(io.BytesIO(b"".join(zip_stream(private_files, entries, language="en"))))

    assert archive.namelist() == ["there.pdf", "_missing.txt"]
    assert "gone.pdf" in archive.read("_missing.txt").decode()


def test_a_big_set_is_written_in_chunks_not_at_once(private_files):
    private_files.save("big.bin", ContentFile(b"x" * 1_000_000))

    chunks = list(zip_stream(private_files, [ZipEntry("big.bin", "big.bin")]))

    assert len([chunk for chunk in chunks if chunk]) > 2
    assert max(len(chunk) for chunk in chunks) < 500_000


def test_the_person_zip_asks_a_fixed_number_of_queries(client, files, person):
    sign_in(client, "importeur")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            b"".join(client.get(files_url(person)).streaming_content)
        return len(captured)

    few = queries()
    for i in range(10):
        attach(add_item("CORR", person), f"extra {i}.pdf")
    assert queries() == few


# --- all files of an import -----------------------------------------------------------------


@pytest.fixture
def job(files, person):
    """An import of importeur that made a letter and a contract (both with a file)."""
    importeur = User.objects.get(username="importeur")
    job = ImportJob.objects.create(
        user=importeur,
        item_type=ItemType.objects.get(code="CORR"),
        file_name="brieven.xlsx",
        state=ImportJob.State.DONE,
        items_created=2,
    )
    DossierItem.objects.filter(pk__in=[files["letter"].pk, files["contract_item"].pk]).update(import_job=job)
    return job


def job_files_url(job: ImportJob) -> str:
    return reverse("admin:imports_importjob_files", args=[job.pk])


def test_all_files_of_an_import_come_as_one_zip_in_a_folder_per_person(client, job, files):
    response = sign_in(client, "importeur").get(job_files_url(job))

    assert response["Content-Disposition"] == 'attachment; filename="brieven files.zip"'
    names = zip_of(response).namelist()
    assert f"10001 {files['letter'].relation.name}/CORR-{files['letter'].number} 10001 brief.pdf" in names
    assert len(names) == 4


def test_the_import_zip_leaves_out_items_its_owner_may_not_see(client, job, files):
    DossierItem.objects.filter(pk=files["contract_item"].pk).update(item_type=ItemType.objects.get(code="MEMO"))

    names = zip_of(sign_in(client, "importeur").get(job_files_url(job))).namelist()

    assert not any("contract" in name for name in names)


@pytest.mark.parametrize("username", ["profit", "zonderrechten"])
def test_another_users_import_zip_is_not_found(client, job, username):
    assert sign_in(client, username).get(job_files_url(job)).status_code in (403, 404)


def test_the_result_and_history_pages_link_to_the_import_zip(client, job):
    sign_in(client, "importeur")
    history = client.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    result = client.get(reverse("imports:result", args=[job.pk])).content.decode()

    assert f'href="{job_files_url(job)}"' in history
    assert f'href="{job_files_url(job)}"' in result


def test_the_item_page_lists_each_file_with_its_size_and_a_view_link_for_a_pdf(client, files):
    page = sign_in(client, "importeur").get(reverse("dossier:item-detail", args=[files["letter"].pk])).content.decode()

    assert f'href="{reverse("dossier:attachment-download", args=[files["html"].pk])}"' in page
    assert f'href="{reverse("dossier:attachment-view", args=[files["pdf"].pk])}"' in page
    assert f'href="{reverse("dossier:attachment-view", args=[files["png"].pk])}"' in page
    assert reverse("dossier:attachment-view", args=[files["html"].pk]) not in page  # a web page is never shown
    assert f"{len(PDF)}\xa0bytes" in page


def test_a_dutch_user_gets_a_dutch_zip_name_and_dutch_links(client, files, person):
    sign_in(client, "importeur")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"

    response = client.get(files_url(person))
    page = client.get(reverse("admin:dossier_relation_dossier", args=[person.pk])).content.decode()

    assert response["Content-Disposition"] == 'attachment; filename="10001 bestanden.zip"'
    assert "Alle bestanden van dit dossier die u mag zien downloaden (ZIP)" in page
    assert ">bekijken</a>" in page
