"""A full disk or storage that cannot be written, during the upload, the staging or the
commit: one clear sentence, the job recorded as failed, no partial file and no item left,
and the next import works. The faults are simulated: the storage (or the staging) writes
part of a file, then fails with the errno the operating system would give."""

import errno
import html
import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dossier.models import DossierItem, ItemType
from imports import services
from imports.models import ImportJob
from imports.services import validating
from tests.imports.test_command import import_items

pytestmark = pytest.mark.django_db

ROWS = "Relatienummer;Onderwerp;Bijlage\n" + "".join(f"{10001 + n};Brief {n};{10001 + n}_brief.pdf\n" for n in range(3))
FULL = "The server's storage is full, so the import stopped and nothing was stored"
UNWRITABLE = "The server cannot write to its storage, so the import stopped and nothing was stored"
FAULTS = [(errno.ENOSPC, FULL), (errno.EACCES, UNWRITABLE), (errno.EROFS, UNWRITABLE)]


def zip_bytes() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        for n in range(3):
            zip_file.writestr(f"Import/{10001 + n}_brief.pdf", b"%PDF " + b"x" * 5000)
    return archive.getvalue()


class HalfThenFault:
    """Content that the storage writes half of before the 'disk' fails with `code`."""

    def __init__(self, content, code: int):
        self.content, self.code = content, code

    def chunks(self, chunk_size=None):
        self.content.seek(0)
        data = self.content.read()
        yield data[: max(1, len(data) // 2)]
        raise OSError(self.code, os.strerror(self.code))


@contextmanager
def failing_storage(storage, code: int, *, folder: str, after: int = 0) -> Iterator[list[str]]:
    """Inside, the storage fails with `code` halfway through every file it writes into
    `folder` after the first `after` of them; yields the names it was asked to write there.
    (Its own MonkeyPatch: undoing the test's would undo the private_files fixture too.)"""
    original = storage._save
    names: list[str] = []

    def _save(name, content):
        if name.startswith(folder):
            names.append(name)
            if len(names) > after:
                content = HalfThenFault(content, code)
        return original(name, content)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(storage, "_save", _save)
        yield names


def files_in(storage, folder: str) -> list[str]:
    root = storage.base_location / folder
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def start(*, with_zip: bool = True, username: str = "importeur", type_code: str = "SOLL", rows: str = ROWS, **kwargs):
    return services.start_import(
        user=get_user_model().objects.get(username=username),
        item_type=ItemType.objects.get(code=type_code),
        file=io.BytesIO(rows.encode()),
        file_name="rows.csv",
        attachments=io.BytesIO(zip_bytes()) if with_zip else None,
        attachments_name="docs.zip" if with_zip else None,
        **kwargs,
    )


def import_all(**kwargs) -> int:
    job = start(**kwargs)
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    return services.commit_import(job=job).items_created


@pytest.mark.parametrize(("code", "message"), FAULTS)
@pytest.mark.parametrize("after", [0, 1], ids=["storing the file", "storing the zip"])
def test_a_fault_while_storing_the_upload_is_refused_recorded_and_leaves_no_file(
    demo, private_files, code, message, after
):
    with (
        failing_storage(private_files, code, folder="imports/", after=after),
        pytest.raises(services.ImportRefused, match=message) as caught,
    ):
        start()
    job = ImportJob.objects.get()
    assert caught.value.job == job
    assert (job.state, job.error_message, job.file.name, job.attachments_zip.name) == (
        "failed",
        caught.value.message,
        "",
        "",
    )
    assert files_in(private_files, "imports") == []
    assert import_all() == 3


@pytest.mark.parametrize(("code", "message"), FAULTS)
@pytest.mark.parametrize("stage", ["stage_row", "stage_rejected"])
def test_a_fault_while_staging_fails_the_validation_and_leaves_no_staged_file(
    demo, private_files, code, message, stage
):
    job = start(rows=ROWS + "E0009;Brief;10001_brief.pdf\n")
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    original = getattr(validating, stage)

    def failing(handle, *args, **kwargs):
        original(handle, *args, **kwargs)  # one row written, then the disk fails
        raise OSError(code, os.strerror(code))

    with pytest.MonkeyPatch.context() as patch, pytest.raises(services.ImportRefused, match=message):
        patch.setattr(validating, stage, failing)
        services.validate_import(job=job)
    job.refresh_from_db()
    assert (job.state, job.error_message.startswith(message)) == ("failed", True)
    assert files_in(private_files, "imports") == sorted([f"{job.pk}.csv", f"{job.pk}-attachments.zip"])
    assert services.commit_import(job=job, skip_invalid=True).items_created == 3  # the failed job validates again


@pytest.mark.parametrize(("code", "message"), FAULTS)
def test_a_fault_while_storing_attachments_at_the_commit_leaves_no_item_and_no_file(demo, private_files, code, message):
    job = start()
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    services.validate_import(job=job)
    with (
        failing_storage(private_files, code, folder="attachments/", after=1) as written,
        pytest.raises(services.ImportRefused, match=message),
    ):
        services.commit_import(job=job)
    assert len(written) == 2  # the first attachment was stored whole, the second half
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()
    assert ItemType.objects.get(code="SOLL").last_number == 0
    assert files_in(private_files, "attachments") == []
    assert not services.staging_path(job).exists()
    job.refresh_from_db()
    assert (job.state, job.error_message.startswith(message)) == ("failed", True)

    assert services.commit_import(job=job).items_created == 3
    assert len(files_in(private_files, "attachments")) == 3


def test_a_full_disk_while_writing_generated_documents_leaves_no_item_and_no_file(demo, private_files):
    profile = ItemType.objects.get(code="CONTR").creation_profiles.get(code="NIEUW")
    rows = (
        "Relatienummer;Onderwerp;Salaris;Ingangsdatum\n10001;Contract;3500;01-02-2026\n10002;Contract;3600;01-02-2026\n"
    )
    job = start(with_zip=False, username="admin", type_code="CONTR", rows=rows, profile=profile)
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    with (
        failing_storage(private_files, errno.ENOSPC, folder="attachments/", after=1) as written,
        pytest.raises(services.ImportRefused, match=FULL),
    ):
        services.commit_import(job=job)
    assert len(written) == 2
    assert not DossierItem.objects.filter(item_type__code="CONTR", import_job=job).exists()
    assert files_in(private_files, "attachments") == []
    assert ImportJob.objects.get(pk=job.pk).state == "failed"

    assert services.commit_import(job=job).items_created == 2
    assert len(files_in(private_files, "attachments")) == 2


@pytest.fixture
def rows_and_zip(tmp_path):
    rows, archive = tmp_path / "rows.csv", tmp_path / "docs.zip"
    rows.write_text(ROWS, encoding="utf-8")
    archive.write_bytes(zip_bytes())
    return rows, archive


@pytest.mark.parametrize("folder", ["imports/", "attachments/"], ids=["upload", "commit"])
def test_the_command_line_says_the_disk_is_full_in_one_sentence_and_exits_2(demo, private_files, rows_and_zip, folder):
    rows, archive = rows_and_zip
    with failing_storage(private_files, errno.ENOSPC, folder=folder):
        code, out, err = import_items(rows, "--type", "SOLL", "--user", "importeur", "--attachments", archive)
    assert code == 2
    assert err.strip().splitlines()[-1].startswith(FULL)
    assert "Traceback" not in out + err
    assert ImportJob.objects.get().state == "failed"
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()
    assert files_in(private_files, "attachments") == []

    code, _out, _err = import_items(rows, "--type", "SOLL", "--user", "importeur", "--attachments", archive)
    assert code == 0
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 3


# --- every step of the wizard and every download (issue 14, part 5) -------------------------
#
# `read_only` makes the private storage refuse every write with the errno given, as a
# read-only, full or locked-down disk does, while reads go on; `unreadable` makes its reads
# fail too. Each step then answers with one sentence, never a 500 page, and a job the page
# was about fails with that sentence instead of staying in its state.

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@contextmanager
def read_only(storage, code: int, *, reads_too: bool = False) -> Iterator[None]:
    """Inside, every write under the storage's folder (storage saves and deletes, and the files
    the import writes itself: staged rows, progress, cancel marks) fails with `code`."""
    import builtins

    root = str(storage.base_location)

    def under(path) -> bool:
        return not isinstance(path, int) and os.fsdecode(os.fspath(path)).startswith(root)

    def fault(path):
        raise OSError(code, os.strerror(code), os.fsdecode(os.fspath(path)))

    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if under(file) and (reads_too or set(mode) & set("wax+")):
            fault(file)
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):
        if under(path) and (reads_too or flags & WRITE_FLAGS):
            fault(path)
        return real_os_open(path, flags, *args, **kwargs)

    def guarded(real):
        def call(path, *args, **kwargs):
            if under(path):
                fault(path)
            return real(path, *args, **kwargs)

        return call

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builtins, "open", guarded_open)
        patch.setattr(io, "open", guarded_open)
        patch.setattr(os, "open", guarded_os_open)
        for name in ("unlink", "remove", "mkdir", "replace", "rename", "rmdir"):
            patch.setattr(os, name, guarded(getattr(os, name)))
        yield


