"""Recording a dossier item in a real browser, on the demo world."""

import pytest

from dossier.models import DossierItem
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_importer_records_a_complaint_that_enters_the_escalation_workflow(demo, live_server, page):
    sign_in(page, live_server, "importeur")
    page.click("text=Record a dossier item")
    page.click("a[href$='/record/KLACHT/']")
    page.fill("input[name=subject]", "Late delivery")
    page.fill("input[name=relation]", "20001")
    page.select_option("select[name=characteristic_1]", "HOOG")
    page.click(".submit-row input[type=submit]")
    page.wait_for_url("**/admin/items/item/**")
    assert "Late delivery" in page.content()
    assert "Escalatie" in page.content()
    item = DossierItem.objects.get(subject="Late delivery")
    assert (item.relation.number, item.submitter.username, item.workflow_instance.workflow.code) == (
        "20001",
        "importeur",
        "ESCALATIE",
    )


def test_the_form_shows_what_the_type_forbids_on_the_field(demo, live_server, page):
    sign_in(page, live_server, "importeur")
    page.goto(f"{live_server.url}/admin/items/record/SOLL/")
    page.fill("input[name=relation]", "E0001")
    page.click(".submit-row input[type=submit]")
    assert "Use relation number 10001 instead" in page.content()
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()


def test_a_user_without_rights_is_told_why(demo, live_server, page):
    sign_in(page, live_server, "zonderrechten")
    response = page.goto(f"{live_server.url}/admin/items/record/")
    assert response.status == 403
    assert "InSite or Profit rights" in page.content()
