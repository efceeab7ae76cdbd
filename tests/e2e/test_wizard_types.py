"""The type step in a real browser (Chromium), on the demo world: beside each type, importeur
reads which relations its items can be filed for and whether it takes attachments, in English
and in Dutch, without one Content-Security-Policy violation (issue 17, part 7)."""

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.watching import LISTEN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def type_row(page, code: str):
    return page.locator(f'tr[data-type="{code}"]')


def test_the_type_step_shows_which_relations_each_type_takes(demo, live_server, watched):
    page, violations = watched
    sign_in(page, live_server, "importeur")
    page.goto(f"{live_server.url}/admin/imports/new/")

    soll, applicants, complaint = type_row(page, "SOLL"), type_row(page, "SOLLICITANT"), type_row(page, "KLACHT")
    assert soll.locator(".type-destinations").inner_text() == "Only employees"
    assert soll.locator(".type-attachments").inner_text() == "Attachments: documents and images"
    assert applicants.locator(".type-destinations").inner_text() == "Only applicants"
    assert complaint.locator(".type-destinations").inner_text() == "Only sales relations (debtors)"
    assert complaint.locator(".type-attachments").inner_text() == "No attachments"
    assert type_row(page, "CORR").locator(".type-destinations").inner_text() == "Any organisation/person"
    assert page.get_by_text("an administrator can change it").is_visible()
    page.get_by_label("SOLLICITANT Documenten (sollicitant)").check()
    page.click(".submit-row input[type=submit]")
    page.wait_for_url("**/admin/imports/new/upload/SOLLICITANT/")
    violations.extend(page.evaluate("window.__violations"))
    assert violations == []


def test_the_type_step_says_it_in_dutch(demo, live_server, browser):
    context = browser.new_context(locale="nl-NL")
    try:
        page = context.new_page()
        page.add_init_script(LISTEN)
        sign_in(page, live_server, "importeur")
        page.goto(f"{live_server.url}/admin/imports/new/")
        assert type_row(page, "SOLL").locator(".type-destinations").inner_text() == "Alleen medewerkers"
        assert type_row(page, "SOLLICITANT").locator(".type-destinations").inner_text() == "Alleen sollicitanten"
        assert type_row(page, "KLACHT").locator(".type-attachments").inner_text() == "Geen bijlagen"
        assert page.evaluate("window.__violations") == []
    finally:
        context.close()
