"""The attachments ZIP: safe indexing and path resolution (R23, R24), several files a cell,
their sizes and types, the files no row names (no database needed); then the same through the
services, the wizard's check page, the command line, the item page and the undo."""

import contextlib
import hashlib
import io
import json
import os
import stat
import struct
import warnings
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from dossier.models import Attachment, DossierItem, ItemType
from dossier.spec import FILLED_IN
from imports import services
from imports.pipeline.attachments import (
    ArchiveError,
    AttachmentArchive,
    AttachmentSource,
    PathProblem,
    ServerFolders,
    attachment_message,
    attachment_names,
    relative_path,
)
from imports.pipeline.committing import read_staged
from tests.imports.commands import import_items


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                archive.writestr(data, b"target")
            else:
                archive.writestr(name, data)
    return path


def test_it_finds_members_by_unc_path_by_folder_and_by_name(tmp_path):
    archive = AttachmentArchive.open(
        make_zip(tmp_path / "a.zip", {"Import/sub/10001_cv.pdf": b"cv", "10002_brief.pdf": b"b"})
    )
    assert archive.resolve("\\\\client\\C$\\Import\\sub\\10001_cv.pdf").name == "Import/sub/10001_cv.pdf"
    assert archive.resolve("\\\\client\\D$\\Stukken\\Import\\sub\\10001_cv.pdf").name == "Import/sub/10001_cv.pdf"
    assert archive.resolve("sub/10001_CV.pdf").name == "Import/sub/10001_cv.pdf"
    assert archive.resolve("10002_brief.pdf").name == "10002_brief.pdf"
    with archive.open_member(archive.resolve("10002_brief.pdf")) as stream:
        assert stream.read() == b"b"


def test_a_name_found_in_two_folders_asks_for_the_folder(tmp_path):
    archive = AttachmentArchive.open(make_zip(tmp_path / "a.zip", {"a/cv.pdf": b"1", "b/cv.pdf": b"2"}))
    with pytest.raises(PathProblem) as caught:
        archive.resolve("cv.pdf")
    assert caught.value.code == "attachment_ambiguous"
    assert archive.resolve("b/cv.pdf").name == "b/cv.pdf"


def test_r24_a_local_drive_path_is_refused_with_its_unc_form():
    with pytest.raises(PathProblem) as caught:
        relative_path("C:\\Import\\Te importeren bijlage.pdf")
    assert caught.value.code == "attachment_local_path"
    assert "\\\\client\\C$\\Import\\Te importeren bijlage.pdf" in caught.value.message


@pytest.mark.parametrize("path", ["..\\..\\etc\\passwd", "\\\\client\\C$\\..\\secret", "../x.pdf", "", "   "])
def test_paths_that_climb_out_or_name_nothing_are_refused(path):
    with pytest.raises(PathProblem):
        relative_path(path)


def test_unc_paths_become_paths_under_the_share():
    assert relative_path("\\\\client\\C$\\Import\\a b.pdf") == "Import/a b.pdf"
    assert relative_path("//server/c$/Import/x.pdf") == "Import/x.pdf"


@pytest.mark.parametrize("name", ["../evil.pdf", "/etc/passwd", "a/../../evil.pdf", "C:/evil.pdf"])
def test_a_zip_with_path_traversal_is_refused(tmp_path, name):
    with pytest.raises(ArchiveError, match="outside the archive"):
        AttachmentArchive.open(make_zip(tmp_path / "evil.zip", {name: b"x"}))


def test_a_zip_with_a_symlink_is_refused(tmp_path):
    link = zipfile.ZipInfo("link.pdf")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(ArchiveError, match="symbolic link"):
        AttachmentArchive.open(make_zip(tmp_path / "link.zip", {"link.pdf": link}))


def test_a_zip_inside_the_zip_is_refused(tmp_path):
    with pytest.raises(ArchiveError, match="archive inside"):
        AttachmentArchive.open(make_zip(tmp_path / "nested.zip", {"more.zip": b"PK"}))


