"""What lands where, before the import (issue 17, part 2): the summary per destination gathered
during the check in bounded memory, the documents and review tasks of a creation profile, the
files of the ZIP that no row uses with a decision for each (left out, or added as a row and
checked again), the check page and the command line."""

import io
import zipfile
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from dossier.models import Attachment, CreationProfile, DossierItem, ItemType
from imports import services
from imports.models import ImportJob
from imports.pipeline.attachments import Member
from imports.pipeline.landing import Landing, added_rows, name_parts, unused_files, with_added_rows
from imports.pipeline.outcomes import CleanRow
from imports.services.landing import profile_lines, size_text
from spreadsheets.reading import Row
from tests.imports.commands import import_items

ROWS = (
    "Relatienummer;Onderwerp;Bijlage\n"
    '"10001;10002";Sollicitatie;10001 brief.pdf\n'
    "10003;CV;10003_cv.pdf\n"
    "10003;Diploma;10003 - diploma.pdf\n"
)
FILES = {
    "Import/10001 brief.pdf": b"%PDF brief " * 300,
    "Import/10003_cv.pdf": b"%PDF cv",
    "Import/10003 - diploma.pdf": b"%PDF diploma",
    "Import/10004 CV Jansen.pdf": b"%PDF extra",
    "Import/E0005 getuigschrift.pdf": b"%PDF getuigschrift",
}


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def import_job(text: str = ROWS, members: dict[str, bytes] = FILES, *, type_code: str = "SOLL", profile=None):
    job = services.start_import(
        user=get_user_model().objects.get(username="importeur"),
        item_type=ItemType.objects.get(code=type_code),
        profile=profile,
        file=io.BytesIO(text.encode("utf-8")),
        file_name="rows.csv",
        attachments=io.BytesIO(zip_bytes(members)),
        attachments_name="bijlagen.zip",
    )
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    return job


def relation(number: str, name: str = "") -> SimpleNamespace:
    return SimpleNamespace(number=number, name=name or f"Relation {number}")


# --- the aggregation, without a database -----------------------------------------------------


def test_the_summary_counts_items_files_and_bytes_per_destination_each_item_with_its_own_copy():
    landing = Landing()
    pdf = Member("a.pdf", 100, "a.pdf")
    doc = Member("b.docx", 50, "b.docx")
    landing.add(CleanRow(2, [{"relation": relation("10001")}, {"relation": relation("10002")}], [pdf, doc]))
    landing.add(CleanRow(3, [{"relation": relation("10001")}], [pdf]))
    landing.add(CleanRow(4, [{"course": "CRS-01"}], []))
    data = landing.as_dict()
    assert (data["items"], data["files"], data["bytes"]) == (4, 5, 400)
    assert data["destination_count"] == 2 and data["without_destination"] == 1
    assert data["destinations"] == [
        {"number": "10001", "name": "Relation 10001", "items": 2, "files": 3, "bytes": 250},
        {"number": "10002", "name": "Relation 10002", "items": 1, "files": 2, "bytes": 150},
    ]


def test_the_summary_keeps_a_bounded_number_of_destinations_and_counts_them_all():
    landing = Landing(limit=3)
    for number in range(10_000):
        landing.add(CleanRow(number + 2, [{"relation": relation(str(10_000 + number % 50))}], []))
    data = landing.as_dict()
    assert len(data["destinations"]) == 3
    assert data["destination_count"] == 50 and data["items"] == 10_000
    assert sum(d["items"] for d in data["destinations"]) == 3 * 200


def test_the_unused_files_keep_the_first_names_and_count_all():
    members = [Member(f"f{index}.pdf", 10, f"f{index}.pdf") for index in range(7)]
    assert unused_files(members, limit=2) == {
        "files": [{"name": "f0.pdf", "size": 10}, {"name": "f1.pdf", "size": 10}],
        "count": 7,
        "bytes": 70,
    }
    assert unused_files([]) == {}


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("Import/10081 CV Jansen.pdf", ("10081", "CV Jansen")),
        ("10083 - diploma.pdf", ("10083", "diploma")),
        ("10083_cv.pdf", ("10083", "cv")),
        ("E0005 getuigschrift.docx", ("E0005", "getuigschrift")),
        ("brief.pdf", ("", "brief")),
        ("2024verslag.pdf", ("", "2024verslag")),
    ],
)
def test_a_file_name_gives_its_leading_number_and_a_subject(path, parts):
    assert name_parts(path) == parts


