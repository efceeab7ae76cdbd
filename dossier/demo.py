"""The demo world of `manage.py seed_demo`, as code.

The table "The demo world" in docs/design.md is a contract: the wizard demo, the e2e tests
and the benchmarks rely on its numbers, codes and user names. Extend the world freely, but
never renumber or rename what is there.

Everything is written on natural keys (relation number, contact id, codes, user names), so a
second run finds every row in place and writes nothing: `seed_demo_world()` returns how many
rows it wrote under "written", which is 0 on a rerun. Nothing depends on randomness or on
the clock, except the timestamps Django fills in itself (created_at, started_at) on rows
made by the first run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import models, transaction

from accounts.models import User
from dossier.models import (
    Applicant,
    Characteristic,
    CharacteristicCombination,
    CharacteristicValue,
    Contact,
    Course,
    CreationProfile,
    CreationProfileField,
    DocumentTemplate,
    DossierItem,
    Employee,
    FieldState,
    FreeField,
    ItemType,
    Project,
    PurchaseRelation,
    Relation,
    ReviewProfile,
    SalesRelation,
    Workflow,
    WorkflowAction,
    WorkflowTask,
)
from dossier.services import create_item
from dossier.spec import ItemSpec

HIDDEN, OPTIONAL, REQUIRED, ONE_OF = FieldState.HIDDEN, FieldState.OPTIONAL, FieldState.REQUIRED, FieldState.ONE_OF
DEMO_TZ = ZoneInfo("Europe/Amsterdam")

# --- the contract (docs/design.md, "The demo world") ---------------------------------------

PERSONS = range(10001, 10151)
EMPLOYEES = range(10001, 10081)  # employee number E0001 .. E0080
APPLICANTS = range(10081, 10101)  # applicant number A0081 .. A0100
ORGANISATIONS = range(20001, 20041)
SALES_RELATIONS = range(20001, 20031)  # debtor number D20001 .. D20030
PURCHASE_RELATIONS = range(20031, 20041)  # creditor number C20031 .. C20040
CONTACTS = range(30001, 30041)  # contact 300NN: person 100NN at organisation 200NN


def employee_number(relation_number: int) -> str:
    return f"E{relation_number - 10000:04d}"


def applicant_number(relation_number: int) -> str:
    return f"A{relation_number - 10000:04d}"


def debtor_number(relation_number: int) -> str:
    return f"D{relation_number}"


def creditor_number(relation_number: int) -> str:
    return f"C{relation_number}"


PROJECTS = {
    "PRJ-001": "Nieuwbouw hoofdkantoor",
    "PRJ-002": "Migratie ERP",
    "PRJ-003": "Klanttevredenheid 2025",
    "PRJ-004": "Duurzaam wagenpark",
    "PRJ-005": "Thuiswerkbeleid",
    "PRJ-006": "Website vernieuwen",
    "PRJ-007": "Inkoopoptimalisatie",
    "PRJ-008": "Opleidingsplan",
    "PRJ-009": "Verhuizing magazijn",
    "PRJ-010": "Jubileum 25 jaar",
}
COURSES = {
    "CRS-01": "Excel voor gevorderden",
    "CRS-02": "Leidinggeven in de praktijk",
    "CRS-03": "BHV herhaling",
    "CRS-04": "Klantgericht communiceren",
    "CRS-05": "Timemanagement",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    is_superuser: bool
    insite: bool
    profit: bool
    types: tuple[str, ...] | None  # None: every type
    description: str
    permissions: tuple[str, ...] = ()  # "app_label.codename", besides the staff group's

    @property
    def email(self) -> str:
        return f"{self.username}@example.org"


STAFF_GROUP = "Dossierbeheer"
# Exporting master data is a permission of its own (docs/security.md), not part of the group.
EXPORT_MASTER_DATA = "dossier.export_master_data"
DEMO_USERS = (
    DemoUser(
        "admin", "Anna", "de Beheerder", True, True, True, None, "superuser; InSite and Profit rights; every type"
    ),
    DemoUser(
        "importeur",
        "Ivo",
        "Importeur",
        False,
        True,
        False,
        ("SOLL", "CORR", "CONTR", "KLACHT", "CURSUS"),
        "InSite rights; SOLL, CORR, CONTR, KLACHT, CURSUS; may export master data",
        # He prepares import files, which name relations, contacts and roles by number.
        (EXPORT_MASTER_DATA,),
    ),
    DemoUser("profit", "Petra", "Profit", False, False, True, ("CORR",), "Profit rights; CORR"),
    DemoUser(
        "zonderrechten", "Zeger", "Zonderrechten", False, False, False, (), "no InSite or Profit rights; no types"
    ),
)
# What the staff group may see in the admin-style pages; imports may also be started.
STAFF_PERMISSIONS = {
    "dossier": [
        f"view_{model}"
        for model in (
            "relation",
            "contact",
            "employee",
            "salesrelation",
            "purchaserelation",
            "applicant",
            "project",
            "course",
            "itemtype",
            "dossieritem",
            "attachment",
            "reaction",
            "creationprofile",
        )
    ],
    "imports": ["view_importjob", "add_importjob"],
}

# --- names (fixed lists, combined by index, so every run yields the same names) -------------

FIRST_NAMES = (
    "Anouk", "Bram", "Carla", "Daan", "Eva", "Floris", "Gerda", "Hugo", "Ilse", "Joris",
    "Karin", "Lars", "Marit", "Niels", "Olga", "Pieter", "Quinten", "Roos", "Sander", "Tessa",
    "Ugo", "Vera", "Willem", "Xandra", "Yvonne", "Zeno", "Amber", "Bart", "Chantal", "Dirk",
)  # fmt: skip
LAST_NAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot",
    "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra",
    "Smits", "de Graaf", "van der Meer", "van den Berg", "Kok", "Jacobs", "Vermeulen",
)  # fmt: skip
# 30 first names x 25 last names: index i gives a unique pair for every i below lcm = 150.
ORGANISATION_WORDS = ("Noorder", "Zuider", "Ooster", "Wester", "Midden", "Hoog", "Laag", "Groot")
ORGANISATION_TRADES = ("Bouw", "Techniek", "Advies", "Logistiek", "Zorg")
# 8 x 5 = 40 organisations, each name unique.
CITIES = (
    "Amsterdam",
    "Utrecht",
    "Rotterdam",
    "Leeuwarden",
    "Zwolle",
    "Arnhem",
    "Eindhoven",
    "Groningen",
    "Breda",
    "Delft",
)
CONTACT_FUNCTIONS = ("Inkoper", "Directeur", "Office manager", "Projectleider", "Administrateur")


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def person_name(number: int) -> tuple[str, str]:
    index = number - PERSONS.start
    return FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[index % len(LAST_NAMES)]


def organisation_name(number: int) -> str:
    index = number - ORGANISATIONS.start
    return f"{ORGANISATION_WORDS[index % 8]}{ORGANISATION_TRADES[index % 5].lower()} B.V."


# --- item types ------------------------------------------------------------------------------

# Every configurable setting of a type, switched off; each type below states what differs,
# so a rerun also resets a setting someone changed by hand.
_TYPE_BASE: dict[str, Any] = {
    "is_active": True,
    "confidential": False,
    "has_subject": True,
    "has_text": True,
    "has_begin_date": False,
    "has_end_date": False,
    "has_done": False,
    "has_responsible": False,
    "responsible_required": False,
    "submitter_is_default_responsible": False,
    "has_cause": False,
    "has_priority": False,
    "attach_file": False,
    "outgoing_post_choice": False,
    "relation_state": HIDDEN,
    "contact_state": HIDDEN,
    "regarding_relation_state": HIDDEN,
    "regarding_employee_state": HIDDEN,
    "regarding_sales_state": HIDDEN,
    "regarding_purchase_state": HIDDEN,
    "regarding_applicant_state": HIDDEN,
    "project_state": HIDDEN,
    "course_state": HIDDEN,
    "use_characteristics": False,
    "only_existing_combinations": False,
    "allow_without_characteristics": True,
    "characteristic_1": None,
    "characteristic_2": None,
    "characteristic_3": None,
}
ITEM_TYPES: dict[str, dict[str, Any]] = {
    "SOLL": {
        "name": "Documenten (sollicitatie)",
        "kind": ItemType.Kind.SYSTEM,
        "attach_file": True,
        "relation_state": REQUIRED,
        "regarding_employee_state": REQUIRED,
    },
    "CORR": {
        "name": "Correspondentie",
        "kind": ItemType.Kind.SYSTEM,
        "attach_file": True,
        "outgoing_post_choice": True,
        "relation_state": REQUIRED,
        "contact_state": OPTIONAL,
        "use_characteristics": True,
        "characteristic_1": "RICHTING",
        "allow_without_characteristics": True,
    },
    "CONTR": {
        "name": "Contract",
        "kind": ItemType.Kind.OWN,
        "confidential": True,
        "has_begin_date": True,
        "has_end_date": True,
        "attach_file": True,  # the generated contract, and later the signed copy
        "relation_state": REQUIRED,
        "regarding_employee_state": REQUIRED,
    },
    "KLACHT": {
        "name": "Klacht",
        "kind": ItemType.Kind.OWN,
        "has_done": True,
        "has_responsible": True,
        "has_priority": True,
        "relation_state": REQUIRED,
        "contact_state": OPTIONAL,
        "regarding_sales_state": REQUIRED,
        "project_state": OPTIONAL,
        "use_characteristics": True,
        "characteristic_1": "ERNST",
        "allow_without_characteristics": False,  # every complaint has a severity
    },
    "CURSUS": {
        "name": "Cursusevaluatie",
        "kind": ItemType.Kind.SYSTEM,
        "has_begin_date": True,
        "has_end_date": True,
        "relation_state": ONE_OF,
        "contact_state": ONE_OF,
        "course_state": REQUIRED,
        "project_state": HIDDEN,
    },
    "MEMO": {
        "name": "Interne memo",
        "kind": ItemType.Kind.OWN,
        # No destination at all (R5): every destination, role and extra stays hidden.
    },
}
CHARACTERISTICS = {
    "RICHTING": ("Richting", {"IN": "Inkomend", "UIT": "Uitgaand"}),
    "ERNST": ("Ernst", {"LAAG": "Laag", "MIDDEN": "Midden", "HOOG": "Hoog"}),
}
# (type, value code of level 1, workflow code or None)
COMBINATIONS = (
    ("KLACHT", "LAAG", None),
    ("KLACHT", "MIDDEN", None),
    ("KLACHT", "HOOG", "ESCALATIE"),
)
ESCALATION = {
    "code": "ESCALATIE",
    "name": "Escalatie",
    # task code: (name, position, is start, [(action code, action name, next task code or None)])
    "tasks": {
        "BEOORDELEN": (
            "Klacht beoordelen",
            1,
            True,
            [("DOORZETTEN", "Doorzetten", "OPLOSSEN"), ("AFWIJZEN", "Afwijzen", None)],
        ),
        "OPLOSSEN": ("Klacht oplossen", 2, False, [("OPGELOST", "Opgelost", "TERUGKOPPELEN")]),
        "TERUGKOPPELEN": ("Klant informeren", 3, False, [("AFRONDEN", "Afronden", None)]),
    },
}
CONTRACT_FREE_FIELDS = (
    # code, label, kind, required, choices
    ("Salaris", "Salaris", FreeField.Kind.DECIMAL, True, ""),
    ("Ingangsdatum", "Ingangsdatum", FreeField.Kind.DATE, True, ""),
    ("Functie", "Functie", FreeField.Kind.TEXT, False, ""),
    ("Proeftijd", "Proeftijd", FreeField.Kind.BOOLEAN, False, ""),
    ("Soort_contract", "Soort contract", FreeField.Kind.CHOICE, False, "VAST=Vast\nTIJDELIJK=Tijdelijk"),
)
# importeur reviews contracts too, so "my review tasks" has content for a user who is no superuser.
REVIEW_PROFILE = {
    "code": "CONTRACT",
    "name": "Contractbeoordeling",
    "days_to_review": 5,
    "reviewers": ("admin", "importeur"),
}
DOCUMENT_TEMPLATE = {
    "code": "CONTRACT",
    "name": "Arbeidsovereenkomst",
    "output_name": "{relation}-contract-{number}.docx",  # starts with the relation number (R25)
    "file_name": "demo-arbeidsovereenkomst.docx",
}
CONTRACT_PROFILE = {"code": "NIEUW", "name": "Nieuw contract"}
# The page of profile NIEUW: field code, setting, default. Regarding employee is set by the
# rules (required), so it is no field on the page.
CONTRACT_PAGE = (
    ("relation", "", ""),
    ("subject", "", "Arbeidsovereenkomst"),
    ("free_Functie", CreationProfileField.Setting.REQUIRED, ""),
    ("free_Soort_contract", "", "TIJDELIJK"),
    ("free_Salaris", "", ""),
    ("free_Ingangsdatum", "", ""),
    ("begin_date", "", ""),
    ("end_date", "", ""),
    ("free_Proeftijd", "", "ja"),
    ("text", "", ""),
)


def _at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A fixed submit moment in January 2025, Amsterdam time."""
    return dt.datetime(2025, 1, day, hour, minute, tzinfo=DEMO_TZ)


