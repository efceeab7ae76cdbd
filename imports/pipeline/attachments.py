"""Attachments named in the file, found in the ZIP uploaded beside it (R22-R25).

The ZIP is indexed once; members are looked up by their path and by their file name and
read as streams. Nothing is ever extracted to the file system under a member's own name.
Names lose their invisible characters (dossier.services.visible_name) and are compared without
regard to case or Unicode normalisation: members whose names then collide are a problem for
the rows that name them, naming the candidates, never silently one of them. A cell may name
several files, separated by semicolons (`attachment_names`). Before a member is read, it is
checked from the central directory alone by the rule the item pages use too
(dossier.attachments.check_attachment: IMPORT_ATTACHMENT_MAX_SIZE, IMPORT_ATTACHMENT_TYPES,
not empty, its name not too long); then it is read once, in chunks, when a row first names
it, to prove that its declared size and checksum are true. After the
rows, `unnamed()` lists the members no row named: they are not stored.

    archive = AttachmentArchive.open(path)         # refuses unsafe or oversized archives
    member = archive.resolve("\\\\client\\C$\\Import\\10001_cv.pdf")   # R24
    with archive.open_member(member) as stream: ...

Every message about one named file is built here, by `attachment_message`, from one msgid
with %(name)s parameters in MESSAGES.
"""

from __future__ import annotations

import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings
from django.utils.translation import gettext_noop

from dossier.attachments import MESSAGES as ATTACHMENT_MESSAGES
from dossier.attachments import Where, check_attachment
from dossier.services import visible_name
from spreadsheets.messages import N_, Message, grouped
from spreadsheets.zipguard import unpacks_too_far

NESTED_ARCHIVES = {".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz"}
LOCAL_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
UNC = re.compile(r"^(\\\\|//)[^\\/]+[\\/]([A-Za-z])\$[\\/](?P<path>.+)$")
# What reading a member raises when its directory entry lies about it (size, checksum, place).
DAMAGED_MEMBER = (zipfile.BadZipFile, EOFError, zlib.error)
NAME_SEPARATOR = ";"
SHOWN_CANDIDATES = 5  # the most candidates a message names

# The messages about one named file (or one file no row names), by problem code: one msgid
# each, its parameters named, so that a message can be kept as code plus parameters and
# rendered in the reader's language.
MESSAGES = {
    "attachment_ambiguous": gettext_noop(
        "Several files in the ZIP are called '%(name)s' (%(candidates)s): give the folder too, e.g. %(example)s."
    ),
    "attachment_name_collision": gettext_noop(
        "The attachments ZIP holds %(count)s files named '%(name)s' (%(candidates)s; names that differ only in upper and lower case, invisible characters or how an accent is written count as the same): keep one of them and make the ZIP again."
    ),
    "attachment_named_twice": gettext_noop("'%(name)s' is named more than once in this cell; it is attached once."),
    "attachment_not_named": gettext_noop(
        "'%(name)s' in the attachments ZIP is named by no row, so it will not be stored: name it in a row's attachment cell, or leave it out of the ZIP."
    ),
    # What makes a file acceptable at all is decided in dossier (check_attachment).
    **ATTACHMENT_MESSAGES[Where.IMPORT],
}


def attachment_message(code: str, **params) -> Message:
    """The message of `code` (MESSAGES) with its parameters, rendered in the reader's language."""
    return Message(MESSAGES[code], params)


def attachment_names(cell: str) -> list[str]:
    """The file names one cell gives, separated by semicolons; empty parts left out."""
    if NAME_SEPARATOR not in cell:
        return [cell] if cell.strip() else []
    return [part.strip() for part in cell.split(NAME_SEPARATOR) if part.strip()]


def candidates_text(members: list[Member]) -> str:
    """The candidates' paths as a message names them: at most SHOWN_CANDIDATES, then "…"."""
    names = [member.name for member in members[:SHOWN_CANDIDATES]]
    if len(members) > SHOWN_CANDIDATES:
        names.append("…")
    return ", ".join(names)


