"""A full disk or storage that cannot be written, during the upload, the staging or the
commit: one clear sentence, the job recorded as failed, no partial file and no item left,
and the next import works. The faults are simulated: the storage (or the staging) writes
part of a file, then fails with the errno the operating system would give."""

import errno
import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model

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

    def failing(handle, *args):
        original(handle, *args)  # one row written, then the disk fails
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