def test_too_many_members_or_bytes_are_refused(tmp_path, settings):
    settings.IMPORT_ATTACHMENT_LIMITS = {"members": 3, "uncompressed_bytes": 10**9, "ratio": 1000}
    with pytest.raises(ArchiveError, match="more than 3 files"):
        AttachmentArchive.open(make_zip(tmp_path / "many.zip", {f"{n}.pdf": b"x" for n in range(4)}))
    settings.IMPORT_ATTACHMENT_LIMITS = {"members": 100, "uncompressed_bytes": 1000, "ratio": 1000}
    with pytest.raises(ArchiveError, match="unpacks to more"):
        AttachmentArchive.open(make_zip(tmp_path / "big.zip", {"big.pdf": b"x" * 2000}))
    settings.IMPORT_ATTACHMENT_LIMITS = {"members": 100, "uncompressed_bytes": 10**9, "ratio": 50}
    with pytest.raises(ArchiveError, match="packed suspiciously tight"):
        AttachmentArchive.open(make_zip(tmp_path / "bomb.zip", {"zeros.pdf": b"\0" * 11_000_000}))


def test_a_file_that_is_no_zip_is_refused(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(ArchiveError, match="not a valid ZIP"):
        AttachmentArchive.open(tmp_path / "x.zip")


# --- server import folders (R24) -----------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "import"
    (root / "sollicitaties").mkdir(parents=True)
    (root / "sollicitaties" / "10001_cv.pdf").write_bytes(b"%PDF cv")
    (tmp_path / "secret.txt").write_text("not for you")
    (root / "link.pdf").symlink_to(tmp_path / "secret.txt")
    return root


def test_a_server_folders_file_is_checked_for_size_and_type_like_a_zips(folder, settings):
    (folder / "sollicitaties" / "10001_cv.exe").write_bytes(b"MZ")
    source = AttachmentSource(folders=ServerFolders({"C$/Import": folder}))
    with pytest.raises(PathProblem) as refused_type:
        source.resolve("\\\\client\\C$\\Import\\sollicitaties\\10001_cv.exe")
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 3
    with pytest.raises(PathProblem) as refused_size:
        source.resolve("\\\\client\\C$\\Import\\sollicitaties\\10001_cv.pdf")
    assert (refused_type.value.code, refused_size.value.code) == ("attachment_type_not_allowed", "attachment_too_large")
    assert source.unnamed() == []  # a folder's files are not listed: it is not the user's upload


def test_a_unc_path_is_found_in_the_mapped_server_folder(folder):
    from imports.pipeline.attachments import AttachmentSource, ServerFolders

    source = AttachmentSource(folders=ServerFolders({"C$/Import": folder}))
    member = source.resolve("\\\\client\\c$\\import\\sollicitaties\\10001_cv.pdf")
    assert (member.name, member.size, member.file_name) == ("sollicitaties/10001_cv.pdf", 7, "10001_cv.pdf")
    with source.open_member(member) as stream:
        assert stream.read() == b"%PDF cv"


def test_nothing_outside_the_mapped_folder_can_be_read(folder):
    from imports.pipeline.attachments import AttachmentSource, ServerFolders

    source = AttachmentSource(folders=ServerFolders({"C$/Import": folder}))
    with pytest.raises(PathProblem) as caught:
        source.resolve("\\\\client\\C$\\Import\\link.pdf")
    assert caught.value.code == "attachment_path_invalid"
    for path in [
        "\\\\client\\C$\\Import\\..\\secret.txt",
        "\\\\client\\D$\\Import\\sollicitaties\\10001_cv.pdf",
        "C:\\Import\\x.pdf",
    ]:
        with pytest.raises(PathProblem):
            source.resolve(path)
    with pytest.raises(PathProblem) as caught:
        source.resolve("\\\\client\\C$\\Import\\sollicitaties\\ontbreekt.pdf")
    assert caught.value.code == "attachment_not_found"


def test_the_zip_is_searched_before_the_server_folder(folder, tmp_path):
    from imports.pipeline.attachments import AttachmentSource, ServerFolders

    archive = AttachmentArchive.open(make_zip(tmp_path / "a.zip", {"Import/10002_brief.pdf": b"zip"}))
    source = AttachmentSource(archive, ServerFolders({"C$/Import": folder}))
    assert source.resolve("\\\\client\\C$\\Import\\10002_brief.pdf").zip_name == "Import/10002_brief.pdf"
    assert source.resolve("\\\\client\\C$\\Import\\sollicitaties\\10001_cv.pdf").path.endswith("10001_cv.pdf")
    source.close()


def test_server_folders_are_read_from_the_settings(settings, folder):
    from imports.pipeline.attachments import ServerFolders

    settings.IMPORT_SERVER_FOLDERS = {}
    assert ServerFolders.from_settings() is None
    settings.IMPORT_SERVER_FOLDERS = {"C$/Import": str(folder)}
    assert ServerFolders.from_settings().resolve("\\\\pc12\\C$\\Import\\sollicitaties\\10001_cv.pdf") is not None


def test_the_setting_is_parsed_from_one_line():
    from config.settings import _server_folders

    assert _server_folders("C$/Import=/srv/import; D$\\Stukken = /srv/stukken") == {
        "C$/Import": "/srv/import",
        "D$/Stukken": "/srv/stukken",
    }


# --- colliding names, damaged members, invisible characters --------------------------------


def zip_of(path, members: list[tuple[str, bytes]]):
    """A ZIP that may hold the same name twice (zipfile warns, and writes it)."""
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)
        for name, data in members:
            archive.writestr(name, data)
    return path


