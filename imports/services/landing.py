"""What lands where, before the import (issue 17, part 2): the check's summary per destination
read back for a page (paged) or the command line, the documents and review tasks the job's
creation profile will make, and the files of the ZIP that no row uses with the user's
decision for each ("leave out", or "add a row"; imports/pipeline/landing.py).

    report = landing_report(job=job, user=user, page=1)
    files = unused_file_rows(job=job, user=user)
    added = choose_files(job=job, user=user, choices={"Import/10081 CV.pdf": FileChoice("add", "10081", "CV")})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dossier.models import ROLE_MODELS, Relation
from dossier.resolving import resolve_relations
from dossier.spec import ROLE_LABELS
from imports.models import ImportJob
from imports.pipeline.landing import (
    ADD,
    ALL_OTHERS,
    LEAVE,
    Destination,
    can_add_rows,
    name_parts,
    stored_count,
    stored_destinations,
)

PAGE_SIZE = 50  # destinations a page of the check shows


def size_text(value: int) -> str:
    """A size in bytes as the reader's language writes it: "0.7 MB", "0,7 MB"; one decimal
    from a kilobyte on, so that small files do not all read "0 MB"."""
    if value < 1024:
        return ngettext("%(size)s byte", "%(size)s bytes", value) % {"size": number_format(value, force_grouping=True)}
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if value >= factor:
            return f"{number_format(round(value / factor, 1), 1, force_grouping=True)} {unit}"
    return ""  # not reached


def count_text(value: int) -> str:
    """A count grouped as the reader's language groups it: 1,234 or 1.234."""
    return number_format(value, force_grouping=True)


@dataclass(frozen=True)
class DestinationRow:
    """One destination on the page: its number, name and roles, and what lands there."""

    number: str
    name: str
    roles: tuple[str, ...]
    items: int
    files: int
    bytes: int

    @property
    def size(self) -> str:
        return size_text(self.bytes)


@dataclass(frozen=True)
class ProfileLine:
    """What the creation profile makes: documents from a template, or review tasks."""

    kind: str  # "documents" or "review_tasks"
    count: int
    text: str