# Items made once, when their type has none yet: (submitter, submitted at, values by field
# code; relations by number, contacts by id, characteristic values and projects by code).
DEMO_ITEMS: dict[str, tuple[tuple[str, dt.datetime, dict[str, Any]], ...]] = {
    "CORR": (
        ("admin", _at(6, 9, 15), {"relation": "20001", "contact": "30001", "characteristic_1": "IN", "subject": "Offerteaanvraag kantoorinrichting", "text": "Aanvraag per post ontvangen."}),
        ("admin", _at(7, 14, 0), {"relation": "20001", "contact": "30001", "characteristic_1": "UIT", "subject": "Offerte kantoorinrichting", "text": "Offerte 2025-014 verstuurd."}),
        ("importeur", _at(8, 10, 30), {"relation": "10005", "subject": "Adreswijziging", "text": "Nieuw adres doorgegeven."}),
        ("importeur", _at(9, 11, 45), {"relation": "20032", "characteristic_1": "IN", "subject": "Factuur december", "text": ""}),
    ),
    "KLACHT": (
        ("importeur", _at(13, 8, 50), {"relation": "20003", "contact": "30003", "characteristic_1": "LAAG", "subject": "Levering een dag te laat", "responsible": "importeur", "done": True, "done_date": dt.date(2025, 1, 15)}),
        ("importeur", _at(14, 16, 5), {"relation": "20004", "characteristic_1": "MIDDEN", "subject": "Factuur onjuist", "text": "Korting niet verwerkt.", "priority": "normal"}),
        ("admin", _at(15, 9, 20), {"relation": "20005", "contact": "30005", "characteristic_1": "HOOG", "subject": "Installatie defect bij oplevering", "text": "Klant dreigt met juridische stappen.", "project": "PRJ-001", "priority": "high", "responsible": "admin"}),
    ),
}  # fmt: skip
# Contracts made once with creation profile NIEUW (when CONTR has none yet): each gets its
# generated document and a review task for every reviewer of CONTRACT (R21).
DEMO_CONTRACTS: tuple[tuple[str, dt.datetime, dict[str, Any]], ...] = (
    ("admin", _at(20, 10, 0), {"relation": "10002", "subject": "Arbeidsovereenkomst", "free_Functie": "Monteur", "free_Soort_contract": "TIJDELIJK", "free_Salaris": "3250.50", "free_Ingangsdatum": dt.date(2025, 2, 1), "free_Proeftijd": True}),
    ("admin", _at(21, 11, 30), {"relation": "10003", "subject": "Arbeidsovereenkomst", "free_Functie": "Planner", "free_Soort_contract": "VAST", "free_Salaris": "3890.00", "free_Ingangsdatum": dt.date(2025, 3, 1), "free_Proeftijd": False}),
)  # fmt: skip


