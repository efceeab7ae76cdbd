"""The import services on the demo world: rights, states, commit, undo, rejected rows."""

import io
import zipfile

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from dossier.demo import seed_demo_world
from dossier.models import DossierItem, Employee, ItemType, Relation, ReviewTask, WorkflowInstance
from imports import services
from imports.models import ImportJob, SavedMapping
from imports.services import rejected as rejected_rows
from imports.services import rows as job_rows
from spreadsheets.reading import open_table

pytestmark = pytest.mark.django_db


def user(name):
    return get_user_model().objects.get(username=name)


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def start(text, *, type_code="SOLL", username="importeur", **options):
    return services.start_import(
        user=user(username),
        item_type=ItemType.objects.get(code=type_code),
        file=csv_file(text),
        file_name="rows.csv",
        **options,
    )


def mapped(text, mapping=None, **options):
    job = start(text, **options)
    assert services.set_mapping(job=job, mapping=mapping or services.suggest_mapping_for(job)) == []
    return job


SOLL_ROWS = "Relatienummer;Onderwerp\n10001;Sollicitatiebrief\n10002;CV\n"


def test_r02_a_user_without_rights_is_refused(demo):
    with pytest.raises(services.ImportRefused, match="InSite or Profit rights"):
        start(SOLL_ROWS, username="zonderrechten")


def test_r03_a_type_the_user_is_not_authorised_for_is_refused(demo):
    with pytest.raises(services.ImportRefused, match="not authorised for item type SOLL"):
        start(SOLL_ROWS, username="profit")


def test_r05_a_type_without_destinations_is_refused_with_the_reason(demo):
    with pytest.raises(services.ImportRefused, match="No destination is possible"):
        start(SOLL_ROWS, type_code="MEMO", username="admin")


def test_r21_a_profile_of_another_type_is_refused(demo):
    profile = ItemType.objects.get(code="CONTR").creation_profiles.get(code="NIEUW")
    with pytest.raises(services.ImportRefused, match="does not belong to type SOLL"):
        start(SOLL_ROWS, profile=profile)


def test_r29_a_started_import_records_who_what_and_the_files_checksum(demo):
    import hashlib

    job = start(SOLL_ROWS)
    assert (job.user.username, job.item_type.code, job.file_name, job.state) == (
        "importeur",
        "SOLL",
        "rows.csv",
        "uploaded",
    )
    assert job.file_sha256 == hashlib.sha256(SOLL_ROWS.encode()).hexdigest()
    assert job.headers == ["Relatienummer", "Onderwerp"]


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "is empty"), ("Relatienummer;Onderwerp\n", "no rows to import"), (";;\n\n", "holds no data")],
)
def test_a_file_without_rows_is_refused_and_recorded_as_failed(demo, content, message):
    with pytest.raises(services.ImportRefused, match=message) as caught:
        start(content)
    if caught.value.job:
        assert ImportJob.objects.get(pk=caught.value.job.pk).state == "failed"


def test_a_mapping_that_worked_is_remembered_and_offered_first_next_time(demo):
    job = start("Kolom A;Kolom B\n10001;x\n")
    mapping = {"relation": {"column": "Kolom A"}, "subject": {"column": "Kolom B"}}
    assert services.set_mapping(job=job, mapping=mapping) == []
    assert not SavedMapping.objects.exists()  # not before the check ran
    services.remember_mapping(job=job)
    assert SavedMapping.objects.get(item_type__code="SOLL").mapping == mapping
    again = start("Kolom B;Kolom A\n\nx;10002\n")
    assert services.suggest_mapping_for(again) == mapping


def test_a_mapping_that_cannot_work_changes_nothing(demo):
    job = start(SOLL_ROWS)
    problems = services.set_mapping(job=job, mapping={"subject": {"column": "Onderwerp"}})
    assert [p.code for p in problems] == ["required_unmapped"]
    job.refresh_from_db()
    assert (job.state, job.mapping) == ("uploaded", {})


def test_r27_validation_stores_nothing_and_counts_every_row(demo):
    job = mapped(SOLL_ROWS + "E0003;CV\n")
    summary = services.validate_import(job=job).summary
    assert (summary.rows, summary.valid_rows, summary.invalid_rows) == (3, 2, 1)
    job.refresh_from_db()
    assert (job.state, job.row_count, job.invalid_row_count) == ("validated", 3, 1)
    assert [p["code"] for p in job.problems if not p["is_warning"]] == ["relation_not_found"]
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()


def test_r27_with_invalid_rows_nothing_is_stored_unless_the_user_chooses_the_valid_ones(demo):
    job = mapped(SOLL_ROWS + "E0003;CV\n")
    services.validate_import(job=job)
    with pytest.raises(services.RowsInvalid, match="Row 4 is invalid"):
        services.commit_import(job=job)
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()
    job.refresh_from_db()
    assert job.state == "validated"
    assert services.commit_import(job=job, skip_invalid=True).items_created == 2
    job.refresh_from_db()
    assert (job.state, job.items_created) == ("done", 2)
    assert sorted(job.items.values_list("relation__number", "number")) == [("10001", 1), ("10002", 2)]