STORAGE_FAULTS = [
    pytest.param(errno.EROFS, UNWRITABLE, id="read-only"),
    pytest.param(errno.ENOSPC, FULL, id="full"),
    pytest.param(errno.EACCES, UNWRITABLE, id="no permission"),
]
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def wizard_job(*, state: str = "uploaded"):
    """importeur's job of three rows, brought to `state` (uploaded, mapped or validated)."""
    job = start()
    if state in ("mapped", "validated"):
        assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    if state == "validated":
        services.validate_import(job=job)
    job.refresh_from_db()
    assert job.state == state
    return job


def said_once(response, message: str) -> bool:
    """The page says the sentence, and shows no traceback."""
    page = html.unescape(response.content.decode())
    return message in page and "Traceback" not in page


@pytest.mark.parametrize(("code", "message"), STORAGE_FAULTS)
def test_a_storage_fault_at_the_upload_is_one_sentence_on_the_form_and_a_failed_job(
    importeur, client, private_files, code, message
):
    from tests.imports.wizard import upload_file

    with read_only(private_files, code):
        response = client.post("/admin/imports/new/upload/SOLL/", {"file": upload_file(ROWS, "rows.csv")})
    assert response.status_code == 200
    assert said_once(response, message)
    assert ImportJob.objects.get().state == "failed"
    assert files_in(private_files, "imports") == []