def lying_zip(path, name: str, *, crc: int | None = None, size: int | None = None):
    """A ZIP whose central directory lies about `name`'s checksum or unpacked size (zipfile
    trusts the central directory)."""
    zip_of(path, [(name, b"%PDF " + b"x" * 500), ("10002_other.pdf", b"%PDF other")])
    raw = bytearray(path.read_bytes())
    position = raw.index(b"PK\x01\x02")
    while raw[position + 46 : position + 46 + len(name)] != name.encode():
        position = raw.index(b"PK\x01\x02", position + 4)
    if crc is not None:
        struct.pack_into("<I", raw, position + 16, crc)
    if size is not None:
        struct.pack_into("<I", raw, position + 24, size)
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize(
    "members",
    [
        [("Import/10001_cv.pdf", b"one"), ("Import/10001_cv.pdf", b"two")],
        [("Import/10001_CV.pdf", b"one"), ("import/10001_cv.PDF", b"two")],
        [("Import/10001_cv.pdf", b"one"), ("Import/10001_\u200bcv.pdf", b"two")],
        [("Import/10001_caf\u00e9.pdf", b"one"), ("Import/10001_cafe\u0301.pdf", b"two")],
    ],
    ids=["same path twice", "differing in case", "differing in an invisible character", "NFC and NFD"],
)
def test_members_whose_names_collide_are_a_problem_never_the_last_one(tmp_path, members):
    archive = AttachmentArchive.open(zip_of(tmp_path / "a.zip", [*members, ("Import/10002_brief.pdf", b"b")]))
    name = members[0][0].rpartition("/")[2]
    for path in (name, f"Import/{name}", f"\\\\client\\C$\\Import\\{name}", f"\\\\client\\C$\\Stukken\\Import\\{name}"):
        with pytest.raises(PathProblem) as caught:
            archive.resolve(path)
        assert caught.value.code == "attachment_name_collision"
        assert "holds 2 files named" in caught.value.message and "make the ZIP again" in caught.value.message
    assert archive.resolve("10002_brief.pdf").name == "Import/10002_brief.pdf"


def test_the_same_file_name_in_two_folders_is_still_ambiguous_not_a_collision(tmp_path):
    archive = AttachmentArchive.open(zip_of(tmp_path / "a.zip", [("a/CV.pdf", b"1"), ("b/cv.pdf", b"2")]))
    with pytest.raises(PathProblem) as caught:
        archive.resolve("cv.pdf")
    assert caught.value.code == "attachment_ambiguous"


@pytest.mark.parametrize(
    "lie", [{"crc": 12345}, {"size": 10}, {"size": 100_000}], ids=["checksum", "size too small", "size too large"]
)
def test_a_member_whose_size_or_checksum_lies_is_refused_naming_it(tmp_path, lie):
    archive = AttachmentArchive.open(lying_zip(tmp_path / "a.zip", "Import/10001_cv.pdf", **lie))
    with pytest.raises(ArchiveError) as caught:
        archive.resolve("10001_cv.pdf")
    assert str(caught.value) == (
        "'Import/10001_cv.pdf' in the attachments ZIP is damaged (its size or checksum does not match its contents);"
        " make the ZIP again."
    )
    assert archive.resolve("10002_other.pdf").name == "10002_other.pdf"  # the others stay usable


def test_reading_a_lying_member_at_the_commit_is_refused_too(tmp_path):
    archive = AttachmentArchive.open(lying_zip(tmp_path / "a.zip", "Import/10001_cv.pdf", crc=1))
    (member,) = [m for m in archive.members if m.name == "Import/10001_cv.pdf"]
    with pytest.raises(ArchiveError, match="is damaged"), archive.open_member(member) as stream:
        stream.read()


