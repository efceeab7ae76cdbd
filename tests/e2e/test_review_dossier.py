"""The central dossier of a demo organisation in Chromium, as importeur: reached from the
relations list, filtered by type with the plain form, an item followed to its admin page;
no policy violation. Writes docs/screenshots/review-dossier.png."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from dossier.models import Contact, DossierItem, ItemType, Relation
from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_csp import visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SUBJECTS = {
    "KLACHT": ["Levering onvolledig", "Monteur niet verschenen"],
    "CORR": ["Bevestiging afspraak", "Nieuwe contactpersoon", "Jaaroverzicht 2024"],
    "CONTR": ["Raamovereenkomst onderhoud"],
}


def test_an_importer_filters_a_dossier_by_type_and_opens_an_item(demo, live_server, watched):
    page, violations = watched
    organisation = Relation.objects.get(number="20001")
    contact = Contact.objects.get(contact_id="30001")
    admin = User.objects.get(username="admin")
    moment = timezone.now()
    for number, (code, subject) in enumerate(
        ((code, subject) for code, subjects in SUBJECTS.items() for subject in subjects), start=70001
    ):
        DossierItem.objects.create(
            item_type=ItemType.objects.get(code=code),
            number=number,
            subject=subject,
            submitter=admin,
            submitted_at=moment - dt.timedelta(days=number - 70000),
            relation=organisation,
            contact=contact if code == "CORR" else None,
            done=subject == "Levering onvolledig",
        )
    base = live_server.url
    sign_in(page, live_server, "importeur")

    visit(page, violations, f"{base}/admin/dossier/relation/?kind__exact=organisation")
    row = page.locator("#result_list tbody tr", has_text=organisation.name)
    row.get_by_role("link", name="8", exact=True).click()
    page.wait_for_url(f"**/admin/dossier/relation/{organisation.pk}/dossier/")
    assert page.get_by_role("heading", name=f"Dossier of {organisation}").is_visible()
    assert page.locator("#central-items tbody tr").count() == 8  # the demo's two letters and six more
    violations.extend(page.evaluate("window.__violations"))

    page.get_by_label("Type").select_option("KLACHT")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/dossier/?type=KLACHT**")
    rows = page.locator("#central-items tbody tr")
    assert rows.count() == 2
    assert "Levering onvolledig" in rows.first.text_content()  # the newest of the two
    violations.extend(page.evaluate("window.__violations"))
    shot(page, "review-dossier.png")

    page.get_by_role("link", name="Monteur niet verschenen").click()
    item = DossierItem.objects.get(subject="Monteur niet verschenen")
    page.wait_for_url(f"**/admin/dossier/dossieritem/{item.pk}/change/")
    assert "Monteur niet verschenen" in page.content()
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