def test_r27_a_crash_halfway_leaves_no_items_and_no_files(demo, monkeypatch, private_files):
    from imports.pipeline import committing

    rows = "".join(f"{10001 + n};Brief {n};\\\\client\\C$\\Import\\{10001 + n}_brief.pdf\n" for n in range(30))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        for n in range(30):
            zip_file.writestr(f"Import/{10001 + n}_brief.pdf", b"%PDF")
    archive.seek(0)
    job = mapped("Relatienummer;Onderwerp;Bijlage\n" + rows, attachments=archive, attachments_name="docs.zip")
    services.validate_import(job=job)
    monkeypatch.setattr(committing, "BATCH_SIZE", 10)
    monkeypatch.setattr(committing.Committer, "__init__", _with_batch_size(committing.Committer.__init__, 10))
    monkeypatch.setattr(committing.Committer, "_commit_batch", _crashing_on_call(committing.Committer._commit_batch, 2))
    with pytest.raises(RuntimeError, match="disk full"):
        services.commit_import(job=job)
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()
    assert ItemType.objects.get(code="SOLL").last_number == 0
    assert _stored_attachment_files(private_files) == []
    job.refresh_from_db()
    assert job.state == "failed"
    assert "disk full" in job.error_message


def _crashing_on_call(method, call: int):
    """`method`, raising 'disk full' on its call-th call; `.callers` holds the objects it ran on."""

    def crashing(self, *args):
        crashing.callers.append(self)
        if len(crashing.callers) == call:
            raise RuntimeError("disk full")
        return method(self, *args)

    crashing.callers = []
    return crashing


def _stored_attachment_files(private_files) -> list:
    folder = private_files.base_location / "attachments"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def _with_batch_size(init, size):
    def patched(self, *args, **kwargs):
        kwargs["batch_size"] = size
        init(self, *args, **kwargs)

    return patched


def test_r08_r22_each_destination_gets_its_own_copy_of_the_attachment(demo):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("Import/reglement.pdf", b"%PDF reglement")
    archive.seek(0)
    job = mapped(
        "Relatienummer;Onderwerp;Bijlage\n10001;10002;Reglement;reglement.pdf\n".replace(
            "10001;10002", '"10001;10002"'
        ),
        attachments=archive,
        attachments_name="docs.zip",
    )
    assert services.commit_import(job=job).items_created == 2
    items = DossierItem.objects.filter(import_job=job).order_by("number")
    assert [i.relation.number for i in items] == ["10001", "10002"]
    files = [i.attachments.get() for i in items]
    assert files[0].file.name != files[1].file.name
    assert {f.sha256 for f in files} == {__import__("hashlib").sha256(b"%PDF reglement").hexdigest()}
    assert all(f.original_name == "reglement.pdf" for f in files)


def test_r17_imported_items_enter_the_workflow_of_their_characteristics(demo):
    job = mapped("Relatienummer;Onderwerp;Ernst\n20001;Klacht;HOOG\n20002;Klacht;laag\n", type_code="KLACHT")
    assert services.commit_import(job=job).items_created == 2
    entered = WorkflowInstance.objects.filter(item__import_job=job)
    assert [(w.item.relation.number, w.workflow.code, w.current_task.is_start) for w in entered] == [
        ("20001", "ESCALATIE", True)
    ]


def test_r21_a_creation_profile_creates_review_tasks_and_documents(demo):
    contr = ItemType.objects.get(code="CONTR")
    profile = contr.creation_profiles.get(code="NIEUW")
    job = mapped(
        "Relatienummer;Onderwerp;Salaris;Ingangsdatum\n10001;Contract;3.500,00;01-02-2026\n",
        type_code="CONTR",
        username="admin",
        profile=profile,
    )
    assert services.commit_import(job=job).items_created == 1
    item = DossierItem.objects.get(import_job=job)
    assert item.creation_profile == profile
    assert ReviewTask.objects.filter(item=item).exists()
    assert item.attachments.get().original_name.endswith(".docx")
    assert item.free_values["Salaris"] == "3500.00"


