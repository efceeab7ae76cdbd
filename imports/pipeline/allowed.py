"""The values a field whose cells must be one of a list takes, for the value map: what the
check page's drop-downs offer (labels in the viewer's language), what a suggestion is chosen
from (codes and labels in every language: spreadsheets/suggesting.py), and what a value map
on the command line may name.

One provider per kind of field (PROVIDERS); a kind without one (a relation, a contact) offers
nothing here, and its unknown values are left to be fixed in the file until a provider is
added for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from dossier.models import EXTRA_MODELS
from dossier.spec import FieldSpec, ItemSpec, Kind
from dossier.values import FALSE_WORDS, TRUE_WORDS, choice_labels
from spreadsheets.messages import render
from spreadsheets.suggesting import suggest_value

MAX_CHOICES = 500  # a drop-down of users or projects offers at most this many


@dataclass(frozen=True)
class AllowedValue:
    """One value a field takes: the `code` stored in the value map, the `label` a person
    reads (in the active language when shown), the `names` a file may write for it."""

    code: str
    label: Any
    names: tuple[str, ...] = field(default=())
    show_code: bool = True  # a code people write (a characteristic, a project), not an internal one

    @property
    def shown(self) -> str:
        """The label in the active language; with the code when people use it and the label
        does not say it ("Midden (MIDDEN)", but "High" for the priority high)."""
        label = capfirst(render(self.label))
        if not label:
            return self.code
        return f"{label} ({self.code})" if self.show_code and label.casefold() != self.code.casefold() else label


def _choices(spec: ItemSpec, field: FieldSpec) -> list[AllowedValue]:
    show_code = field.kind == Kind.CHARACTERISTIC  # a choice's code is internal (the priority's "high")
    return [AllowedValue(code, label, tuple(choice_labels(label)), show_code) for code, label in field.choices.items()]


def _yes_no(spec: ItemSpec, field: FieldSpec) -> list[AllowedValue]:
    return [
        AllowedValue("ja", _("yes"), ("ja", "yes", *sorted(TRUE_WORDS)), False),
        AllowedValue("nee", _("no"), ("nee", "no", *sorted(FALSE_WORDS)), False),
    ]


def _users(spec: ItemSpec, field: FieldSpec) -> list[AllowedValue]:
    users = get_user_model().objects.filter(is_active=True).order_by("username")[:MAX_CHOICES]
    return [AllowedValue(u.get_username(), u.get_full_name() or u.get_username(), (u.get_full_name(),)) for u in users]


def _extras(spec: ItemSpec, field: FieldSpec) -> list[AllowedValue]:
    extras = EXTRA_MODELS[field.code].objects.filter(is_active=True).order_by("code")[:MAX_CHOICES]
    return [AllowedValue(e.code, e.name, (e.name,)) for e in extras]


PROVIDERS: dict[Kind, Callable[[ItemSpec, FieldSpec], list[AllowedValue]]] = {
    Kind.CHOICE: _choices,
    Kind.CHARACTERISTIC: _choices,
    Kind.BOOLEAN: _yes_no,
    Kind.USER: _users,
    Kind.EXTRA: _extras,
}


def allowed_values(spec: ItemSpec, code: str) -> list[AllowedValue]:
    """The values field `code` takes, in the list's order; [] for a field without a list
    (or without a provider)."""
    field = spec.get(code)
    provider = PROVIDERS.get(field.kind) if field is not None else None
    return provider(spec, field) if provider else []


def suggestion(raw: str, allowed: list[AllowedValue]) -> str | None:
    """The allowed code `raw` most likely means (spreadsheets.suggesting), or None."""
    return suggest_value(raw, {value.code: value.names for value in allowed})