def test_a_file_added_as_a_row_fills_the_attachment_relation_and_subject_columns_after_the_last_row():
    headers = ["Relatienummer", "Onderwerp", "Bijlage"]
    mapping = {
        "relation": {"column": "Relatienummer"},
        "subject": {"column": "Onderwerp"},
        "attachment": {"column": "Bijlage"},
    }
    choices = {
        "Import/10004 CV.pdf": {"choice": "add", "relation": "10004", "subject": "CV"},
        "Import/x.pdf": {"choice": "leave"},
        "*": "leave",
    }
    extra = added_rows(headers, mapping, choices)
    rows = list(with_added_rows([Row(2, ("10001", "a", "a.pdf")), Row(7, ("10002", "b", "b.pdf"))], extra))
    assert rows[-1] == Row(8, ("10004", "CV", "Import/10004 CV.pdf"))
    assert len(rows) == 3
    assert added_rows(headers, {"relation": {"column": "Relatienummer"}}, choices) == []  # no attachment column


def test_sizes_and_counts_are_written_in_the_readers_language():
    with translation.override("en"):
        assert size_text(734_003) == "716.8 KB"
        assert size_text(3 * 1024**2 // 2) == "1.5 MB"
    with translation.override("nl"):
        assert size_text(3 * 1024**2 // 2) == "1,5 MB"
        assert size_text(1) == "1 byte"


# --- through the services ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_check_keeps_what_lands_where_and_the_files_no_row_uses(demo):
    job = import_job()
    services.validate_import(job=job)
    job.refresh_from_db()
    assert (job.landing["items"], job.landing["files"], job.landing["destination_count"]) == (4, 4, 3)
    per_destination = {d["number"]: (d["items"], d["files"]) for d in job.landing["destinations"]}
    assert per_destination == {"10001": (1, 1), "10002": (1, 1), "10003": (2, 2)}
    assert [f["name"] for f in job.unused_files["files"]] == [
        "Import/10004 CV Jansen.pdf",
        "Import/E0005 getuigschrift.pdf",
    ]
    assert job.undecided_files == 2


@pytest.mark.django_db
def test_the_report_names_roles_and_sums_up_in_one_sentence(demo):
    job = import_job()
    services.validate_import(job=job)
    job.refresh_from_db()
    with translation.override("en"):
        report = services.landing_report(job=job, user=job.user)
        assert report.sentence == "4 items, 4 files, 6.5 KB for 3 destinations"
    assert [(row.number, row.roles) for row in report.rows][:1] == [("10001", ("employee",))]
    with translation.override("nl"):
        assert (
            services.landing_report(job=job, user=job.user).sentence
            == "4 dossieritems, 4 bestanden, 6,5 KB voor 3 bestemmingen"
        )
    assert services.landing_report(job=job, user=job.user, page_size=2, page="2").rows[0].number == "10003"
    assert services.landing_report(job=job, user=job.user, page_size=2, page="nonsense").page == 1


@pytest.mark.django_db
def test_a_creation_profile_names_its_documents_and_review_tasks(demo):
    profile = CreationProfile.objects.get(item_type__code="CONTR", code="NIEUW")
    job = SimpleNamespace(creation_profile=profile)
    with translation.override("en"):
        lines = profile_lines(job, 3)
    kinds = {line.kind: line for line in lines}
    assert kinds["documents"].count == 3 and profile.document_template.name in kinds["documents"].text
    reviewers = list(profile.review_profile.reviewers.all())
    assert kinds["review_tasks"].count == 3 * len(reviewers)
    assert all(reviewer.get_username() in kinds["review_tasks"].text for reviewer in reviewers)


@pytest.mark.django_db
def test_a_file_left_out_is_recorded_and_a_file_added_becomes_a_row_of_its_own(demo):
    job = import_job()
    services.validate_import(job=job)
    job.refresh_from_db()
    unused = services.unused_file_rows(job=job, user=job.user)
    cv, certificate = unused.files
    assert (cv.suggestion, cv.subject) == ("10004", "CV Jansen")
    assert certificate.suggestion == "10005"  # employee number E0005 resolved to its relation (R19)
    added, refused = services.choose_files(
        job=job,
        user=job.user,
        choices={
            cv.name: services.FileChoice("add", "10004", "CV Jansen"),
            certificate.name: services.FileChoice("leave"),
        },
    )
    assert (added, refused) == (1, [])
    assert job.file_choices[certificate.name] == {"choice": "leave"}
    services.validate_import(job=job)
    job.refresh_from_db()
    assert job.row_count == 4 and job.valid_row_count == 4
    assert [f["name"] for f in job.unused_files["files"]] == [certificate.name]
    assert job.undecided_files == 0
    services.commit_import(job=job)
    stored = set(Attachment.objects.filter(item__import_job=job).values_list("item__relation__number", "original_name"))
    assert ("10004", "10004 CV Jansen.pdf") in stored
    assert not any(name == "E0005 getuigschrift.pdf" for _number, name in stored)
    assert DossierItem.objects.get(import_job=job, relation__number="10004").subject == "CV Jansen"


@pytest.mark.django_db
def test_a_file_is_added_only_for_a_relation_the_user_may_use(demo):
    job = import_job()
    services.validate_import(job=job)
    job.refresh_from_db()
    cv = services.unused_file_rows(job=job, user=job.user).files[0]
    with translation.override("en"):
        added, refused = services.choose_files(
            job=job, user=job.user, choices={cv.name: services.FileChoice("add", "99999", "")}
        )
    assert added == 0 and refused == [
        "'Import/10004 CV Jansen.pdf': 99999 is no relation number you may use; give an existing one."
    ]
    assert job.file_choices == {}


@pytest.mark.django_db
def test_leaving_out_every_other_file_decides_them_all(demo):
    job = import_job()
    services.validate_import(job=job)
    job.refresh_from_db()
    services.choose_files(job=job, user=job.user, choices={}, others="leave")
    assert job.undecided_files == 0


# --- the check page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_check_page_shows_what_lands_where_and_holds_the_import_until_every_file_is_decided(
    demo, importeur, client
):
    job = import_job()
    services.validate_import(job=job)
    page = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert "4 items, 4 files, 6.5 KB for 3 destinations" in page
    assert 'id="landing-10003"' in page
    assert "Import/10004 CV Jansen.pdf" in page
    assert 'id="import-all"' not in page and 'id="files-undecided"' in page
    response = client.post(reverse("imports:import", args=[job.pk]), {"rows": "all"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJob.State.VALIDATED
    client.post(reverse("imports:files", args=[job.pk]), {"file_0": "leave", "file_1": "leave"})
    job.refresh_from_db()
    assert job.undecided_files == 0
    page = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert 'id="import-all"' in page and "left out, as you chose" in page


@pytest.mark.django_db
def test_adding_a_file_on_the_check_page_checks_the_job_again_in_the_worker(demo, importeur, client, monkeypatch):
    queued = []
    monkeypatch.setattr("imports.tasks.start_validation", lambda *, job: queued.append(job.pk))
    job = import_job()
    services.validate_import(job=job)
    response = client.post(
        reverse("imports:files", args=[job.pk]),
        {"file_0": "add", "relation_0": "10004", "subject_0": "CV Jansen", "file_1": "leave"},
    )
    assert response.status_code == 302 and queued == [job.pk]
    job.refresh_from_db()
    assert job.file_choices["Import/10004 CV Jansen.pdf"]["choice"] == "add"


@pytest.mark.django_db
def test_someone_elses_job_has_no_files_choice(demo, importeur, client):
    job = import_job()
    services.validate_import(job=job)
    client.force_login(get_user_model().objects.get(username="admin"))
    assert client.post(reverse("imports:files", args=[job.pk]), {"file_0": "leave"}).status_code == 404


# --- the command line -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_line_prints_what_lands_where_after_a_check(demo, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text(ROWS, encoding="utf-8")
    archive = tmp_path / "bijlagen.zip"
    archive.write_bytes(zip_bytes(FILES))
    code, out, _err = import_items(
        str(rows), "--type", "SOLL", "--user", "importeur", "--attachments", str(archive), "--dry-run"
    )
    assert code == 0
    assert "What lands where: 4 items, 4 files, 6.5 KB for 3 destinations." in out
    assert "10003" in out and "Import/10004 CV Jansen.pdf" in out
