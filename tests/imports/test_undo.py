"""Undoing a whole import: the service (what goes, when the files go, who may, twice, a
rollback), what it says will go, and the confirmation page with its rights."""

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dossier.models import Attachment, DossierItem, ItemType, Reaction, ReviewTask, WorkflowInstance
from imports import services, tasks
from imports.models import ImportJob
from imports.progress import JobMonitor
from imports.services import undoing
from imports.services.staging import rejected_path, staging_path

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def user(name: str):
    return get_user_model().objects.get(username=name)


def done_job(
    content: str = "Relatienummer;Onderwerp\n10001;Sollicitatiebrief\n10002;CV\n",
    *,
    username: str = "importeur",
    type_code: str = "SOLL",
    profile: str | None = None,
    attachments: bytes | None = None,
) -> ImportJob:
    """An import made and committed through the services, as the wizard and the command do."""
    item_type = ItemType.objects.get(code=type_code)
    job = services.start_import(
        user=user(username),
        item_type=item_type,
        profile=item_type.creation_profiles.get(code=profile) if profile else None,
        file=io.BytesIO(content.encode("utf-8")),
        file_name="rows.csv",
        attachments=io.BytesIO(attachments) if attachments is not None else None,
        attachments_name="bijlagen.zip" if attachments is not None else None,
    )
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    services.commit_import(job=job)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    return job


def soll_with_attachments() -> ImportJob:
    return done_job(
        (EXAMPLES / "soll.csv").read_text(encoding="utf-8"), attachments=(EXAMPLES / "soll-bijlagen.zip").read_bytes()
    )


def contract_with_profile(count: int = 2) -> ImportJob:
    rows = "".join(f"{10001 + n};Contract {n};3.500,00;01-02-2026\n" for n in range(count))
    return done_job(
        "Relatienummer;Onderwerp;Salaris;Ingangsdatum\n" + rows, type_code="CONTR", profile="NIEUW", username="admin"
    )


def escalated_complaints(count: int = 2) -> ImportJob:
    rows = "".join(f"{20001 + n};Klacht {n};HOOG\n" for n in range(count))
    return done_job("Relatienummer;Onderwerp;Ernst\n" + rows, type_code="KLACHT")


def stored_files(job: ImportJob) -> list[str]:
    return list(Attachment.objects.filter(item__import_job=job).values_list("file", flat=True))


def exists(name: str) -> bool:
    return Attachment._meta.get_field("file").storage.exists(name)


# --- the service -----------------------------------------------------------------------------