@pytest.mark.parametrize(("code", "message"), STORAGE_FAULTS)
def test_a_storage_fault_at_the_mapping_step_fails_the_job_with_one_sentence_not_a_500_page(
    importeur, client, private_files, code, message
):
    from tests.imports.test_wizard_map import form_data

    job = wizard_job()
    form = form_data(client.get(f"/admin/imports/new/{job.pk}/map/"))
    with read_only(private_files, code):
        response = client.post(f"/admin/imports/new/{job.pk}/map/", form, follow=True)
    assert response.status_code == 200
    assert said_once(response, message)
    job.refresh_from_db()
    assert job.state == "failed" and job.error_message.startswith(message)

    # The storage back, the same job is checked again from its result page.
    client.post(f"/admin/imports/new/{job.pk}/check/")
    assert ImportJob.objects.get(pk=job.pk).state == "validating"


@pytest.mark.parametrize(("code", "message"), STORAGE_FAULTS)
def test_a_storage_fault_when_the_check_starts_fails_the_job_with_one_sentence(
    importeur, client, private_files, code, message
):
    job = wizard_job(state="mapped")
    with read_only(private_files, code):
        response = client.post(f"/admin/imports/new/{job.pk}/check/", follow=True)
    assert response.status_code == 200
    assert said_once(response, message)
    job.refresh_from_db()
    assert job.state == "failed" and job.error_message.startswith(message)


@pytest.mark.parametrize(("code", "message"), STORAGE_FAULTS)
def test_a_storage_fault_when_the_import_starts_fails_the_job_instead_of_leaving_it_validated(
    importeur, client, private_files, code, message
):
    job = wizard_job(state="validated")
    with read_only(private_files, code):
        response = client.post(f"/admin/imports/new/{job.pk}/import/", {"rows": "all"}, follow=True)
    assert response.status_code == 200
    assert said_once(response, message)
    job.refresh_from_db()
    assert job.state == "failed" and job.error_message.startswith(message)
    assert not DossierItem.objects.filter(import_job=job).exists()


@pytest.mark.parametrize(("code", "message"), STORAGE_FAULTS)
@pytest.mark.parametrize("step", ["check", "import"])
def test_a_storage_fault_in_the_task_worker_fails_the_job_with_one_sentence(
    importeur, client, private_files, settings, django_capture_on_commit_callbacks, code, message, step
):
    settings.TASKS = IMMEDIATE
    job = wizard_job(state="mapped" if step == "check" else "validated")
    services.discard_staging(job=job)  # the commit validates again: it writes staged rows
    if step == "import":
        ImportJob.objects.filter(pk=job.pk).update(state="validated")
    url = f"/admin/imports/new/{job.pk}/{step}/"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url, {"rows": "all"})
    assert response.status_code == 302
    with read_only(private_files, code):
        for callback in queued:
            callback()  # the worker runs while the storage fails
    job.refresh_from_db()
    assert job.state == "failed" and job.error_message.startswith(message)
    assert not DossierItem.objects.filter(import_job=job).exists()
    response = client.get(f"/admin/imports/new/{job.pk}/result/")
    assert response.status_code == 200 and said_once(response, message)


