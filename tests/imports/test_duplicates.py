"""Duplicates by content (issue 15, part 4): rows whose items were imported before, or that
repeat an earlier row of the file, found by their fingerprints whatever the file's format;
a warning each, and nothing imported until the user chooses to skip them or import them
anyway, in the wizard and on the command line."""

import datetime as dt
import io
import json
import math
import zipfile

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dossier.demo import STAFF_GROUP
from dossier.fingerprints import fingerprint_of_item
from dossier.models import DossierItem, ItemType
from imports import presenting, services
from imports.models import ImportJob
from imports.pipeline import duplicates as duplicates_module
from imports.pipeline.outcomes import problem_message
from tests.factories import UserFactory
from tests.imports.commands import import_items
from tests.imports.test_wizard_check import IMMEDIATE
from tests.imports.wizard import SOLL_CSV, start_job, user, xlsx_bytes

pytestmark = pytest.mark.django_db

SOLL_XLSX_ROWS = [
    ["Relatienummer", "Onderwerp", "Instuurdatum"],
    [10001, "Sollicitatiebrief", dt.datetime(2025, 4, 3)],  # date cells, numbers: as Excel keeps them
    [10002, "CV", dt.datetime(2025, 4, 4)],
]
# The rows of SOLL_CSV, another file: its dates written the ISO way.
ISO_DATES = SOLL_CSV.replace("03-04-2025", "2025-04-03").replace("04-04-2025", "2025-04-04")


def validated(content=SOLL_CSV, *, username="importeur", name="rows.csv", **options) -> ImportJob:
    job = services.start_import(
        user=user(username),
        item_type=ItemType.objects.get(code=options.pop("type_code", "SOLL")),
        file=io.BytesIO(content.encode("utf-8") if isinstance(content, str) else content),
        file_name=name,
        **options,
    )
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    services.validate_import(job=job)
    return ImportJob.objects.get(pk=job.pk)


def imported(content=SOLL_CSV, **options) -> ImportJob:
    job = validated(content, **options)
    services.commit_import(job=job)
    return ImportJob.objects.get(pk=job.pk)


def duplicate_problems(job: ImportJob) -> list[dict]:
    return [p for p in job.problems if p["code"] in duplicates_module.DUPLICATE_CODES]


def test_the_same_rows_saved_as_xlsx_after_the_csv_was_imported_are_probably_imported_before(demo):
    first = imported()
    items = dict(first.items.values_list("relation__number", "number"))
    again = validated(xlsx_bytes({"Blad1": SOLL_XLSX_ROWS}), name="rows.xlsx")
    assert (again.valid_row_count, again.duplicate_row_count, again.duplicate_item_count) == (2, 2, 2)
    date = first.finished_at.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%d-%m-%Y %H:%M")
    assert [(p["row"], p["code"], p["is_warning"], problem_message(p)) for p in duplicate_problems(again)] == [
        (
            2,
            "probably_imported_before",
            True,
            f"Probably imported before: item {items['10001']}, import of {date} by importeur; "
            "skip such rows, or import them anyway.",
        ),
        (
            3,
            "probably_imported_before",
            True,
            f"Probably imported before: item {items['10002']}, import of {date} by importeur; "
            "skip such rows, or import them anyway.",
        ),
    ]


def test_nothing_is_imported_until_the_user_chooses_and_the_refusal_names_the_rows(demo):
    imported()
    again = validated(ISO_DATES, name="other.csv")  # the same rows, another file
    with pytest.raises(services.DuplicatesUndecided, match=r"2 rows are probably duplicates .*: rows 2, 3\."):
        services.commit_import(job=again)
    again.refresh_from_db()
    assert again.state == "validated" and again.duplicates == ""
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 2


