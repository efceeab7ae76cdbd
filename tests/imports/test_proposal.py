"""Files first (imports/pipeline/proposal.py, imports/services/proposing.py): a row proposed
per file of a ZIP from its name: the number it starts with (a relation number, or a role
number resolved to its relation), the subject from the rest or from its folder, unknown
numbers left for the user; and the spreadsheet it becomes."""

import io
import zipfile

import pytest

from dossier.models import ItemType
from imports import services
from imports.pipeline.attachments import ArchiveError
from imports.pipeline.proposal import (
    ProposedFile,
    archive_files,
    cleaned_subject,
    leading_number,
    propose,
    proposed_items,
    read_name,
)
from imports.services.refusals import ImportRefused
from spreadsheets.reading import open_table
from tests.imports.wizard import user


def zip_of(names: dict[str, bytes]) -> io.BytesIO:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, content in names.items():
            zipped.writestr(name, content)
    archive.seek(0)
    return archive


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "number", "subject"),
    [
        ("10081 CV Jansen.pdf", "10081", "CV Jansen"),
        ("10083 - diploma.pdf", "10083", "diploma"),
        ("10001_sollicitatie_brief.docx", "10001", "sollicitatie brief"),
        ("E0003-contract getekend.pdf", "E0003", "contract getekend"),
        ("A0081, motivatie.txt", "A0081", "motivatie"),
        ("Diploma's/10002.pdf", "10002", "Diploma's"),
        ("10004 Jansen/cv.pdf", "10004", "cv"),
        ("10005 Pietersen/10005.pdf", "10005", "Pietersen"),
        ("jaarverslag 2024.pdf", "", "jaarverslag 2024"),
        ("1000abc.pdf", "", "1000abc"),
    ],
)
def test_a_file_name_gives_its_number_and_subject(path, number, subject):
    assert read_name(path) == (number, subject)


def test_the_subject_loses_separators_at_its_ends_and_keeps_one_space():
    assert cleaned_subject(" -- brief   van__de klant. ") == "brief van de klant"
    assert leading_number("  10001 brief") == "10001"


def test_each_file_is_its_own_item_sorted_by_path_and_numbers_resolved_at_once():
    asked = []

    def resolve(numbers):
        asked.append(set(numbers))
        return {"10001": "10001", "E0003": "10003"}

    files = propose([("b/10001 cv.pdf", 10), ("a/E0003 brief.pdf", 20), ("99999 onbekend.pdf", 5)], resolve=resolve)
    assert [(f.path, f.relation, f.item) for f in files] == [
        ("99999 onbekend.pdf", "", 1),
        ("a/E0003 brief.pdf", "10003", 2),
        ("b/10001 cv.pdf", "10001", 3),
    ]
    assert asked == [{"10001", "E0003", "99999"}]


def test_files_with_one_item_number_make_one_item_and_left_out_files_none():
    files = [
        ProposedFile("10001 cv.pdf", 1, relation="10001", subject="cv", item=1),
        ProposedFile("10001 brief.pdf", 1, relation="10001", subject="brief", item=1),
        ProposedFile("10002 cv.pdf", 1, relation="10002", subject="cv", item=3),
        ProposedFile("10003 cv.pdf", 1, relation="10003", subject="cv", item=4, left_out=True),
    ]
    items = proposed_items(files)
    assert [(i.relation, i.subject, [f.path for f in i.files]) for i in items] == [
        ("10001", "cv", ["10001 cv.pdf", "10001 brief.pdf"]),
        ("10002", "cv", ["10002 cv.pdf"]),
    ]


def test_the_zip_is_read_from_its_directory_without_system_files():
    archive = zip_of({"10001 cv.pdf": b"%PDF", "__MACOSX/._10001 cv.pdf": b"x", "map/.DS_Store": b"x"})
    assert archive_files(archive) == [("10001 cv.pdf", 4)]


def test_a_zip_that_climbs_out_is_refused_by_the_attachment_guards():
    archive = zip_of({"../10001 cv.pdf": b"%PDF"})
    with pytest.raises(ArchiveError):
        archive_files(archive)


# --- the service, on the demo world ----------------------------------------------------------


@pytest.mark.django_db
def test_relation_and_role_numbers_are_resolved_and_an_unknown_one_is_left_for_the_user(demo):
    archive = zip_of(
        {
            "10001 CV Jansen.pdf": b"%PDF-1.4 a",
            "E0002 - diploma.pdf": b"%PDF-1.4 b",
            "99999 brief.pdf": b"%PDF-1.4 c",
            "Contracten/10004.pdf": b"%PDF-1.4 d",
        }
    )
    soll = ItemType.objects.get(code="SOLL")
    job = services.start_files_first(user=user("importeur"), item_type=soll, archive=archive, archive_name="docs.zip")
    rows = {entry.path: (entry.number, entry.relation, entry.subject) for entry in services.proposal_of(job)}
    assert rows == {
        "10001 CV Jansen.pdf": ("10001", "10001", "CV Jansen"),
        "E0002 - diploma.pdf": ("E0002", "10002", "diploma"),
        "99999 brief.pdf": ("99999", "", "brief"),
        "Contracten/10004.pdf": ("10004", "10004", "Contracten"),
    }
    assert services.is_proposal(job) and job.attachments_zip and not job.file


@pytest.mark.django_db
def test_a_type_without_attachments_is_refused(demo):
    klacht = ItemType.objects.get(code="KLACHT")
    with pytest.raises(ImportRefused, match="takes no attachments"):
        services.start_files_first(
            user=user("importeur"), item_type=klacht, archive=zip_of({"20001 x.pdf": b"%PDF"}), archive_name="x.zip"
        )


@pytest.mark.django_db
def test_changes_regroup_and_continue_writes_the_spreadsheet_a_normal_import_takes(demo):
    archive = zip_of({"10001 cv.pdf": b"%PDF a", "10001 brief.pdf": b"%PDF b", "99999 x.pdf": b"%PDF c"})
    soll = ItemType.objects.get(code="SOLL")
    job = services.start_files_first(user=user("importeur"), item_type=soll, archive=archive, archive_name="docs.zip")
    paths = [entry.path for entry in services.proposal_of(job)]
    assert paths == ["10001 brief.pdf", "10001 cv.pdf", "99999 x.pdf"]
    services.change_proposal(
        job=job,
        changes={
            1: {"item": 1, "subject": "=HYPERLINK(1)"},
            2: {"relation": "E0005", "subject": "Andere brief"},
        },
    )
    assert services.proposal_of(job)[2].relation == "10005"
    services.continue_proposal(job=job)
    job.refresh_from_db()
    assert job.file and job.file_name == "docs.xlsx" and job.headers
    table = open_table(job.file.path, file_name=job.file_name)
    rows = [list(row.cells) for row in table.rows()]
    table.close()
    assert table.headers == ["Organisation/person *", "Subject", "Attachment"]
    assert rows == [
        ["10001", "brief", "10001 brief.pdf; 10001 cv.pdf"],
        ["10005", "Andere brief", "99999 x.pdf"],
    ]
    assert not services.is_proposal(job)
