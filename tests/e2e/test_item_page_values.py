"""The item page at 1,280 px in Dutch and English (issue 19, part 6): free-field values in the
language's style (3.250,50 / 3,250.50, the short date, ja/yes), a characteristic by its label
("Laag", never "ERNST=LAAG" or its code), no cut-off column."""

import pytest
from django.urls import reverse

from dossier.models import DossierItem
from tests.e2e.conftest import sign_in
from tests.review.test_item_admin import make_contract

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def rows_of(page) -> dict[str, str]:
    shown = {}
    for row in page.locator("tr").all():
        header, cell = row.locator("th"), row.locator("td")
        if header.count() == 1 and cell.count() == 1:
            shown[header.text_content().strip()] = cell.text_content().strip()
    return shown


@pytest.mark.parametrize(
    ("locale", "salary", "start", "trial"),
    [("nl-NL", "3.250,50", "31-12-2025", "ja"), ("en-GB", "3,250.50", "12/31/2025", "yes")],
)
def test_the_item_page_shows_values_in_the_users_language(demo, live_server, browser, locale, salary, start, trial):
    contract = make_contract(free_Salaris="3250,50", free_Ingangsdatum="31-12-2025", free_Proeftijd="ja")
    complaint = DossierItem.objects.filter(item_type__code="KLACHT", characteristic_value_1__isnull=False).first()
    label, code = complaint.characteristic_value_1.label, complaint.characteristic_value_1.code
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, "admin")
        page.goto(live_server.url + reverse("dossier:item-detail", args=[contract.pk]))
        shown = rows_of(page)
        assert (shown["Salaris"], shown["Ingangsdatum"], shown["Proeftijd"]) == (salary, start, trial)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280

        page.goto(live_server.url + reverse("dossier:item-detail", args=[complaint.pk]))
        assert label in rows_of(page).values()
        body = page.locator("#content").text_content()
        assert f"={code}" not in body and f"{code} {label}" not in body
    finally:
        context.close()
