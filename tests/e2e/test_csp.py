"""The admin and the project's own pages keep working under the Content-Security-Policy
(issue 7, part 9): a real browser opens them and fails on any violation it reports."""

import pytest

from dossier.models import DossierItem, ItemType
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def visit(page, violations: list[str], url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert "Content-Security-Policy" in {name.title() for name in response.headers}, url
    page.wait_for_load_state("load")
    violations.extend(page.evaluate("window.__violations"))


def test_the_admin_and_the_item_pages_report_no_policy_violation(demo, live_server, watched):
    page, violations = watched
    item = DossierItem.objects.filter(item_type__code="KLACHT").first()
    complaint = ItemType.objects.get(code="KLACHT")
    base = live_server.url
    sign_in(page, live_server, "admin")

    visit(page, violations, f"{base}/admin/")
    visit(page, violations, f"{base}/admin/dossier/dossieritem/?item_type__id__exact={complaint.pk}&_facets=1&q=a")
    visit(page, violations, f"{base}/admin/dossier/dossieritem/{item.pk}/change/")
    visit(page, violations, f"{base}/admin/dossier/itemtype/{complaint.pk}/change/")
    page.click("#free_fields-group .add-row a")  # inlines.js adds a form
    assert page.locator("#free_fields-group tr.dynamic-free_fields").count() == 1
    visit(page, violations, f"{base}/admin/items/record/")
    visit(page, violations, f"{base}/admin/items/record/KLACHT/")
    visit(page, violations, f"{base}/admin/items/item/{item.pk}/")
    visit(page, violations, f"{base}/admin/dossier/relation/import/")
    visit(page, violations, f"{base}/admin/dossier/relation/export/")
    page.select_option("select[name=format]", label="csv")
    page.uncheck("input.select-toggle")  # wired by our script, not by an inline handler
    assert page.locator(".selectable-field-export-row input[type=checkbox]:checked").count() == 0

    violations.extend(page.evaluate("window.__violations"))
    assert violations == []
