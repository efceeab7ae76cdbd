"""The attachments ZIP: safe indexing and path resolution (R23, R24). No database needed."""

import stat
import struct
import warnings
import zipfile

import pytest

from imports.pipeline.attachments import ArchiveError, AttachmentArchive, PathProblem, relative_path


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
