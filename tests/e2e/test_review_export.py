"""The items export in a real browser: importeur filters the items list on CORR, exports it as
.xlsx and downloads the file; the file is then imported again as a new CORR import through
the import services in-process (the wizard's own steps, without its browser pages and worker:
tests/e2e/test_wizard_back.py covers those), every column mapped by itself.
Screenshot: docs/screenshots/review-export.png (the export form)."""

import pytest

from dossier.models import DossierItem, ItemType
from imports import services
from tests.e2e.conftest import shot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_importer_exports_the_filtered_list_and_imports_the_file_again(demo, live_server, watched, tmp_path):
    page, violations = watched
    letters = ItemType.objects.get(code="CORR")
    sign_in(page, live_server, "importeur")
    page.goto(f"{live_server.url}/admin/dossier/dossieritem/?item_type__id__exact={letters.pk}")
    page.click("a.export_link")
    page.wait_for_url("**/admin/dossier/dossieritem/export/?item_type__id__exact=*")
    assert "The file will hold 4 items of the list as it is filtered." in page.content()
    page.select_option("select[name=format]", label="xlsx")
    shot(page, "review-export.png")
    with page.expect_download() as download_info:
        page.click(".submit-row input[type=submit]")
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    violations.extend(page.evaluate("window.__violations"))

    assert download.suggested_filename.startswith("CORR-") and path.suffix == ".xlsx"
    importeur = demo_user("importeur")
    with path.open("rb") as handle:
        job = services.start_import(user=importeur, item_type=letters, file=handle, file_name=path.name)
    mapping = services.suggest_mapping_for(job)
    assert services.set_mapping(job=job, mapping=mapping) == []
    assert set(mapping) == {"subject", "text", "submitter", "submitted_at", "relation", "contact", "characteristic_1"}
    services.validate_import(job=job)
    job.refresh_from_db()
    # The export's own columns that no field takes are left out on purpose, never silently.
    left_out = [column["header"] for column in job.left_out_columns]
    assert {"Type", "Item number"} <= set(left_out)
    assert services.set_mapping(job=job, mapping={**mapping, "not_imported": left_out}) == []
    services.validate_import(job=job)
    job.refresh_from_db()
    # Its rows are the items it was exported from: probably entered before, imported anyway.
    assert job.duplicate_row_count == job.row_count > 0
    services.commit_import(job=job, duplicates="import")
    copies = DossierItem.objects.filter(import_job=job)
    originals = DossierItem.objects.filter(item_type=letters, import_job=None)
    assert sorted(copies.values_list("subject", "relation__number", "contact__contact_id")) == sorted(
        originals.values_list("subject", "relation__number", "contact__contact_id")
    )
    assert violations == []


def demo_user(name):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)
