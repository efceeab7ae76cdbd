"""Forms of the import wizard's first steps: choose a type (a), upload the file (b), choose
sheet and header row, map the columns (c). Each form only turns what the user sent into what
a service takes; the rules stay in ItemSpec (values) and the mapping module (mappings)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossier import forms as dossier_forms
from dossier.access import import_refusal, type_refusal
from dossier.forms import resolve_contact, resolve_item, resolve_relation, resolve_user
from dossier.models import EXTRA_MODELS, CreationProfile, ItemType
from dossier.spec import FieldSpec, ItemSpec, Kind
from dossier.values import ValueProblem
from imports.pipeline.allowed import allowed_values
from imports.pipeline.attachments import ArchiveError, AttachmentArchive
from imports.pipeline.columns import left_out_columns, unconfirmed_message
from imports.pipeline.formats import ColumnFormat, decision_key
from imports.pipeline.mapping import (
    NOT_IMPORTED,
    VALUES,
    column_title,
    duplicated_columns,
    ignored_entry,
    ignored_positions,
    letter_position,
    same_name,
    value_map,
)
from spreadsheets.column_formats import ORDER_LABELS, SEPARATOR_LABELS, DateEvidence, DecimalEvidence
from spreadsheets.reading import column_letter

NOT_IMPORTED_CHOICE = ("", gettext_lazy("- not imported -"))
NO_FIXED_VALUE = ("", "-")
SHARED_NAME_LENGTH = 100  # SavedMapping.name


class TypeRadioSelect(forms.RadioSelect):
    """Radio buttons where the types that cannot be imported are shown, but disabled (R5)."""

    def __init__(self, *args, disabled: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled = disabled or set()

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.disabled:
            option["attrs"]["disabled"] = True
        return option


# The import's choice fields say which value was not on offer, as a plain ChoiceField does.
NOT_OFFERED = {"invalid_choice": forms.ChoiceField.default_error_messages["invalid_choice"]}


class ChooseTypeForm(dossier_forms.ChooseTypeForm):
    """Step a: a type the user may use (R3) that can be imported (R5), and optionally an
    active creation profile of that type (R21). The types that cannot be imported are shown
    disabled with the reason (`type_rows`); the profiles come grouped by type."""

    target = "imports:upload"

    item_type = forms.ModelChoiceField(
        queryset=ItemType.objects.none(),
        to_field_name="code",
        label=gettext_lazy("Item type"),
        widget=TypeRadioSelect,
        error_messages=NOT_OFFERED,
    )
    profile = forms.ModelChoiceField(
        queryset=CreationProfile.objects.none(),
        required=False,
        label=gettext_lazy("Creation profile (optional)"),
        error_messages=NOT_OFFERED,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        field = self.fields["item_type"]
        self.types = list(field.queryset.order_by("code"))
        self.refusals = {t.code: reason for t in self.types if (reason := type_refusal(t))}
        field.choices = [(t.code, f"{t.code} {t.name}") for t in self.types]
        field.widget.disabled = set(self.refusals)
        importable = [t for t in self.types if t.code not in self.refusals]
        field = self.fields["profile"]
        field.queryset = field.queryset.filter(item_type__in=importable)
        self.profiles = list(field.queryset)
        groups: dict[str, list[tuple[str, str]]] = {}
        for profile in self.profiles:
            groups.setdefault(profile.item_type.code, []).append((str(profile.pk), f"{profile.code} {profile.name}"))
        field.choices = [("", _("none")), *groups.items()]
        field.widget.attrs["data-profiles"] = "true"

    @property
    def type_rows(self) -> list[tuple[Any, ItemType, str | None]]:
        """(radio button, type, why it cannot be imported or None), in the list's order."""
        radios = list(self["item_type"])
        return [(radio, t, self.refusals.get(t.code)) for radio, t in zip(radios, self.types, strict=True)]

    def clean_item_type(self) -> ItemType:
        item_type = self.cleaned_data["item_type"]
        if item_type.code in self.refusals:
            raise ValidationError(import_refusal(self.user, item_type), code="not_importable")
        return item_type

    def other_type_message(self, item_type: ItemType, profile: CreationProfile) -> str:
        return _("Choose a creation profile of type %(type)s, or none.") % {"type": item_type.code}