def test_undo_removes_the_items_their_attachments_and_files_after_the_commit(demo, django_capture_on_commit_callbacks):
    job = soll_with_attachments()
    files = stored_files(job)
    assert files and all(exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        removed = services.undo_import(job=job, user=user("importeur"))
        assert all(exists(name) for name in files), "no file goes before the transaction has committed"

    assert removed == job.items_created > 0
    assert not DossierItem.objects.filter(import_job=job).exists()
    assert not Attachment.objects.filter(file__in=files).exists()
    assert all(exists(name) for name in files)
    for callback in callbacks:
        callback()
    assert not any(exists(name) for name in files)


def test_a_file_already_gone_does_not_stop_the_undo(demo, django_capture_on_commit_callbacks):
    job = soll_with_attachments()
    files = stored_files(job)
    Attachment._meta.get_field("file").storage.delete(files[0])

    with django_capture_on_commit_callbacks(execute=True):
        services.undo_import(job=job, user=user("importeur"))

    assert not any(exists(name) for name in files)
    job.refresh_from_db()
    assert job.state == ImportJob.State.UNDONE


def test_undo_removes_review_tasks_generated_documents_and_workflow_entries(demo):
    tasks, documents, entries = ReviewTask.objects.count(), Attachment.objects.count(), WorkflowInstance.objects.count()
    contracts, complaints = contract_with_profile(), escalated_complaints()
    assert ReviewTask.objects.count() == tasks + 4  # one task per reviewer (admin, importeur) per contract
    assert Attachment.objects.filter(item__import_job=contracts, original_name__endswith=".docx").count() == 2
    assert WorkflowInstance.objects.count() == entries + 2

    services.undo_import(job=contracts, user=user("admin"))
    services.undo_import(job=complaints, user=user("importeur"))

    assert ReviewTask.objects.count() == tasks
    assert Attachment.objects.count() == documents
    assert WorkflowInstance.objects.count() == entries


def test_undo_leaves_the_items_of_other_imports_alone(demo):
    kept, undone = escalated_complaints(), done_job()
    services.undo_import(job=undone, user=user("importeur"))
    assert DossierItem.objects.filter(import_job=kept).count() == 2
    assert WorkflowInstance.objects.filter(item__import_job=kept).count() == 2


def test_the_job_becomes_undone_with_who_and_when(demo):
    job = done_job()
    before = timezone.now()
    services.undo_import(job=job, user=user("admin"))
    job.refresh_from_db()
    assert job.state == ImportJob.State.UNDONE
    assert job.undone_by == user("admin")
    assert before <= job.undone_at <= timezone.now()
    assert job.items_created == 2  # the history still says what the import made


def test_only_the_owner_or_an_administrator_may_undo(demo):
    job = done_job(username="importeur")
    profit = user("profit")
    with pytest.raises(services.ImportRefused, match="Only importeur, who ran this import, or an administrator"):
        services.undo_import(job=job, user=profit)
    assert DossierItem.objects.filter(import_job=job).count() == 2
    assert services.undo_refusal(job=job, user=user("importeur")) is None
    assert services.undo_refusal(job=job, user=user("admin")) is None


def test_an_inactive_owner_may_not_undo(demo):
    job = done_job()
    owner = user("importeur")
    owner.is_active = False
    assert services.undo_refusal(job=job, user=owner) == "Your account is inactive."


def test_a_job_that_is_not_done_cannot_be_undone(demo):
    job = services.start_import(
        user=user("importeur"),
        item_type=ItemType.objects.get(code="SOLL"),
        file=io.BytesIO(b"Relatienummer;Onderwerp\n10001;CV\n"),
        file_name="rows.csv",
    )
    with pytest.raises(services.ImportRefused, match="only an import that is done can be undone"):
        services.undo_import(job=job, user=user("importeur"))
    job.refresh_from_db()
    assert job.state == ImportJob.State.UPLOADED and job.undone_at is None


def test_an_import_cannot_be_undone_twice(demo):
    job = done_job()
    services.undo_import(job=job, user=user("importeur"))
    with pytest.raises(services.ImportRefused, match="This import was undone already, by importeur on"):
        services.undo_import(job=job, user=user("admin"))
    job.refresh_from_db()
    assert job.undone_by == user("importeur")


def test_a_second_undo_that_read_the_job_before_the_first_is_refused(demo):
    """Two undos at once: both read the job as done; the state moves once, in the database."""
    job = done_job()
    first, second = ImportJob.objects.get(pk=job.pk), ImportJob.objects.get(pk=job.pk)
    services.undo_import(job=first, user=user("importeur"))
    assert second.state == ImportJob.State.DONE
    with pytest.raises(services.ImportRefused, match="undone already"):
        services.undo_import(job=second, user=user("admin"))
    second.refresh_from_db()
    assert second.undone_by == user("importeur")


def test_a_failure_halfway_leaves_everything_as_it_was(demo, monkeypatch, django_capture_on_commit_callbacks):
    job = soll_with_attachments()
    files = stored_files(job)
    items = set(DossierItem.objects.filter(import_job=job).values_list("pk", flat=True))
    real_delete = undoing.delete_items

    def delete_then_fail(*, items, **kwargs):
        real_delete(items=items, **kwargs)
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(undoing, "delete_items", delete_then_fail)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        services.undo_import(job=job, user=user("importeur"))

    assert callbacks == []
    job.refresh_from_db()
    assert (job.state, job.undone_at, job.undone_by) == (ImportJob.State.DONE, None, None)
    assert set(DossierItem.objects.filter(import_job=job).values_list("pk", flat=True)) == items
    assert stored_files(job) == files and all(exists(name) for name in files)


def undo_queries(job: ImportJob) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.undo_import(job=job, user=user("importeur"))
    return len(queries)


def test_the_queries_of_an_undo_do_not_grow_with_the_number_of_items(demo):
    small = escalated_complaints(2)
    large = done_job(
        "Relatienummer;Onderwerp;Ernst\n" + "".join(f"{20001 + n};Meer {n};HOOG\n" for n in range(20)),
        type_code="KLACHT",
    )
    assert undo_queries(small) == undo_queries(large)


# --- what will go ----------------------------------------------------------------------------


def change(item: DossierItem, username: str) -> None:
    DossierItem.objects.filter(pk=item.pk).update(changed_at=timezone.now(), changed_by=user(username))


def test_the_preview_counts_what_goes(demo):
    job = contract_with_profile(3)
    preview = services.undo_preview(job=job, user=user("admin"))
    assert preview.items == 3
    assert preview.attachments == Attachment.objects.filter(item__import_job=job).count() == 3
    assert preview.review_tasks == ReviewTask.objects.filter(item__import_job=job).count() > 0
    assert preview.workflow_entries == 0
    assert preview.changed_total == 0 and preview.changed == []


def test_the_preview_lists_the_items_changed_or_reacted_to_with_who_and_when(demo):
    job = done_job("Relatienummer;Onderwerp\n10001;Brief\n10002;CV\n10003;Diploma\n")
    first, second, _untouched = DossierItem.objects.filter(import_job=job).order_by("pk")
    change(first, "admin")
    Reaction.objects.create(item=second, author=user("profit"), text="Gezien")

    preview = services.undo_preview(job=job, user=user("importeur"))

    assert preview.changed_total == 2 and preview.changed_hidden == 0
    by_item = {changed.item.pk: changed for changed in preview.changed}
    assert set(by_item) == {first.pk, second.pk}
    assert by_item[first.pk].changed_by == "admin" and by_item[first.pk].changed_at is not None
    assert (by_item[second.pk].reactions, by_item[second.pk].last_reaction_by) == (1, "profit")
    assert by_item[second.pk].changed_at is None


def test_the_preview_shows_only_the_changed_items_the_user_may_see(demo):
    job = done_job()
    item = DossierItem.objects.filter(import_job=job).first()
    change(item, "admin")
    ItemType.objects.get(code="SOLL").authorised_users.remove(user("importeur"))

    preview = services.undo_preview(job=job, user=user("importeur"))

    assert (preview.changed_total, preview.changed_hidden, preview.changed) == (1, 1, [])


def preview_queries(job: ImportJob) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.undo_preview(job=job, user=user("importeur"))
    return len(queries)


def test_the_queries_of_the_preview_do_not_grow_with_the_number_of_items(demo):
    small = escalated_complaints(2)
    large = done_job(
        "Relatienummer;Onderwerp;Ernst\n" + "".join(f"{20001 + n};Meer {n};HOOG\n" for n in range(20)),
        type_code="KLACHT",
    )
    for job in (small, large):
        for item in DossierItem.objects.filter(import_job=job):
            change(item, "admin")
            Reaction.objects.create(item=item, author=user("admin"), text="Gezien")
    assert preview_queries(small) == preview_queries(large)


# --- the page --------------------------------------------------------------------------------


def undo_url(job: ImportJob) -> str:
    return reverse("admin:imports_importjob_undo", args=[job.pk])


def job_url(job: ImportJob) -> str:
    return reverse("admin:imports_importjob_change", args=[job.pk])


def signed_in(client, username: str):
    client.force_login(user(username))
    return client


def test_the_undo_page_has_its_address(demo):
    job = done_job()
    assert undo_url(job) == f"/admin/imports/importjob/{job.pk}/undo/"


@pytest.mark.parametrize("username", ["importeur", "admin"])
def test_the_owner_or_an_administrator_is_asked_and_nothing_changes_on_get(client, demo, username):
    job = done_job(username="importeur")
    item = DossierItem.objects.filter(import_job=job).first()
    change(item, "admin")

    response = signed_in(client, username).get(undo_url(job))

    assert response.status_code == 200
    assert "It removes the 2 items it created" in response.text
    assert "Yes, undo this import" in response.text
    assert reverse("admin:dossier_dossieritem_change", args=[item.pk]) in response.text
    assert f'href="{job_url(job)}"' in response.text  # the cancel link
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and DossierItem.objects.filter(import_job=job).count() == 2


def progress_url(job: ImportJob) -> str:
    return reverse("admin:imports_importjob_undo_progress", args=[job.pk])


DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def test_posting_removes_nothing_in_the_request_and_queues_one_undo_task(
    client, demo, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE
    job = soll_with_attachments()
    files = stored_files(job)
    tasks_before = DBTaskResult.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, "importeur").post(undo_url(job))

    assert response.status_code == 302 and response["Location"] == progress_url(job)
    assert DossierItem.objects.filter(import_job=job).count() == job.items_created
    assert all(exists(name) for name in files)
    assert DBTaskResult.objects.count() == tasks_before + 1
    queued = DBTaskResult.objects.order_by("enqueued_at").last()
    assert (queued.task_path, queued.status, queued.args_kwargs["args"]) == (
        "imports.tasks.undo_job",
        "READY",
        [str(job.pk)],
    )
    job.refresh_from_db()
    assert (job.state, job.undone_by, job.task_id) == (ImportJob.State.UNDOING, user("importeur"), str(queued.pk))


def test_the_progress_page_says_how_many_items_are_removed_and_reloads_itself(client, demo, settings):
    settings.TASKS = DATABASE
    settings.IMPORT_PROGRESS_EVERY = 0
    job = done_job()
    tasks.start_undo(job=job, user=user("importeur"))
    client = signed_in(client, "importeur")

    waiting = client.get(progress_url(job))
    assert waiting.status_code == 200
    assert "The undo waits for the task worker to start." in waiting.text
    assert "0 of 2 items removed" in waiting.text
    assert '<meta http-equiv="refresh" content="2">' in waiting.text

    with JobMonitor(job) as monitor:
        monitor.start_phase(undoing.UNDOING, total=2, in_database=False)
        monitor.update(1)
        running = client.get(progress_url(job))
    assert "Removing the items of this import." in running.text
    assert "1 of 2 items removed (50%)" in running.text
    assert f'href="{progress_url(job)}"' in client.get(job_url(job)).text  # the job's page leads here


def test_the_worker_removes_the_items_and_the_progress_page_then_shows_the_result(client, demo, settings):
    settings.TASKS = DATABASE
    job = done_job()
    tasks.start_undo(job=job, user=user("importeur"))

    assert services.run_undo(job_id=job.pk) == 2

    response = signed_in(client, "importeur").get(progress_url(job), follow=True)
    assert response.redirect_chain[-1][0] == job_url(job)
    assert "The import was undone: 2 items were removed." in response.text
    assert "Undone by importeur at" in response.text
    assert "Undo this import" not in response.text
    assert not DossierItem.objects.filter(import_job=job).exists()
    listing = client.get(reverse("admin:imports_importjob_changelist")).text
    assert "undone by importeur at" in listing


def test_posting_with_an_immediate_queue_ends_on_the_job_page_with_the_result(
    client, demo, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    job = done_job()
    client = signed_in(client, "importeur")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(undo_url(job))
    response = client.get(progress_url(job), follow=True)
    assert response.redirect_chain[-1][0] == job_url(job)
    assert "The import was undone: 2 items were removed." in response.text


def test_a_second_undo_while_one_runs_is_refused_with_a_sentence(client, demo, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE
    job = done_job(username="importeur")
    tasks.start_undo(job=job, user=user("importeur"))
    queued = DBTaskResult.objects.count()

    with pytest.raises(services.ImportRefused, match="This import is being undone already, by importeur since"):
        tasks.start_undo(job=ImportJob.objects.get(pk=job.pk), user=user("admin"))
    response = signed_in(client, "admin").post(undo_url(job), follow=True)

    assert response.redirect_chain[-1][0] == job_url(job)
    assert "This import is being undone already, by importeur since" in response.text
    assert DBTaskResult.objects.count() == queued
    assert DossierItem.objects.filter(import_job=job).count() == 2


def test_a_failed_undo_in_the_worker_leaves_everything_as_it_was_and_says_why(client, demo, settings, monkeypatch):
    settings.TASKS = DATABASE
    job = soll_with_attachments()
    files = stored_files(job)
    items = set(DossierItem.objects.filter(import_job=job).values_list("pk", flat=True))
    tasks.start_undo(job=job, user=user("importeur"))
    real_delete = undoing.delete_items

    def delete_then_fail(*, items, **kwargs):
        real_delete(items=items, **kwargs)
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(undoing, "delete_items", delete_then_fail)
    with pytest.raises(OperationalError):
        services.run_undo(job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.undone_at, job.undone_by) == (ImportJob.State.DONE, None, None)
    assert set(DossierItem.objects.filter(import_job=job).values_list("pk", flat=True)) == items
    assert stored_files(job) == files and all(exists(name) for name in files)
    assert job.file and job.attachments_zip and job.file.storage.exists(job.file.name)
    response = signed_in(client, "importeur").get(progress_url(job), follow=True)
    assert response.redirect_chain[-1][0] == job_url(job)
    assert "The undo failed, so nothing was removed: the import is done as before." in response.text
    assert "Undo this import" in response.text  # it may be tried again


def test_the_undo_removes_the_uploaded_sheet_and_zip_and_the_history_keeps_the_record(
    client, demo, django_capture_on_commit_callbacks
):
    job = soll_with_attachments()
    storage = job.file.storage
    sheet, archive = job.file.name, job.attachments_zip.name
    assert storage.exists(sheet) and storage.exists(archive)
    staging_path(job).parent.mkdir(parents=True, exist_ok=True)  # the staged and rejected rows go too
    staging_path(job).write_text("{}\n")
    rejected_path(job).write_text("{}\n")

    with django_capture_on_commit_callbacks(execute=True):
        services.undo_import(job=job, user=user("importeur"))

    assert not storage.exists(sheet) and not storage.exists(archive)
    assert not staging_path(job).exists() and not rejected_path(job).exists()
    job.refresh_from_db()
    assert not job.file and not job.attachments_zip
    assert (job.file_name, job.attachments_name) == ("rows.csv", "bijlagen.zip")
    assert len(job.file_sha256) == 64 and job.items_created > 0 and job.undone_by == user("importeur")

    page = signed_in(client, "importeur").get(job_url(job)).text
    assert 'id="history-removed-file"' in page and 'id="history-removed-attachments"' in page
    assert page.count("removed with the undo") == 2
    assert reverse("admin:imports_importjob_download", args=[job.pk, "file"]) not in page
    download = client.get(reverse("admin:imports_importjob_download", args=[job.pk, "attachments"]))
    assert download.status_code == 404


def test_the_reaper_ends_an_undo_whose_worker_died_and_nothing_is_removed(demo, settings):
    settings.TASKS = DATABASE
    settings.IMPORT_STALE_AFTER = 60
    job = done_job()
    tasks.start_undo(job=job, user=user("importeur"))
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=long_ago, queued_at=long_ago)  # taken up, then silent

    ended = tasks.reap_stale_imports()

    assert [reaped.pk for reaped in ended] == [job.pk]
    job.refresh_from_db()
    assert (job.state, job.undone_by, job.undone_at) == (ImportJob.State.DONE, None, None)
    assert job.error_message.startswith("The undo stopped: its worker gave no sign of life for 60 seconds")
    assert DossierItem.objects.filter(import_job=job).count() == 2


def test_the_reaper_leaves_an_undo_that_beats_alone(demo, settings):
    settings.TASKS = DATABASE
    job = done_job()
    tasks.start_undo(job=job, user=user("importeur"))
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    assert tasks.reap_stale_imports() == []
    job.refresh_from_db()
    assert job.state == ImportJob.State.UNDOING


def test_the_job_page_offers_the_undo_only_for_a_done_job_to_who_may_undo(client, demo):
    job = done_job()
    page = signed_in(client, "importeur").get(job_url(job)).text
    assert f'href="{undo_url(job)}"' in page and "Undo this import" in page

    services.undo_import(job=job, user=user("importeur"))
    assert "Undo this import" not in client.get(job_url(job)).text


@pytest.mark.parametrize("username", ["profit", "zonderrechten"])
def test_a_user_who_may_not_see_the_job_gets_404(client, demo, username):
    job = done_job(username="importeur")
    client = signed_in(client, username)
    assert client.get(undo_url(job)).status_code == 404
    assert client.post(undo_url(job)).status_code == 404
    assert DossierItem.objects.filter(import_job=job).count() == 2


def test_a_non_owner_who_is_no_administrator_gets_404_for_another_users_job(client, demo):
    job = done_job(username="admin", type_code="CORR", content="Relatienummer;Onderwerp\n10001;Brief\n")
    response = signed_in(client, "importeur").post(undo_url(job))
    assert response.status_code == 404
    assert DossierItem.objects.filter(import_job=job).count() == 1


def test_a_user_who_may_see_the_job_but_not_undo_it_gets_403_with_the_reason(client, demo, monkeypatch):
    """Today only the owner and administrators see a job; should the two rules ever part,
    the undo still refuses with its own reason."""
    job = done_job(username="importeur")
    monkeypatch.setattr(ImportJob.objects._queryset_class, "visible_to", lambda self, viewer: self)
    response = signed_in(client, "profit").post(undo_url(job))
    assert response.status_code == 403
    assert "Only importeur, who ran this import, or an administrator may undo it." in response.text
    assert DossierItem.objects.filter(import_job=job).count() == 2


def test_an_owner_without_the_view_permission_gets_403(client, demo):
    job = done_job(username="importeur")
    importeur = user("importeur")
    importeur.groups.clear()
    importeur.user_permissions.remove(*Permission.objects.filter(codename="view_importjob"))
    response = signed_in(client, "importeur").post(undo_url(job))
    assert response.status_code == 403
    assert DossierItem.objects.filter(import_job=job).count() == 2


def test_a_job_undone_already_leads_back_to_its_page_with_the_reason(client, demo):
    job = done_job()
    services.undo_import(job=job, user=user("admin"))
    response = signed_in(client, "importeur").post(undo_url(job), follow=True)
    assert response.redirect_chain[-1][0] == job_url(job)
    assert "This import was undone already, by admin on" in response.text


def test_the_undo_needs_the_csrf_token(demo):
    from django.test import Client

    job = done_job()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("importeur"))
    assert client.post(undo_url(job)).status_code == 403
    assert DossierItem.objects.filter(import_job=job).count() == 2


def test_the_undo_page_in_dutch(client, demo):
    job = done_job()
    with translation.override("nl"):
        response = signed_in(client, "importeur").get(undo_url(job), HTTP_ACCEPT_LANGUAGE="nl")
    assert "Ja, maak deze import ongedaan" in response.text


# --- the command line ------------------------------------------------------------------------


def undo_command(*args, answer: str | None = None):
    """Run manage.py undo_import; `answer` is what the user types. (exit code, stdout, stderr)"""
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err, "stdin": io.StringIO(answer or "")}
    try:
        call_command("undo_import", *map(str, args), **options)
        code = 0
    except CommandError as error:
        code = error.returncode
        err.write(str(error))
    return code, out.getvalue(), err.getvalue()