def refuse_unaccepted(member: Member) -> None:
    """Raise a PathProblem when the member cannot be an attachment (dossier.attachments:
    too large, of a type not accepted, empty, its name too long). Only the directory's size
    and the name are looked at: nothing is read."""
    problems = check_attachment(member.name, member.size, where=Where.IMPORT)
    if problems:
        raise PathProblem(problems[0].code, problems[0].message)


class ArchiveError(Exception):
    """The ZIP cannot be used; the message is one sentence for the user."""


class PathProblem(Exception):
    """A path a row names that gives no attachment; `message` is a Message (shown later)."""

    def __init__(self, code: str, message: str | Message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Member:
    name: str  # the file's path inside the ZIP or server folder, with forward slashes
    size: int
    zip_name: str  # as stored in the ZIP, to open it ("" for a file of a server folder)
    path: str = ""  # the file on the server, for a file of a server folder

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.name).name


def name_key(name: str) -> str:
    """Names that a user cannot tell apart compare equal: case and Unicode normalisation
    (a Mac zips 'é' as 'e' plus an accent) do not count."""
    return unicodedata.normalize("NFC", name).casefold()


class AttachmentArchive:
    def __init__(self, archive: zipfile.ZipFile, members: list[Member]):
        self._archive = archive
        self.members = members
        self._by_path: dict[str, list[Member]] = {}  # more than one: colliding names
        self._by_name: dict[str, list[Member]] = {}
        for member in members:
            self._by_path.setdefault(name_key(member.name), []).append(member)
            self._by_name.setdefault(name_key(member.file_name), []).append(member)
        self._checked: set[str] = set()
        self._named: set[str] = set()  # the members a row named (or named among others)

    @classmethod
    def open(cls, path: str | Path) -> AttachmentArchive:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise ArchiveError(N_("The attachments file is not a valid ZIP archive.")) from None
        try:
            members = cls._safe_members(archive)
        except ArchiveError:
            archive.close()
            raise
        return cls(archive, members)

    @classmethod
    def safe_members(cls, handle: IO[bytes] | str | Path) -> list[Member]:
        """The members of a ZIP through the same guards as `open`, without indexing them for
        lookups: for a check of the upload, and for files first (imports/pipeline/proposal.py)."""
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError):
            raise ArchiveError(N_("The attachments file is not a valid ZIP archive.")) from None
        try:
            return cls._safe_members(archive)
        finally:
            archive.close()

    @staticmethod
    def _safe_members(archive: zipfile.ZipFile) -> list[Member]:
        """1. refuse encrypted members, symlinks, absolute paths and '..' (path traversal);
        2. refuse archives inside the archive; 3. refuse too many members or bytes."""
        limits = settings.IMPORT_ATTACHMENT_LIMITS
        infos = archive.infolist()
        if len(infos) > limits["members"]:
            raise ArchiveError(
                N_("The attachments ZIP holds more than %(max)s files; split the files over more imports.")
                % {"max": grouped(limits["members"])}
            )
        members = []
        for info in infos:
            name = visible_name(info.filename.replace("\\", "/"))  # also what the checks below see
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ArchiveError(
                    N_("'%(name)s' in the attachments ZIP is encrypted; zip it without a password.") % {"name": name}
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveError(
                    N_("'%(name)s' in the attachments ZIP is a symbolic link; only plain files are accepted.")
                    % {"name": name}
                )
            parts = PurePosixPath(name).parts
            if name.startswith("/") or LOCAL_DRIVE.match(name) or ".." in parts:
                raise ArchiveError(
                    N_(
                        "'%(name)s' in the attachments ZIP points outside the archive; it is refused. Zip the files again from their folder."
                    )
                    % {"name": name}
                )
            if PurePosixPath(name).suffix.lower() in NESTED_ARCHIVES:
                raise ArchiveError(
                    N_("'%(name)s' is an archive inside the attachments ZIP; put its files in the ZIP itself.")
                    % {"name": name}
                )
            members.append(Member(name=name, size=info.file_size, zip_name=info.filename))
        reason = unpacks_too_far(infos, limits)
        if reason == "bytes":
            raise ArchiveError(
                N_(
                    "The attachments ZIP unpacks to more than %(max)s MB, more than this server accepts: split the files over more imports."
                )
                % {"max": grouped(limits["uncompressed_bytes"] // 1024**2)}
            )
        if reason == "ratio":
            raise ArchiveError(
                N_(
                    "The attachments ZIP is packed suspiciously tight (more than %(ratio)s to 1), as a ZIP bomb is: zip the files again with ordinary compression."
                )
                % {"ratio": grouped(limits["ratio"])}
            )
        return members

    def close(self) -> None:
        self._archive.close()

    def resolve(self, raw_path: str) -> Member:
        """R24: find the member a path names. Accepted: the UNC notation
        \\\\client\\C$\\Import\\file.pdf, a path inside the ZIP, or a bare file name."""
        relative = visible_name(relative_path(raw_path))
        found = self._by_path.get(name_key(relative))
        if found is None:
            # The ZIP may hold the folder's contents, or the folder itself: try every suffix.
            parts = PurePosixPath(relative).parts
            for start in range(1, len(parts)):
                found = self._by_path.get(name_key("/".join(parts[start:])))
                if found:
                    break
        if found is None:
            candidates = self._by_name.get(name_key(PurePosixPath(relative).name), [])
            paths = {name_key(candidate.name) for candidate in candidates}
            if len(paths) == 1:
                found = self._by_path[paths.pop()]
            elif len(paths) > 1:
                self._named.update(candidate.zip_name for candidate in candidates)
                raise PathProblem(
                    "attachment_ambiguous",
                    attachment_message(
                        "attachment_ambiguous",
                        name=PurePosixPath(relative).name,
                        candidates=candidates_text(candidates),
                        example=candidates[0].name,
                    ),
                )
        if found is None:
            raise PathProblem(
                "attachment_not_found",
                N_("'%(path)s' is not in the attachments ZIP: add the file to the ZIP or correct the path.")
                % {"path": visible_name(raw_path)},
            )
        self._named.update(member.zip_name for member in found)
        if len(found) > 1:
            raise PathProblem(
                "attachment_name_collision",
                attachment_message(
                    "attachment_name_collision", count=len(found), name=found[0].name, candidates=candidates_text(found)
                ),
            )
        refuse_unaccepted(found[0])
        self._check(found[0])
        return found[0]

    def unnamed(self) -> list[Member]:
        """The members no row named so far, in the ZIP's order: they will not be stored."""
        return [member for member in self.members if member.zip_name not in self._named]

    def _check(self, member: Member) -> None:
        """Read a member once, to the end: zipfile checks its checksum at the end, and what
        it gives must be as long as the directory says. Raises ArchiveError when either lies."""
        if member.zip_name in self._checked:
            return
        size = 0
        with self.open_member(member) as stream:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
        if size != member.size:
            raise ArchiveError(damaged_member(member))
        self._checked.add(member.zip_name)

    @contextmanager
    def open_member(self, member: Member) -> Iterator[IO[bytes]]:
        """The member as a stream; raises ArchiveError when it turns out damaged while read."""
        try:
            with self._archive.open(member.zip_name) as stream:
                yield stream
        except DAMAGED_MEMBER:
            raise ArchiveError(damaged_member(member)) from None
        except NotImplementedError:  # a compression method zipfile lacks, e.g. Deflate64
            raise ArchiveError(
                N_(
                    "'%(name)s' in the attachments ZIP is packed with a method this server cannot unpack; make the ZIP again with ordinary (Deflate) compression."
                )
                % {"name": member.name}
            ) from None


def damaged_member(member: Member) -> Message:
    return N_(
        "'%(name)s' in the attachments ZIP is damaged (its size or checksum does not match its contents); make the ZIP again."
    ) % {"name": member.name}


def relative_path(raw_path: str) -> str:
    """The path under the share, with forward slashes; refuses local-drive notation (R24)
    and anything that climbs out of its root."""
    text = raw_path.strip().strip('"')
    if LOCAL_DRIVE.match(text):
        unc = "\\\\client\\" + text[0].upper() + "$" + text[2:].replace("/", "\\")
        raise PathProblem(
            "attachment_local_path",
            N_(
                "'%(path)s' is a local drive path, which the server cannot reach. Write it as %(unc)s (and add the file to the attachments ZIP)."
            )
            % {"path": visible_name(raw_path), "unc": visible_name(unc)},
        )
    match = UNC.match(text)
    relative = match.group("path") if match else text
    relative = relative.replace("\\", "/").lstrip("/")
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise PathProblem(
            "attachment_path_invalid",
            N_("'%(path)s' is not a usable file path. Write it as \\\\client\\C$\\Import\\file.pdf.")
            % {"path": visible_name(raw_path)},
        )
    return "/".join(parts)


def share_path(raw_path: str) -> str | None:
    """For a UNC path \\\\host\\C$\\Import\\file.pdf: "C$/Import/file.pdf"; else None."""
    match = UNC.match(raw_path.strip().strip('"'))
    if not match:
        return None
    return f"{match.group(2).upper()}$/{relative_path(raw_path)}"


class ServerFolders:
    """Shares of the users' machines that an administrator mapped onto folders of this
    server (IMPORT_SERVER_FOLDERS), so UNC paths can name files there (R24). Nothing outside
    a mapped folder can be read: the path is resolved, symbolic links included, and must
    stay inside its folder."""

    def __init__(self, roots: dict[str, Path]):
        self._roots = sorted(
            ((prefix.casefold().strip("/"), root.resolve()) for prefix, root in roots.items()), key=lambda r: -len(r[0])
        )

    @classmethod
    def from_settings(cls) -> ServerFolders | None:
        roots = settings.IMPORT_SERVER_FOLDERS
        return cls({share: Path(folder) for share, folder in roots.items()}) if roots else None

    def resolve(self, raw_path: str) -> Member | None:
        """The file a UNC path names in a mapped folder; None when no mapped share covers it."""
        shared = share_path(raw_path)
        if shared is None:
            return None
        for prefix, root in self._roots:
            if shared.casefold() != prefix and not shared.casefold().startswith(prefix + "/"):
                continue
            remainder = shared[len(prefix) :].lstrip("/")
            target = (root / remainder).resolve()
            if not target.is_relative_to(root):
                raise PathProblem(
                    "attachment_path_invalid",
                    N_("'%(path)s' points outside the server's import folder; it is refused.")
                    % {"path": visible_name(raw_path)},
                )
            if not target.is_file():
                raise PathProblem(
                    "attachment_not_found",
                    N_("'%(path)s' is not in the server's import folder: put the file there or correct the path.")
                    % {"path": visible_name(raw_path)},
                )
            member = Member(name=remainder, size=target.stat().st_size, zip_name="", path=str(target))
            refuse_unaccepted(member)
            return member
        return None


class AttachmentSource:
    """Where attachments come from: the uploaded ZIP first, then the server's import folders."""

    def __init__(self, archive: AttachmentArchive | None = None, folders: ServerFolders | None = None):
        self.archive = archive
        self.folders = folders

    def resolve(self, raw_path: str) -> Member:
        if self.archive is not None:
            try:
                return self.archive.resolve(raw_path)
            except PathProblem as problem:
                if self.folders is None or problem.code != "attachment_not_found":
                    raise
        member = self.folders.resolve(raw_path) if self.folders else None
        if member is None:
            relative_path(raw_path)  # the same refusals (local drive, climbing out) as for the ZIP
            raise PathProblem(
                "attachment_not_found",
                N_(
                    "'%(path)s' is neither in the attachments ZIP nor in a server import folder: add the file to the ZIP or correct the path."
                )
                % {"path": visible_name(raw_path)},
            )
        return member

    def unnamed(self) -> list[Member]:
        """The ZIP's members no row named (a server folder's files are not listed)."""
        return self.archive.unnamed() if self.archive is not None else []

    @contextmanager
    def open_member(self, member: Member) -> Iterator[IO[bytes]]:
        if member.path:
            with open(member.path, "rb") as stream:
                yield stream
        else:
            with self.archive.open_member(member) as stream:
                yield stream

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()
