"""Files first: a ZIP of documents (or a folder) without a spreadsheet, turned into a proposal
of one row per file that the user edits and then imports as any file (issue 17, part 1).

    files = propose(archive_files(handle), resolve=lambda numbers: resolved_numbers(numbers, user=user))
    headers, rows = workbook_rows(spec, files)      # the columns a normal import of the type takes

1. The names come from the ZIP's central directory alone, through the attachments ZIP's own
   guards (AttachmentArchive: no climbing paths, no nested archives, the member and size
   limits); no file's content is read, so 5,000 files are proposed in well under a second.
2. The destination is the number a file name starts with ("10081 CV Jansen.pdf",
   "10083 - diploma.pdf", "E0003_contract.pdf"); a file without one takes the number of the
   nearest folder that starts with one ("10081 Jansen/cv.pdf"). A relation number is used as
   it is; an employee, applicant, debtor or creditor number is resolved to the relation that
   holds it (dossier.resolving, the one resolver). A number that is neither stays in the
   row, without a relation, for the user to fill in.
3. The subject is the rest of the name, cleaned (separators and extension left out); when the
   name has nothing after the number, the nearest folder's name (without its number) gives it.
4. Every file is one item, until the user gives several files the same item number (they then
   make one item, its relation and subject from the first of them) or leaves a file out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import IO

from dossier.models import DossierItem, Relation
from dossier.resolving import Evidence, resolve_relations
from dossier.spec import ItemSpec
from imports.pipeline.attachments import NAME_SEPARATOR, AttachmentArchive

# A number a name starts with: digits, or a role number's letters and digits (E0003, D20001),
# followed by a separator or nothing.
LEADING_NUMBER = re.compile(r"^\s*(?P<number>[A-Za-z]{0,3}\d+)(?=$|[\s_\-\u2013\u2014.,;:()\[\]])")
SEPARATORS = re.compile(r"[\s_]+")
EDGES = " -\u2013\u2014_.,;:()[]"
# What a computer adds to a ZIP that is no document of anyone's.
SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
SYSTEM_FOLDERS = frozenset({"__macosx"})
SUBJECT_MAX_LENGTH = DossierItem._meta.get_field("subject").max_length
PROPOSAL_FIELDS = ("relation", "subject", "attachment")


@dataclass
class ProposedFile:
    """One file of the ZIP and what it becomes: `number` as the name gives it, `relation` the
    relation number it resolved to ("" when none), `item` the item it joins (files with the
    same item number make one item), `left_out` when the user dropped it."""

    path: str
    size: int
    number: str = ""
    relation: str = ""
    subject: str = ""
    item: int = 0
    left_out: bool = False

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ProposedFile:
        return cls(**data)


@dataclass(frozen=True)
class ProposedItem:
    """The item a group of files makes."""

    item: int
    relation: str
    subject: str
    files: tuple[ProposedFile, ...]


def is_system_file(path: str) -> bool:
    parts = path.split("/")
    return parts[-1].casefold() in SYSTEM_FILES or any(part.casefold() in SYSTEM_FOLDERS for part in parts)


def archive_files(handle: IO[bytes] | str) -> list[tuple[str, int]]:
    """(path, size) of every document in the ZIP, from its directory alone, through the
    attachments ZIP's guards (ArchiveError when it is refused). A Mac's or Windows' own
    files (__MACOSX, .DS_Store, Thumbs.db) are no documents."""
    members = AttachmentArchive.safe_members(handle)
    return [(member.name, member.size) for member in members if not is_system_file(member.name)]


def leading_number(text: str) -> str:
    """The number `text` starts with ("10081 CV Jansen" -> "10081"), or ""."""
    found = LEADING_NUMBER.match(text)
    return found["number"] if found else ""


def cleaned_subject(text: str) -> str:
    """A name part as a subject: underscores and runs of spaces as one space, separators at
    both ends left out, at most the subject's length."""
    return SEPARATORS.sub(" ", text).strip(EDGES)[:SUBJECT_MAX_LENGTH].strip()


