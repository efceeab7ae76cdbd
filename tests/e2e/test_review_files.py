"""Reading files where they are filed, in Chromium, as importeur: the central dossier of a
demo person lists each file with its size; "view" opens a PDF in the browser (sandboxed, in
Chromium's own viewer); "download all files" gives one ZIP with the files he may see. Writes
docs/screenshots/review-files.png."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from dossier.models import Attachment, DossierItem, ItemType, Relation
from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_csp import visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A one-page PDF the test builds itself.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def add(type_code: str, number: int, relation: Relation, files: dict[str, bytes]) -> DossierItem:
    item = DossierItem.objects.create(
        item_type=ItemType.objects.get(code=type_code),
        number=number,
        subject=f"{type_code} {number}",
        submitter=User.objects.get(username="admin"),
        submitted_at=timezone.now(),
        relation=relation,
    )
    for name, content in files.items():
        Attachment.objects.create(
            item=item, file=ContentFile(content, name="f.bin"), original_name=name, sha256="0" * 64, size=len(content)
        )
    return item


def pdf_viewer_in(page) -> bool:
    """Whether Chromium's PDF viewer (an extension frame) came up in the page: it attaches after
    the page's load, so this waits for it (up to the page's default timeout)."""
    for _ in range(150):
        if any(frame.url.startswith("chrome-extension://") for frame in page.frames):
            return True
        page.wait_for_timeout(100)
    return False


def test_an_importer_views_a_pdf_in_the_browser_and_downloads_the_persons_files(demo, live_server, watched):
    page, violations = watched
    person = Relation.objects.get(number="10001")
    letter = add("CORR", 71001, person, {"10001 brief.pdf": PDF, "10001 notities.docx": b"PK\x03\x04" + b"x" * 3000})
    add("MEMO", 71002, person, {"geheim.pdf": PDF})  # a type importeur may not see
    base = live_server.url
    sign_in(page, live_server, "importeur")

    visit(page, violations, f"{base}/admin/dossier/relation/{person.pk}/dossier/")
    row = page.locator("#central-items tbody tr", has_text=f"CORR {letter.number}")
    assert row.get_by_role("link", name="10001 brief.pdf", exact=True).is_visible()
    assert "(2.9 KB)" in row.inner_text().replace("\xa0", " ")
    assert page.get_by_text("geheim.pdf").count() == 0
    assert row.get_by_role("link", name="View 10001 notities.docx").count() == 0  # a .docx is only downloaded
    shot(page, "review-files.png")

    with page.expect_popup() as opened:
        row.get_by_role("link", name="View 10001 brief.pdf").click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert viewer.evaluate("document.contentType") == "application/pdf"
    assert pdf_viewer_in(viewer)  # Chromium's own viewer shows it: the sandbox did not block it
    headers = page.request.get(viewer.url).headers
    assert headers["content-disposition"].startswith("inline")
    assert headers["content-security-policy"].startswith("sandbox")
    assert headers["x-content-type-options"] == "nosniff"
    viewer.close()

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download all files of this dossier you may see (ZIP)").click()
    download = downloading.value
    assert download.suggested_filename == "10001 files.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    assert sorted(archive.namelist()) == [
        f"CORR-{letter.number} 10001 brief.pdf",
        f"CORR-{letter.number} 10001 notities.docx",
    ]
    assert archive.read(f"CORR-{letter.number} 10001 brief.pdf") == PDF
    assert violations == []