MISSING = "A file of this import is no longer in the server's storage"


@pytest.mark.parametrize("step", ["sheet", "map", "check", "result"])
def test_an_uploaded_file_gone_missing_is_never_a_500_page(importeur, client, private_files, step):
    job = wizard_job(state="uploaded" if step in ("sheet", "map") else "validated")
    private_files.delete(job.file.name)
    response = client.get(f"/admin/imports/new/{job.pk}/{step}/", follow=True)
    assert response.status_code == 200


def test_an_uploaded_file_gone_missing_fails_the_check_with_one_sentence(
    importeur, client, private_files, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    job = wizard_job(state="mapped")
    private_files.delete(job.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/imports/new/{job.pk}/check/")
    job.refresh_from_db()
    assert job.state == "failed"
    assert "cannot be found" in job.error_message or job.error_message.startswith(MISSING)


def test_a_storage_fault_unknown_to_the_sentences_is_still_one_sentence_and_a_failed_job(
    importeur, client, private_files
):
    job = wizard_job(state="mapped")
    with read_only(private_files, errno.EIO):
        response = client.post(f"/admin/imports/new/{job.pk}/check/", follow=True)
    assert response.status_code == 200
    assert said_once(response, "The server's storage failed, so the import stopped and nothing was stored")
    assert ImportJob.objects.get(pk=job.pk).state == "failed"


def test_the_template_download_with_a_full_disk_is_one_sentence_not_a_500_page(importeur, client, monkeypatch):
    from imports import views

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(views, "write_template", full)
    response = client.get("/admin/imports/new/template/SOLL/")
    assert response.status_code == 503
    assert said_once(response, "The server's storage is full")


@pytest.mark.parametrize("what", ["file", "attachments"])
@pytest.mark.parametrize(
    ("fault", "message"),
    [("missing", "is no longer stored"), ("unreadable", "cannot be read from the server's storage just now")],
)
def test_a_history_download_from_failing_storage_is_one_sentence_on_the_job_page(
    importeur, client, private_files, what, fault, message
):
    job = start()
    stored = job.file if what == "file" else job.attachments_zip
    url = f"/admin/imports/importjob/{job.pk}/download/{what}/"
    if fault == "missing":
        private_files.delete(stored.name)
        response = client.get(url, follow=True)
    else:
        with read_only(private_files, errno.EACCES, reads_too=True):
            response = client.get(url, follow=True)
    assert response.status_code == 200
    assert said_once(response, message)


def test_the_status_workbook_download_on_a_full_disk_is_one_sentence_on_the_job_page(
    importeur, client, private_files, monkeypatch
):
    import tempfile

    job = start(rows=ROWS + "E0009;Brief;10001_brief.pdf\n")
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    services.validate_import(job=job)
    assert ImportJob.objects.get(pk=job.pk).invalid_row_count == 1

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    response = client.get(f"/admin/imports/importjob/{job.pk}/download/workbook-xlsx/", follow=True)
    assert response.status_code == 200
    assert said_once(response, "The file with the status of every row cannot be written just now")


def test_an_attachment_the_storage_cannot_read_is_one_sentence_on_the_item_page(importeur, client, private_files):
    from dossier.models import Attachment

    assert import_all() == 3
    attachment = Attachment.objects.filter(item__item_type__code="SOLL").first()
    with read_only(private_files, errno.EACCES, reads_too=True):
        response = client.get(reverse("dossier:attachment-download", args=[attachment.pk]))
    assert response.status_code == 503
    assert said_once(response, "cannot be read from the server's storage just now")


def test_a_cancel_the_storage_cannot_record_says_so_and_the_job_goes_on(importeur, client, private_files):
    job = wizard_job(state="mapped")
    ImportJob.objects.filter(pk=job.pk).update(state="validating")
    with read_only(private_files, errno.EROFS):
        response = client.post(f"/admin/imports/new/{job.pk}/cancel/", follow=True)
    assert response.status_code == 200
    assert said_once(response, "The cancel could not be recorded: the server cannot write to its storage.")
    assert ImportJob.objects.get(pk=job.pk).state == "validating"


# --- the undo (issue 14, part 10) -------------------------------------------------------------
#
# An undo removes the items in their transaction, then the import's files (the uploaded sheet
# and ZIP, the staged rows, the items' attachments). A storage that refuses to remove them
# neither fails nor half-does the undo: the names it refused stay on the job with one
# sentence in its history, and the reaper removes them once the storage takes it again.

FILES_LEFT = "The items were removed, but the server's storage refused to remove"


class StorageRefusal(Exception):
    """What a remote storage raises of its own (no OSError)."""


@contextmanager
def refusing_deletes(storage) -> Iterator[None]:
    def delete(name):
        raise StorageRefusal(f"delete {name}: access denied")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(storage, "delete", delete)
        yield


def refusing(storage, fault):
    return refusing_deletes(storage) if fault == "own exception" else read_only(storage, fault)


def undoable_job() -> tuple[ImportJob, list[str]]:
    """importeur's done import of three rows with attachments, its staged rows still there,
    and the names of everything an undo must remove from storage."""
    from dossier.models import Attachment

    assert import_all() == 3
    job = ImportJob.objects.get(state="done")
    services.staging_path(job).write_text("{}\n")
    attachments = list(Attachment.objects.filter(item__import_job=job).values_list("file", flat=True))
    names = [job.file.name, job.attachments_zip.name, f"imports/{services.staging_path(job).name}", *attachments]
    assert len(attachments) == 3
    return job, names


FAULTS_AT_UNDO = [
    pytest.param(errno.EROFS, id="read-only"),
    pytest.param(errno.EACCES, id="no permission"),
    pytest.param("own exception", id="the storage's own exception"),
]


@pytest.mark.parametrize("fault", FAULTS_AT_UNDO)
def test_an_undo_on_storage_that_refuses_to_delete_removes_the_items_and_records_the_files_left(
    demo, private_files, django_capture_on_commit_callbacks, caplog, fault
):
    job, names = undoable_job()
    with refusing(private_files, fault), django_capture_on_commit_callbacks(execute=True):
        removed = services.undo_import(job=job, user=get_user_model().objects.get(username="importeur"))

    assert removed == 3
    job.refresh_from_db()
    assert job.state == "undone" and not DossierItem.objects.filter(import_job=job).exists()
    assert (job.file.name, job.attachments_zip.name, job.files_removed_at) == ("", "", None)
    assert set(names) <= set(job.files_left)
    assert all(private_files.exists(name) for name in names)
    assert job.error_message.startswith(FILES_LEFT) and job.error_message.count(".") == 1
    assert f"Undone import {job.pk}: the storage refused to remove" in caplog.text


@pytest.mark.parametrize("fault", FAULTS_AT_UNDO)
def test_the_reaper_removes_the_files_an_undo_left_once_the_storage_takes_it_again(
    demo, private_files, django_capture_on_commit_callbacks, fault
):
    from imports import tasks

    job, names = undoable_job()
    with refusing(private_files, fault), django_capture_on_commit_callbacks(execute=True):
        services.undo_import(job=job, user=get_user_model().objects.get(username="importeur"))
    with refusing(private_files, fault):
        tasks.reap_stale_imports()  # the storage still refuses: the names stay
    job.refresh_from_db()
    assert set(names) <= set(job.files_left) and job.files_removed_at is None

    tasks.reap_stale_imports()

    job.refresh_from_db()
    assert (job.files_left, job.error_message) == ([], "")
    assert job.files_removed_at is not None
    assert not any(private_files.exists(name) for name in names)
    assert files_in(private_files, "imports") == []


def test_the_files_of_an_undo_whose_worker_died_after_its_commit_are_removed_by_the_reaper(
    demo, private_files, django_capture_on_commit_callbacks
):
    from imports import tasks

    job, names = undoable_job()
    with django_capture_on_commit_callbacks(execute=False):  # the worker dies after the commit
        services.undo_import(job=job, user=get_user_model().objects.get(username="importeur"))
    job.refresh_from_db()
    assert job.state == "undone" and set(names) <= set(job.files_left)
    assert all(private_files.exists(name) for name in names)

    tasks.reap_stale_imports()

    assert not any(private_files.exists(name) for name in names)
    assert ImportJob.objects.get(pk=job.pk).files_left == []


def test_an_undone_job_whose_files_are_gone_is_left_alone_by_the_reaper(
    demo, private_files, django_capture_on_commit_callbacks
):
    job, names = undoable_job()
    with django_capture_on_commit_callbacks(execute=True):
        services.undo_import(job=job, user=get_user_model().objects.get(username="importeur"))
    job.refresh_from_db()
    assert (job.files_left, job.error_message) == ([], "") and job.files_removed_at is not None
    assert not any(private_files.exists(name) for name in names)
    assert services.remove_undone_files() == []


@pytest.mark.parametrize(("code", "message"), STORAGE_FAULTS)
def test_an_undo_from_the_history_on_read_only_storage_is_no_500_page_and_says_what_was_left(
    importeur, client, private_files, settings, django_capture_on_commit_callbacks, code, message
):
    settings.TASKS = IMMEDIATE
    job, names = undoable_job()
    with read_only(private_files, code):
        with django_capture_on_commit_callbacks(execute=True):  # the worker's turn
            posted = client.post(reverse("admin:imports_importjob_undo", args=[job.pk]))
        response = client.get(posted.url, follow=True)  # the undo's progress page, then the job's
    assert posted.status_code == 302 and response.status_code == 200
    assert said_once(response, "The import was undone: 3 items were removed.")
    assert said_once(response, FILES_LEFT)
    job.refresh_from_db()
    assert job.state == "undone" and not DossierItem.objects.filter(import_job=job).exists()
    assert all(private_files.exists(name) for name in names)
    page = client.get(reverse("admin:imports_importjob_change", args=[job.pk]))
    assert said_once(page, FILES_LEFT)


# --- the other paths that write or remove a user's files --------------------------------------


def test_a_reaper_round_on_read_only_storage_still_ends_the_dead_job_and_the_rest_of_the_round(
    demo, private_files, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from imports import tasks

    undone, names = undoable_job()
    with read_only(private_files, errno.EROFS), django_capture_on_commit_callbacks(execute=True):
        services.undo_import(job=undone, user=get_user_model().objects.get(username="importeur"))
    dead = wizard_job(state="validated")
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    ImportJob.objects.filter(pk=dead.pk).update(state="importing", heartbeat_at=long_ago, queued_at=long_ago)

    with read_only(private_files, errno.EROFS):
        ended = tasks.reap_stale_imports()

    assert [job.pk for job in ended] == [dead.pk]
    assert ImportJob.objects.get(pk=dead.pk).state == "failed"
    assert set(names) <= set(ImportJob.objects.get(pk=undone.pk).files_left)  # tried, and kept for later


def test_a_large_master_data_upload_the_storage_refuses_is_one_sentence_on_the_form_not_a_500_page(
    demo, client, private_files, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dossier.models import MasterDataImport, Relation
    from tests.dossier.test_resources import format_index

    settings.MASTER_DATA_BACKGROUND_ROWS = 5
    client.force_login(get_user_model().objects.get(username="admin"))
    rows = "".join(f"{40000 + n},person,Relation {n},Delft,\n" for n in range(10))
    content = ("number,kind,name,city,debtor_number\n" + rows).encode()
    upload = {"format": format_index(Relation, "csv"), "import_file": SimpleUploadedFile("relations.csv", content)}
    with read_only(private_files, errno.EROFS):
        response = client.post(reverse("admin:dossier_relation_import"), upload, follow=True)
    assert response.status_code == 200
    assert said_once(response, "The server cannot store the file just now")
    assert not MasterDataImport.objects.exists()
    assert files_in(private_files, "masterdata") == []


@pytest.mark.parametrize("fault", ["missing", "unreadable"])
def test_a_document_template_the_storage_cannot_read_is_one_sentence_on_its_page_not_a_500_page(
    demo, client, private_files, fault
):
    from django.core.files.base import ContentFile

    from dossier.models import DocumentTemplate

    template = DocumentTemplate(code="DOC", name="Contract")
    template.file.save("contract.docx", ContentFile(b"docx bytes"))
    client.force_login(get_user_model().objects.get(username="admin"))
    url = reverse("admin:dossier_documenttemplate_download", args=[template.pk])
    if fault == "missing":
        private_files.delete(template.file.name)
        response = client.get(url, follow=True)
    else:
        with read_only(private_files, errno.EACCES, reads_too=True):
            response = client.get(url, follow=True)
    assert response.status_code == 200
    assert said_once(response, "The template's file cannot be read from the server's storage just now")