def test_a_commit_stores_every_value_as_validated(demo):
    import datetime as dt
    import zoneinfo

    job = mapped(
        "Relatienummer;Onderwerp;Instuurdatum;Begindatum;Salaris;Ingangsdatum;Functie;Proeftijd\n"
        "10001;Contract;31-12-2024 10:30;15-1-25;3.500,50;01-02-2026;Monteur;ja\n",
        type_code="CONTR",
        username="admin",
    )
    assert services.commit_import(job=job).items_created == 1
    item = DossierItem.objects.get(import_job=job)
    amsterdam = zoneinfo.ZoneInfo("Europe/Amsterdam")
    assert item.submitted_at == dt.datetime(2024, 12, 31, 10, 30, tzinfo=amsterdam)
    assert (item.subject, item.relation.number, item.submitter.username) == ("Contract", "10001", "admin")
    assert item.begin_date == dt.date(2025, 1, 15)
    assert item.free_values == {
        "Salaris": "3500.50",
        "Ingangsdatum": "2026-02-01",
        "Functie": "Monteur",
        "Proeftijd": True,
    }
    assert item.created_at is not None and item.item_type.code == "CONTR" and item.import_job == job


def test_a_staging_file_written_before_it_had_a_header_is_committed_the_same(demo):
    """A job checked by the version before the staging header (every column on each row, in
    the model's order) and committed after an upgrade stores the same items."""
    import json

    from imports.pipeline.committing import STAGING_ENCODER, ItemRows, read_staging_header
    from imports.services.staging import staging_path

    rows = "Relatienummer;Onderwerp;Instuurdatum;Salaris;Ingangsdatum;Functie\n10001;Contract;31-12-2024 10:30;3.500,50;01-02-2026;Monteur\n"
    job = mapped(rows, type_code="CONTR", username="admin")
    services.validate_import(job=job)
    path = staging_path(job)
    item_rows = ItemRows(services.spec_for(job), job=job)
    with path.open(encoding="utf-8") as handle:
        columns = read_staging_header(handle)
        lines = [json.loads(line) for line in handle]
    template = {f.name: item_rows._template[i] for i, f in enumerate(item_rows.fields)}
    for line in lines:  # each item's staged values spread over every column, as before
        for item in line[2]:
            values = {**template, **dict(zip(columns, item[1], strict=True))}
            item[1] = [values[f.name] for f in item_rows.fields]
    path.write_text("".join(STAGING_ENCODER.encode(line) + "\n" for line in lines), encoding="utf-8")

    assert services.commit_import(job=job).items_created == 1
    item = DossierItem.objects.get(import_job=job)
    assert (item.subject, item.relation.number, item.item_type.code) == ("Contract", "10001", "CONTR")
    assert item.free_values == {"Salaris": "3500.50", "Ingangsdatum": "2026-02-01", "Functie": "Monteur"}
    assert item.fingerprint and item.submitted_at.year == 2024


def test_undo_removes_every_item_of_the_import(demo):
    job = mapped(SOLL_ROWS)
    services.commit_import(job=job)
    assert services.undo_import(job=job, user=job.user) == 2
    assert not DossierItem.objects.filter(import_job=job).exists()
    job.refresh_from_db()
    assert job.state == "undone"
    with pytest.raises(services.ImportRefused):
        services.undo_import(job=job, user=job.user)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_rejected_rows_file_can_be_fixed_and_imported_again(demo, tmp_path, suffix):
    job = mapped(
        'Relatienummer;Onderwerp\n10001;=HYPERLINK("http://x")\nE0002;-CV\n10003;+31 brief\n',
        mapping={"relation": {"column": "Relatienummer"}, "subject": {"column": "Onderwerp"}},
    )
    services.validate_import(job=job)
    target = tmp_path / f"rejected{suffix}"
    assert services.write_rejected_rows_file(job=job, target=target) == 1
    table = open_table(target)
    rows = [row.cells for row in table.rows()]
    assert table.headers == ["Relatienummer", "Onderwerp", "Problems"]
    assert rows[0][:2] == ("E0002", "-CV")
    assert "Use relation number 10002 instead" in rows[0][2]
    if suffix == ".xlsx":
        sheet = openpyxl.load_workbook(target).active
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    else:
        assert "'-CV" in target.read_text(encoding="utf-8-sig")
    if suffix == ".xlsx":
        workbook = openpyxl.load_workbook(target)
        workbook.active["A2"] = "10002"
        workbook.save(target)
        fixed = target.read_bytes()
    else:
        fixed = target.read_bytes().replace(b"E0002", b"10002")
    again = services.start_import(
        user=user("importeur"),
        item_type=ItemType.objects.get(code="SOLL"),
        file=io.BytesIO(fixed),
        file_name=f"fixed{suffix}",
    )
    assert (
        services.set_mapping(
            job=again,
            mapping={
                "relation": {"column": "Relatienummer"},
                "subject": {"column": "Onderwerp"},
                "not_imported": ["Problems"],  # the rejected rows' own column, left out on purpose
            },
        )
        == []
    )
    assert services.commit_import(job=again).items_created == 1
    assert DossierItem.objects.get(import_job=again).subject == "-CV"