def test_invisible_characters_are_removed_from_member_names_and_messages(tmp_path, settings):
    settings.IMPORT_ATTACHMENT_TYPES = []  # every type: the .exe is about its name here
    archive = AttachmentArchive.open(
        zip_of(tmp_path / "a.zip", [("Import/10001_cv\u202egpj.exe", b"x"), ("\ufeffImport/\u2066b\u2069.pdf", b"y")])
    )
    assert sorted(m.name for m in archive.members) == ["Import/10001_cvgpj.exe", "Import/b.pdf"]
    assert archive.resolve("10001_cv\u202egpj.exe").file_name == "10001_cvgpj.exe"
    with pytest.raises(PathProblem) as caught:
        archive.resolve("Import/\u202emissing.pdf")
    assert "\u202e" not in caught.value.message
    with pytest.raises(ArchiveError) as refused:
        AttachmentArchive.open(zip_of(tmp_path / "b.zip", [("\u202e../evil.pdf", b"x")]))
    assert "\u202e" not in str(refused.value)


# --- several files a cell, checked before the confirmation (issue 15, part 6) ---------------


def test_a_cell_names_several_files_separated_by_semicolons():
    assert attachment_names("a.pdf; sub/b.pdf ;;c.pdf;") == ["a.pdf", "sub/b.pdf", "c.pdf"]
    assert attachment_names("\\\\client\\C$\\Import\\a b.pdf") == ["\\\\client\\C$\\Import\\a b.pdf"]
    assert attachment_names(" ; ") == []


def test_the_files_no_row_named_are_listed_and_the_candidates_of_an_ambiguous_name_count_as_named(tmp_path):
    archive = AttachmentArchive.open(
        make_zip(tmp_path / "a.zip", {"a/cv.pdf": b"1", "b/cv.pdf": b"2", "brief.pdf": b"3", "extra.pdf": b"4"})
    )
    assert [m.name for m in archive.unnamed()] == ["a/cv.pdf", "b/cv.pdf", "brief.pdf", "extra.pdf"]
    archive.resolve("brief.pdf")
    with pytest.raises(PathProblem):
        archive.resolve("cv.pdf")
    assert [m.name for m in archive.unnamed()] == ["extra.pdf"]


def test_an_ambiguous_name_names_every_candidate(tmp_path):
    archive = AttachmentArchive.open(
        make_zip(tmp_path / "a.zip", {"2024/cv.pdf": b"1", "2025/CV.pdf": b"2", "oud/Cv.pdf": b"3"})
    )
    with pytest.raises(PathProblem) as caught:
        archive.resolve("\\\\client\\C$\\Import\\cv.pdf")
    assert caught.value.code == "attachment_ambiguous"
    assert caught.value.message == (
        "Several files in the ZIP are called 'cv.pdf' (2024/cv.pdf, 2025/CV.pdf, oud/Cv.pdf): give the folder too,"
        " e.g. 2024/cv.pdf."
    )


def test_names_that_collide_by_case_or_accent_form_name_both_candidates(tmp_path):
    archive = AttachmentArchive.open(
        zip_of(tmp_path / "a.zip", [("10001_caf\u00e9.pdf", b"1"), ("10001_CAFE\u0301.pdf", b"2")])
    )
    with pytest.raises(PathProblem) as caught:
        archive.resolve("10001_café.pdf")
    assert caught.value.code == "attachment_name_collision"
    assert "(10001_caf\u00e9.pdf, 10001_CAFE\u0301.pdf;" in caught.value.message
    assert archive.unnamed() == []


def test_a_file_over_the_size_limit_is_refused_from_the_directory_without_reading_it(tmp_path, settings):
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 1000
    archive = AttachmentArchive.open(
        make_zip(tmp_path / "a.zip", {"10001_groot.pdf": b"x" * 1001, "10001_klein.pdf": b"x" * 1000})
    )
    archive.open_member = None  # any reading would fail with a TypeError
    with pytest.raises(PathProblem) as caught:
        archive.resolve("10001_groot.pdf")
    assert caught.value.code == "attachment_too_large"
    assert caught.value.message == (
        "'10001_groot.pdf' is 1001\xa0bytes, more than the 1000\xa0bytes an attachment may be: make the file smaller,"
        " or leave it out of this cell."
    )


