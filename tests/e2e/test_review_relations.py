"""Relations in Dutch through the admin's Import button, in a real browser (issue 9, part 6):
the administrator imports a relations file with `persoon` / `organisatie` and role numbers,
confirms it, and finds the roles on the relations; the import page keeps the admin's
breadcrumb bar and reports no Content-Security-Policy violation."""

import pytest

from dossier.models import Relation
from tests.e2e.conftest import shot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RELATIONS = (
    "nummer;soort;naam;plaats;medewerkernummer;debiteurnummer;crediteurnummer;sollicitantnummer\n"
    "29001;organisatie;Bakkerij De Korenschoof;Zwolle;;D29001;C29001;\n"
    "19001;Persoon;Femke de Vries;Deventer;E19001;;;S19001\n"
)


def assert_admin_breadcrumbs(page, last: str) -> None:
    """The admin's own breadcrumb bar: Home > Dossier > Organisations/persons > `last`, on the
    bar's dark background like every admin page."""
    crumbs = page.locator("ol.breadcrumbs")
    assert [text.strip() for text in crumbs.locator("li").all_inner_texts()] == [
        "Home",
        "Dossier",
        "Organisations/persons",
        last,
    ]
    background = crumbs.evaluate("element => getComputedStyle(element).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background


def test_an_administrator_imports_relations_in_dutch_with_their_role_numbers(demo, live_server, watched, tmp_path):
    page, violations = watched
    upload = tmp_path / "relaties.csv"
    upload.write_text(RELATIONS, encoding="utf-8")
    sign_in(page, live_server, "admin")

    page.goto(f"{live_server.url}/admin/dossier/relation/")
    page.click("a.import_link")
    page.wait_for_url("**/admin/dossier/relation/import/")
    assert_admin_breadcrumbs(page, "Import")

    page.set_input_files("input[name=import_file]", str(upload))
    page.select_option("select[name=format]", label="csv")
    page.click(".submit-row input[type=submit]")
    page.wait_for_selector("input[name=confirm], form[action$='process_import/'] input[type=submit]")
    assert "Femke de Vries" in page.content() and "D29001" in page.content()
    assert_admin_breadcrumbs(page, "Import")
    shot(page, "review-relations-import.png")
    page.click("form[action$='process_import/'] input[type=submit]")
    page.wait_for_url("**/admin/dossier/relation/")

    bakery, femke = Relation.objects.get(number="29001"), Relation.objects.get(number="19001")
    assert (bakery.kind, bakery.sales_relation.number, bakery.purchase_relation.number) == (
        "organisation",
        "D29001",
        "C29001",
    )
    assert (femke.kind, femke.employee.number, femke.applicant.number) == ("person", "E19001", "S19001")
    page.goto(f"{live_server.url}/admin/dossier/relation/?q=29001")
    assert "D29001" in page.locator("#result_list").inner_text()  # the list's roles column

    page.goto(f"{live_server.url}/admin/dossier/relation/export/")
    assert_admin_breadcrumbs(page, "Export")
    violations.extend(page.evaluate("window.__violations"))
    assert violations == [], violations