def test_the_command_shows_what_goes_and_undoes_with_yes(demo):
    job = contract_with_profile(2)
    change(DossierItem.objects.filter(import_job=job).first(), "importeur")

    code, out, err = undo_command(job.pk, "--user", "admin", "--yes")

    assert code == 0, err
    assert "Undoing it removes 2 items, 2 attachments, 0 workflow entries, 4 review tasks and 0 reactions." in out
    assert "Changed since the import (these changes go too): 1 items." in out
    assert "changed by importeur at" in out
    assert f"Import {job.pk} undone: 2 items removed." in out
    job.refresh_from_db()
    assert (job.state, job.undone_by) == (ImportJob.State.UNDONE, user("admin"))


@pytest.mark.parametrize("answer", ["yes\n", "ja\n", "J\n"])
def test_the_command_asks_and_undoes_on_yes(demo, answer):
    job = done_job()
    code, out, _err = undo_command(job.pk, "--user", "importeur", answer=answer)
    assert code == 0
    assert "Type yes to undo it" in out
    assert not DossierItem.objects.filter(import_job=job).exists()


@pytest.mark.parametrize("answer", ["no\n", "\n", ""])
def test_the_command_undoes_nothing_unless_the_answer_is_yes(demo, answer):
    job = done_job()
    code, _out, err = undo_command(job.pk, "--user", "importeur", answer=answer)
    assert code == 1
    assert "Nothing was undone." in err
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and DossierItem.objects.filter(import_job=job).count() == 2


