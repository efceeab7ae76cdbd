"""ItemSpec: the one place that decides which fields an item of a type has and what makes it
valid. The single-item form, the import pipeline and any API ask it; nothing else decides.

    spec = ItemSpec(item_type, profile, purpose=Purpose.IMPORT)
    spec.fields                      # every field, each with state, kind and allowed values
    spec.clean("begin_date", "31-12-2025")   # one raw value -> domain value (or ValueProblem)
    values, problems = spec.validate(values, user=user)   # a whole item, cross-field rules

Purpose decides the differences between manual entry and the import: for the import the
item options are never required (R11), "one of these required" is optional (R12), the
creation profile's field settings are not applied (R21), the outgoing-post choice is not
offered (R7) and the submitter and submit date may be given (R9, R10).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property, partial
from typing import Any

from django.utils import timezone

from dossier import values as parse
from dossier.models import (
    EXTRA_MODELS,
    REGARDING_ROLES,
    TEXT_MAX_LENGTH,
    CharacteristicValue,
    CreationProfile,
    CreationProfileField,
    DossierItem,
    FieldState,
    FreeField,
    ItemType,
    Relation,
)
from dossier.values import ValueCorrected, ValueProblem
from spreadsheets.messages import N_, Message, capitalised, listed


class Kind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    RELATION = "relation"
    CONTACT = "contact"
    USER = "user"
    ITEM = "item"
    EXTRA = "extra"
    CHARACTERISTIC = "characteristic"
    FILE = "file"


# Kinds whose columns get a decision on how they are written (the mapping's "date_order" and
# "decimal": spreadsheets/column_formats.py).
DATE_KINDS = frozenset({Kind.DATE, Kind.DATETIME})
NUMBER_KINDS = frozenset({Kind.INTEGER, Kind.DECIMAL})

# Kinds whose value names another object; ItemSpec.clean returns their key, which the entry
# path resolves (in bulk, for the import).
REFERENCE_KINDS = frozenset({Kind.RELATION, Kind.CONTACT, Kind.USER, Kind.ITEM, Kind.EXTRA})


class Purpose(StrEnum):
    ENTRY = "entry"
    IMPORT = "import"


class Group(StrEnum):
    OPTION = "option"
    SUBMISSION = "submission"
    DESTINATION = "destination"
    REGARDING = "regarding"
    EXTRA = "extra"
    CHARACTERISTIC = "characteristic"
    FREE = "free"
    ATTACHMENT = "attachment"


FREE_PREFIX = "free_"
# A free text field holds one line, like the subject; a long text free field as much as the
# item's text. Every text field has a limit (`_make_parser` falls back on TEXT_MAX_LENGTH).
FREE_TEXT_MAX_LENGTH = 255
FREE_LONG_TEXT_MAX_LENGTH = TEXT_MAX_LENGTH
CHARACTERISTIC_CODES = ("characteristic_1", "characteristic_2", "characteristic_3")
# The extras' labels, as their models name them (the same msgids), kept translatable.
EXTRA_LABELS = {"project": N_("project"), "course": N_("course")}


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: str | Message  # a Message (translated when shown) or a name typed in the admin
    kind: Kind
    state: FieldState
    group: Group
    choices: dict[str, str] = field(default_factory=dict)
    afas_names: tuple[str, ...] = ()
    max_length: int | None = None
    default: Any = None
    auto: bool = False  # set by the rules on every item (a required regarding role), never fed

    @property
    def is_hidden(self) -> bool:
        return self.state == FieldState.HIDDEN

    @property
    def is_required(self) -> bool:
        return self.state == FieldState.REQUIRED

    @property
    def needs_value(self) -> bool:
        """Must an entry path feed this field? (Required and not set by the rules.)"""
        return self.is_required and not self.auto

    @property
    def free_field_code(self) -> str | None:
        return self.code.removeprefix(FREE_PREFIX) if self.group == Group.FREE else None


@dataclass(frozen=True)
class FieldProblem:
    """A problem with one field of one item. `code` is stable (docs/errors.md)."""

    field: str
    code: str
    message: str | Message  # translated when shown (spreadsheets/messages.py)
    is_warning: bool = False


# The values the import fills in by itself, each a warning on its row (ItemSpec.filled_in):
# code -> (the field, the message with its parameters).
FILLED_IN: dict[str, tuple[str, Message]] = {
    "submitter_filled_in": (
        "submitter",
        N_("No submitter given: %(user)s, who imports the file, is filled in (R9)."),
    ),
    "submit_date_filled_in": (
        "submitted_at",
        N_("No submit date given: the moment of the import, %(date)s, is filled in (R10)."),
    ),
    "responsible_filled_in": (
        "responsible",
        N_("No responsible given: the submitter %(user)s is filled in, as type %(type)s says."),
    ),
    "relation_from_contact": (
        "relation",
        N_("No organisation/person given: %(relation)s, the organisation of contact %(contact)s, is filled in."),
    ),
    "set_by_type": ("", N_("%(field)s is set to yes: type %(type)s sets it on every item (R13).")),
    "done_from_date": ("done", N_("A date done is given, so done is set to yes.")),
}
FILLED_IN_MEMORY = 1024  # warnings kept made, per ItemSpec


class ItemSpec:
    """The fields of one item type (optionally with a creation profile) for one purpose."""

    def __init__(
        self,
        item_type: ItemType,
        profile: CreationProfile | None = None,
        *,
        purpose: Purpose = Purpose.ENTRY,
    ):
        if profile is not None and profile.item_type_id != item_type.pk:
            raise ValueError(f"Creation profile {profile.code} does not belong to type {item_type.code} (R21).")
        self.item_type = item_type
        self.profile = profile
        self.purpose = Purpose(purpose)
        self.characteristic_values: dict[int, dict[str, CharacteristicValue]] = {}
        self._combinations: list[tuple[tuple[int | None, ...], int | None]] | None = None
        self.fields: list[FieldSpec] = self._build()
        self._by_code = {f.code: f for f in self.fields}
        # Worked out once: validate() runs per row of an import.
        self._auto_codes = [f.code for f in self.fields if f.auto]
        self._plain_defaults = [
            f for f in self.fields if not f.auto and f.default not in (None, "") and f.kind not in REFERENCE_KINDS
        ]
        self._required = [f for f in self.fields if f.needs_value]
        self._parsers: dict[tuple, Callable[[Any], Any]] = {}
        # Hidden fields that may not carry a value. Not refused: the submitter and submit
        # date (filled by the rules), and fields a creation profile hides with a default.
        self._refused_codes = {
            f.code
            for f in self.fields
            if f.is_hidden and f.code not in ("submitter", "submitted_at") and f.default in (None, "")
        }
        self._fills_responsible = item_type.submitter_is_default_responsible and not self["responsible"].is_hidden
        self._relation_fillable = not self["relation"].is_hidden
        self._characteristic_levels = item_type.characteristics()
        self._filled_in: dict[tuple, FieldProblem] = {}

    # --- the field list --------------------------------------------------------------------

    def _state(self, setting: str) -> FieldState:
        state = FieldState(setting)
        if state == FieldState.ONE_OF and self.purpose == Purpose.IMPORT:
            return FieldState.OPTIONAL  # R12
        return state

    def _build(self) -> list[FieldSpec]:
        t = self.item_type
        is_import = self.purpose == Purpose.IMPORT
        option = FieldState.OPTIONAL
        hidden = FieldState.HIDDEN

        def opt(on: bool) -> FieldState:
            return option if on else hidden  # R11: options are never required on import

        fields = [
            FieldSpec(
                "subject",
                N_("subject"),
                Kind.TEXT,
                opt(t.has_subject),
                Group.OPTION,
                afas_names=("Ds",),
                max_length=DossierItem._meta.get_field("subject").max_length,
            ),
            FieldSpec(
                "text",
                N_("text"),
                Kind.LONG_TEXT,
                opt(t.has_text),
                Group.OPTION,
                afas_names=("SbTx",),
                max_length=DossierItem._meta.get_field("text").max_length,
            ),
            FieldSpec(
                "begin_date",
                N_("begin date"),
                Kind.DATE,
                opt(t.has_begin_date),
                Group.OPTION,
                afas_names=("DtFr",),
            ),
            FieldSpec("end_date", N_("end date"), Kind.DATE, opt(t.has_end_date), Group.OPTION, afas_names=("DtTo",)),
            FieldSpec("done", N_("done"), Kind.BOOLEAN, opt(t.has_done), Group.OPTION, afas_names=("St",)),
            FieldSpec("done_date", N_("date done"), Kind.DATE, opt(t.has_done), Group.OPTION, afas_names=("DtSt",)),
            FieldSpec(
                "responsible",
                N_("responsible"),
                Kind.USER,
                FieldState.REQUIRED
                if (t.has_responsible and t.responsible_required and not is_import)
                else opt(t.has_responsible),
                Group.OPTION,
                afas_names=("EmIdResp",),
            ),
            FieldSpec("cause", N_("cause"), Kind.ITEM, opt(t.has_cause), Group.OPTION, afas_names=("SbIdCause",)),
            FieldSpec(
                "priority",
                N_("priority"),
                Kind.CHOICE,
                opt(t.has_priority),
                Group.OPTION,
                choices={"high": N_("high"), "normal": N_("normal"), "low": N_("low")},
                afas_names=("Pr",),
            ),
            FieldSpec(
                "submitter",
                N_("submitter"),
                Kind.USER,
                option if is_import else hidden,
                Group.SUBMISSION,
                afas_names=("UsId",),
            ),
            FieldSpec(
                "submitted_at",
                N_("submit date"),
                Kind.DATETIME,
                option if is_import else hidden,
                Group.SUBMISSION,
                afas_names=("Da",),
            ),
            FieldSpec(
                "relation",
                N_("organisation/person"),
                Kind.RELATION,
                self._state(t.relation_state),
                Group.DESTINATION,
                afas_names=("BcId", "BcCo"),
            ),
            FieldSpec(
                "contact",
                N_("contact"),
                Kind.CONTACT,
                self._state(t.contact_state),
                Group.DESTINATION,
                afas_names=("CdId",),
            ),
        ]
        regarding_labels = {
            "regarding_relation": (N_("regarding organisation/person"), "ToBC"),
            "regarding_employee": (N_("regarding employee"), "ToEM"),
            "regarding_sales": (N_("regarding sales relation"), "ToSR"),
            "regarding_purchase": (N_("regarding purchase relation"), "ToPR"),
            "regarding_applicant": (N_("regarding applicant"), "ToAP"),
        }
        for code, (label, afas) in regarding_labels.items():
            state = self._state(getattr(t, f"{code}_state"))
            fields.append(
                FieldSpec(
                    code,
                    label,
                    Kind.BOOLEAN,
                    state,
                    Group.REGARDING,
                    afas_names=(afas,),
                    auto=state == FieldState.REQUIRED,
                )
            )
        extra_afas = {"project": ("PjId",), "course": ("CrId",)}
        for code in EXTRA_MODELS:
            fields.append(
                FieldSpec(
                    code,
                    EXTRA_LABELS[code],
                    Kind.EXTRA,
                    self._state(getattr(t, f"{code}_state")),
                    Group.EXTRA,
                    afas_names=extra_afas.get(code, ()),
                )
            )
        fields += self._characteristic_fields()
        fields += self._free_fields()
        fields.append(
            FieldSpec(
                "attachment",
                N_("attachment"),
                Kind.FILE,
                option if t.attach_file else hidden,  # R22; several files a row, separated by ';' (R23)
                Group.ATTACHMENT,
                afas_names=("FileName", "FlNm"),
            )
        )
        if self.profile is not None and self.purpose == Purpose.ENTRY:
            fields = self._apply_profile_settings(fields)
        return fields

    def _characteristic_fields(self) -> list[FieldSpec]:
        levels = self.item_type.characteristics()
        if not levels:
            return []
        by_characteristic: dict[int, dict[str, CharacteristicValue]] = {}
        for value in CharacteristicValue.objects.filter(characteristic__in=[c for _level, c in levels]).select_related(
            "characteristic"
        ):
            by_characteristic.setdefault(value.characteristic_id, {})[value.code] = value
        result = []
        for level, characteristic in levels:
            values = by_characteristic.get(characteristic.pk, {})
            self.characteristic_values[level] = values
            result.append(
                FieldSpec(
                    f"characteristic_{level}",
                    characteristic.name,
                    Kind.CHARACTERISTIC,
                    FieldState.OPTIONAL,  # "at least one" is a rule over all levels (R16)
                    Group.CHARACTERISTIC,
                    choices={code: v.label for code, v in values.items()},
                    afas_names=(characteristic.code, f"Fe{level}"),
                )
            )
        return result

    def _free_fields(self) -> list[FieldSpec]:
        if not self.item_type.is_own:
            return []  # R18: only own types have free fields
        kinds = {
            FreeField.Kind.TEXT: Kind.TEXT,
            FreeField.Kind.LONG_TEXT: Kind.LONG_TEXT,
            FreeField.Kind.INTEGER: Kind.INTEGER,
            FreeField.Kind.DECIMAL: Kind.DECIMAL,
            FreeField.Kind.DATE: Kind.DATE,
            FreeField.Kind.BOOLEAN: Kind.BOOLEAN,
            FreeField.Kind.CHOICE: Kind.CHOICE,
        }
        return [
            FieldSpec(
                FREE_PREFIX + free.code,
                free.label,
                kinds[free.kind],
                FieldState.REQUIRED if free.required else FieldState.OPTIONAL,
                Group.FREE,
                choices=free.choice_map(),
                afas_names=(free.code,),
                max_length={
                    FreeField.Kind.TEXT: FREE_TEXT_MAX_LENGTH,
                    FreeField.Kind.LONG_TEXT: FREE_LONG_TEXT_MAX_LENGTH,
                }.get(free.kind),
            )
            for free in self.item_type.free_fields.all()
        ]

    def _apply_profile_settings(self, fields: list[FieldSpec]) -> list[FieldSpec]:
        """Manual entry honours the profile's field settings; a profile cannot show what the
        type hides, nor hide a required field that has no default."""
        settings = {pf.field_code: pf for pf in self.profile_fields}
        result = []
        for spec in fields:
            setting = settings.get(spec.code)
            if setting is None or spec.is_hidden:
                result.append(spec)
                continue
            changes: dict[str, Any] = {}
            if setting.default:
                changes["default"] = setting.default
            if setting.setting and not spec.auto:
                wanted = FieldState(setting.setting)
                if not (wanted == FieldState.HIDDEN and spec.is_required and not setting.default):
                    changes["state"] = wanted
            result.append(replace(spec, **changes) if changes else spec)
        return result

    @property
    def profile_fields(self) -> list[CreationProfileField]:
        if self.profile is None:
            return []
        if not hasattr(self, "_profile_fields"):
            self._profile_fields = list(self.profile.fields.all())
        return self._profile_fields

    # --- asking the spec -------------------------------------------------------------------

    def __getitem__(self, code: str) -> FieldSpec:
        return self._by_code[code]

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def get(self, code: str) -> FieldSpec | None:
        return self._by_code.get(code)

    @cached_property
    def item_routes(self) -> dict[str, tuple[bool, str]]:
        """Field code -> (is a free field, DossierItem attribute or free field code): where
        each value of an item is stored."""
        item_fields = {f.name for f in DossierItem._meta.concrete_fields}
        routes = {}
        for spec in self.fields:
            if spec.group == Group.FREE:
                routes[spec.code] = (True, spec.code.removeprefix(FREE_PREFIX))
            elif spec.group == Group.CHARACTERISTIC:
                routes[spec.code] = (False, spec.code.replace("characteristic_", "characteristic_value_"))
            elif spec.group != Group.ATTACHMENT and spec.code in item_fields:
                routes[spec.code] = (False, spec.code)
        return routes

    @property
    def visible_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if not f.is_hidden]

    @property
    def fillable_fields(self) -> list[FieldSpec]:
        """Fields an entry path may feed: visible and not set by the rules."""
        return [f for f in self.fields if not f.is_hidden and not f.auto]

    def page(self, which: str = "edit") -> list[FieldSpec]:
        """The fillable fields in the order of the profile's page (R21); without a profile
        layout, the type's order. Required fields missing from the layout come last, so the
        page can always be completed."""
        fillable = self.fillable_fields
        flag = "on_edit_page" if which == "edit" else "on_show_page"
        layout = [pf.field_code for pf in self.profile_fields if getattr(pf, flag)]
        if not layout:
            return fillable
        by_code = {f.code: f for f in fillable}
        ordered = [by_code[code] for code in layout if code in by_code]
        ordered += [f for f in fillable if f.code not in layout and f.needs_value and which == "edit"]
        return ordered

    # --- one value -------------------------------------------------------------------------

    def clean(self, code: str, raw, *, epoch: int = 1900) -> Any:
        """One raw value -> the field's domain value; None when empty. Reference kinds
        (relation, contact, user, item, extra) come back as their normalised key, to be
        resolved in bulk by the caller. Raises ValueProblem; a corrected value (without
        control characters) is returned as corrected."""
        if parse.is_empty(raw):
            return None
        try:
            return self.parser(code, epoch=epoch)(raw)
        except ValueCorrected as corrected:
            return corrected.value

    def parser(
        self, code: str, *, epoch: int = 1900, date_order: str | None = None, decimal: str | None = None
    ) -> Callable[[Any], Any]:
        """The function that cleans a non-empty raw value of this field: `clean` without the
        per-call dispatch, for callers that clean many rows. Besides ValueProblem it raises
        ValueCorrected, with the value to use, when it had to correct the value (a cell that
        held control characters): the caller warns or not. `date_order` and `decimal` are
        the column's decisions (the mapping entry's, spreadsheets/column_formats.py): how a
        date field reads its dates, a number field its decimal separator."""
        key = (code, epoch, date_order, decimal)
        if key not in self._parsers:
            self._parsers[key] = self._make_parser(self._by_code[code], epoch, date_order, decimal)
        return self._parsers[key]

    def _make_parser(
        self, spec: FieldSpec, epoch: int, date_order: str | None, decimal: str | None
    ) -> Callable[[Any], Any]:
        if spec.kind in (Kind.TEXT, Kind.LONG_TEXT):
            # removes control characters itself; every text has a limit
            return partial(parse.clean_text, max_length=spec.max_length or TEXT_MAX_LENGTH)
        return parse.without_controls_first(self._value_parser(spec, epoch, date_order, decimal))

    def _value_parser(
        self, spec: FieldSpec, epoch: int, date_order: str | None, decimal: str | None
    ) -> Callable[[Any], Any]:
        match spec.kind:
            case Kind.INTEGER:
                return partial(parse.parse_integer, decimal=decimal) if decimal else parse.parse_integer
            case Kind.DECIMAL:
                return partial(parse.parse_decimal, decimal=decimal) if decimal else parse.parse_decimal
            case Kind.DATE:
                return partial(parse.parse_date, epoch=epoch, order=date_order)
            case Kind.DATETIME:
                return partial(parse.parse_datetime, epoch=epoch, tz=timezone.get_current_timezone(), order=date_order)
            case Kind.BOOLEAN:
                return parse.parse_boolean
            case Kind.CHOICE:
                return parse.choice_parser(spec.choices)
            case Kind.CHARACTERISTIC:
                values = self.characteristic_values[int(spec.code.rsplit("_", 1)[1])]
                code_of = parse.choice_parser(spec.choices)
                return lambda raw: values[code_of(raw)]
            case _:
                return parse.parse_key

    # --- a whole item ----------------------------------------------------------------------

    def validate(
        self,
        values: dict[str, Any],
        *,
        user=None,
        now: dt.datetime | None = None,
        roles_of: Callable[[Relation], set[str]] | None = None,
        report_filled: bool = False,
    ) -> tuple[dict[str, Any], list[FieldProblem]]:
        """Complete and check one item whose values are already cleaned and resolved (model
        instances for references). Returns the completed values and every problem found.

        1. Fill what the rules fill: submitter (R9), submit date (R10), required regarding
           roles (R13), the relation of a given contact, profile defaults (entry only);
           with `report_filled` (the import) each value filled in is a warning.
        2. Refuse values for fields the type does not allow (R11, R13, R15, R22).
        3. Required fields; "one of these required" on manual entry.
        4. Cross-field rules: contact of the relation (R20), regarding roles the relation
           holds (R13), characteristics (R16), dates in order.
        """
        roles_of = roles_of or (lambda relation: relation.role_codes())
        # Leave out None and "": `not in (None, "")` would call the __eq__ of model instances.
        values = {
            code: value for code, value in values.items() if value is not None and (value.__class__ is not str or value)
        }
        problems: list[FieldProblem] = []

        # 1. completion; `report_filled` (the import's rows): every value filled in is a
        # warning (`filled_in`)
        warn = report_filled
        if warn and "submitter" not in values and user is not None:
            problems.append(self.filled_in("submitter_filled_in", user=user.get_username()))
        if self.purpose == Purpose.IMPORT or "submitter" not in values:
            values.setdefault("submitter", user)
        if "submitted_at" not in values:
            values["submitted_at"] = now or timezone.now()
            if warn:
                shown = timezone.localtime(values["submitted_at"]).strftime("%d-%m-%Y %H:%M")
                problems.append(self.filled_in("submit_date_filled_in", date=shown))
        if self._fills_responsible and "responsible" not in values:
            values["responsible"] = values["submitter"]
            if warn and values["submitter"] is not None:
                user_name = values["submitter"].get_username()
                problems.append(self.filled_in("responsible_filled_in", user=user_name, type=self.item_type.code))
        contact = values.get("contact")
        if contact is not None and "relation" not in values and self._relation_fillable:
            values["relation"] = contact.organisation
            if warn:
                number, contact_id = contact.organisation.number, contact.contact_id
                problems.append(self.filled_in("relation_from_contact", relation=number, contact=contact_id))
        for code in self._auto_codes:
            values[code] = True
            if warn:
                problems.append(self.filled_in("set_by_type", field=code, type=self.item_type.code))
        for spec in self._plain_defaults:
            if spec.code not in values:
                # A bad profile default is the admin's problem; it shows as a missing value.
                with contextlib.suppress(ValueProblem):
                    values[spec.code] = self.clean(spec.code, spec.default)

        # 2. values the type does not allow
        refused = [code for code in values if code in self._refused_codes] if self._refused_codes else ()
        for code in refused:
            spec, value = self._by_code[code], values[code]
            if spec.kind == Kind.BOOLEAN and value is False:
                continue
            problems.append(FieldProblem(code, "field_not_allowed", self._not_allowed_message(spec)))
            del values[code]

        # 3. required fields
        for spec in self._required:
            if _blank(values.get(spec.code)):
                problems.append(
                    FieldProblem(
                        spec.code,
                        "required",
                        N_("%(field)s is required: fill it in.") % {"field": capitalised(spec.label)},
                    )
                )
        problems += self._one_of_problems(values)

        # 4. cross-field rules
        problems += self._destination_problems(values, roles_of)
        problems += self._characteristic_problems(values)
        begin, end = values.get("begin_date"), values.get("end_date")
        if begin and end and end < begin:
            problems.append(
                FieldProblem(
                    "end_date", "end_before_begin", N_("The end date lies before the begin date: correct one of them.")
                )
            )
        if values.get("done_date") and not values.get("done"):
            values["done"] = True
            if warn:
                problems.append(self.filled_in("done_from_date"))
        return values, problems

    def filled_in(self, code: str, **params: str) -> FieldProblem:
        """The warning that the import filled in a value by itself (FILLED_IN: the code, the
        field and the message, one msgid each). Made once per code and parameters: the same
        warning repeats on many rows."""
        key = (code, *params.values())
        problem = self._filled_in.get(key)
        if problem is None:
            field, message = FILLED_IN[code]
            if code == "set_by_type":
                field = params["field"]
                params = {**params, "field": capitalised(self[field].label)}
            problem = FieldProblem(field, code, message % params, is_warning=True)
            if len(self._filled_in) < FILLED_IN_MEMORY:
                self._filled_in[key] = problem
        return problem

    def _not_allowed_message(self, spec: FieldSpec) -> Message:
        if spec.group == Group.ATTACHMENT:
            return N_("Type %(type)s does not allow attachments (attach file is off): leave this column empty.") % {
                "type": self.item_type.code
            }
        return N_("Type %(type)s does not allow %(field)s: leave it empty or change the type's settings.") % {
            "type": self.item_type.code,
            "field": spec.label,
        }

    def _one_of_problems(self, values: dict[str, Any]) -> list[FieldProblem]:
        if self.purpose == Purpose.IMPORT:
            return []  # R12
        problems = []
        for group in (Group.DESTINATION, Group.REGARDING, Group.EXTRA):
            one_of = [f for f in self.fields if f.group == group and f.state == FieldState.ONE_OF]
            if one_of and not any(values.get(f.code) for f in one_of):
                names = ", ".join(str(f.label) for f in one_of)
                problems.append(
                    FieldProblem(
                        one_of[0].code,
                        "one_of_required",
                        N_("Fill in at least one of: %(fields)s.") % {"fields": names},
                    )
                )
        return problems

    def _destination_problems(self, values: dict[str, Any], roles_of) -> list[FieldProblem]:
        problems = []
        relation, contact = values.get("relation"), values.get("contact")
        if contact is not None and relation is not None and contact.organisation_id != relation.pk:
            problems.append(
                FieldProblem(
                    "contact",
                    "contact_not_of_relation",
                    N_(
                        "Contact %(contact)s belongs to organisation %(org)s, not to %(relation)s: use a contact of %(relation)s or relation number %(org)s."
                    )
                    % {"contact": contact.contact_id, "org": contact.organisation.number, "relation": relation.number},
                )
            )
        wanted = [code for code, role in REGARDING_ROLES.items() if values.get(code) is True]
        if wanted and relation is None:
            if not self["relation"].needs_value:  # a missing required relation is reported once
                problems.append(
                    FieldProblem(
                        wanted[0],
                        "regarding_without_relation",
                        N_("A regarding role needs an organisation/person: fill in the relation number."),
                    )
                )
        elif wanted:
            held = roles_of(relation)
            for code in wanted:
                role = REGARDING_ROLES[code]
                if role is not None and role not in held:
                    problems.append(
                        FieldProblem(code, "regarding_role_missing", self._role_missing(code, relation, held))
                    )
        return problems

    def _role_missing(self, code: str, relation: Relation, held: set[str]) -> Message:
        """R13: the relation lacks the role a regarding field needs. Says which roles it does
        hold; when the type requires the role, that only an administrator can change that."""
        params = {
            "relation": relation.number,
            "role": ROLE_LABELS[REGARDING_ROLES[code]],
            "field": self[code].label,
            "type": self.item_type.code,
            "held": listed([ROLE_LABELS[r] for r in ROLE_LABELS if r in held]),
        }
        if self[code].auto and held:
            message = N_(
                "Relation %(relation)s is not registered as %(role)s, which type %(type)s requires; it is registered as %(held)s. Use the number of a relation that is %(role)s, or ask an administrator to change the setting '%(field)s' of type %(type)s."
            )
        elif self[code].auto:
            message = N_(
                "Relation %(relation)s is not registered as %(role)s, which type %(type)s requires; it holds no role at all. Use the number of a relation that is %(role)s, or ask an administrator to change the setting '%(field)s' of type %(type)s."
            )
        elif held:
            message = N_(
                "Relation %(relation)s is not registered as %(role)s (it is registered as %(held)s), so %(field)s cannot be set: use the number of a relation that is, or set it to 'nee'."
            )
        else:
            message = N_(
                "Relation %(relation)s is not registered as %(role)s (it holds no role at all), so %(field)s cannot be set: use the number of a relation that is, or set it to 'nee'."
            )
        return message % params

    # --- characteristics and workflows -----------------------------------------------------

    @property
    def combinations(self) -> list[tuple[tuple[int | None, ...], int | None]]:
        """(value ids of levels 1-3, workflow id) of every combination of the type."""
        if self._combinations is None:
            self._combinations = [
                ((c.value_1_id, c.value_2_id, c.value_3_id), c.workflow_id) for c in self.item_type.combinations.all()
            ]
        return self._combinations

    def _characteristic_ids(self, values: dict[str, Any]) -> tuple[int | None, ...]:
        get = values.get
        return tuple([getattr(get(code), "pk", None) for code in CHARACTERISTIC_CODES])

    def _characteristic_problems(self, values: dict[str, Any]) -> list[FieldProblem]:
        levels = self._characteristic_levels
        if not levels:
            return []
        ids = self._characteristic_ids(values)
        first = f"characteristic_{levels[0][0]}"
        if not any(ids):
            if not self.item_type.allow_without_characteristics:
                return [
                    FieldProblem(
                        first,
                        "characteristic_required",
                        N_("Type %(type)s needs at least one characteristic: fill in %(field)s.")
                        % {"type": self.item_type.code, "field": self[first].label},
                    )
                ]
            return []
        if self.item_type.only_existing_combinations and ids not in {combo for combo, _wf in self.combinations}:
            allowed = "; ".join(self._describe(combo) for combo, _wf in self.combinations) or "-"
            return [
                FieldProblem(
                    first,
                    "characteristic_combination",
                    N_("These characteristic values do not form a combination of the type. Allowed: %(allowed)s.")
                    % {"allowed": allowed},
                )
            ]
        return []

    def _describe(self, combo: tuple[int | None, ...]) -> str:
        codes = {v.pk: v.code for level in self.characteristic_values.values() for v in level.values()}
        return "/".join(codes.get(pk, "-") for pk in combo if pk)

    def workflow_id_for(self, values: dict[str, Any]) -> int | None:
        """R17: the workflow an item with these characteristic values enters, if any."""
        if not self.workflow_of_combination:
            return None
        ids = self._characteristic_ids(values)
        return self.workflow_of_combination.get(ids) if any(ids) else None

    @cached_property
    def workflow_of_combination(self) -> dict[tuple[int | None, ...], int]:
        workflows: dict[tuple[int | None, ...], int] = {}
        for combo, workflow_id in self.combinations:
            if workflow_id:
                workflows.setdefault(combo, workflow_id)
        return workflows


def _blank(value: Any) -> bool:
    """None or empty text (model instances are compared by identity, not with their __eq__)."""
    return value is None or (isinstance(value, str) and not value)


ROLE_NUMBER_LABELS: dict[str, Message] = {
    "employee": N_("employee number"),
    "sales": N_("debtor number"),
    "purchase": N_("creditor number"),
    "applicant": N_("applicant number"),
}


def unknown_relation_message(key: str, holder: tuple[str, Relation] | None) -> Message:
    """R19: an unknown relation number; when it is a role number, which number to use."""
    if holder:
        role, relation = holder
        return N_(
            "%(key)s is the %(role)s of %(name)s, not a relation number. Use relation number %(number)s instead."
        ) % {
            "key": parse.quoted(key),
            "role": ROLE_NUMBER_LABELS[role],
            "name": relation.name,
            "number": relation.number,
        }
    return N_(
        "There is no organisation/person with number %(key)s. Use an existing relation number (not an employee or debtor number)."
    ) % {"key": parse.quoted(key)}


ROLE_LABELS: dict[str, Message] = {
    "employee": N_("employee"),
    "sales": N_("sales relation"),
    "purchase": N_("purchase relation"),
    "applicant": N_("applicant"),
}

# What a type's destinations must be, one role: said as the kind of relation it takes.
ONLY_ROLE: dict[str, Message] = {
    "employee": N_("Only employees"),
    "sales": N_("Only sales relations (debtors)"),
    "purchase": N_("Only purchase relations (creditors)"),
    "applicant": N_("Only applicants"),
}


def accepted_destinations(item_type: ItemType) -> Message:
    """Which relations the items of this type can be filed for, as the type step says it:
    "Only employees" when the type requires the employee role, and so on."""
    if item_type.relation_state == FieldState.HIDDEN:
        return N_("No organisation/person")
    roles = item_type.required_roles()
    if len(roles) == 1:
        return ONLY_ROLE[roles[0]]
    if roles:
        return N_("Only relations that are %(roles)s") % {"roles": listed([ROLE_LABELS[r] for r in roles])}
    return N_("Any organisation/person")
