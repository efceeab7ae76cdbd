"""The items list in Chromium at 1280 px: the importer filters by relation, by a submit date
range and by a characteristic value; the table fits without horizontal scrolling and the
page reports no policy violation. Writes docs/screenshots/review-items.png."""

import pytest
from django.core.files.base import ContentFile

from dossier.models import Attachment, DossierItem, Relation
from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_csp import visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits(page) -> bool:
    return page.evaluate(
        "document.scrollingElement.scrollWidth <= 1280"
        " && document.querySelector('.results').scrollWidth <= document.querySelector('.results').clientWidth"
    )


def subjects(page) -> set[str]:
    return {
        text.strip().rstrip("…") for text in page.locator("#result_list td.field-short_subject").all_text_contents()
    }


def test_an_importer_filters_the_items_by_relation_date_and_characteristic(demo, live_server, watched):
    page, violations = watched
    long_subject = "Offerte kantoorinrichting met een toelichting die veel te lang is voor één regel in de lijst"
    DossierItem.objects.filter(subject="Offerte kantoorinrichting").update(subject=long_subject)
    long_name = "20001 offerte kantoorinrichting met bijlagen en tekeningen van de tweede verdieping.pdf"
    Attachment.objects.create(  # the files column, with a long name, fits too
        item=DossierItem.objects.get(subject=long_subject),
        file=ContentFile(b"%PDF-1.4", name="f.pdf"),
        original_name=long_name,
        size=1_258_291,
    )
    organisation = Relation.objects.get(number="20001")
    base = live_server.url
    sign_in(page, live_server, "importeur")

    visit(page, violations, f"{base}/admin/dossier/dossieritem/")
    assert page.locator("#result_list tbody tr").count() == DossierItem.objects.exclude(item_type__code="MEMO").count()
    assert fits(page)
    assert page.locator(f'#result_list span[title="{long_subject}"]').count() == 1
    assert page.locator("#result_list td.field-files").get_by_role("link", name=long_name, exact=True).is_visible()

    relation_form = page.locator("form.input-filter", has=page.get_by_label("Number or name"))
    relation_form.get_by_label("Number or name").fill("20001")
    relation_form.get_by_role("button", name="Filter").click()
    page.wait_for_url("**relation=20001**")
    expected = DossierItem.objects.filter(relation=organisation)
    assert page.locator("#result_list tbody tr").count() == expected.count()

    first = min(item.submitted_at for item in expected).date()
    date_form = page.locator("form.input-filter", has=page.get_by_label("From"))
    date_form.get_by_label("From").fill(first.isoformat())
    date_form.get_by_label("To").fill(first.isoformat())
    date_form.get_by_role("button", name="Filter").click()
    page.wait_for_url("**submitted_to=**")
    assert "relation=20001" in page.url  # the relation filter stays
    on_the_day = [item for item in expected if item.submitted_at.date() == first]
    assert page.locator("#result_list tbody tr").count() == len(on_the_day)

    visit(page, violations, f"{base}/admin/dossier/dossieritem/?relation=20001")
    page.get_by_role("link", name="Richting: Uitgaand").click()
    page.wait_for_url("**characteristic=**")
    outgoing = expected.filter(characteristic_value_1__code="UIT")
    assert page.locator("#result_list tbody tr").count() == outgoing.count() == 1
    assert subjects(page) == {outgoing.get().subject[:59]}

    visit(page, violations, f"{base}/admin/dossier/dossieritem/?done__exact=0")
    assert fits(page)
    shot(page, "review-items.png")
    assert violations == []