def test_the_command_says_no_input_is_no(demo):
    job = done_job()
    code, _out, err = undo_command(job.pk, "--user", "importeur", answer="")
    assert code == 1 and "give --yes to undo without being asked" in err


def test_the_command_no_input_is_the_same_as_yes(demo):
    job = done_job()
    assert undo_command(job.pk, "--user", "importeur", "--no-input")[0] == 0


@pytest.mark.parametrize(
    ("job_id", "username", "code", "message"),
    [
        ("not-a-uuid", "importeur", 2, "'not-a-uuid' is not an import's id"),
        ("3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b", "importeur", 2, "There is no import 3f2b8c1e-"),
        (None, "niemand", 2, "There is no user niemand."),
        (None, "profit", 1, "Only importeur, who ran this import, or an administrator may undo it."),
    ],
)
def test_the_command_refuses_in_one_sentence(demo, job_id, username, code, message):
    job = done_job()
    result = undo_command(job_id or job.pk, "--user", username, "--yes")
    assert result[0] == code
    assert message in result[2]
    assert "Traceback" not in result[1] + result[2]
    assert DossierItem.objects.filter(import_job=job).count() == 2


def test_the_command_refuses_a_job_undone_already_and_one_not_done(demo):
    job = done_job()
    assert undo_command(job.pk, "--user", "importeur", "--yes")[0] == 0
    code, _out, err = undo_command(job.pk, "--user", "admin", "--yes")
    assert code == 1 and "This import was undone already, by importeur on" in err

    started = services.start_import(
        user=user("importeur"),
        item_type=ItemType.objects.get(code="SOLL"),
        file=io.BytesIO(b"Relatienummer;Onderwerp\n10001;CV\n"),
        file_name="rows.csv",
    )
    code, _out, err = undo_command(started.pk, "--user", "importeur", "--yes")
    assert code == 1 and "only an import that is done can be undone" in err