def test_r01_importing_the_same_file_again_creates_new_items_and_changes_none(demo):
    first = mapped(SOLL_ROWS)
    services.commit_import(job=first)
    before = list(DossierItem.objects.filter(import_job=first).values("pk", "number", "subject", "relation__number"))
    second = mapped(SOLL_ROWS)
    assert services.commit_import(job=second, again=True).items_created == 2
    assert (
        list(DossierItem.objects.filter(import_job=first).values("pk", "number", "subject", "relation__number"))
        == before
    )
    assert sorted(DossierItem.objects.filter(import_job=second).values_list("number", flat=True)) == [3, 4]


def test_r04_an_import_has_one_type_and_a_type_column_is_no_field(demo):
    job = start("Type;Relatienummer;Onderwerp\nKLACHT;10001;Brief\n")
    assert job.item_type.code == "SOLL"
    problems = services.set_mapping(
        job=job, mapping={"relation": {"column": "Relatienummer"}, "item_type": {"column": "Type"}}
    )
    assert [(p.field, p.code) for p in problems] == [("item_type", "unknown_field")]
    assert "item_type" not in services.suggest_mapping_for(job)


def test_r06_reactions_cannot_be_mapped(demo):
    job = start("Relatienummer;Reactie\n10001;Mooi\n")
    problems = services.set_mapping(
        job=job, mapping={"relation": {"column": "Relatienummer"}, "reaction": {"column": "Reactie"}}
    )
    assert [p.code for p in problems] == ["unknown_field"]


def test_r07_an_outgoing_post_type_imports_without_producing_anything(demo):
    corr = ItemType.objects.get(code="CORR")
    assert corr.outgoing_post_choice
    job = mapped("Relatienummer;Onderwerp\n20001;Brief\n", type_code="CORR")
    assert services.commit_import(job=job).items_created == 1
    item = DossierItem.objects.get(import_job=job)
    assert not item.attachments.exists()
    assert not item.review_tasks.exists()


def test_r23_a_row_names_several_attachments_separated_by_semicolons(demo):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("Import/10001_a.pdf", b"%PDF a")
        zip_file.writestr("Import/10001_b.pdf", b"%PDF bb")
    archive.seek(0)
    job = mapped(
        'Relatienummer;Bijlage\n10001;"10001_a.pdf; 10001_b.pdf"\n', attachments=archive, attachments_name="docs.zip"
    )
    assert services.validate_import(job=job).summary.errors == []
    assert services.commit_import(job=job).items_created == 1
    stored = DossierItem.objects.get(import_job=job).attachments.order_by("original_name")
    assert [(a.original_name, a.size) for a in stored] == [("10001_a.pdf", 6), ("10001_b.pdf", 7)]


def test_r29_a_finished_import_records_its_counts_mapping_and_items(demo):
    job = mapped(SOLL_ROWS + "E0003;CV\n")
    services.commit_import(job=job, skip_invalid=True)
    job.refresh_from_db()
    assert (job.row_count, job.valid_row_count, job.invalid_row_count, job.items_created) == (3, 2, 1, 2)
    assert job.mapping == {"relation": {"column": "Relatienummer"}, "subject": {"column": "Onderwerp"}}
    assert [p["code"] for p in job.problems if not p["is_warning"]] == ["relation_not_found"]
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert job.items.count() == 2
    assert job.skip_invalid is True


def test_r24_attachments_come_from_a_server_import_folder(demo, settings, tmp_path):
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "10001_cv.pdf").write_bytes(b"%PDF from the server")
    settings.IMPORT_SERVER_FOLDERS = {"C$/Import": str(folder)}
    job = mapped("Relatienummer;Bijlage\n10001;\\\\client\\C$\\Import\\10001_cv.pdf\n")
    assert services.commit_import(job=job).items_created == 1
    attachment = DossierItem.objects.get(import_job=job).attachments.get()
    assert attachment.original_name == "10001_cv.pdf"
    with attachment.file.open("rb") as stored:
        assert stored.read() == b"%PDF from the server"


def test_r27_a_crash_halfway_through_one_insert_for_all_rows_leaves_nothing(demo, monkeypatch):
    from imports.pipeline import committing

    rows = "".join(f"{10001 + n};Brief {n}\n" for n in range(30))
    job = mapped("Relatienummer;Onderwerp\n" + rows)
    services.validate_import(job=job)
    crashing = _crashing_on_call(committing.Committer._commit_batch, 2)
    monkeypatch.setattr(committing.Committer, "__init__", _with_batch_size(committing.Committer.__init__, 10))
    monkeypatch.setattr(committing.Committer, "_commit_batch", crashing)
    with pytest.raises(RuntimeError, match="disk full"):
        services.commit_import(job=job)
    assert not any(c.follows_up for c in crashing.callers)  # no attachments, workflows or profile
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()
    assert ItemType.objects.get(code="SOLL").last_number == 0


