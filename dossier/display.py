"""How an item's fields are shown: the item page and the admin's item form show the same
values the same way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from dossier.documents import number_text
from dossier.models import CharacteristicValue, DossierItem
from dossier.spec import FREE_PREFIX, FieldSpec, Group, ItemSpec, Purpose
from dossier.values import ValueProblem


def shown_fields(item: DossierItem) -> list[tuple[str, Any]]:
    """(label, value) of the item's fields: in its profile's show-page order when it was made
    with a profile (R21), else every field its type offers."""
    spec = ItemSpec(item.item_type, item.creation_profile, purpose=Purpose.ENTRY)
    fields = spec.page("show") if item.creation_profile_id else spec.visible_fields
    return [(capfirst(f.label), shown_value(item, spec, f)) for f in fields if f.group != Group.ATTACHMENT]


def shown_value(item: DossierItem, spec: ItemSpec, field: FieldSpec) -> Any:
    """One field's value of the item as a page shows it: a free field's stored text back to
    its kind and then in the active language's style (3.250,50 and 31-12-2026 in Dutch), a
    characteristic by its label, yes/no, a choice's label; None when empty."""
    if field.group == Group.FREE:
        raw = item.free_values.get(field.code.removeprefix(FREE_PREFIX))
        try:
            value = spec.clean(field.code, raw)  # stored as JSON text: back to a date, a decimal
        except ValueProblem:
            value = raw
    elif field.group == Group.CHARACTERISTIC:
        value = getattr(item, field.code.replace("characteristic_", "characteristic_value_"))
    else:
        value = getattr(item, field.code, None)
    if isinstance(value, CharacteristicValue):
        return value.label
    if value == "":
        return None
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field.choices and isinstance(value, str):
        return field.choices.get(value, value)
    if field.group == Group.FREE:
        return local_text(value)
    return value


def local_text(value: Any) -> Any:
    """A number, date or time as the active language writes it: 3.250,50 and 31-12-2026 (nl),
    3,250.50 and 12/31/2026 (en); a time in the local time zone. Anything else as it is."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal | int | float):
        return number_text(value)
    return value