# --- the document template -------------------------------------------------------------------

_ZIP_EPOCH = (2025, 1, 1, 0, 0, 0)


def contract_template_docx() -> bytes:
    """The .docx of template CONTRACT, byte for byte the same on every run: python-docx's
    own core properties are fixed, and the zip entries get a fixed date."""
    from docx import Document

    document = Document()
    document.add_heading("Arbeidsovereenkomst", level=1)
    for line in (
        "Contractnummer: {{ item.number }}",
        "Werknemer: {{ relation.name }} (nummer {{ relation.number }})",
        "Functie: {{ free.Functie }}",
        "Soort contract: {{ free.Soort_contract }}",
        "Salaris: € {{ free.Salaris }} bruto per maand",
        "Ingangsdatum: {{ free.Ingangsdatum }}",
        "Proeftijd: {% if free.Proeftijd %}ja{% else %}nee{% endif %}",
        "{{ item.text }}",
        "Opgemaakt op {{ today }}.",
    ):
        document.add_paragraph(line)  # one run per paragraph, so docxtpl sees whole tags
    properties = document.core_properties
    properties.author = properties.last_modified_by = "seed_demo"
    properties.title = "Arbeidsovereenkomst"
    properties.created = properties.modified = dt.datetime(2025, 1, 1)
    raw = io.BytesIO()
    document.save(raw)
    output = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return output.getvalue()