@pytest.mark.parametrize(
    ("type_code", "follows_up"),
    [("SOLL", False), ("KLACHT", True)],  # KLACHT's ERNST=HOOG leads to a workflow
)
def test_r08_r28_items_of_many_batches_get_every_number_once_in_row_order(demo, monkeypatch, type_code, follows_up):
    from imports.pipeline import committing

    if type_code == "SOLL":
        header, rows = (
            "Relatienummer;Onderwerp\n",
            [f"{10001 + n}{',10050' if n % 3 == 0 else ''};Brief {n}" for n in range(25)],
        )
    else:
        header = "Relatienummer;Onderwerp;Ernst\n"
        rows = [
            f"{20001 + n}{',20030' if n % 3 == 0 else ''};Klacht {n};{'HOOG' if n % 2 else 'LAAG'}" for n in range(25)
        ]
    job = mapped(header + "\n".join(rows) + "\n", type_code=type_code, username="admin")
    summary = services.validate_import(job=job).summary
    assert summary.invalid_rows == 0, summary.problems[:3]
    monkeypatch.setattr(committing.Committer, "__init__", _with_batch_size(committing.Committer.__init__, 10))
    seen = []
    original = committing.Committer._commit_batch
    monkeypatch.setattr(
        committing.Committer, "_commit_batch", lambda self, *args: seen.append(self.follows_up) or original(self, *args)
    )

    before = ItemType.objects.get(code=type_code).last_number
    assert services.commit_import(job=job).items_created == 25 + 9  # every third row names two relations (R8)
    assert set(seen) == {follows_up} and len(seen) == 3
    items = list(DossierItem.objects.filter(import_job=job).order_by("number"))
    assert [item.number for item in items] == list(range(before + 1, before + 35))
    assert [item.subject for item in items[:3]] == [f"{'Brief' if type_code == 'SOLL' else 'Klacht'} 0"] * 2 + [
        f"{'Brief' if type_code == 'SOLL' else 'Klacht'} 1"
    ]
    assert ItemType.objects.get(code=type_code).last_number == before + 34
    if follows_up:
        assert WorkflowInstance.objects.filter(item__import_job=job).count() == sum(
            2 if n % 3 == 0 else 1 for n in range(25) if n % 2
        )


@pytest.mark.django_db(transaction=True)
def test_r27_a_relation_removed_after_validation_stores_nothing_and_says_to_run_again():
    seed_demo_world()
    spare = Relation.objects.create(number="19999", name="Vertrokken", kind=Relation.Kind.PERSON)
    Employee.objects.create(relation=spare, number="E9999")
    job = mapped("Relatienummer;Onderwerp\n10001;Brief\n19999;Brief\n")
    assert services.validate_import(job=job).summary.invalid_rows == 0
    spare.delete()  # and with it its employee role

    with pytest.raises(services.ImportRefused, match="changed or removed after the validation"):
        services.commit_import(job=job)
    assert not DossierItem.objects.filter(item_type__code="SOLL").exists()
    job.refresh_from_db()
    assert job.state == "failed"
    with pytest.raises(services.RowsInvalid, match="Row 3 is invalid"):
        services.commit_import(job=job)  # validated again first: the row now says what is wrong


def test_staged_rows_no_commit_will_use_are_removed_by_the_next_validation(demo, settings):
    import os
    import time

    settings.IMPORT_VALIDATION_MAX_AGE = 3600
    first = mapped(SOLL_ROWS)
    services.validate_import(job=first)
    stale, fresh = services.staging_path(first), services.staging_path(first).with_name("fresh-staged.jsonl")
    crashed = stale.with_name("crashed-staged.partial")
    fresh.write_text("")
    crashed.write_text("")
    two_hours_ago = time.time() - 7200
    for path in (stale, crashed):
        os.utime(path, (two_hours_ago, two_hours_ago))

    services.validate_import(job=mapped(SOLL_ROWS))
    assert not stale.exists() and not crashed.exists()
    assert fresh.exists()
    assert services.commit_import(job=ImportJob.objects.get(pk=first.pk)).items_created == 2  # validated again first


def test_progress_is_reported_between_inserts_never_during_one(demo, monkeypatch):
    """On PostgreSQL a COPY holds the connection: a progress report that queried the database
    during one would wait forever."""
    from contextlib import contextmanager

    from imports.pipeline import committing

    rows = "".join(f"{10001 + n};Brief {n}\n" for n in range(45))
    job = mapped("Relatienummer;Onderwerp\n" + rows)
    services.validate_import(job=job)
    inserting = []
    original = committing.ItemRows.inserter

    @contextmanager
    def tracked(self):
        inserting.append(True)
        try:
            with original(self) as insert:
                yield insert
        finally:
            inserting.pop()

    reports = []

    def progress(done, total):
        assert not inserting
        reports.append((done, ImportJob.objects.filter(pk=job.pk).count()))

    monkeypatch.setattr(committing.ItemRows, "inserter", tracked)
    monkeypatch.setattr(committing, "BATCHES_PER_INSERT", 2)
    monkeypatch.setattr(committing.Committer, "__init__", _with_batch_size(committing.Committer.__init__, 10))
    assert services.commit_import(job=job, progress=progress).items_created == 45
    assert [done for done, _found in reports] == [20, 40, 45]


