"""The item's admin page in Chromium: an administrator reads a contract's typed free fields,
changes one and saves; an attachment of a letter downloads byte for byte; no policy
violation. Writes docs/screenshots/review-item.png."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from dossier.models import DossierItem
from dossier.services import add_attachment
from tests.e2e.conftest import shot, sign_in
from tests.review.test_item_admin import make_contract

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LETTER = b"%PDF-1.4 a letter from 20001\n"


def test_an_administrator_changes_a_contracts_free_field_and_downloads_a_letter(demo, live_server, watched):
    page, violations = watched
    contract = make_contract(free_Functie="Monteur", free_Soort_contract="VAST")
    letter = DossierItem.objects.get(item_type__code="CORR", subject="Offerte kantoorinrichting")
    attachment = add_attachment(item=letter, content=ContentFile(LETTER), name="20001-offerte.pdf")
    sign_in(page, live_server, "admin")

    page.goto(f"{live_server.url}/admin/dossier/dossieritem/{contract.pk}/change/")
    salary = page.get_by_label("Salaris")
    assert salary.input_value() == "3500"
    assert page.get_by_label("Ingangsdatum").input_value() == "01-02-2025"
    assert page.get_by_label("Soort contract").input_value() == "VAST"
    assert page.get_by_label("Proeftijd").is_checked()
    assert page.locator("textarea[name=free_values]").count() == 0
    assert "admin: open, due" in page.locator(".field-review_list").text_content()
    salary.fill("4.100,50")
    shot(page, "review-item.png")
    violations.extend(page.evaluate("window.__violations"))
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/dossier/dossieritem/")
    contract.refresh_from_db()
    assert Decimal(contract.free_values["Salaris"]) == Decimal("4100.50")
    assert contract.changed_by.username == "admin"

    page.goto(f"{live_server.url}/admin/dossier/dossieritem/{letter.pk}/change/")
    with page.expect_download() as download:
        page.click(f"a[href$='/attachment/{attachment.pk}/']")
    assert download.value.suggested_filename == "20001-offerte.pdf"
    with open(download.value.path(), "rb") as downloaded:
        assert downloaded.read() == LETTER

    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