# --- writing on natural keys -----------------------------------------------------------------


def _differs(obj: models.Model, name: str, value: Any) -> bool:
    field = obj._meta.get_field(name)
    if field.is_relation and name != field.attname:
        return getattr(obj, field.attname) != (value.pk if value is not None else None)
    return getattr(obj, name) != value


class _Seeder:
    def __init__(self, stdout: TextIO | None):
        self.stdout = stdout
        self.written = 0

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message + "\n")

    def upsert(self, model: type[models.Model], lookup: dict[str, Any], defaults: dict[str, Any] | None = None):
        """update_or_create that writes only what differs (and counts what it wrote)."""
        defaults = defaults or {}
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            self.written += 1
            return model.objects.create(**lookup, **defaults)
        changed = [name for name, value in defaults.items() if _differs(obj, name, value)]
        if changed:
            for name in changed:
                setattr(obj, name, defaults[name])
            obj.save(update_fields=changed)
            self.written += 1
        return obj

    def sync(self, model: type[models.Model], key: str, rows: list[dict[str, Any]]) -> dict[Any, models.Model]:
        """Bulk upsert of many rows on the unique field `key`; returns the rows by key."""
        keys = [row[key] for row in rows]
        existing = model.objects.in_bulk(keys, field_name=key)
        new, changed, fields = [], [], set()
        for row in rows:
            obj = existing.get(row[key])
            if obj is None:
                new.append(model(**row))
                continue
            differing = [name for name, value in row.items() if _differs(obj, name, value)]
            if differing:
                for name in differing:
                    setattr(obj, name, row[name])
                changed.append(obj)
                fields.update(differing)
        model.objects.bulk_create(new, batch_size=500)
        if changed:
            model.objects.bulk_update(changed, sorted(fields), batch_size=500)
        self.written += len(new) + len(changed)
        if new or changed:
            self.say(f"{model._meta.verbose_name_plural}: {len(new)} created, {len(changed)} updated")
        return model.objects.in_bulk(keys, field_name=key)

    def set_members(self, manager, wanted: list[models.Model], among: list[models.Model] | None = None) -> None:
        """Make a many-to-many hold exactly `wanted` of the objects in `among` (default: all),
        leaving any other object alone."""
        current = set(manager.values_list("pk", flat=True))
        scope = None if among is None else {obj.pk for obj in among}
        wanted_pks = {obj.pk for obj in wanted}
        extra = {pk for pk in current - wanted_pks if scope is None or pk in scope}
        missing = wanted_pks - current
        if extra:
            manager.remove(*extra)
        if missing:
            manager.add(*missing)
        self.written += len(extra) + len(missing)

    # --- the world, step by step -----------------------------------------------------------

    def run(self) -> dict[str, int]:
        relations = self.seed_relations()
        self.seed_roles(relations)
        contacts = self.seed_contacts(relations)
        projects = self.sync(Project, "code", [{"code": c, "name": n, "is_active": True} for c, n in PROJECTS.items()])
        courses = self.sync(Course, "code", [{"code": c, "name": n, "is_active": True} for c, n in COURSES.items()])
        users = self.seed_users()
        values = self.seed_characteristics()
        workflows = {ESCALATION["code"]: self.seed_workflow(ESCALATION)}
        types = self.seed_item_types()
        self.seed_combinations(types, values, workflows)
        self.seed_contract(types["CONTR"], users)
        self.seed_authorisations(types, users)
        self.seed_contracts(types["CONTR"], relations, users)
        items = self.seed_items(types, relations, contacts, values, projects, users)
        return {
            "persons": len(PERSONS),
            "organisations": len(ORGANISATIONS),
            "employees": len(EMPLOYEES),
            "applicants": len(APPLICANTS),
            "sales_relations": len(SALES_RELATIONS),
            "purchase_relations": len(PURCHASE_RELATIONS),
            "contacts": len(CONTACTS),
            "projects": len(projects),
            "courses": len(courses),
            "item_types": len(types),
            "users": len(users),
            "items": items,
            "written": self.written,
        }

    def seed_relations(self) -> dict[str, Relation]:
        rows = []
        for number in PERSONS:
            first, last = person_name(number)
            rows.append(
                {
                    "number": str(number),
                    "kind": Relation.Kind.PERSON,
                    "name": f"{first} {last}",
                    "email": f"{_slug(first)}.{_slug(last)}@example.nl",
                    "city": CITIES[number % len(CITIES)],
                    "is_active": True,
                }
            )
        for number in ORGANISATIONS:
            name = organisation_name(number)
            rows.append(
                {
                    "number": str(number),
                    "kind": Relation.Kind.ORGANISATION,
                    "name": name,
                    "email": f"info@{_slug(name.removesuffix(' B.V.'))}.example.nl",
                    "city": CITIES[number % len(CITIES)],
                    "is_active": True,
                }
            )
        return self.sync(Relation, "number", rows)

    def seed_roles(self, relations: dict[str, Relation]) -> None:
        for model, numbers, number_of in (
            (Employee, EMPLOYEES, employee_number),
            (Applicant, APPLICANTS, applicant_number),
            (SalesRelation, SALES_RELATIONS, debtor_number),
            (PurchaseRelation, PURCHASE_RELATIONS, creditor_number),
        ):
            rows = [{"number": number_of(n), "relation_id": relations[str(n)].pk} for n in numbers]
            self.sync(model, "number", rows)

    def seed_contacts(self, relations: dict[str, Relation]) -> dict[str, Contact]:
        rows = []
        for contact_id in CONTACTS:
            nn = contact_id - CONTACTS.start
            person = relations[str(PERSONS.start + nn)]
            rows.append(
                {
                    "contact_id": str(contact_id),
                    "organisation_id": relations[str(ORGANISATIONS.start + nn)].pk,
                    "person_id": person.pk,
                    "function": CONTACT_FUNCTIONS[nn % len(CONTACT_FUNCTIONS)],
                    "email": person.email,
                }
            )
        return self.sync(Contact, "contact_id", rows)

    def seed_users(self) -> dict[str, User]:
        group = self.upsert(Group, {"name": STAFF_GROUP})
        permissions = list(
            Permission.objects.filter(
                models.Q(content_type__app_label="dossier", codename__in=STAFF_PERMISSIONS["dossier"])
                | models.Q(content_type__app_label="imports", codename__in=STAFF_PERMISSIONS["imports"])
            )
        )
        self.set_members(group.permissions, permissions)
        # The permissions demo users hold of their own (the demo manages only these).
        own = {
            f"{p.content_type.app_label}.{p.codename}": p
            for p in Permission.objects.filter(
                codename="export_master_data", content_type__app_label="dossier"
            ).select_related("content_type")
        }
        users = {}
        for demo in DEMO_USERS:
            user = self.upsert(
                User,
                {"username": demo.username},
                {
                    "first_name": demo.first_name,
                    "last_name": demo.last_name,
                    "email": demo.email,
                    "is_active": True,
                    "is_staff": True,
                    "is_superuser": demo.is_superuser,
                    "has_insite_rights": demo.insite,
                    "has_profit_rights": demo.profit,
                },
            )
            # Demo only: the password is the user name. Checked first, so a rerun does not
            # re-hash (and rewrite) a password that still works.
            if not user.has_usable_password() or not user.check_password(demo.username):
                user.set_password(demo.username)
                user.save(update_fields=["password"])
                self.written += 1
            self.set_members(user.groups, [] if demo.is_superuser else [group], among=[group])
            wanted = [own[name] for name in demo.permissions]
            self.set_members(user.user_permissions, wanted, among=list(own.values()))
            users[demo.username] = user
        return users

    def seed_characteristics(self) -> dict[str, CharacteristicValue]:
        values = {}
        for code, (name, choices) in CHARACTERISTICS.items():
            characteristic = self.upsert(Characteristic, {"code": code}, {"name": name})
            for position, (value_code, label) in enumerate(choices.items(), start=1):
                values[value_code] = self.upsert(
                    CharacteristicValue,
                    {"characteristic": characteristic, "code": value_code},
                    {"label": label, "position": position},
                )
        return values

    def seed_workflow(self, definition: dict[str, Any]) -> Workflow:
        workflow = self.upsert(Workflow, {"code": definition["code"]}, {"name": definition["name"]})
        tasks = {
            code: self.upsert(
                WorkflowTask,
                {"workflow": workflow, "code": code},
                {"name": name, "position": position, "is_start": start},
            )
            for code, (name, position, start, _actions) in definition["tasks"].items()
        }
        for code, (_name, _position, _start, actions) in definition["tasks"].items():
            for action_code, action_name, next_code in actions:
                self.upsert(
                    WorkflowAction,
                    {"task": tasks[code], "code": action_code},
                    {"name": action_name, "next_task": tasks[next_code] if next_code else None},
                )
        return workflow

    def seed_item_types(self) -> dict[str, ItemType]:
        characteristics = {c.code: c for c in Characteristic.objects.filter(code__in=CHARACTERISTICS)}
        types = {}
        for code, settings in ITEM_TYPES.items():
            defaults = {**_TYPE_BASE, **settings}
            for level in (1, 2, 3):
                key = f"characteristic_{level}"
                defaults[key] = characteristics[defaults[key]] if defaults[key] else None
            types[code] = self.upsert(ItemType, {"code": code}, defaults)
        return types

    def seed_combinations(
        self, types: dict[str, ItemType], values: dict[str, CharacteristicValue], workflows: dict[str, Workflow]
    ) -> None:
        for type_code, value_code, workflow_code in COMBINATIONS:
            self.upsert(
                CharacteristicCombination,
                {"item_type": types[type_code], "value_1": values[value_code], "value_2": None, "value_3": None},
                {"workflow": workflows[workflow_code] if workflow_code else None},
            )

    def seed_contract(self, contract: ItemType, users: dict[str, User]) -> None:
        for position, (code, label, kind, required, choices) in enumerate(CONTRACT_FREE_FIELDS, start=1):
            self.upsert(
                FreeField,
                {"item_type": contract, "code": code},
                {"label": label, "kind": kind, "required": required, "choices": choices, "position": position},
            )
        review = self.upsert(
            ReviewProfile,
            {"code": REVIEW_PROFILE["code"]},
            {"name": REVIEW_PROFILE["name"], "days_to_review": REVIEW_PROFILE["days_to_review"]},
        )
        self.set_members(review.reviewers, [users[name] for name in REVIEW_PROFILE["reviewers"]])
        template = self.seed_document_template()
        profile = self.upsert(
            CreationProfile,
            {"item_type": contract, "code": CONTRACT_PROFILE["code"]},
            {
                "name": CONTRACT_PROFILE["name"],
                "review_profile": review,
                "document_template": template,
                "is_active": True,
            },
        )
        for position, (field_code, setting, default) in enumerate(CONTRACT_PAGE, start=1):
            self.upsert(
                CreationProfileField,
                {"profile": profile, "field_code": field_code},
                {
                    "position": position,
                    "on_edit_page": True,
                    "on_show_page": True,
                    "setting": setting,
                    "default": default,
                },
            )

    def seed_document_template(self) -> DocumentTemplate:
        template = self.upsert(
            DocumentTemplate,
            {"code": DOCUMENT_TEMPLATE["code"]},
            {"name": DOCUMENT_TEMPLATE["name"], "output_name": DOCUMENT_TEMPLATE["output_name"]},
        )
        stored_name = template.file.name
        content = contract_template_docx()
        storage = template.file.storage
        name = template.file.field.generate_filename(template, DOCUMENT_TEMPLATE["file_name"])
        if not (storage.exists(name) and _sha256(storage, name) == hashlib.sha256(content).hexdigest()):
            # Missing or stale: replace it under its fixed name, so the storage does not
            # invent a new name on every run.
            if storage.exists(name):
                storage.delete(name)
            template.file.save(DOCUMENT_TEMPLATE["file_name"], ContentFile(content), save=False)
            self.written += 1
            self.say(f"document template: wrote {template.file.name}")
        else:
            template.file.name = name
        if template.file.name != stored_name:
            template.save(update_fields=["file"])
            self.written += 1
        return template

    def seed_authorisations(self, types: dict[str, ItemType], users: dict[str, User]) -> None:
        """Each demo user is authorised for exactly his types; other users are left alone."""
        demo_users = list(users.values())
        for code, item_type in types.items():
            wanted = [users[d.username] for d in DEMO_USERS if d.types is None or code in d.types]
            self.set_members(item_type.authorised_users, wanted, among=demo_users)

    def seed_items(self, types, relations, contacts, values, projects, users) -> int:
        """A few real items, made through the service (numbers, workflows), once per type."""
        for type_code, items in DEMO_ITEMS.items():
            item_type = types[type_code]
            if DossierItem.objects.filter(item_type=item_type).exists():
                continue
            spec = ItemSpec(item_type)
            for submitter, submitted_at, raw in items:
                resolved = {
                    code: _resolve(code, value, relations, contacts, values, projects, users)
                    for code, value in raw.items()
                }
                resolved["submitter"] = users[submitter]
                cleaned, problems = spec.validate(resolved, user=users[submitter], now=submitted_at)
                if problems:
                    raise ValueError(f"Demo item {type_code} {raw.get('subject')!r} is invalid: {problems}")
                create_item(spec=spec, values=cleaned)
            self.written += len(items)
            self.say(f"{type_code}: {len(items)} items created")
        return DossierItem.objects.filter(item_type__in=types.values()).count()

    def seed_contracts(self, contract: ItemType, relations, users) -> None:
        """DEMO_CONTRACTS through the creation profile, once: their review tasks fill the
        reviewers' "my review tasks"."""
        if DossierItem.objects.filter(item_type=contract).exists():
            return
        spec = ItemSpec(contract, contract.creation_profiles.get(code=CONTRACT_PROFILE["code"]))
        for submitter, submitted_at, raw in DEMO_CONTRACTS:
            resolved = {**raw, "relation": relations[raw["relation"]], "submitter": users[submitter]}
            cleaned, problems = spec.validate(resolved, user=users[submitter], now=submitted_at)
            if problems:
                raise ValueError(f"Demo contract {raw['relation']} is invalid: {problems}")
            create_item(spec=spec, values=cleaned)
        self.written += len(DEMO_CONTRACTS)
        self.say(f"CONTR: {len(DEMO_CONTRACTS)} items created with profile {CONTRACT_PROFILE['code']}")


def _resolve(code, value, relations, contacts, values, projects, users) -> Any:
    match code:
        case "relation":
            return relations[value]
        case "contact":
            return contacts[value]
        case "characteristic_1":
            return values[value]
        case "project":
            return projects[value]
        case "responsible":
            return users[value]
        case _:
            return value


def _sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stored:
        for chunk in iter(lambda: stored.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def seed_demo_world(*, stdout: TextIO | None = None) -> dict[str, int]:
    """Create or repair the demo world (docs/design.md, "The demo world") in one
    transaction. Returns counts of what the world holds, and under "written" how many rows
    this run created or changed (0 when the world was already complete)."""
    with transaction.atomic():
        return _Seeder(stdout).run()
