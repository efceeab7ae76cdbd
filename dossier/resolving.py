"""Destinations a file names that are no relation number or contact id, resolved per distinct
value to the existing relations (or contacts) they may mean. Nothing is created: the user
chooses among what exists, and the import remembers the choice in its mapping.

    found = resolve_relations(["D20004", "Jansen BV", "99999"], user=user)
    found["D20004"].suggestion          # "20004": the debtor number's relation, one click
    found["Jansen BV"].candidates       # relations named like it, the closest first
    resolve_contacts(["Piet Jansen"], user=user, relations={"Piet Jansen": "20004"})

The evidence for a value is, in this order:
1. a role number (employee, debtor, creditor, applicant number: "D20004", also in another
   case) -> the relation that holds the role (R19);
2. a code that is no role number (digits in one word: '99999', 'E0003') -> nothing: a code
   is never looked up as a name;
3. any other text -> relations whose name holds the text or one of its words, ranked by how
   close the name (with or without its place) is. For contacts: the contacts whose person
   has that relation number or a name like it, within the row's relation when it is known.
A suggestion is made only when exactly one strong candidate exists (the role's relation, or
one name that is the same as the value once case, accents, punctuation and the legal form
are left out) and it is active. Candidates come only from the relations the user may see
(`Relation.objects.visible_to`). The queries are bounded and do not grow with the values:
one per role over all numbers (in chunks of QUERY_CHUNK), two per NAME_CHUNK names, each
with a LIMIT.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import batched

from django.db.models import Q
from django.utils.translation import gettext as _

from dossier.models import ROLE_MODELS, Contact, Relation
from dossier.spec import ROLE_NUMBER_LABELS
from dossier.values import quoted
from spreadsheets.messages import N_, Message

MAX_CANDIDATES = 5  # shown per value
NAME_CHUNK = 50  # names per search query
NAME_SCAN = 500  # rows a search query reads, before they are ranked per name
MAX_NAMES = 200  # distinct names searched per call (as many as a check keeps); others: none
QUERY_CHUNK = 900  # numbers per IN (...) query
CLOSE_ENOUGH = 0.6  # a name this close (difflib ratio) is a candidate
STRONG = 0.9  # ... and this close, the only one, a suggestion
NAME_MAX_LENGTH = Relation._meta.get_field("name").max_length
LEGAL_FORMS = frozenset({"bv", "nv", "vof", "cv", "bvba", "ltd", "gmbh", "inc", "sa", "stichting"})


class Evidence(StrEnum):
    ROLE_NUMBER = "role_number"
    NAME = "name"
    CONTACT = "contact"
    NONE = "none"


KIND_LABELS = {Relation.Kind.ORGANISATION: N_("organisation"), Relation.Kind.PERSON: N_("person")}


@dataclass(frozen=True)
class Candidate:
    """An existing relation (or contact) a value may mean. `number` is what the import takes:
    the relation number, or the contact id."""

    number: str
    name: str
    city: str = ""
    kind: str = ""  # Relation.Kind, or "contact"
    is_active: bool = True
    blocked: bool = False  # AFAS's geblokkeerd: an item on it is refused (spec.blocked_relation_message)
    organisation: str = ""  # a contact's organisation: "20004 Jansen BV"
    exact: bool = False

    @property
    def label(self) -> str:
        """'20004 Jansen BV, Utrecht (organisation)', in the reader's language; a contact
        '30001 Piet Jansen at 20004 Jansen BV (contact)'. A blocked or inactive one says so."""
        if self.kind == "contact":
            text = _("%(number)s %(name)s at %(organisation)s (contact)") % {
                "number": self.number,
                "name": self.name,
                "organisation": self.organisation,
            }
        else:
            params = {"number": self.number, "name": self.name, "kind": str(KIND_LABELS.get(self.kind, self.kind))}
            text = (
                _("%(number)s %(name)s, %(city)s (%(kind)s)") % {**params, "city": self.city}
                if self.city
                else _("%(number)s %(name)s (%(kind)s)") % params
            )
        if self.blocked:
            return _("%(candidate)s: blocked") % {"candidate": text}
        return text if self.is_active else _("%(candidate)s: inactive") % {"candidate": text}

    @property
    def warning(self) -> Message | None:
        """Why this candidate asks for care (blocked, inactive), or None."""
        if self.blocked:
            if self.kind == "contact":
                return N_(
                    "Contact %(number)s is of blocked organisation %(organisation)s: its rows stay invalid until an administrator unblocks it."
                ) % {"number": self.number, "organisation": self.organisation}
            return N_(
                "Relation %(number)s %(name)s is blocked: its rows stay invalid until an administrator unblocks it."
            ) % {"number": self.number, "name": self.name}
        if self.is_active:
            return None
        if self.kind == "contact":
            return N_("Contact %(number)s is inactive (its person or organisation): check that it is meant.") % {
                "number": self.number
            }
        return N_("Relation %(number)s %(name)s is inactive: check that it is meant.") % {
            "number": self.number,
            "name": self.name,
        }


@dataclass(frozen=True)
class Resolution:
    """What one distinct value may mean: the evidence, the candidates (closest first, at most
    MAX_CANDIDATES; `more` when there were more) and the suggestion (a candidate's number)."""

    raw: str
    evidence: Evidence
    candidates: tuple[Candidate, ...] = ()
    role: str | None = None  # Evidence.ROLE_NUMBER: the role code of ROLE_MODELS
    more: bool = False
    suggestion: str | None = None
    for_contact: bool = field(default=False, repr=False)

    @property
    def explanation(self) -> Message:
        """One sentence on what the value was taken for, in the reader's language."""
        key = quoted(self.raw)
        if self.evidence == Evidence.ROLE_NUMBER and self.candidates:
            holder = self.candidates[0]
            return N_("%(key)s is the %(role)s of %(name)s: relation number %(number)s.") % {
                "key": key,
                "role": ROLE_NUMBER_LABELS[self.role],
                "name": holder.name,
                "number": holder.number,
            }
        if self.evidence == Evidence.CONTACT and self.candidates:
            return N_("Contacts whose person has the number or a name like %(key)s: choose one.") % {"key": key}
        if self.evidence == Evidence.NAME and self.candidates:
            return N_("Relations with a name like %(key)s: choose one.") % {"key": key}
        if self.for_contact:
            return N_("No contact you may see has an id, person number or name like %(key)s.") % {"key": key}
        return N_("No relation you may see has a number, role number or name like %(key)s.") % {"key": key}


def normalised(text: str) -> str:
    """A name as names are compared: without accents, case, punctuation and legal form
    ('Jansen B.V.' and 'jansen bv' -> 'jansen')."""
    words = _words(text)
    kept = [word for word in words if word not in LEGAL_FORMS] or words
    return " ".join(kept)


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()
    plain = plain.replace(".", "")  # B.V. -> bv
    return re.findall(r"[0-9a-z]+", plain)


def _search_words(raw: str) -> list[str]:
    """The words of a value worth an icontains search: the longest three of 3+ letters."""
    words = {word for word in re.findall(r"\w+", raw) if len(word) >= 3 and word.casefold() not in LEGAL_FORMS}
    return sorted(words, key=len, reverse=True)[:3]


def _closeness(raw: str, name: str, city: str) -> tuple[bool, float]:
    """(the same name, how close) of a value to a name, with or without its place."""
    value = normalised(raw)
    names = [normalised(name)]
    if city:
        names += [normalised(f"{name} {city}"), normalised(f"{name}, {city}")]
    if value in names:
        return True, 1.0
    best = max(difflib.SequenceMatcher(None, value, candidate).ratio() for candidate in names)
    if value and value in names[0]:  # the value is part of the name: 'Jansen' for 'Jansen Bouw'
        best = max(best, CLOSE_ENOUGH)
    return False, best


def _relation_candidate(relation: Relation, *, exact: bool = False) -> Candidate:
    return Candidate(
        number=relation.number,
        name=relation.name,
        city=relation.city,
        kind=relation.kind,
        is_active=relation.is_active,
        blocked=relation.blocked,
        exact=exact,
    )


def _contact_candidate(contact: Contact, *, exact: bool = False) -> Candidate:
    return Candidate(
        number=contact.contact_id,
        name=contact.person.name,
        city=contact.person.city,
        kind="contact",
        is_active=contact.person.is_active and contact.organisation.is_active,
        blocked=contact.organisation.blocked,
        organisation=f"{contact.organisation.number} {contact.organisation.name}",
        exact=exact,
    )


def _suggestion(candidates: list[Candidate], scores: dict[str, float] | None = None) -> str | None:
    """The one strong candidate's number: the only exact one, else the only one at least
    STRONG close; never an inactive or blocked one."""
    exact = [c for c in candidates if c.exact]
    strong = exact or [c for c in candidates if scores and scores.get(c.number, 0) >= STRONG]
    if len(strong) == 1 and strong[0].is_active and not strong[0].blocked:
        return strong[0].number
    return None


def _ranked(found: Iterable, raw: str, make) -> tuple[list[Candidate], dict[str, float], bool]:
    """Candidates of the rows found, closest first; a row too far from the value is dropped."""
    scored = []
    for row, name, city in found:
        exact, score = _closeness(raw, name, city)
        if exact or score >= CLOSE_ENOUGH:
            scored.append((not exact, -score, row, exact, score))
    scored.sort(key=lambda entry: entry[:2])
    candidates = [make(row, exact=exact) for _e, _s, row, exact, _score in scored]
    scores = {candidate.number: -entry[1] for candidate, entry in zip(candidates, scored, strict=True)}
    return candidates[:MAX_CANDIDATES], scores, len(candidates) > MAX_CANDIDATES


def role_holders(numbers: Iterable[str], *, user) -> dict[str, tuple[str, Relation]]:
    """Role number -> (role, relation) for the numbers that are role numbers of relations
    the user may see, also in another case ('d20004' is debtor D20004). One query per role
    per chunk of numbers."""
    wanted: dict[str, str] = {}
    for number in numbers:
        for variant in {number, number.upper()}:
            wanted.setdefault(variant, number)
    found: dict[str, tuple[str, Relation]] = {}
    visible = Relation.objects.visible_to(user)
    if not wanted or visible.query.is_empty():
        return found
    for role, model in ROLE_MODELS.items():
        for chunk in batched(sorted(wanted), QUERY_CHUNK):
            holders = model.objects.filter(number__in=chunk).select_related("relation")
            for holder in holders.filter(relation__in=visible):
                found.setdefault(wanted[holder.number], (role, holder.relation))
    return found


def _is_name(raw: str) -> bool:
    """Is the value searched as a name? Not a code: digits in one word ('99999', 'E0003',
    'KL-2025'); a name with a number has a space ('Bouw 2000 BV'). Nor a text longer than
    any relation's name."""
    if len(raw) > NAME_MAX_LENGTH:
        return False
    return not (any(char.isdigit() for char in raw) and not any(char.isspace() for char in raw))


def _name_matches(queryset, raws: list[str], path: str) -> dict[str, list]:
    """Per value, the rows whose name (at `path`) holds the value or one of its words. Two
    queries per NAME_CHUNK values, each reading at most NAME_SCAN rows: the whole values
    first, so that a word many names share cannot push a value's own name out."""
    found: dict[str, dict] = {raw: {} for raw in raws}
    for chunk in batched(raws, NAME_CHUNK):
        words = {raw: [raw.casefold(), *(word.casefold() for word in _search_words(raw))] for raw in chunk}
        whole, parts = Q(), Q()
        for raw in chunk:
            whole |= Q(**{f"{path}__icontains": raw})
            for word in _search_words(raw):
                parts |= Q(**{f"{path}__icontains": word})
        for condition in (whole, parts):
            if not condition:
                continue
            for row in queryset.filter(condition)[:NAME_SCAN]:
                name = _name_at(row, path).casefold()
                for raw in chunk:
                    if any(word in name for word in words[raw]):
                        found[raw][row.pk] = row
    return {raw: list(rows.values()) for raw, rows in found.items()}


def _name_at(row, path: str) -> str:
    for part in path.split("__"):
        row = getattr(row, part)
    return row


def resolve_relations(raws: Iterable[str], *, user) -> dict[str, Resolution]:
    """Per distinct value that is no relation number: its evidence, candidates and
    suggestion, among the relations `user` may see."""
    raws = list(dict.fromkeys(raw for raw in raws if raw))
    holders = role_holders(raws, user=user)
    visible = Relation.objects.visible_to(user)
    names = [raw for raw in raws if raw not in holders and _is_name(raw)][:MAX_NAMES]
    matches = _name_matches(visible.order_by("number"), names, "name") if names else {}
    resolutions: dict[str, Resolution] = {}
    for raw in raws:
        if raw in holders:
            role, relation = holders[raw]
            candidate = _relation_candidate(relation, exact=True)
            resolutions[raw] = Resolution(
                raw, Evidence.ROLE_NUMBER, (candidate,), role=role, suggestion=_suggestion([candidate])
            )
            continue
        found = matches.get(raw, [])
        candidates, scores, more = _ranked(((r, r.name, r.city) for r in found), raw, _relation_candidate)
        evidence = Evidence.NAME if candidates else Evidence.NONE
        resolutions[raw] = Resolution(
            raw, evidence, tuple(candidates), more=more, suggestion=_suggestion(candidates, scores)
        )
    return resolutions


def resolve_contacts(raws: Iterable[str], *, user, relations: Mapping[str, str] | None = None) -> dict[str, Resolution]:
    """Per distinct value that is no contact id: the contacts it may mean, by the number or
    the name of the contact's person, within the relation (number) `relations` gives for the
    value when its rows name one; among the relations `user` may see."""
    raws = list(dict.fromkeys(raw for raw in raws if raw))
    relations = relations or {}
    visible = Relation.objects.visible_to(user)
    if not raws or visible.query.is_empty():
        return {raw: Resolution(raw, Evidence.NONE, for_contact=True) for raw in raws}
    contacts = (
        Contact.objects.filter(organisation__in=visible, person__in=visible)
        .select_related("organisation", "person")
        .order_by("contact_id")
    )
    numbers = [raw for raw in raws if raw.isdigit()]
    by_number: dict[str, list[Contact]] = {}
    for chunk in batched(numbers, QUERY_CHUNK):
        for contact in contacts.filter(person__number__in=chunk)[: NAME_SCAN * 2]:
            by_number.setdefault(contact.person.number, []).append(contact)
    names = [raw for raw in raws if _is_name(raw)][:MAX_NAMES]
    by_name = _name_matches(contacts, names, "person__name") if names else {}
    resolutions: dict[str, Resolution] = {}
    for raw in raws:
        number = relations.get(raw)
        found = by_number.get(raw, []) if raw.isdigit() else by_name.get(raw, [])
        if number:
            found = [c for c in found if number in (c.organisation.number, c.person.number)]
        if raw.isdigit():
            candidates = [_contact_candidate(contact, exact=True) for contact in found]
            more, scores = len(candidates) > MAX_CANDIDATES, None
            candidates = candidates[:MAX_CANDIDATES]
        else:
            candidates, scores, more = _ranked(
                ((c, c.person.name, c.person.city) for c in found), raw, _contact_candidate
            )
        resolutions[raw] = Resolution(
            raw,
            Evidence.CONTACT if candidates else Evidence.NONE,
            tuple(candidates),
            more=more,
            suggestion=_suggestion(candidates, scores),
            for_contact=True,
        )
    return resolutions
