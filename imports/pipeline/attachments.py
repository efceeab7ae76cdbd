"""Attachments named in the file, found in the ZIP uploaded beside it (R22-R25).

The ZIP is indexed once; members are looked up by their path and by their file name and
read as streams. Nothing is ever extracted to the file system under a member's own name.

    archive = AttachmentArchive.open(path)         # refuses unsafe or oversized archives
    member = archive.resolve("\\\\client\\C$\\Import\\10001_cv.pdf")   # R24
    with archive.open_member(member) as stream: ...
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

NESTED_ARCHIVES = {".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz"}
LOCAL_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
UNC = re.compile(r"^(\\\\|//)[^\\/]+[\\/]([A-Za-z])\$[\\/](?P<path>.+)$")


class ArchiveError(Exception):
    """The ZIP cannot be used; the message is one sentence for the user."""


class PathProblem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Member:
    name: str  # the member's path inside the ZIP, with forward slashes
    size: int
    zip_name: str  # as stored in the ZIP, to open it

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.name).name


class AttachmentArchive:
    def __init__(self, archive: zipfile.ZipFile, members: list[Member]):
        self._archive = archive
        self.members = members
        self._by_path = {m.name.casefold(): m for m in members}
        self._by_name: dict[str, list[Member]] = {}
        for member in members:
            self._by_name.setdefault(member.file_name.casefold(), []).append(member)

    @classmethod
    def open(cls, path: str | Path) -> AttachmentArchive:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise ArchiveError(_("The attachments file is not a valid ZIP archive.")) from None
        try:
            members = cls._safe_members(archive)
        except ArchiveError:
            archive.close()
            raise
        return cls(archive, members)

    @staticmethod
    def _safe_members(archive: zipfile.ZipFile) -> list[Member]:
        """1. refuse encrypted members, symlinks, absolute paths and '..' (path traversal);
        2. refuse archives inside the archive; 3. refuse too many members or bytes."""
        limits = settings.IMPORT_ATTACHMENT_LIMITS
        infos = archive.infolist()
        if len(infos) > limits["members"]:
            raise ArchiveError(
                _("The attachments ZIP holds more than %(max)s files; split it.") % {"max": limits["members"]}
            )
        members, total, packed = [], 0, 0
        for info in infos:
            name = info.filename.replace("\\", "/")
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ArchiveError(
                    _("'%(name)s' in the attachments ZIP is encrypted; zip it without a password.") % {"name": name}
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveError(
                    _("'%(name)s' in the attachments ZIP is a symbolic link; only plain files are accepted.")
                    % {"name": name}
                )
            parts = PurePosixPath(name).parts
            if name.startswith("/") or LOCAL_DRIVE.match(name) or ".." in parts:
                raise ArchiveError(
                    _(
                        "'%(name)s' in the attachments ZIP points outside the archive; it is refused. Zip the files again from their folder."
                    )
                    % {"name": name}
                )
            if PurePosixPath(name).suffix.lower() in NESTED_ARCHIVES:
                raise ArchiveError(
                    _("'%(name)s' is an archive inside the attachments ZIP; put its files in the ZIP itself.")
                    % {"name": name}
                )
            total += info.file_size
            packed += info.compress_size
            members.append(Member(name=name, size=info.file_size, zip_name=info.filename))
        if total > limits["uncompressed_bytes"] or total / (packed or 1) > limits["ratio"]:
            raise ArchiveError(_("The attachments ZIP unpacks to more than this server accepts; split it."))
        return members

    def close(self) -> None:
        self._archive.close()

    def resolve(self, raw_path: str) -> Member:
        """R24: find the member a path names. Accepted: the UNC notation
        \\\\client\\C$\\Import\\file.pdf, a path inside the ZIP, or a bare file name."""
        relative = relative_path(raw_path)
        member = self._by_path.get(relative.casefold())
        if member is None:
            # The ZIP may hold the folder's contents, or the folder itself: try every suffix.
            parts = PurePosixPath(relative).parts
            for start in range(1, len(parts)):
                member = self._by_path.get("/".join(parts[start:]).casefold())
                if member:
                    break
        if member is None:
            candidates = self._by_name.get(PurePosixPath(relative).name.casefold(), [])
            if len(candidates) == 1:
                member = candidates[0]
            elif len(candidates) > 1:
                raise PathProblem(
                    "attachment_ambiguous",
                    _("Several files in the ZIP are called '%(name)s': give the folder too, e.g. %(example)s.")
                    % {"name": PurePosixPath(relative).name, "example": candidates[0].name},
                )
        if member is None:
            raise PathProblem(
                "attachment_not_found",
                _("'%(path)s' is not in the attachments ZIP: add the file to the ZIP or correct the path.")
                % {"path": raw_path},
            )
        return member

    @contextmanager
    def open_member(self, member: Member) -> Iterator[IO[bytes]]:
        with self._archive.open(member.zip_name) as stream:
            yield stream


def relative_path(raw_path: str) -> str:
    """The path under the share, with forward slashes; refuses local-drive notation (R24)
    and anything that climbs out of its root."""
    text = raw_path.strip().strip('"')
    if LOCAL_DRIVE.match(text):
        unc = "\\\\client\\" + text[0].upper() + "$" + text[2:].replace("/", "\\")
        raise PathProblem(
            "attachment_local_path",
            _(
                "'%(path)s' is a local drive path, which the server cannot reach. Write it as %(unc)s (and add the file to the attachments ZIP)."
            )
            % {"path": raw_path, "unc": unc},
        )
    match = UNC.match(text)
    relative = match.group("path") if match else text
    relative = relative.replace("\\", "/").lstrip("/")
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise PathProblem(
            "attachment_path_invalid",
            _("'%(path)s' is not a usable file path. Write it as \\\\client\\C$\\Import\\file.pdf.")
            % {"path": raw_path},
        )
    return "/".join(parts)