def _without_number(text: str) -> str:
    number = leading_number(text)
    return text.lstrip()[len(number) :] if number else text


def read_name(path: str) -> tuple[str, str]:
    """(number, subject) that a file's path gives (steps 2 and 3 of the module's docstring)."""
    # plain string work: PurePosixPath costs more than the rest for 5,000 names
    parts = [part for part in path.split("/") if part]
    file_name = parts[-1]
    stem = file_name.rsplit(".", 1)[0] if "." in file_name[1:] else file_name
    folders = list(reversed(parts[:-1]))
    number = leading_number(stem)
    if not number:
        number = next((found for folder in folders if (found := leading_number(folder))), "")
    subject = cleaned_subject(_without_number(stem))
    if not subject:
        subject = next((text for folder in folders if (text := cleaned_subject(_without_number(folder)))), "")
    return number, subject


def propose(files: Iterable[tuple[str, int]], *, resolve: Callable[[set[str]], dict[str, str]]) -> list[ProposedFile]:
    """One ProposedFile per file, sorted by path, each its own item; `resolve` gives the
    relation number of each number it knows (all numbers at once: no query per file)."""
    proposed = []
    for path, size in sorted(files, key=lambda entry: entry[0].casefold()):
        number, subject = read_name(path)
        proposed.append(ProposedFile(path=path, size=size, number=number, subject=subject))
    relations = resolve({entry.number for entry in proposed if entry.number})
    for index, entry in enumerate(proposed, start=1):
        entry.relation = relations.get(entry.number, "")
        entry.item = index
    return proposed


def resolved_numbers(numbers: Iterable[str], *, user) -> dict[str, str]:
    """Number -> relation number, among the relations `user` may see: a relation number as it
    is, a role number (employee, applicant, debtor, creditor) to the relation holding it
    (dossier.resolving). Numbers that are neither are left out. A few queries in all."""
    numbers = {number for number in numbers if number}
    found = {
        number: number
        for number in Relation.objects.visible_to(user).filter(number__in=numbers).values_list("number", flat=True)
    }
    rest = numbers - found.keys()
    for raw, resolution in resolve_relations(sorted(rest), user=user).items():
        if resolution.evidence == Evidence.ROLE_NUMBER and resolution.suggestion:
            found[raw] = resolution.suggestion
    return found


def proposed_items(files: Iterable[ProposedFile]) -> list[ProposedItem]:
    """The items the files make, in the order of their first file; files left out make none.
    A group takes the first relation and subject its files give."""
    groups: dict[int, list[ProposedFile]] = {}
    for entry in files:
        if not entry.left_out:
            groups.setdefault(entry.item, []).append(entry)
    return [
        ProposedItem(
            item=item,
            relation=next((entry.relation for entry in group if entry.relation), ""),
            subject=next((entry.subject for entry in group if entry.subject), ""),
            files=tuple(group),
        )
        for item, group in groups.items()
    ]


def workbook_rows(spec: ItemSpec, files: Iterable[ProposedFile], *, header: Callable) -> tuple[list[str], list[list]]:
    """The headers (`header(field)`, those a normal import of the type takes: the relation,
    the subject when the type has one, the attachment) and one row per proposed item; the
    attachment cell names the item's files by their path in the ZIP, separated by
    semicolons."""
    fields = [spec[code] for code in PROPOSAL_FIELDS if code in spec and not spec[code].is_hidden]
    headers = [header(field) for field in fields]
    rows = []
    for item in proposed_items(files):
        values = {
            "relation": item.relation,
            "subject": item.subject,
            "attachment": f"{NAME_SEPARATOR} ".join(entry.path for entry in item.files),
        }
        rows.append([values[field.code] for field in fields])
    return headers, rows