def test_a_file_of_a_type_not_accepted_is_refused_and_an_empty_list_accepts_every_type(tmp_path, settings):
    path = make_zip(tmp_path / "a.zip", {"10001_script.js": b"alert(1)", "10001_brief.PDF": b"%PDF"})
    settings.IMPORT_ATTACHMENT_TYPES = ["pdf", ".docx"]
    archive = AttachmentArchive.open(path)
    assert archive.resolve("10001_brief.PDF").name == "10001_brief.PDF"
    with pytest.raises(PathProblem) as caught:
        archive.resolve("10001_script.js")
    assert caught.value.code == "attachment_type_not_allowed"
    assert "(accepted: .docx, .pdf)" in caught.value.message
    settings.IMPORT_ATTACHMENT_TYPES = []
    assert archive.resolve("10001_script.js").name == "10001_script.js"


def test_an_empty_file_is_refused_from_the_directory_as_the_record_page_refuses_it(tmp_path, folder):
    archive = AttachmentArchive.open(make_zip(tmp_path / "a.zip", {"Import/10001_leeg.pdf": b""}))
    archive.open_member = None  # any reading would fail with a TypeError
    with pytest.raises(PathProblem) as caught:
        archive.resolve("10001_leeg.pdf")
    assert caught.value.code == "attachment_empty"
    assert caught.value.message == (
        "'Import/10001_leeg.pdf' is empty (0 bytes): put the file with its contents in the ZIP, or leave it out of"
        " this cell."
    )
    (folder / "sollicitaties" / "10001_leeg.pdf").write_bytes(b"")
    with pytest.raises(PathProblem) as in_folder:
        ServerFolders({"C$/Import": folder}).resolve("\\\\client\\C$\\Import\\sollicitaties\\10001_leeg.pdf")
    assert in_folder.value.code == "attachment_empty"


def test_listing_the_files_no_row_named_reads_no_member(tmp_path):
    """The check of the ZIP against the rows works from its central directory: a member whose
    contents are damaged is listed (it would fail if it were read)."""
    archive = AttachmentArchive.open(lying_zip(tmp_path / "a.zip", "Import/10001_cv.pdf", crc=1))
    assert [m.name for m in archive.unnamed()] == ["Import/10001_cv.pdf", "10002_other.pdf"]


# --- through the services, the check page, the command line, the item page and the undo ----


def zip_bytes(members: dict[str, bytes]) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return stream.getvalue()


# Row 2 names two files for two relations; row 3 one file; Import/10002_extra.pdf no row names.
TWO_FILES_TWO_RELATIONS = (
    "Relatienummer;Onderwerp;Bijlage\n"
    '"10001;10002";Sollicitatie;"\\\\client\\C$\\Import\\10001_brief.pdf; Import/10002_cv.pdf"\n'
    "10003;CV;10003_cv.pdf\n"
)
FILES = {
    "Import/10001_brief.pdf": b"%PDF brief " * 300,
    "Import/10002_cv.pdf": b"%PDF cv",
    "Import/10003_cv.pdf": b"%PDF derde",
    "Import/10002_extra.pdf": b"%PDF extra",
}


def import_job(text: str, members: dict[str, bytes], *, type_code: str = "SOLL"):
    job = services.start_import(
        user=get_user_model().objects.get(username="importeur"),
        item_type=ItemType.objects.get(code=type_code),
        file=io.BytesIO(text.encode("utf-8")),
        file_name="rows.csv",
        attachments=io.BytesIO(zip_bytes(members)),
        attachments_name="bijlagen.zip",
    )
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    return job


def stored_names(job) -> list[tuple[str, str]]:
    return sorted(
        Attachment.objects.filter(item__import_job=job).values_list("item__relation__number", "original_name")
    )


@pytest.mark.django_db
def test_r08_r23_each_file_of_a_row_is_stored_for_each_item_of_the_row_with_its_own_copy(demo):
    job = import_job(TWO_FILES_TWO_RELATIONS, FILES)
    summary = services.validate_import(job=job).summary
    assert summary.errors == []
    assert services.commit_import(job=job).items_created == 3
    assert stored_names(job) == [
        ("10001", "10001_brief.pdf"),
        ("10001", "10002_cv.pdf"),
        ("10002", "10001_brief.pdf"),
        ("10002", "10002_cv.pdf"),
        ("10003", "10003_cv.pdf"),
    ]
    attachments = Attachment.objects.filter(item__import_job=job)
    assert len({a.file.name for a in attachments}) == 5  # five files, no item shares one
    for attachment in attachments:
        with attachment.file.open("rb") as stored:
            content = stored.read()
        original = FILES[next(name for name in FILES if name.endswith(attachment.original_name))]
        assert content == original
        assert (attachment.size, attachment.sha256) == (len(original), hashlib.sha256(original).hexdigest())