def test_the_command_without_a_job_id_is_a_usage_error_exit_2(demo):
    result = subprocess.run(
        [sys.executable, "manage.py", "undo_import", "--user", "importeur"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LANGUAGE_CODE": "en", "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert result.returncode == 2
    assert "job_id" in result.stderr and "Traceback" not in result.stderr


def test_the_command_speaks_dutch_by_default(demo, settings):
    """As from the shell: no language active, so the configured LANGUAGE_CODE (nl by default)."""
    job = done_job()
    settings.LANGUAGE_CODE = "nl"
    translation.deactivate()  # the `english` fixture activates English again afterwards
    code, out, _err = undo_command(job.pk, "--user", "importeur", "--yes")
    assert code == 0
    assert f"Import {job.pk} ongedaan gemaakt: 2 dossieritems verwijderd." in out


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (OperationalError("no such column: imports_importjob.undone_at"), "up to date (manage.py migrate)"),
        (RuntimeError("boom"), "unexpected error; it was logged"),
    ],
)
def test_an_error_nobody_foresaw_is_one_sentence_and_the_traceback_goes_to_the_log(
    demo, monkeypatch, caplog, error, message
):
    job = done_job()

    def fail(**kwargs):
        raise error

    monkeypatch.setattr(services, "undo_preview", fail)
    code, _out, err = undo_command(job.pk, "--user", "importeur", "--yes")

    assert code == 2
    assert message in err and "Traceback" not in err
    assert any(record.exc_info and record.exc_info[1] is error for record in caplog.records)
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.DONE