def test_r21_a_failed_commit_removes_the_generated_documents_too(demo, monkeypatch, private_files):
    from imports.pipeline import committing

    profile = ItemType.objects.get(code="CONTR").creation_profiles.get(code="NIEUW")
    rows = "".join(f"{10001 + n};Contract {n};3500;01-02-2026\n" for n in range(20))
    job = mapped(
        "Relatienummer;Onderwerp;Salaris;Ingangsdatum\n" + rows, type_code="CONTR", username="admin", profile=profile
    )
    services.validate_import(job=job)
    monkeypatch.setattr(committing.Committer, "__init__", _with_batch_size(committing.Committer.__init__, 10))
    monkeypatch.setattr(committing.Committer, "_follow_up", _crashing_on_call(committing.Committer._follow_up, 2))
    with pytest.raises(RuntimeError, match="disk full"):
        services.commit_import(job=job)  # the first batch's documents are written by then
    assert not DossierItem.objects.filter(item_type__code="CONTR", import_job=job).exists()
    assert _stored_attachment_files(private_files) == []


def test_server_folders_alone_do_not_make_an_import_without_attachments_follow_up(
    demo, settings, tmp_path, monkeypatch
):
    from imports.pipeline import committing

    settings.IMPORT_SERVER_FOLDERS = {"C$/Import": str(tmp_path)}
    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    seen = []
    original = committing.Committer._commit_batch
    monkeypatch.setattr(
        committing.Committer, "_commit_batch", lambda self, *args: seen.append(self.follows_up) or original(self, *args)
    )
    assert services.commit_import(job=job).items_created == 2
    assert seen == [False]


def test_staged_rows_of_a_validation_still_running_are_left_alone(demo, settings):
    import os
    import time

    settings.IMPORT_VALIDATION_MAX_AGE = 60
    running = mapped(SOLL_ROWS)
    ImportJob.objects.filter(pk=running.pk).update(state=ImportJob.State.VALIDATING)
    partial = services.staging_path(running).with_suffix(".partial")
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text("")
    an_hour_ago = time.time() - 3600
    os.utime(partial, (an_hour_ago, an_hour_ago))

    services.validate_import(job=mapped(SOLL_ROWS))
    assert partial.exists()