def test_skipped_duplicates_are_counted_and_listed_and_the_counts_add_up(demo):
    imported()
    again = validated(SOLL_CSV + "10003;Motivatie;05-04-2025\n", name="more.csv")
    result = services.commit_import(job=again, duplicates="skip")
    again.refresh_from_db()
    assert (result.rows_read, result.rows_imported, result.rows_left_out, result.rows_skipped) == (3, 1, 0, 2)
    assert result.items_created == 1 and list(again.items.values_list("relation__number", flat=True)) == ["10003"]
    assert again.duplicates == "skip" and presenting.duplicate_rows(again) == [2, 3]
    sentences = presenting.counts(again).sentences()
    assert "Of the valid rows, 2 are probably duplicates (imported before, or the same as an earlier row)." in sentences
    assert "Rows imported: 1; left out as invalid: 0; skipped as probable duplicates: 2; items created: 1." in sentences
    assert "Rows that are probably duplicates are skipped (the user's choice)." in presenting.options_in_words(again)


def test_duplicates_imported_anyway_become_new_items(demo):
    imported()
    again = validated(xlsx_bytes({"Blad1": SOLL_XLSX_ROWS}), name="rows.xlsx")
    result = services.commit_import(job=again, duplicates="import")
    assert (result.items_created, result.rows_imported, result.rows_skipped) == (2, 2, 0)
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 4
    again.refresh_from_db()
    assert "imported anyway (the user's choice)" in " ".join(presenting.options_in_words(again))


def test_a_row_the_same_as_an_earlier_row_of_the_file_is_a_duplicate(demo):
    job = validated(SOLL_CSV + "10002; cv ;04-04-2025\n")  # row 4 is row 3 again (spaces and case aside)
    assert job.duplicate_row_count == 1
    [problem] = duplicate_problems(job)
    assert (problem["row"], problem["code"]) == (4, "same_as_earlier_row")
    assert problem_message(problem).startswith("The same as row 3 (same type, destination, subject, submit date")
    assert services.commit_import(job=job, duplicates="skip").items_created == 2


def test_rows_without_a_submit_date_imported_twice_are_duplicates(demo):
    rows = "Relatienummer;Onderwerp\n10001;Brief\n"
    imported(rows)
    assert validated(rows, name="again.csv").duplicate_row_count == 1  # the date of the import does not count


def test_another_subject_date_or_destination_is_no_duplicate(demo):
    imported()
    other = "Relatienummer;Onderwerp;Instuurdatum\n10001;Brief;03-04-2025\n10002;CV;05-04-2025\n10003;CV;04-04-2025\n"
    assert validated(other, name="other.csv").duplicate_row_count == 0


@pytest.fixture
def bea(demo):
    bea = UserFactory(username="bea", is_staff=True, has_insite_rights=True)
    bea.groups.add(Group.objects.get(name=STAFF_GROUP))
    ItemType.objects.get(code="SOLL").authorised_users.add(bea)
    return bea


def test_another_users_import_is_named_only_to_an_administrator(bea):
    imported()
    for_bea = validated(SOLL_CSV, username="bea", name="bea.csv")
    messages = " ".join(problem_message(p) for p in duplicate_problems(for_bea))
    assert "by another user;" in messages and "importeur" not in messages
    for_admin = validated(SOLL_CSV, username="admin", name="admin.csv")
    assert "by importeur;" in problem_message(duplicate_problems(for_admin)[0])


def soll_with_attachment(content: bytes, name: str = "10001_brief.pdf") -> dict:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr(f"Import/{name}", content)
    archive.seek(0)
    rows = f"Relatienummer;Onderwerp;Instuurdatum;Bijlage\n10001;Brief;03-04-2025;\\\\client\\C$\\Import\\{name}\n"
    return {"content": rows, "attachments": archive, "attachments_name": "docs.zip"}


def test_the_attachments_content_counts_not_its_name(demo, private_files):
    first = imported(**soll_with_attachment(b"%PDF letter"))
    [item] = first.items.all()
    assert item.fingerprint == fingerprint_of_item(item, attachment_sha256s=[item.attachments.get().sha256])
    assert validated(**soll_with_attachment(b"%PDF another letter")).duplicate_row_count == 0
    renamed = validated(**soll_with_attachment(b"%PDF letter", name="10001_brief-kopie.pdf"))
    assert renamed.duplicate_row_count == 1


