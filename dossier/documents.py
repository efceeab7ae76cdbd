"""Generated documents (R21): a creation profile's .docx template filled with an item's data
the way a person would write it, and stored on the item marked as generated.

1. The language: the template's own, when it has one (the same file then gives the same
   document whoever imports it, whatever their screen shows); else the language the importing
   user chose for himself (`User.language`), read when the document is made; else the site's
   (`LANGUAGE_CODE`). Never the browser's: documents are made in the task worker.
2. Every value is shown in that language: amounts and numbers with its separators
   (€ 3.250,50), dates written out (1 januari 2027), yes/no as words, choices and
   characteristic values by their label, users by their name.
3. The role numbers (employee, applicant, debtor, creditor number) are placeholders of their
   own; `role.number` is the one the item's type is regarding.
4. The document's own properties (author, created, title, status) are set: the author is the
   user who made the item (the importing user), the dates the moment it was made.
5. An item that already has a file (a signed contract brought by its row) keeps that file as
   its main file; the generated document is added beside it as a draft.

docs/documents.md lists the placeholders.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from dossier.models import Attachment, DocumentTemplate, DossierItem, FreeField

# The relations' roles, as a document names them: placeholder -> Relation accessor.
ROLE_PLACEHOLDERS = {
    "employee": "employee",
    "applicant": "applicant",
    "debtor": "sales_relation",
    "creditor": "purchase_relation",
}
# Which role number `role.number` is, after the type's "regarding" setting (first one on wins).
REGARDING_ROLES = (
    ("regarding_employee", "employee"),
    ("regarding_applicant", "applicant"),
    ("regarding_sales", "debtor"),
    ("regarding_purchase", "creditor"),
)
# What `documents_for` needs of an item and its relation: one query a batch.
ITEM_RELATIONS = (
    "item_type",
    "contact",
    "submitter",
    "responsible",
    "project",
    "course",
    "characteristic_value_1__characteristic",
    "characteristic_value_2__characteristic",
    "characteristic_value_3__characteristic",
    *(f"relation__{accessor}" for accessor in ROLE_PLACEHOLDERS.values()),
)
DOCX = ".docx"


def document_language(template: DocumentTemplate, user=None) -> str:
    """The language a template's documents are written in (see the module's docstring)."""
    known = {code for code, _name in settings.LANGUAGES}
    for code in (template.language, getattr(user, "language", "")):
        if code in known:
            return code
    return settings.LANGUAGE_CODE


class YesNo:
    """A yes/no value: true or false in a template's `{% if %}`, a word when shown."""

    def __init__(self, value: bool):
        self.value = bool(value)

    def __bool__(self) -> bool:
        return self.value

    def __str__(self) -> str:
        return _("yes") if self.value else _("no")

    def __eq__(self, other) -> bool:
        return bool(other) == self.value if isinstance(other, bool | YesNo) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


def date_text(value: dt.date) -> str:
    """A date written out in the active language: 1 januari 2027, 1 January 2027."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(value, "j F Y, H:i")
    return formats.date_format(value, "j F Y")


def number_text(value: int | Decimal | float, *, decimals: int | None = None) -> str:
    """A number with the active language's separators: 3.250,50 (nl), 3,250.50 (en). A whole
    number is not grouped: it is as often a year, a count or a code (2027, not 2.027)."""
    grouped = not isinstance(value, int)
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=grouped)


def amount_text(value: Decimal) -> str:
    """A decimal as an amount: at least two decimals (3250.5 -> 3.250,50), more if it has them."""
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number_text(value, decimals=max(2, places))


def user_text(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def shown(value: Any) -> Any:
    """A value of an item as a document shows it (dates, numbers, yes/no, labels); text and
    anything unknown as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YesNo(value)
    if isinstance(value, dt.date):
        return date_text(value)
    if isinstance(value, Decimal):
        return amount_text(value)
    if isinstance(value, int | float):
        return number_text(value)
    if hasattr(value, "label") and hasattr(value, "characteristic_id"):  # a characteristic value
        return value.label
    if hasattr(value, "get_username"):
        return user_text(value)
    return value


def free_value(field: FreeField | None, raw: Any) -> Any:
    """A stored free-field value (JSON: decimals and dates as text) as a document shows it."""
    if raw is None or raw == "":
        return ""
    if field is None:
        return raw
    kind = field.kind
    try:
        if kind == FreeField.Kind.DECIMAL:
            return amount_text(Decimal(str(raw)))
        if kind == FreeField.Kind.INTEGER:
            return number_text(int(raw))
        if kind == FreeField.Kind.DATE:
            return date_text(dt.date.fromisoformat(str(raw)))
    except (InvalidOperation, ValueError, TypeError):
        return raw  # a value stored before its field changed kind: shown as it was stored
    if kind == FreeField.Kind.BOOLEAN:
        return YesNo(raw)
    if kind == FreeField.Kind.CHOICE:
        return field.choice_map().get(str(raw), raw)
    return raw