def test_a_validation_that_breaks_marks_the_job_failed(demo, monkeypatch):
    from imports.pipeline import validation

    job = mapped(SOLL_ROWS)
    monkeypatch.setattr(validation.RowValidator, "_finish", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        services.validate_import(job=job)
    job.refresh_from_db()
    assert job.state == "failed" and "division by zero" in job.error_message
    assert not services.staging_path(job).with_suffix(".partial").exists()


def test_r28_a_duplicate_number_is_not_reported_as_a_changed_reference(demo):
    job = mapped(SOLL_ROWS)
    services.validate_import(job=job)
    soll = ItemType.objects.get(code="SOLL")
    DossierItem.objects.create(
        item_type=soll,
        number=soll.last_number + 1,
        submitter=user("admin"),
        relation=Relation.objects.get(number="10001"),
    )  # stored behind the type's last number, as no code of ours does
    with pytest.raises(IntegrityError):  # not ImportRefused: running again would not help
        services.commit_import(job=job)
    job.refresh_from_db()
    assert job.state == "failed" and "changed or removed" not in job.error_message


# --- the attachments ZIP: colliding, damaged and invisible names (issue 7, part 6) ----------


def zip_file_of(members: list[tuple[str, bytes]]) -> io.BytesIO:
    import warnings

    archive = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(archive, "w") as zip_file:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
        for name, data in members:
            zip_file.writestr(name, data)
    archive.seek(0)
    return archive


def test_rows_naming_colliding_members_get_a_problem_and_the_others_import(demo):
    archive = zip_file_of(
        [("Import/10001_cv.pdf", b"%PDF 1"), ("IMPORT/10001_CV.pdf", b"%PDF 2"), ("Import/10002_cv.pdf", b"%PDF 3")]
    )
    job = mapped(
        "Relatienummer;Onderwerp;Bijlage\n10001;CV;10001_cv.pdf\n10002;CV;10002_cv.pdf\n",
        attachments=archive,
        attachments_name="docs.zip",
    )
    summary = services.validate_import(job=job).summary
    assert [(p.row, p.column, p.code) for p in summary.errors] == [(2, "Bijlage", "attachment_name_collision")]
    assert services.commit_import(job=job, skip_invalid=True).items_created == 1


def test_a_damaged_member_fails_the_validation_with_one_sentence(demo, tmp_path):
    from tests.imports.test_attachments import lying_zip

    archive = lying_zip(tmp_path / "docs.zip", "Import/10001_cv.pdf", crc=7)
    job = mapped(
        "Relatienummer;Onderwerp;Bijlage\n10001;CV;10001_cv.pdf\n",
        attachments=io.BytesIO(archive.read_bytes()),
        attachments_name="docs.zip",
    )
    with pytest.raises(services.ImportRefused, match=r"'Import/10001_cv\.pdf' in the attachments ZIP is damaged"):
        services.validate_import(job=job)
    job.refresh_from_db()
    assert job.state == "failed" and "make the ZIP again" in job.error_message


def test_a_member_found_damaged_at_the_commit_stores_nothing(demo, tmp_path, private_files):
    from tests.imports.test_attachments import lying_zip

    rows = "Relatienummer;Onderwerp;Bijlage\n10001;CV;10001_cv.pdf\n10002;CV;10002_other.pdf\n"
    good = zip_file_of([("Import/10001_cv.pdf", b"%PDF " + b"x" * 500), ("10002_other.pdf", b"%PDF other")])
    job = mapped(rows, attachments=good, attachments_name="docs.zip")
    services.validate_import(job=job)
    damaged = lying_zip(tmp_path / "docs.zip", "Import/10001_cv.pdf", size=10)
    with open(job.attachments_zip.path, "wb") as stored:  # changed behind the validation's back
        stored.write(damaged.read_bytes())
    with pytest.raises(services.ImportRefused, match="is damaged"):
        services.commit_import(job=job)
    assert not DossierItem.objects.filter(import_job=job).exists()
    assert _stored_attachment_files(private_files) == []
    assert ImportJob.objects.get(pk=job.pk).state == "failed"


def test_invisible_characters_are_removed_from_stored_attachment_names(demo, settings):
    archive = zip_file_of([("Import/10001_cv\u202efdp.txt", b"x"), ("Import/10002\u200b_cv\ufeff.pdf", b"%PDF y")])
    job = mapped(
        "Relatienummer;Onderwerp;Bijlage\n10001;CV;10001_cv\u202efdp.txt\n10002;CV;10002_cv.pdf\n",
        attachments=archive,
        attachments_name="docs.zip",
    )
    assert services.commit_import(job=job).items_created == 2
    names = DossierItem.objects.filter(import_job=job).order_by("number").values_list("attachments__original_name")
    assert [name for (name,) in names] == ["10001_cvfdp.txt", "10002_cv.pdf"]


# --- the same file imported again (part 8) --------------------------------------------------


def test_the_same_file_imported_before_for_the_type_is_refused_unless_again(demo):
    first = mapped(SOLL_ROWS)
    assert services.commit_import(job=first).items_created == 2
    first.refresh_from_db()
    second = mapped(SOLL_ROWS)
    with pytest.raises(services.ImportedBefore) as caught:
        services.commit_import(job=second)
    when = __import__("django.utils.timezone", fromlist=["localtime"]).localtime(first.finished_at)
    assert caught.value.earlier == first
    assert caught.value.message == (
        f"This file was imported before for type SOLL: on {when:%d-%m-%Y %H:%M} by importeur, 2 items (import {first.pk})."
    )
    second.refresh_from_db()
    assert second.state == "mapped"  # nothing changed: the caller may ask and commit again
    assert not DossierItem.objects.filter(import_job=second).exists()
    assert services.commit_import(job=second, again=True).items_created == 2


def test_an_undone_import_another_type_or_another_file_do_not_count_as_imported_before(demo):
    first = mapped(SOLL_ROWS)
    services.commit_import(job=first)
    services.undo_import(job=first, user=first.user)
    assert services.commit_import(job=mapped(SOLL_ROWS)).items_created == 2  # the undone one does not count
    # another file (its rows the same but for case, so probable duplicates: imported anyway)
    assert services.commit_import(job=mapped(SOLL_ROWS.replace("CV", "Cv")), duplicates="import").items_created == 2
    klacht = "Relatienummer;Onderwerp;Ernst\n20001;Klacht;laag\n"
    services.commit_import(job=mapped(klacht, type_code="KLACHT"))
    assert services.earlier_import(job=mapped(klacht, type_code="CORR")) is None  # another type


# --- the engine's shape (part 10) -----------------------------------------------------------


def test_the_rejected_rows_file_is_written_without_reading_the_file_again(demo, tmp_path, monkeypatch):
    job = mapped(
        SOLL_ROWS + "E0003;01-02-2026\n",
        mapping={"relation": {"column": "Relatienummer"}, "subject": {"column": "Onderwerp"}},
    )
    reads = []
    original = job_rows.open_table
    monkeypatch.setattr(job_rows, "open_table", lambda *args, **kwargs: reads.append(args) or original(*args, **kwargs))
    services.validate_import(job=job)
    assert services.write_rejected_rows_file(job=job, target=tmp_path / "rejected.csv") == 1
    assert len(reads) == 1
    text = (tmp_path / "rejected.csv").read_text(encoding="utf-8-sig")
    assert "E0003;01-02-2026;Relatienummer: " in text and "Use relation number 10003 instead" in text


def test_the_rejected_rows_keep_their_cell_types(demo, tmp_path):
    import datetime as dt

    from imports.pipeline.committing import read_rejected, stage_rejected
    from imports.pipeline.outcomes import Problem, RowResult
    from spreadsheets.cells import UNCOMPUTED

    cells = ("E1", 3, 2.5, True, None, dt.date(2026, 2, 1), dt.datetime(2026, 2, 1, 9, 30), dt.time(14, 5), UNCOMPUTED)
    problem = Problem(7, "Relatienummer", "E1", "relation_not_found", "Unknown.", "relation")
    warning = Problem(7, "Bijlage", "x", "attachment_name_without_number", "Check.", "attachment", is_warning=True)
    handle = io.StringIO()
    stage_rejected(handle, RowResult(7, cells, None, [problem, warning]))
    handle.seek(0)
    (row,) = read_rejected(handle)
    assert (row.number, row.cells, row.problems, row.is_valid) == (7, cells, [problem], False)
    assert [type(cell) for cell in row.cells] == [type(cell) for cell in cells]


def test_without_its_staged_rejected_rows_the_file_is_read_again(demo, tmp_path):
    job = mapped(SOLL_ROWS + "E0003;CV\n")
    services.validate_import(job=job)
    services.rejected_path(job).unlink()  # removed after IMPORT_VALIDATION_MAX_AGE
    assert services.write_rejected_rows_file(job=job, target=tmp_path / "rejected.xlsx") == 1
    assert list(openpyxl.load_workbook(tmp_path / "rejected.xlsx").active.values)[1][:2] == ("E0003", "CV")


def test_a_rejected_rows_file_that_cannot_be_written_is_one_sentence_and_leaves_nothing(demo, tmp_path, monkeypatch):
    job = mapped(SOLL_ROWS + "E0003;CV\n")
    services.validate_import(job=job)
    out = tmp_path / "out"
    with pytest.raises(
        services.ImportRefused,
        match=r"^The rejected rows could not be written to rejected\.csv: No such file or directory\.$",
    ):
        services.write_rejected_rows_file(job=job, target=out / "rejected.csv")

    def breaking(results, headers, target, fmt):
        target.write_text("half")
        raise ValueError("cannot hold \x1b")

    monkeypatch.setattr(rejected_rows, "write_rejected_rows", breaking)
    out.mkdir()
    (out / "rejected.xlsx").write_text("the user's earlier file")
    with pytest.raises(services.ImportRefused) as caught:
        services.write_rejected_rows_file(job=job, target=out / "rejected.xlsx")
    assert caught.value.message == (
        "The rejected rows could not be written to rejected.xlsx; the error was logged for an administrator."
    )
    assert [p.name for p in out.iterdir()] == ["rejected.xlsx"]
    assert (out / "rejected.xlsx").read_text() == "the user's earlier file"
    assert ImportJob.objects.get(pk=job.pk).state == "validated"


@pytest.mark.parametrize("service", ["validate", "commit"])
def test_the_item_spec_is_built_once_per_run(demo, monkeypatch, service):
    job = mapped(SOLL_ROWS + "E0003;CV\n")
    built = []
    original = job_rows.ItemSpec
    monkeypatch.setattr(job_rows, "ItemSpec", lambda *args, **kwargs: built.append(args) or original(*args, **kwargs))
    if service == "validate":
        services.validate_import(job=job)
    else:
        services.commit_import(job=job, skip_invalid=True)  # validates first: one run
    assert len(built) == 1


def _integrity_error(cause: Exception) -> IntegrityError:
    error = IntegrityError(str(cause))
    error.__cause__ = cause
    return error


def test_a_foreign_key_violation_is_told_by_the_drivers_code_not_its_message():
    import sqlite3

    class PostgresError(Exception):
        def __init__(self, message, sqlstate):
            super().__init__(message)
            self.sqlstate = sqlstate

    def sqlite_error(message, code):
        error = sqlite3.IntegrityError(message)
        error.sqlite_errorcode = code
        return error

    assert services.is_foreign_key_violation(_integrity_error(PostgresError("verwijzing ontbreekt", "23503")))
    assert not services.is_foreign_key_violation(
        _integrity_error(PostgresError("FOREIGN KEY constraint failed", "23505"))
    )
    assert services.is_foreign_key_violation(
        _integrity_error(sqlite_error("beperking", sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY))
    )
    assert not services.is_foreign_key_violation(
        _integrity_error(sqlite_error("FOREIGN KEY constraint failed", sqlite3.SQLITE_CONSTRAINT_UNIQUE))
    )