def test_the_import_stores_the_fingerprint_the_migration_would_give(demo):
    job = imported()
    for item in job.items.all():
        assert item.fingerprint == fingerprint_of_item(item, attachment_sha256s=())


def test_undo_stays_correct_with_skipped_rows(demo):
    first = imported()
    second = validated(SOLL_CSV + "10003;Motivatie;05-04-2025\n", name="more.csv")
    services.commit_import(job=second, duplicates="skip")
    assert services.undo_import(job=second, user=second.user) == 1  # the one item it made
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 2  # the first import's
    second.refresh_from_db()
    assert second.rows_skipped == 2 and services.commit_result(job=second).rows_imported == 1
    services.undo_import(job=first, user=first.user)
    assert validated(SOLL_CSV, name="third.csv").duplicate_row_count == 0  # undone items are gone


def test_the_lookup_is_one_indexed_query_per_chunk_not_per_row(demo):
    rows = "".join(f"{10001 + n % 3};Brief {n};03-04-2025\n" for n in range(2500))
    job = start_job("Relatienummer;Onderwerp;Instuurdatum\n" + rows)
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    with CaptureQueriesContext(connection) as queries:
        services.validate_import(job=job)
    lookups = [q["sql"] for q in queries.captured_queries if '"fingerprint" IN' in q["sql"]]
    # 2,500 rows of one item each: batches of 900 rows, one query each
    assert len(lookups) == math.ceil(2500 / duplicates_module.QUERY_CHUNK) == 3
    if connection.vendor == "sqlite":  # PostgreSQL plans a table this small by its statistics
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + lookups[0].replace("%s", "'x'"))
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "item_fingerprint_idx" in plan