class UploadForm(forms.Form):
    """Step b: the spreadsheet and, optionally, a ZIP with the files its rows name."""

    file = forms.FileField(label=gettext_lazy("Spreadsheet"))
    attachments = forms.FileField(label=gettext_lazy("Attachments (ZIP, optional)"), required=False)

    def __init__(self, *args, limits: dict[str, int], too_large: dict[str, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large or {}
        self.fields["file"].help_text = _(
            "An .xlsx, .xls, .ods or .csv file with one row per item and the column names in one row; at most %(size)s."
        ) % {"size": filesizeformat(limits["file"])}
        self.fields["attachments"].help_text = _(
            "Only when the spreadsheet names attachment files: a .zip holding them; at most %(size)s."
        ) % {"size": filesizeformat(limits["attachments"])}
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.xls,.ods,.csv,.txt"
        self.fields["attachments"].widget.attrs["accept"] = ".zip"

    def clean_attachments(self):
        """The ZIP's own refusals (not a ZIP, encrypted, too many files, paths that climb
        out) go on its field; start_import checks it again once it is stored."""
        upload = self.cleaned_data.get("attachments")
        if upload:
            try:
                AttachmentArchive.open(upload).close()
            except ArchiveError as error:
                raise ValidationError(str(error), code="archive") from None
            finally:
                upload.seek(0)
        return upload

    def clean(self) -> dict[str, Any]:
        for name, limit in self.too_large.items():
            self.errors.pop(name, None)
            self.add_error(name, ValidationError(too_large_message(limit), code="too_large"))
        return super().clean()


def too_large_message(limit: int) -> str:
    return _("The file is larger than %(size)s, the most that can be uploaded. Split it into smaller files.") % {
        "size": filesizeformat(limit)
    }


class SheetForm(forms.Form):
    """Which sheet holds the items, and on which row the column names are.

    `chosen_row()`: the header row to read; None when it was left as proposed and another
    sheet was chosen, so that the column names are found there by themselves."""

    sheet = forms.ChoiceField(label=gettext_lazy("Sheet"))
    header_row = forms.IntegerField(
        label=gettext_lazy("Row with the column names"),
        min_value=1,
        max_value=1_048_576,
        help_text=gettext_lazy(
            "The number the spreadsheet program shows at the left of that row; or click that number in the rows below."
        ),
    )
    # The row the page proposed (where the column names were found): a header row left as
    # proposed is found again on another sheet, one the user chose is kept.
    proposed_row = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, sheets: list[str], hidden: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [
            (name, _("%(sheet)s (hidden)") % {"sheet": name} if name in hidden else name) for name in sheets
        ]

    def chosen_row(self, shown_sheet: str) -> int | None:
        """Of a valid form: the row asked for, or None when it is the proposed row of
        `shown_sheet` (the sheet the page showed) and another sheet is chosen."""
        row, proposed = self.cleaned_data["header_row"], self.cleaned_data.get("proposed_row") or ""
        if self.cleaned_data["sheet"] != shown_sheet and proposed.strip() == str(row):
            return None
        return row


class TickedColumns(forms.MultipleChoiceField):
    """Tick boxes of column letters; an empty value (no box ticked) is none."""

    def to_python(self, value) -> list[str]:
        return [letter for letter in super().to_python(value) if letter]


class MappingForm(forms.Form):
    """Step c: for every field of the type a column of the file or a fixed value.

    For each fillable field `column_<code>` picks a column by its letter and `fixed_<code>`
    gives a fixed value (a drop-down for choices). `mapping()` turns them into the entries the
    mapping module takes: a column whose name is unique by that name (so the mapping is
    remembered for files with the columns in another order), a repeated one or one without a
    name by its letter.

    `data_columns` (position -> first row with something in it) are the columns known to hold
    data, also those right of the last column name: each that no field takes must be ticked in
    `not_imported` ("not imported", kept in the mapping's list of that name) before the
    mapping is saved, so nothing is left out unasked.

    A date field has `date_order_<code>` and a number field `decimal_<code>`: how its column
    writes them ("" leaves it to the column's values, `evidence`: position -> {"date_order":
    DateEvidence, "decimal": DecimalEvidence}, imports/pipeline/formats.py). A column whose
    values do not decide must be decided here before the mapping is saved; the decision,
    chosen or from the values, is kept in the field's entry."""

    error_css_class = "errors"

    def __init__(
        self,
        *args,
        spec: ItemSpec,
        headers: list[str],
        user,
        initial_mapping: dict[str, dict],
        may_share: bool = False,
        data_columns: dict[int, int] | None = None,
        evidence: dict[int, dict[str, DateEvidence | DecimalEvidence]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, label_suffix="", **kwargs)
        self.spec, self.headers, self.user = spec, headers, user
        self.evidence = evidence or {}
        self.initial_mapping = initial_mapping
        self.repeated = {p for found in duplicated_columns(headers).values() for p in found}
        self.repeated |= {i for i, h in enumerate(headers) if not h}  # no name: by letter too
        self.unique = {same_name(h): i for i, h in enumerate(headers) if i not in self.repeated}
        self.data_columns = dict(sorted((data_columns or {}).items()))
        column_choices = [
            NOT_IMPORTED_CHOICE,
            *((column_letter(i), f"{column_letter(i)}: {h or _('(no name)')}") for i, h in enumerate(headers)),
        ]
        self.spec_fields = spec.fillable_fields
        for field in self.spec_fields:
            label = capfirst(field.label)
            self.fields[f"column_{field.code}"] = forms.ChoiceField(
                label=label, choices=column_choices, required=False, initial=self._letter(initial_mapping, field.code)
            )
            fixed = self._fixed_field(field)
            if fixed is not None:
                fixed.label = _("Fixed value for %(field)s") % {"field": field.label}
                fixed.required = False
                fixed.initial = (initial_mapping.get(field.code) or {}).get("fixed")
                self.fields[f"fixed_{field.code}"] = fixed
            if key := decision_key(spec, field.code):
                self.fields[f"{key}_{field.code}"] = self._decision_field(key, initial_mapping.get(field.code))
        if self.data_columns:
            ignored = ignored_positions(headers, initial_mapping)
            self.fields["not_imported"] = TickedColumns(
                label=_("Not imported"),
                choices=[(column_letter(p), column_title(headers, p)) for p in self.data_columns],
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=[column_letter(p) for p in self.data_columns if p in ignored],
            )
        self.value_entries = self._value_fields(initial_mapping)
        if may_share:
            self.fields["share_as"] = forms.CharField(
                label=_("Also share it with the users of type %(type)s as") % {"type": spec.item_type.code},
                required=False,
                max_length=SHARED_NAME_LENGTH,
                help_text=_(
                    "Optional: a name. The mapping, its fixed values included, is then offered to every user of the type as a choice for files with these columns."
                ),
            )

    # --- building ------------------------------------------------------------------------

    def _value_fields(self, mapping: dict[str, Any]) -> list[dict[str, Any]]:
        """A drop-down `value_<n>` for each value choice the mapping holds (its value map,
        remembered from an earlier check): the value it stands for, changeable, or none
        (the choice is forgotten)."""
        entries = []
        for code, source in mapping.items():
            values = value_map(source) if isinstance(source, dict) else {}
            if not values or code not in self.spec or self.spec[code].is_hidden:
                continue
            options = [(value.code, value.shown) for value in allowed_values(self.spec, code)]
            for raw, target in sorted(values.items()):
                choices = [("", _("forget this choice")), *options]
                if target not in {option for option, _label in options}:
                    choices.append((target, target))
                name = f"value_{len(entries)}"
                self.fields[name] = forms.ChoiceField(
                    label=_("%(field)s: '%(value)s' in the file stands for")
                    % {"field": capfirst(self.spec[code].label), "value": raw},
                    choices=choices,
                    required=False,
                    initial=target,
                )
                entries.append({"name": name, "field": code, "raw": raw})
        return entries

    def _letter(self, mapping: dict[str, dict], code: str) -> str:
        source = mapping.get(code) or {}
        if source.get("letter"):
            position = letter_position(source["letter"])
            return column_letter(position) if position is not None and position < len(self.headers) else ""
        if source.get("column"):
            position = self.unique.get(same_name(str(source["column"])))
            return column_letter(position) if position is not None else ""
        return ""

    def _decision_field(self, key: str, entry: Any) -> forms.ChoiceField:
        """How the column of a date or number field is written: as its values say, or chosen."""
        labels = ORDER_LABELS if key == "date_order" else SEPARATOR_LABELS
        initial = entry.get(key) if isinstance(entry, dict) else None
        return forms.ChoiceField(
            label=_("Dates in this column") if key == "date_order" else _("Numbers in this column"),
            choices=[("", _("as its values say")), *labels.items()],
            required=False,
            initial=initial if initial in labels else "",
        )

    def _fixed_field(self, field: FieldSpec) -> forms.Field | None:
        match field.kind:
            case Kind.FILE:
                return None  # an attachment comes from its row, never one file for all
            case Kind.BOOLEAN:
                return forms.ChoiceField(choices=[NO_FIXED_VALUE, ("ja", _("yes")), ("nee", _("no"))])
            case Kind.CHOICE | Kind.CHARACTERISTIC:  # offered by label ("Hoog"), kept by code
                return forms.ChoiceField(choices=[NO_FIXED_VALUE, *field.choices.items()])
            case Kind.EXTRA:
                extras = EXTRA_MODELS[field.code].objects.filter(is_active=True).order_by("code")
                return forms.ChoiceField(choices=[NO_FIXED_VALUE, *((e.code, str(e)) for e in extras)])
            case Kind.RELATION:
                widget = forms.TextInput(
                    attrs={"data-relation-search": "true", "autocomplete": "off", "list": f"relations_{field.code}"}
                )
                return forms.CharField(
                    widget=widget,
                    help_text=_("A relation number, the same for every row; type a name or number to search."),
                )
            case Kind.LONG_TEXT:
                return forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "cols": 30}))
            case Kind.DATE:
                return forms.CharField(widget=forms.TextInput(attrs={"placeholder": _("dd-mm-yyyy")}))
            case Kind.DATETIME:
                return forms.CharField(widget=forms.TextInput(attrs={"placeholder": _("dd-mm-yyyy hh:mm")}))
        return forms.CharField()

    @property
    def value_fields(self) -> list[forms.BoundField]:
        """The drop-downs of the value choices the mapping holds (`_value_fields`)."""
        return [self[entry["name"]] for entry in self.value_entries]

    # --- cleaning --------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field in self.spec_fields:
            fixed = (cleaned.get(f"fixed_{field.code}") or "").strip()
            if not fixed:
                continue
            if cleaned.get(f"column_{field.code}"):
                self.add_error(
                    f"fixed_{field.code}",
                    ValidationError(
                        _("%(field)s gets both a column and a fixed value: choose one.")
                        % {"field": capfirst(field.label)},
                        code="fed_twice",
                    ),
                )
                continue
            try:
                self._check_fixed(field, fixed)
            except ValidationError as error:
                self.add_error(f"fixed_{field.code}", error)
        return cleaned

    def undecided_errors(self) -> dict[str, str]:
        """Of a valid form: the date and number columns whose values do not decide how they
        are written and for which nothing was chosen, each field's choice -> the sentence.
        The view adds them with the mapping's own problems, so the page shows all at once."""
        return {
            f"{column_format.key}_{column_format.code}": undecided_message(column_format)
            for column_format in self.column_formats(self.cleaned_data)
            if column_format.undecided
        }

    def column_formats(self, values: dict[str, Any]) -> list[ColumnFormat]:
        """The date and number fields fed by a column in `values` (cleaned data, or the
        values shown), each with its column's evidence and the decision chosen."""
        formats = []
        for field in self.spec_fields:
            key = decision_key(self.spec, field.code)
            position = letter_position(values.get(f"column_{field.code}") or "")
            if key is None or position is None or position >= len(self.headers):
                continue
            evidence = self.evidence.get(position, {}).get(key)
            if evidence is None:
                evidence = DateEvidence() if key == "date_order" else DecimalEvidence()
            formats.append(
                ColumnFormat(
                    code=field.code,
                    label=field.label,
                    column=column_title(self.headers, position),
                    key=key,
                    evidence=evidence,
                    given=values.get(f"{key}_{field.code}") or None,
                )
            )
        return formats

    def remembered(self, code: str, key: str) -> str | None:
        """The decision the initial mapping (remembered, shared or saved before) holds for
        the field, while it is still the one chosen."""
        entry = self.initial_mapping.get(code)
        given = entry.get(key) if isinstance(entry, dict) else None
        name = f"{key}_{code}"
        if not given or name not in self.fields:
            return None
        return given if (self[name].value() or "") == given else None

    def left_out_error(self) -> str:
        """Of a valid form: the sentence naming the columns with data that no field takes
        and that are not ticked "not imported" ("" when there are none). The view adds it
        with the mapping's own problems, so the page shows every problem at once."""
        left_out = left_out_columns(self.headers, self.mapping(), self.data_columns)
        unconfirmed = [column for column in left_out if not column.confirmed]
        return unconfirmed_message(unconfirmed) if unconfirmed else ""

    def _check_fixed(self, field: FieldSpec, raw: str) -> None:
        """A fixed value is read as every row's would be, and what it names must exist."""
        try:
            value = self.spec.clean(field.code, raw)
        except ValueProblem as problem:
            raise ValidationError(problem.message, code=problem.code) from None
        match field.kind:
            case Kind.RELATION:
                resolve_relation(value)
            case Kind.CONTACT:
                resolve_contact(value)
            case Kind.USER:
                resolve_user(value)
            case Kind.ITEM:
                resolve_item(value, item_type=self.spec.item_type, user=self.user)

    def share_name(self) -> str:
        """The name to share the mapping under (a valid form), or "" to keep it to oneself."""
        return " ".join((self.cleaned_data.get("share_as") or "").split())

    def mapping(self) -> dict[str, Any]:
        """The mapping the (valid) form describes; fields it does not feed are left out."""
        return self.mapping_of(self.cleaned_data)

    def mapping_of(self, values: dict[str, Any]) -> dict[str, Any]:
        """The fields' sources, and the ticked columns with data that no field takes as the
        list "not_imported" (a ticked column that a field takes after all is imported)."""
        mapping = sources_of(self.spec_fields, self.headers, self.repeated, values)
        for column_format in self.column_formats(values):  # kept with its field's column
            if column_format.decision and column_format.code in mapping:
                mapping[column_format.code][column_format.key] = column_format.decision
        fed = {letter_position(values.get(f"column_{field.code}") or "") for field in self.spec_fields}
        ticked = [letter_position(letter) for letter in values.get("not_imported") or []]
        ignored = [ignored_entry(self.headers, p) for p in ticked if p is not None and p not in fed]
        if ignored:
            mapping[NOT_IMPORTED] = ignored
        for entry in self.value_entries:
            source = mapping.get(entry["field"])
            chosen = values.get(entry["name"]) or ""
            if chosen and source and ("column" in source or "letter" in source):
                source.setdefault(VALUES, {})[entry["raw"]] = chosen
        return mapping

    def shown_mapping(self) -> dict[str, Any]:
        """The mapping the page shows: what was sent, or else the initial one."""
        values = {}
        for name, field in self.fields.items():
            raw = self[name].value() if self.is_bound else field.initial
            values[name] = raw or ""
        return self.mapping_of(values)


def sources_of(fields: list[FieldSpec], headers: list[str], repeated: set[int], values: dict[str, Any]) -> dict:
    mapping: dict[str, Any] = {}
    for field in fields:
        letter = values.get(f"column_{field.code}") or ""
        fixed = str(values.get(f"fixed_{field.code}") or "").strip()
        position = letter_position(letter) if letter else None
        if position is not None and position < len(headers):
            if position in repeated:
                mapping[field.code] = {"letter": column_letter(position)}
            else:
                mapping[field.code] = {"column": headers[position]}
        elif fixed:
            mapping[field.code] = {"fixed": fixed}
    return mapping


def undecided_message(column_format: ColumnFormat) -> str:
    """The column's values do not say how it is written: the user must choose, once."""
    if column_format.is_date:
        return _(
            "The values of column '%(column)s' do not say whether the day or the month comes first: choose day first or month first."
        ) % {"column": column_format.column}
    return _(
        "The values of column '%(column)s' do not say whether it has a decimal comma or a decimal point: choose one."
    ) % {"column": column_format.column}
