"""Undoing an import in Chromium: importeur opens a done import of his from the history, reads
the confirmation page (what goes, the item changed since), undoes it, sees the undo wait for
the task worker on its progress page, which reloads itself onto the job page, undone, once the
worker has done it; no policy violation. Writes docs/screenshots/review-undo.png (the confirmation page)."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from dossier.models import Attachment, DossierItem, Reaction
from imports.models import ImportJob
from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_csp import visit
from tests.imports.test_undo import soll_with_attachments, user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_importer_undoes_his_import_through_the_confirmation_page(demo, live_server, watched, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    page, violations = watched
    job = soll_with_attachments()
    files = list(Attachment.objects.filter(item__import_job=job).values_list("file", flat=True))
    changed, reacted = DossierItem.objects.filter(import_job=job).order_by("pk")[:2]
    DossierItem.objects.filter(pk=changed.pk).update(changed_at=timezone.now(), changed_by=user("admin"))
    Reaction.objects.create(item=reacted, author=user("profit"), text="Gezien")
    base = live_server.url

    sign_in(page, live_server, "importeur")
    visit(page, violations, f"{base}/admin/imports/importjob/{job.pk}/change/")
    page.get_by_role("link", name="Undo this import").click()
    page.wait_for_url(f"**/admin/imports/importjob/{job.pk}/undo/")
    violations.extend(page.evaluate("window.__violations"))

    assert f"It removes the {job.items_created} items it created" in page.locator("#undo-question").text_content()
    assert (
        "2 items were changed or got reactions after the import" in page.locator("#undo-changed-warning").text_content()
    )
    assert page.locator("#undo-changed tbody tr").count() == 2
    assert page.get_by_role("link", name="No, take me back").get_attribute("href").endswith(f"/{job.pk}/change/")
    shot(page, "review-undo.png")

    page.get_by_role("button", name="Yes, undo this import").click()
    page.wait_for_url(f"**/admin/imports/importjob/{job.pk}/undo/progress/")
    violations.extend(page.evaluate("window.__violations"))
    assert "The undo waits for the task worker to start." in page.locator("#undo-phase").text_content()
    assert DossierItem.objects.filter(import_job=job).count() == job.items_created  # nothing gone yet

    call_command("run_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=io.StringIO())
    page.wait_for_url(f"**/admin/imports/importjob/{job.pk}/change/")  # the page reloads itself
    violations.extend(page.evaluate("window.__violations"))

    assert f"{job.items_created} items were removed" in page.locator(".messagelist").text_content()
    assert page.locator("#history-state").text_content().startswith("Undone by importeur at")
    assert page.get_by_role("link", name="Undo this import").count() == 0
    job.refresh_from_db()
    assert job.state == ImportJob.State.UNDONE
    assert not DossierItem.objects.filter(import_job=job).exists()
    storage = Attachment._meta.get_field("file").storage
    assert files and not any(storage.exists(name) for name in files)  # removed once committed
    assert violations == []