class ShownItem:
    """An item as `{{ item.… }}` shows it: every field through `shown`, choices by their label."""

    def __init__(self, item: DossierItem):
        self._item = item

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        item = self._item
        try:
            field = item._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if field is not None and getattr(field, "choices", None) and not field.is_relation:
            return getattr(item, f"get_{field.attname}_display")()
        return shown(getattr(item, name))

    def __str__(self) -> str:
        return str(self._item)


def role_of(relation, accessor: str):
    if relation is None:
        return None
    try:
        return getattr(relation, accessor)
    except ObjectDoesNotExist:
        return None


def document_context(item: DossierItem, *, free_fields: Iterable[FreeField] = (), today: dt.date | None = None):
    """The placeholders of one item's document (docs/documents.md), shown in the active language."""
    fields = {field.code: field for field in free_fields}
    relation = item.relation if item.relation_id else None
    roles = {name: role_of(relation, accessor) for name, accessor in ROLE_PLACEHOLDERS.items()}
    regarded = next((roles[name] for flag, name in REGARDING_ROLES if getattr(item, flag, False) and roles[name]), None)
    characteristics = {}
    for index in (1, 2, 3):
        value = getattr(item, f"characteristic_value_{index}")
        if value is not None:
            characteristics[value.characteristic.code] = value.label
    free_raw = dict(item.free_values or {})
    return {
        "item": ShownItem(item),
        "type": item.item_type,
        "relation": relation,
        "contact": item.contact,
        **roles,
        "role": regarded or relation,
        "characteristic": characteristics,
        "free": {code: free_value(fields.get(code), raw) for code, raw in free_raw.items()}
        | {code: "" for code in fields if code not in free_raw},
        "free_raw": free_raw,
        "today": date_text(today or timezone.localdate()),
    }


def document_name(template: DocumentTemplate, item: DossierItem) -> str:
    relation = item.relation.number if item.relation_id else ""
    name = template.output_name.format(number=item.number, relation=relation, type=item.item_type.code)
    return name if name.lower().endswith(DOCX) else f"{name}{DOCX}"


def render_document(
    *,
    template: DocumentTemplate,
    item: DossierItem,
    source: bytes | None = None,
    author=None,
    language: str | None = None,
    draft: bool = False,
    free_fields: Iterable[FreeField] | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The template filled with the item's data in `language` (by default the template's, the
    author's or the site's: `document_language`), its properties set. `source`: the template's
    bytes, read once by a caller that renders many."""
    from docxtpl import DocxTemplate

    if source is None:
        with template.file.open("rb") as stored:
            source = stored.read()
    if free_fields is None:
        free_fields = list(item.item_type.free_fields.all())
    now = now or timezone.now()
    author = author if author is not None else (item.submitter if item.submitter_id else None)
    with translation.override(language or document_language(template, author)):
        document = DocxTemplate(io.BytesIO(source))
        document.render(document_context(item, free_fields=free_fields, today=timezone.localdate(now)), autoescape=True)
        properties = document.docx.core_properties
        properties.author = properties.last_modified_by = user_text(author)[:255]
        properties.created = properties.modified = timezone.make_naive(now, dt.UTC) if timezone.is_aware(now) else now
        properties.title = f"{template.name} {item.number}"[:255]
        properties.subject = (item.subject or "")[:255]
        properties.category = _("generated document")
        properties.content_status = _("draft") if draft else ""
        properties.comments = (
            _("Generated from template %(template)s for item %(number)s.")
            % {"template": template.name, "number": item.number}
        )[:255]
        properties.language = translation.get_language()
        output = io.BytesIO()
        document.save(output)
    return output.getvalue()


def items_with_files(items: Iterable[DossierItem]) -> set[int]:
    """The ids of those items that have a file of their own (not a generated document)."""
    ids = [item.pk for item in items]
    if not ids:
        return set()
    return set(Attachment.objects.filter(item_id__in=ids, kind=Attachment.Kind.FILE).values_list("item_id", flat=True))


def document_plan(template: DocumentTemplate) -> str:
    """What each item of a creation profile with this template gets, as the check page says
    it, without rendering anything: "Arbeidsovereenkomst (generated from template …)"."""
    name = template.output_name
    return _("%(name)s (generated from template %(template)s)") % {
        "name": name if name.lower().endswith(DOCX) else f"{name}{DOCX}",
        "template": template.name,
    }