@pytest.mark.django_db
def test_the_files_no_row_names_are_warnings_of_the_check_without_a_row_and_are_not_stored(demo):
    job = import_job(TWO_FILES_TWO_RELATIONS, FILES)
    summary = services.validate_import(job=job).summary
    (unnamed,) = [p for p in summary.warnings if p.code == "attachment_not_named"]
    assert (unnamed.row, unnamed.column, unnamed.value) == (None, None, "Import/10002_extra.pdf")
    assert unnamed.message == (
        "'Import/10002_extra.pdf' in the attachments ZIP is named by no row, so it will not be stored: name it in a"
        " row's attachment cell, or leave it out of the ZIP."
    )
    job.refresh_from_db()
    assert job.warning_count == len(summary.warnings) and job.valid_row_count == 2
    services.commit_import(job=job)
    assert "10002_extra.pdf" not in {name for _relation, name in stored_names(job)}


@pytest.mark.django_db
def test_one_bad_file_among_several_makes_the_row_invalid_naming_that_file(demo, settings):
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 1000
    job = import_job(
        'Relatienummer;Onderwerp;Bijlage\n10001;Brief;"10001_brief.pdf;10001_weg.pdf;10001_cv.exe"\n10002;CV;10002_cv.pdf\n',
        {**FILES, "10001_cv.exe": b"MZ"},
    )
    summary = services.validate_import(job=job).summary
    assert [(p.row, p.code) for p in summary.errors] == [
        (2, "attachment_too_large"),
        (2, "attachment_not_found"),
        (2, "attachment_type_not_allowed"),
    ]
    assert "'Import/10001_brief.pdf' is 3.2\xa0KB, more than the 1000\xa0bytes" in summary.errors[0].message
    assert "'10001_weg.pdf' is not in the attachments ZIP" in summary.errors[1].message
    assert summary.errors[0].column == "Bijlage"
    assert (summary.valid_rows, summary.invalid_rows) == (1, 1)


@pytest.mark.django_db
def test_an_empty_file_makes_its_row_invalid_and_nothing_of_it_is_stored(demo):
    job = import_job(
        "Relatienummer;Onderwerp;Bijlage\n10001;Brief;10001_leeg.pdf\n10002;CV;10002_cv.pdf\n",
        {**FILES, "Import/10001_leeg.pdf": b""},
    )
    summary = services.validate_import(job=job).summary
    assert [(p.row, p.column, p.code) for p in summary.errors] == [(2, "Bijlage", "attachment_empty")]
    with translation.override("nl"):
        assert str(summary.errors[0].message) == (
            "'Import/10001_leeg.pdf' is leeg (0 bytes): zet het bestand met zijn inhoud in de ZIP, of laat het weg"
            " uit deze cel."
        )
    assert (summary.valid_rows, summary.invalid_rows) == (1, 1)


@pytest.mark.django_db
def test_an_ambiguous_name_is_a_problem_on_the_row_naming_the_candidates(demo):
    job = import_job(
        "Relatienummer;Onderwerp;Bijlage\n10001;Brief;10001_cv.pdf\n",
        {"2024/10001_cv.pdf": b"1", "2025/10001_CV.pdf": b"2"},
    )
    summary = services.validate_import(job=job).summary
    (problem,) = [p for p in summary.problems if p.code not in FILLED_IN]
    assert (problem.row, problem.column, problem.code) == (2, "Bijlage", "attachment_ambiguous")
    assert "(2024/10001_cv.pdf, 2025/10001_CV.pdf)" in problem.message


@pytest.mark.django_db
def test_a_file_named_twice_in_one_cell_is_attached_once_with_a_warning(demo):
    job = import_job('Relatienummer;Onderwerp;Bijlage\n10001;Brief;"10001_brief.pdf;Import/10001_BRIEF.pdf"\n', FILES)
    summary = services.validate_import(job=job).summary
    assert [(p.row, p.code) for p in summary.problems if p.row and p.code not in FILLED_IN] == [
        (2, "attachment_named_twice")
    ]
    services.commit_import(job=job)
    assert stored_names(job) == [("10001", "10001_brief.pdf")]