def test_the_command_line_refuses_duplicates_unless_told_what_to_do(demo, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(ISO_DATES, encoding="utf-8")  # 03-04-2025 alone would be asked: day or month first
    assert import_items(path, "--type", "SOLL", "--user", "importeur")[0] == 0
    xlsx = tmp_path / "rows.xlsx"
    xlsx.write_bytes(xlsx_bytes({"Blad1": SOLL_XLSX_ROWS}))
    code, out, err = import_items(xlsx, "--type", "SOLL", "--user", "importeur")
    assert code == 2 and "rows 2, 3" in err and "--duplicates skip or --duplicates import" in err
    assert "[probably_imported_before]" in out
    assert DossierItem.objects.filter(item_type__code="SOLL").count() == 2
    code, out, err = import_items(xlsx, "--type", "SOLL", "--user", "importeur", "--duplicates", "skip", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (code, summary["items_created"], summary["rows_skipped"], summary["duplicates"]) == (0, 0, 2, "skip")
    # the same .xlsx a third time (--again: it was imported, all skipped), its rows imported anyway
    code, out, _err = import_items(
        xlsx, "--type", "SOLL", "--user", "importeur", "--again", "--duplicates", "import", "--json"
    )
    summary = json.loads(out)
    assert (code, summary["items_created"], summary["rows_skipped"], summary["duplicate_rows"]) == (0, 2, 0, 2)


def test_a_dry_run_lists_the_duplicates_and_stores_nothing(demo, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(ISO_DATES, encoding="utf-8")  # 03-04-2025 alone would be asked: day or month first
    assert import_items(path, "--type", "SOLL", "--user", "importeur")[0] == 0
    other = tmp_path / "other.csv"
    other.write_text(ISO_DATES.replace("Instuurdatum", "Submit date"), encoding="utf-8")
    code, out, _err = import_items(other, "--type", "SOLL", "--user", "importeur", "--dry-run", "--json")
    summary = json.loads(out)
    assert (code, summary["duplicate_rows"], summary["items_created"]) == (0, 2, 0)


# --- the wizard -----------------------------------------------------------------------------


def test_the_check_page_asks_for_the_choice_and_nothing_is_imported_without_it(importeur, client):
    imported()
    job = validated(ISO_DATES, name="again.csv")
    content = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert "2 rows are probably duplicates" in content
    assert 'name="duplicates" value="skip" required' in content and 'value="import" required' in content
    response = client.post(reverse("imports:import", args=[job.pk]), {"rows": "all"}, follow=True)
    assert "rows 2, 3" in " ".join(str(m) for m in response.context["messages"])
    job.refresh_from_db()
    assert job.state == "validated" and job.duplicates == ""


def test_the_wizard_records_the_choice_and_the_result_and_history_list_the_skipped_rows(
    importeur, client, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    imported()
    job = validated(SOLL_CSV + "10003;Motivatie;05-04-2025\n", name="again.csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:import", args=[job.pk]), {"rows": "all", "duplicates": "skip"})
    job.refresh_from_db()
    assert (job.state, job.duplicates, job.items_created) == ("done", "skip", 1)
    result = client.get(reverse("imports:result", args=[job.pk]))
    content = result.content.decode()
    assert result.context["result"].rows_skipped == 2 and 'id="result-skipped"' in content
    assert "rows 2, 3" in content
    history = client.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    assert "skipped as probable duplicates: 2" in history
    assert "Rows that are probably duplicates are skipped (the user&#x27;s choice)." in history


def test_a_forged_choice_counts_as_no_choice(importeur, client):
    imported()
    job = validated(ISO_DATES, name="again.csv")
    client.post(reverse("imports:import", args=[job.pk]), {"rows": "all", "duplicates": "maybe"})
    job.refresh_from_db()
    assert job.state == "validated" and job.duplicates == ""


def test_a_duplicate_found_by_the_workers_check_sends_the_job_back_to_the_choice(demo):
    job = validated(ISO_DATES, name="later.csv")
    imported()  # meanwhile, the same rows from another file
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.IMPORTING, validated_at=None, heartbeat_at=None)
    assert services.run_commit(job_id=str(job.pk)) == "validated"
    job.refresh_from_db()
    assert job.duplicate_row_count == 2 and "rows 2, 3" in job.error_message
    assert not job.items.exists()


def test_the_first_rows_table_gives_each_fingerprints_first_row_through_its_growth():
    import hashlib

    table = duplicates_module.FirstRows(size=4)
    keys = [int(hashlib.sha256(str(n).encode()).hexdigest()[:16], 16) for n in range(5000)]
    assert [table.first(key, n + 2) for n, key in enumerate(keys)] == [n + 2 for n in range(5000)]
    assert [table.first(key, 99_999) for key in keys] == [n + 2 for n in range(5000)]  # seen: the first row
    assert table.first(keys[0] ^ (1 << 40), 7) == 7  # another fingerprint


def two_attachments(first: str, second: str) -> dict:
    """An .xlsx whose one row names two files of a ZIP (a semicolon between them)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("Import/brief.pdf", b"%PDF letter")
        zip_file.writestr("Import/cv.pdf", b"%PDF curriculum")
    archive.seek(0)
    cell = f"\\\\client\\C$\\Import\\{first};\\\\client\\C$\\Import\\{second}"
    rows = [["Relatienummer", "Onderwerp", "Instuurdatum", "Bijlage"], [10001, "Brief", "03-04-2025", cell]]
    return {
        "content": xlsx_bytes({"Blad1": rows}),
        "name": "rows.xlsx",
        "attachments": archive,
        "attachments_name": "docs.zip",
    }


def test_every_attachment_counts_in_any_order(demo, private_files):
    first = imported(**two_attachments("brief.pdf", "cv.pdf"))
    [item] = first.items.all()
    assert item.attachments.count() == 2
    digests = item.attachments.values_list("sha256", flat=True)
    assert item.fingerprint == fingerprint_of_item(item, attachment_sha256s=digests)
    assert validated(**two_attachments("cv.pdf", "brief.pdf")).duplicate_row_count == 1  # the other order
    assert validated(**soll_with_attachment(b"%PDF letter", name="brief.pdf")).duplicate_row_count == 0  # one of two


def statuses_and_texts(job: ImportJob) -> list[tuple[str, str]]:
    job.refresh_from_db()
    return [(status.kind, services.status_text(job, status)) for status in services.read_row_statuses(job)]


def test_rows_skipped_as_duplicates_say_so_in_the_status_workbook(demo, tmp_path):
    first = imported()
    numbers = sorted(first.items.values_list("number", flat=True))
    second = validated(SOLL_CSV + "10003;Motivatie;05-04-2025\n", name="more.csv")
    before = statuses_and_texts(second)
    assert [kind for kind, _text in before] == ["duplicate", "duplicate", "ready"]
    assert before[0][1].startswith(f"Probably a duplicate: Probably imported before: item {numbers[0]}, import of ")
    services.commit_import(job=second, duplicates="skip")
    after = statuses_and_texts(second)
    [made] = second.items.values_list("number", flat=True)
    assert [kind for kind, _text in after] == ["duplicate", "duplicate", "created"]
    assert after[1][1].startswith(f"Skipped as duplicate: Probably imported before: item {numbers[1]}, import of ")
    assert after[2][1] == f"Created: item {made}"
    target = tmp_path / "status.xlsx"
    services.write_reconciliation_file(job=second, target=target)
    cells = [row[-1] for row in openpyxl.load_workbook(target).active.iter_rows(min_row=2, values_only=True)]
    assert cells[0].startswith("Skipped as duplicate: Probably imported before: item ")
    assert cells[2] == f"Created: item {made}"


def test_duplicates_imported_anyway_name_the_items_they_created(demo):
    imported()
    again = validated(SOLL_CSV + "10003;Motivatie;05-04-2025\n", name="more.csv")
    services.commit_import(job=again, duplicates="import")
    made = sorted(again.items.values_list("number", flat=True))
    assert statuses_and_texts(again) == [("created", f"Created: item {number}") for number in made]


def test_a_duplicate_warning_follows_the_readers_language(demo):
    imported()
    again = validated(ISO_DATES, name="iso.csv")
    [problem, *_rest] = duplicate_problems(again)
    with translation.override("nl"):
        assert problem_message(problem).startswith("Waarschijnlijk al eerder geïmporteerd: dossieritem ")
    with translation.override("en"):
        assert problem_message(problem).startswith("Probably imported before: item ")


def recorded_by_hand(number: str, subject: str, day: str):
    from dossier.models import Relation
    from dossier.services import create_item
    from dossier.spec import ItemSpec, Purpose

    spec = ItemSpec(ItemType.objects.get(code="SOLL"), purpose=Purpose.ENTRY)
    values, problems = spec.validate(
        {
            "relation": Relation.objects.get(number=number),
            "subject": subject,
            "submitted_at": spec.clean("submitted_at", day),
        },
        user=user("importeur"),
    )
    assert [p for p in problems if not p.is_warning] == []
    return create_item(spec=spec, values=values)


def test_an_item_recorded_by_hand_is_probably_entered_before_when_its_row_is_imported(demo):
    item = recorded_by_hand("10001", "Sollicitatiebrief", "03-04-2025")
    item.refresh_from_db()
    assert item.fingerprint == fingerprint_of_item(item, attachment_sha256s=[])
    job = validated()
    [found] = duplicate_problems(job)
    assert (found["row"], found["code"]) == (2, "probably_entered_before")
    assert str(item.number) in problem_message(found)


def test_an_item_changed_by_hand_gets_the_fingerprint_of_what_it_holds_now(demo):
    from dossier.services import change_item
    from dossier.spec import ItemSpec, Purpose

    item = recorded_by_hand("10001", "Brief", "03-04-2025")
    before = DossierItem.objects.get(pk=item.pk).fingerprint
    spec = ItemSpec(item.item_type, purpose=Purpose.ENTRY)
    values, _problems = spec.validate(
        {"relation": item.relation, "subject": "Sollicitatiebrief", "submitted_at": item.submitted_at},
        user=user("importeur"),
    )
    assert change_item(item=item, spec=spec, values=values, user=user("importeur"))
    changed = DossierItem.objects.get(pk=item.pk)
    assert changed.fingerprint != before
    assert changed.fingerprint == fingerprint_of_item(changed, attachment_sha256s=[])
    assert [p["code"] for p in duplicate_problems(validated())] == ["probably_entered_before"]