@dataclass
class LandingReport:
    items: int = 0
    files: int = 0
    bytes: int = 0
    destination_count: int = 0
    without_destination: int = 0
    kept: int = 0  # destinations the job keeps by name
    rows: list[DestinationRow] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    profile: list[ProfileLine] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        """ "59 items, 61 files, 0.7 MB for 20 destinations", numbers in the reader's style."""
        parts = [
            ngettext("%(count)s item", "%(count)s items", self.items) % {"count": count_text(self.items)},
            ngettext("%(count)s file", "%(count)s files", self.files) % {"count": count_text(self.files)},
            size_text(self.bytes),
        ]
        text = ", ".join(parts)
        if self.destination_count:
            text = ngettext(
                "%(what)s for %(count)s destination", "%(what)s for %(count)s destinations", self.destination_count
            ) % {"what": text, "count": count_text(self.destination_count)}
        if self.without_destination:
            text += "; " + ngettext(
                "%(count)s item without a destination",
                "%(count)s items without a destination",
                self.without_destination,
            ) % {"count": count_text(self.without_destination)}
        return text

    @property
    def not_kept(self) -> int:
        """Destinations counted in the totals but not listed (past MAX_DESTINATIONS)."""
        return max(self.destination_count - self.kept, 0)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def landing_report(*, job: ImportJob, user, page: int | str | None = 1, page_size: int = PAGE_SIZE) -> LandingReport:
    """What the job's valid rows will make, per destination: one page of the destinations the
    check kept (their names and roles as `user` may see them now: a relation he may not see is
    shown by its number), the totals, and what the creation profile makes."""
    stored = job.landing
    destinations = stored_destinations(stored)
    pages = max((len(destinations) + page_size - 1) // page_size, 1)
    try:
        page = min(max(int(page or 1), 1), pages)
    except (TypeError, ValueError):
        page = 1
    shown = destinations[(page - 1) * page_size : page * page_size]
    report = LandingReport(
        items=stored_count(stored, "items"),
        files=stored_count(stored, "files"),
        bytes=stored_count(stored, "bytes"),
        destination_count=stored_count(stored, "destination_count"),
        without_destination=stored_count(stored, "without_destination"),
        kept=len(destinations),
        rows=_destination_rows(shown, user),
        page=page,
        pages=pages,
    )
    report.profile = profile_lines(job, report.items)
    return report


def _destination_rows(destinations: list[Destination], user) -> list[DestinationRow]:
    numbers = [d.number for d in destinations]
    if not numbers:
        return []
    names = dict(Relation.objects.visible_to(user).filter(number__in=numbers).values_list("number", "name"))
    roles: dict[str, list[str]] = {}
    for code, model in ROLE_MODELS.items():  # one query a role, however many destinations
        for number in model.objects.filter(relation__number__in=names).values_list("relation__number", flat=True):
            roles.setdefault(number, []).append(str(ROLE_LABELS[code]))
    return [
        DestinationRow(
            number=d.number,
            name=names.get(d.number, ""),
            roles=tuple(roles.get(d.number, ())),
            items=d.items,
            files=d.files,
            bytes=d.bytes,
        )
        for d in destinations
    ]


def profile_lines(job: ImportJob, items: int) -> list[ProfileLine]:
    """R21: the documents and review tasks the job's creation profile makes for `items` items:
    how many of each, from which template, for which reviewers. None without a profile."""
    profile = job.creation_profile
    if profile is None or not items:
        return []
    lines = []
    if profile.document_template_id:
        template = profile.document_template
        lines.append(
            ProfileLine(
                "documents",
                items,
                ngettext(
                    "%(count)s document from template %(template)s, one on each item",
                    "%(count)s documents from template %(template)s, one on each item",
                    items,
                )
                % {"count": count_text(items), "template": template.name},
            )
        )
    if profile.review_profile_id:
        reviewers = sorted(user.get_username() for user in profile.review_profile.reviewers.all())
        count = items * len(reviewers)
        if reviewers:
            text = ngettext(
                "%(count)s review task (review profile %(profile)s) for %(reviewers)s",
                "%(count)s review tasks (review profile %(profile)s) for %(reviewers)s",
                count,
            ) % {"count": count_text(count), "profile": profile.review_profile.name, "reviewers": ", ".join(reviewers)}
        else:
            text = _("No review tasks: review profile %(profile)s has no reviewers.") % {
                "profile": profile.review_profile.name
            }
        lines.append(ProfileLine("review_tasks", count, text))
    return lines


# --- files no row uses ----------------------------------------------------------------------


@dataclass(frozen=True)
class FileChoice:
    choice: str  # LEAVE or ADD
    relation: str = ""
    subject: str = ""


@dataclass(frozen=True)
class UnusedFile:
    """A file of the ZIP that no row uses, the destination its name suggests, and the user's
    decision so far ("" when he made none)."""

    index: int
    name: str
    size: int
    number: str  # the number its name starts with, as written
    subject: str
    suggestion: str  # the relation number it is taken for ("" when none is found)
    suggestion_label: str
    decided: str

    @property
    def size_text(self) -> str:
        return size_text(self.size)


@dataclass
class UnusedFiles:
    files: list[UnusedFile]
    count: int  # every file no row uses, listed or not
    bytes: int
    undecided: int
    can_add: bool  # the mapping lets a file become a row (imports.pipeline.landing.can_add_rows)
    others_left_out: bool = False  # "leave out every file not listed" chosen

    @property
    def not_listed(self) -> int:
        return max(self.count - len(self.files), 0)

    @property
    def size(self) -> str:
        return size_text(self.bytes)


def unused_file_rows(*, job: ImportJob, user) -> UnusedFiles:
    """The files of the ZIP no row uses (as far as the job lists them), each with the relation
    its name's number names among those `user` may see (a relation number, or a role number
    resolved to its relation, dossier.resolving) and his decision so far."""
    stored = job.unused_files if isinstance(job.unused_files, dict) else {}
    entries = [e for e in stored.get("files") or () if isinstance(e, dict) and isinstance(e.get("name"), str)]
    choices = job.file_choices if isinstance(job.file_choices, dict) else {}
    parts = [name_parts(entry["name"]) for entry in entries]
    found = _relations_for({number for number, _subject in parts if number}, user)
    files = []
    for index, (entry, (number, subject)) in enumerate(zip(entries, parts, strict=True)):
        relation = found.get(number)
        choice = choices.get(entry["name"])
        decided = choice.get("choice", "") if isinstance(choice, dict) else ""
        files.append(
            UnusedFile(
                index=index,
                name=entry["name"],
                size=entry.get("size") if isinstance(entry.get("size"), int) else 0,
                number=number,
                subject=subject,
                suggestion=relation[0] if relation else "",
                suggestion_label=relation[1] if relation else "",
                decided=decided,
            )
        )
    return UnusedFiles(
        files=files,
        count=stored_count(stored, "count"),
        bytes=stored_count(stored, "bytes"),
        undecided=job.undecided_files,
        can_add=bool(job.headers) and _can_add(job),
        others_left_out=choices.get(ALL_OTHERS) == LEAVE,
    )


def _can_add(job: ImportJob) -> bool:
    try:
        return can_add_rows(job.headers, job.mapping)
    except ValueError:
        return False


def _relations_for(numbers: set[str], user) -> dict[str, tuple[str, str]]:
    """Number in a file's name -> (relation number, label): a relation number the user may
    see, else a role number's relation (R19: resolve_relations)."""
    if not numbers:
        return {}
    found = {
        number: (number, f"{number} {name}")
        for number, name in Relation.objects.visible_to(user).filter(number__in=numbers).values_list("number", "name")
    }
    rest = numbers - found.keys()
    if rest:
        for raw, resolution in resolve_relations(sorted(rest), user=user).items():
            if resolution.suggestion:
                candidate = next(c for c in resolution.candidates if c.number == resolution.suggestion)
                found[raw] = (candidate.number, f"{candidate.number} {candidate.name}")
    return found


def choose_files(*, job: ImportJob, user, choices: Mapping[str, FileChoice], others: str = "") -> tuple[int, list[str]]:
    """Keep the user's decisions for files no row uses: "leave out" (the file is not stored;
    recorded, so that no file is dropped unasked), or "add a row" with a relation number he
    may see (and a subject). `others` LEAVE: every file not listed is left out too. Returns
    how many files are added as rows (the job must then be checked again) and the sentences
    of the choices refused (an unknown relation number; a mapping that cannot take a row)."""
    listed = {entry.name: entry for entry in unused_file_rows(job=job, user=user).files}
    kept = dict(job.file_choices) if isinstance(job.file_choices, dict) else {}
    refused: list[str] = []
    wanted = {c.relation for c in choices.values() if c.choice == ADD and c.relation}
    visible = set(Relation.objects.visible_to(user).filter(number__in=wanted).values_list("number", flat=True))
    can_add = _can_add(job)
    added = 0
    for name, choice in choices.items():
        if name not in listed:
            continue
        if choice.choice == LEAVE:
            kept[name] = {"choice": LEAVE}
        elif choice.choice == ADD:
            if not can_add:
                refused.append(
                    _(
                        "'%(name)s' cannot be added as a row: map the attachment to a column and the organisation/person to a column or a fixed value first."
                    )
                    % {"name": name}
                )
            elif choice.relation not in visible:
                refused.append(
                    _("'%(name)s': %(number)s is no relation number you may use; give an existing one.")
                    % {"name": name, "number": choice.relation or "—"}
                )
            else:
                kept[name] = {"choice": ADD, "relation": choice.relation, "subject": choice.subject[:255]}
                added += 1
    if others == LEAVE:
        kept[ALL_OTHERS] = LEAVE
    job.file_choices = kept
    job.save(update_fields=["file_choices"])
    return added, refused
