"""The import history and a job's page in Chromium, and the language switch in the header:
switched on a page, remembered for the user in a fresh browser, with no policy violation.
Writes docs/screenshots/history-list.png and history-job.png."""

import pytest

from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_csp import visit
from tests.e2e.watching import LISTEN
from tests.imports.test_history import CLEAN, MISTAKES, ZIP, make_job

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def watch(page) -> list[str]:
    """The policy violations the page reports, from its events and its console."""
    violations: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return violations


def header_text(page) -> str:
    # text_content, not inner_text: the admin writes the user links in capitals by CSS.
    return page.locator("#header").text_content()


def test_an_importer_reads_his_history_and_a_job_and_switches_to_dutch_for_good(demo, live_server, page, browser):
    make_job("importeur", CLEAN, file_name="sollicitaties.csv", commit=True)
    job = make_job("importeur", MISTAKES, attachments=ZIP, file_name="sollicitaties-met-fouten.csv")
    make_job("admin", CLEAN, file_name="van-de-beheerder.csv")
    violations = watch(page)
    page.set_viewport_size({"width": 1440, "height": 900})
    base = live_server.url

    sign_in(page, live_server, "importeur")
    visit(page, violations, f"{base}/admin/imports/importjob/")
    page.click("#toggle-nav-sidebar")  # more room for the table (the admin remembers it)
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2  # his own two, not the administrator's
    assert "van-de-beheerder.csv" not in page.content()
    assert page.get_by_role("link", name="Import dossier items").get_attribute("href") == "/admin/imports/new/"
    shot(page, "history-list.png")

    page.get_by_role("link", name="sollicitaties-met-fouten.csv").click()
    page.wait_for_url(f"**/admin/imports/importjob/{job.pk}/change/")
    assert page.get_by_role("heading", name="Problems").is_visible()
    groups = page.locator("#history-errors table.history-groups tbody tr")
    assert groups.count() == 3
    assert "Rows read: 3 = 1 valid + 2 invalid." in page.locator("#history-counts").text_content()
    shot(page, "history-job.png")

    # One group's rows only, through its link.
    groups.filter(has_text="Local drive path").get_by_role("link", name="Show these rows").click()
    page.wait_for_url("**problem_code=attachment_local_path**")
    assert page.locator("#history-error-rows tbody tr").count() == 1

    # The switch: header and page change language; the choice is the user's.
    assert "Log out" in header_text(page)
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Change").click()
    page.wait_for_load_state("load")
    assert "Afmelden" in header_text(page) and "Log out" not in header_text(page)
    assert page.get_by_role("heading", name="Problemen").is_visible()
    assert page.locator("html").get_attribute("lang") == "nl"
    violations.extend(page.evaluate("window.__violations"))
    page.locator("#logout-form button").click()

    fresh = browser.new_context(locale="en-GB")  # another browser: no cookie, asks for English
    try:
        other = fresh.new_page()
        other_violations = watch(other)
        sign_in(other, live_server, "importeur")
        visit(other, other_violations, f"{base}/admin/imports/importjob/")
        assert other.locator("html").get_attribute("lang") == "nl"
        assert "Afmelden" in header_text(other)
        assert other.get_by_role("link", name="Dossieritems importeren").is_visible()
        visit(other, other_violations, f"{base}/admin/imports/importjob/{job.pk}/change/")
        assert other.get_by_role("heading", name="Koppeling").is_visible()
    finally:
        fresh.close()

    assert violations == [] and other_violations == []