@pytest.mark.django_db
def test_r22_a_type_without_attach_file_stores_no_file_and_lists_every_file_as_not_named(demo):
    item_type = ItemType.objects.get(code="SOLL")
    item_type.attach_file = False
    item_type.save()
    job = import_job('Relatienummer;Onderwerp;Bijlage\n10001;Brief;"10001_brief.pdf;10002_cv.pdf"\n', FILES)
    assert "attachment" not in job.mapping  # no field takes the column (test_validation proves the refusal)
    assert services.set_mapping(job=job, mapping={**job.mapping, "not_imported": ["Bijlage"]}) == []
    summary = services.validate_import(job=job).summary
    assert sorted(p.value for p in summary.warnings if p.code == "attachment_not_named") == sorted(FILES)
    services.commit_import(job=job)
    assert stored_names(job) == []


class ReadInChunksOnly:
    """A member's stream that refuses to be read whole."""

    def __init__(self, stream):
        self.stream = stream

    def read(self, size=-1):
        assert size is not None and 0 < size <= 1 << 20, "a member is read whole into memory"
        return self.stream.read(size)


@pytest.mark.django_db
def test_the_commit_copies_each_file_in_chunks_never_whole(demo, monkeypatch):
    big = os.urandom(3 * 1024 * 1024)  # does not pack: three chunks
    job = import_job('Relatienummer;Onderwerp;Bijlage\n"10001;10002";Brief;10001_groot.pdf\n', {"10001_groot.pdf": big})
    services.validate_import(job=job)
    opened = []
    original = AttachmentSource.open_member

    @contextlib.contextmanager
    def chunks_only(self, member):
        opened.append(member.name)
        with original(self, member) as stream:
            yield ReadInChunksOnly(stream)

    monkeypatch.setattr(AttachmentSource, "open_member", chunks_only)
    services.commit_import(job=job)
    assert opened == ["10001_groot.pdf"]  # once for both items of the row
    for attachment in Attachment.objects.filter(item__import_job=job):
        assert (attachment.size, attachment.sha256) == (len(big), hashlib.sha256(big).hexdigest())
        with attachment.file.open("rb") as stored:
            assert stored.read() == big


@pytest.mark.django_db
def test_the_check_page_lists_the_files_no_row_names_and_the_problems_per_file_before_the_import(demo, client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(get_user_model().objects.get(username="importeur"))
    job = import_job(
        TWO_FILES_TWO_RELATIONS + "10004;Brief;10001_cv.pdf\n",
        {**FILES, "a/10001_cv.pdf": b"1", "b/10001_cv.pdf": b"2"},
    )
    services.validate_import(job=job)
    page = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert "(the attachments ZIP)" in page and "File in the ZIP that no row names" in page
    assert "Import/10002_extra.pdf" in page
    assert "(a/10001_cv.pdf, b/10001_cv.pdf)" in page  # the candidates, on row 5
    # The files no row names wait for a decision (issue 17): leave out or add as a row.
    assert 'id="import-valid"' not in page and 'id="files-undecided"' in page
    client.post(reverse("imports:files", args=[job.pk]), {"others": "leave"})
    page = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert 'id="import-valid"' in page and not DossierItem.objects.filter(import_job=job).exists()


@pytest.mark.django_db
def test_the_command_line_reports_the_files_no_row_names_and_the_refused_files(demo, tmp_path, settings):
    settings.IMPORT_ATTACHMENT_TYPES = ["pdf"]
    rows = tmp_path / "rows.csv"
    rows.write_text(
        'Relatienummer;Onderwerp;Bijlage\n10001;Brief;"10001_brief.pdf;10001_macro.xlsm"\n', encoding="utf-8"
    )
    archive = tmp_path / "bijlagen.zip"
    archive.write_bytes(zip_bytes({**FILES, "10001_macro.xlsm": b"PK"}))
    args = ["--type", "SOLL", "--user", "importeur", "--attachments", archive, "--dry-run"]

    code, out, _err = import_items(rows, *args, "--json")
    summary = json.loads(out)
    assert code == 1
    assert [(p["row"], p["code"]) for p in summary["problems"] if p["code"] not in FILLED_IN] == [
        (2, "attachment_type_not_allowed"),
        *[(None, "attachment_not_named")] * 3,
    ]
    assert {p["value"] for p in summary["problems"] if p["row"] is None} == {
        "Import/10002_cv.pdf",
        "Import/10003_cv.pdf",
        "Import/10002_extra.pdf",
    }

    code, out, _err = import_items(rows, *args)
    assert "  warning attachments ZIP, value 'Import/10002_extra.pdf': [attachment_not_named] " in out
    assert "error row 2, column 'Bijlage'" in out and "[attachment_type_not_allowed] '10001_macro.xlsm'" in out


@pytest.mark.django_db
def test_the_item_page_lists_every_attachment_and_each_downloads(demo, client):
    job = import_job(TWO_FILES_TWO_RELATIONS, FILES)
    services.commit_import(job=job)
    item = DossierItem.objects.get(import_job=job, relation__number="10001")
    client.force_login(get_user_model().objects.get(username="importeur"))
    page = client.get(reverse("dossier:item-detail", args=[item.pk])).content.decode()
    for attachment in item.attachments.all():
        assert reverse("dossier:attachment-download", args=[attachment.pk]) in page
        assert attachment.original_name in page
        download = client.get(reverse("dossier:attachment-download", args=[attachment.pk]))
        assert b"".join(download.streaming_content) == FILES[f"Import/{attachment.original_name}"]


@pytest.mark.django_db
def test_undo_removes_every_attachment_and_file_of_the_import(demo, django_capture_on_commit_callbacks):
    job = import_job(TWO_FILES_TWO_RELATIONS, FILES)
    services.commit_import(job=job)
    names = list(Attachment.objects.filter(item__import_job=job).values_list("file", flat=True))
    storage = Attachment._meta.get_field("file").storage
    assert len(names) == 5 and all(storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        services.undo_import(job=job, user=get_user_model().objects.get(username="importeur"))
    assert not Attachment.objects.filter(file__in=names).exists()
    assert not any(storage.exists(name) for name in names)


def test_rows_staged_before_a_row_could_name_several_files_are_read_as_one_file():
    old = '[2,["Import/a.pdf",3,"Import/a.pdf",""],[[null,[]]]]\n'
    new = '[3,[["a.pdf",1,"a.pdf",""],["b.pdf",2,"b.pdf",""]],[[null,[]]]]\n[4,null,[[null,[]]]]\n'
    rows = list(read_staged(io.StringIO(old + new)))
    assert [(number, [m.name for m in members]) for number, members, _items in rows] == [
        (2, ["Import/a.pdf"]),
        (3, ["a.pdf", "b.pdf"]),
        (4, []),
    ]


def test_the_new_messages_are_made_once_and_read_in_dutch_too(tmp_path, settings):
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 1
    archive = AttachmentArchive.open(make_zip(tmp_path / "a.zip", {"a/cv.pdf": b"12", "b/cv.pdf": b"2"}))
    with translation.override("en"):
        with pytest.raises(PathProblem) as ambiguous:
            archive.resolve("cv.pdf")
        with pytest.raises(PathProblem) as too_large:
            archive.resolve("a/cv.pdf")
        unnamed = attachment_message("attachment_not_named", name="b/cv.pdf")
    with translation.override("nl"):
        assert str(ambiguous.value.message) == (
            "Meerdere bestanden in de ZIP heten 'cv.pdf' (a/cv.pdf, b/cv.pdf): geef ook de map op, bijvoorbeeld a/cv.pdf."
        )
        assert str(too_large.value.message).startswith(
            "'a/cv.pdf' is 2\xa0bytes, meer dan de 1\xa0byte die een bijlage mag zijn"
        )
        assert str(unnamed).startswith("'b/cv.pdf' in de ZIP met bijlagen wordt door geen enkele rij genoemd")
    with translation.override("en"):
        assert str(unnamed).startswith("'b/cv.pdf' in the attachments ZIP is named by no row")


@pytest.mark.django_db
def test_a_cell_of_several_files_without_a_zip_is_one_problem_on_its_row(demo):
    job = services.start_import(
        user=get_user_model().objects.get(username="importeur"),
        item_type=ItemType.objects.get(code="SOLL"),
        file=io.BytesIO(b'Relatienummer;Onderwerp;Bijlage\n10001;Brief;"a.pdf;b.pdf;c.pdf"\n'),
        file_name="rows.csv",
    )
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    summary = services.validate_import(job=job).summary
    assert [(p.row, p.code) for p in summary.problems if p.code not in FILLED_IN] == [(2, "attachment_no_archive")]
