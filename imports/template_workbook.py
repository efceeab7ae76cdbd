"""A type's template workbook: the file an administrator fills in to import items of the type.

Built from the live configuration (the type's ItemSpec for the import), in the user's
language, with the safe cells of spreadsheets/writing.py:

- sheet 1 (named after the type code): one column per field an import may fill, the relation
  first, then in ItemSpec order; a required column's header ends in " *", is bold and has a
  note saying it is required. The headers are the fields' labels, which the mapping step
  matches by itself; the header row is frozen and each column as wide as its header and
  example. Under them one example row that imports cleanly on the data the template was made
  from (a relation holding every role the type requires, existing extras, characteristics and
  choices), each value checked against its field (ItemSpec.clean);
- drop-down lists (data validation) for characteristic values, choices (priority, free-field
  choices) and yes/no fields, and for extras; the lists stand on the instructions sheet.
  Choices are offered by their labels in the user's language, which the import reads in every
  language (dossier.values.choice_parser); a label the parser would not read back as its own
  choice (the code of another one, a label two choices share) is offered as its code;
- sheet 2: instructions: per column whether it is required and what to fill in, then the
  rules that hold for every row.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from dossier.models import EXTRA_MODELS, ROLE_MODELS, Contact, ItemType, Relation
from dossier.spec import REFERENCE_KINDS, REGARDING_ROLES, FieldSpec, Group, ItemSpec, Kind, Purpose
from dossier.values import ValueProblem, choice_parser
from spreadsheets.messages import render
from spreadsheets.writing import xlsx_cell, xlsx_text

VALIDATED_ROWS = 5000  # the drop-down lists cover the rows under the header up to this one
LIST_COLUMN = 5  # on the instructions sheet the lists start in column F (0-based 5)
EXTRA_LIST_LIMIT = 500  # extras beyond this are typed, not picked
BOLD = Font(bold=True)
MIN_WIDTH, MAX_WIDTH = 12, 50  # a column's width in characters: its header and example, within these
DATE_WIDTH = 12  # dd-mm-yyyy and some room


def template_file_name(item_type: ItemType) -> str:
    return f"{item_type.code}-{_('template')}.xlsx"


def write_template(item_type: ItemType, *, user) -> bytes:
    """The template workbook of `item_type` as .xlsx bytes, in the active language."""
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    fields = template_fields(spec)
    lists = {f.code: values for f in fields if (values := allowed_values(f))}
    example = example_row(spec, user=user)

    workbook = Workbook(write_only=True)
    items = workbook.create_sheet(xlsx_text(item_type.code)[:31] or "Items")
    notes = workbook.create_sheet(_("Instructions")[:31])

    headers = []
    for field in fields:
        cell = xlsx_cell(items, header_text(field))
        if field.needs_value:
            cell.font = BOLD
            cell.comment = Comment(_("Required: every row needs a value in this column."), "")
        headers.append(cell)
    # Write-only sheets take their widths and frozen rows before the first row.
    for index, field in enumerate(fields, start=1):
        items.column_dimensions[get_column_letter(index)].width = column_width(field, example.get(field.code))
    items.freeze_panes = "A2"
    items.append(headers)
    items.append([_example_cell(items, example.get(f.code)) for f in fields])

    # The lists: one column each on the instructions sheet, from column F on.
    list_columns: dict[str, str] = {}
    for offset, code in enumerate(lists):
        list_columns[code] = get_column_letter(LIST_COLUMN + offset + 1)
    for index, field in enumerate(fields, start=1):
        if field.code not in lists:
            continue
        letter, count = list_columns[field.code], len(lists[field.code])
        source = f"{quote_sheetname(notes.title)}!${letter}$4:${letter}${3 + count}"
        validation = DataValidation(type="list", formula1=source, allow_blank=True)
        validation.error = _("Choose a value from the list.")
        validation.errorTitle = capfirst(str(field.label))[:32]
        column = get_column_letter(index)
        validation.add(f"{column}2:{column}{VALIDATED_ROWS}")
        items.data_validations.append(validation)

    _write_instructions(notes, spec, lists)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def template_fields(spec: ItemSpec) -> list[FieldSpec]:
    """The columns: the relation first (the field a person fills in first and the import
    needs most), the others in ItemSpec order."""
    fields = spec.fillable_fields
    return sorted(fields, key=lambda f: f.code != "relation")


def column_width(field: FieldSpec, example: Any) -> int:
    """Wide enough for the header and the example value, within MIN_WIDTH and MAX_WIDTH."""
    shown = DATE_WIDTH if isinstance(example, dt.date) else len(str(example or ""))
    return max(MIN_WIDTH, min(MAX_WIDTH, max(len(header_text(field)), shown) + 3))


def choice_text(field: FieldSpec, code: str) -> str:
    """A choice as the template offers it: its label in the active language when the import
    reads that label back as this choice, else its code."""
    label = capfirst(render(field.choices.get(code)))
    try:
        return label if label and choice_parser(field.choices)(label) == code else code
    except ValueProblem:
        return code


def header_text(field: FieldSpec) -> str:
    label = capfirst(str(field.label))
    return f"{label} *" if field.needs_value else label


def allowed_values(field: FieldSpec) -> list[str]:
    """The values a drop-down offers for this field (empty: typed freely)."""
    match field.kind:
        case Kind.BOOLEAN:
            return [_("yes"), _("no")]
        case Kind.CHOICE | Kind.CHARACTERISTIC:
            return [choice_text(field, code) for code in field.choices]
        case Kind.EXTRA:
            model = EXTRA_MODELS[field.code]
            codes = list(
                model.objects.filter(is_active=True)
                .order_by("code")
                .values_list("code", flat=True)[: EXTRA_LIST_LIMIT + 1]
            )
            return codes if len(codes) <= EXTRA_LIST_LIMIT else []
    return []


def _write_instructions(sheet, spec: ItemSpec, lists: dict[str, list[str]]) -> None:
    item_type, fields = spec.item_type, template_fields(spec)
    title = _("Template for importing dossier items of type %(type)s") % {"type": f"{item_type.code} {item_type.name}"}
    rows: list[list[Any]] = [
        [title],
        [],
        [_("Column"), _("Required"), _("What to fill in")],
    ]
    for field in fields:
        rows.append([header_text(field), _("yes") if field.needs_value else _("no"), describe(field, item_type)])
    rows.append([])
    for rule in general_rules(spec):
        rows.append([rule])
    # the lists, beside the descriptions: a header in row 3, the values from row 4 on
    for offset, (code, values) in enumerate(lists.items()):
        column = LIST_COLUMN + offset
        field = next(f for f in fields if f.code == code)
        _put(rows, 2, column, header_text(field).removesuffix(" *"))
        for number, value in enumerate(values):
            _put(rows, 3 + number, column, value)
    for index, row in enumerate(rows):
        cells = [xlsx_cell(sheet, value) for value in row]
        if index in (0, 2):
            for cell in cells:
                cell.font = BOLD
        sheet.append(cells)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 80


def _put(rows: list[list[Any]], row: int, column: int, value: Any) -> None:
    while len(rows) <= row:
        rows.append([])
    line = rows[row]
    line.extend([None] * (column + 1 - len(line)))
    line[column] = value


def describe(field: FieldSpec, item_type: ItemType) -> str:
    """What to fill in for one field, in one or two sentences."""
    match field.kind:
        case Kind.RELATION:
            return _(
                "The relation number of the organisation or person (not an employee, debtor, creditor or applicant number). Several numbers separated by ; make one item for each."
            )
        case Kind.CONTACT:
            return _("The contact id of a person at that organisation.")
        case Kind.USER:
            if field.code == "submitter":
                return _("A user name; empty: the user who imports.")
            return _("A user name.")
        case Kind.DATETIME:
            return _("A date, optionally with a time: dd-mm-yyyy hh:mm; empty: the moment of the import.")
        case Kind.DATE:
            return _("A date: dd-mm-yyyy (31-12-2025), or a date cell.")
        case Kind.BOOLEAN:
            return _("ja or nee (yes or no).")
        case Kind.CHOICE | Kind.CHARACTERISTIC:
            values = ", ".join(_choice_description(field, code) for code in field.choices)
            return _("One of: %(values)s.") % {"values": values}
        case Kind.EXTRA:
            return _("The code of the %(extra)s.") % {"extra": field.label}
        case Kind.ITEM:
            return _("The number of an earlier item of type %(type)s.") % {"type": item_type.code}
        case Kind.FILE:
            return _(
                "The file to attach, as \\\\client\\C$\\Import\\file.pdf; upload the files in a ZIP with the spreadsheet. Start the file name with the relation number."
            )
        case Kind.INTEGER:
            return _("A whole number.")
        case Kind.DECIMAL:
            return _("A number, for example 1234,56.")
        case Kind.LONG_TEXT:
            return _("Text; line breaks are kept.")
    if field.max_length:
        return _("Text, at most %(length)s characters.") % {"length": field.max_length}
    return _("Text.")


def _choice_description(field: FieldSpec, code: str) -> str:
    text = choice_text(field, code)
    return text if text == code else f"{text} ({code})"


def general_rules(spec: ItemSpec) -> list[str]:
    rules = [
        _("One row per item, the column names in row 1. Columns marked * are required."),
        _("Replace the example row in row 2 with your own rows."),
        _("Columns may be left out or put in another order; the import asks which column holds which field."),
    ]
    auto = [capfirst(str(f.label)) for f in spec.fields if f.auto]
    if auto:
        rules.append(
            _("Set on every item by the type, so no column is needed: %(fields)s. The relation must hold that role.")
            % {"fields": ", ".join(auto)}
        )
    return rules


# --- the example row ------------------------------------------------------------------------


def example_row(spec: ItemSpec, *, user) -> dict[str, Any]:
    """A value for every field an example needs (required ones, and those that show the
    format), taken from the database, so the row imports cleanly."""
    values: dict[str, Any] = {}
    codes = {f.code for f in spec.fillable_fields}
    relation = example_relation(spec)
    today = timezone.localdate()
    for field in spec.fillable_fields:
        match field.code:
            case "relation":
                values["relation"] = relation.number if relation else None
            case "contact":
                contact = _contact_of(relation)
                values["contact"] = contact.contact_id if contact else None
            case "subject":
                values["subject"] = _("Example item")
            case "text":
                values["text"] = _("An example row: replace it with your own rows.")
            case "begin_date":
                values["begin_date"] = today
            case "end_date":
                values["end_date"] = today + dt.timedelta(days=30)
            case "done":
                values["done"] = _("no")
            case "responsible":
                values["responsible"] = user.get_username()
            case "priority":
                values["priority"] = "normal"
    if spec.item_type.characteristics():
        values.update(_example_characteristics(spec))
    for field in spec.fillable_fields:
        if field.group == Group.EXTRA:
            extra = EXTRA_MODELS[field.code].objects.filter(is_active=True).order_by("code").first()
            values[field.code] = extra.code if extra else None
        elif field.group == Group.FREE:
            values[field.code] = _example_free_value(field)
        elif field.group == Group.REGARDING and field.code in codes:
            values[field.code] = _("no")
    by_code = {f.code: f for f in spec.fillable_fields}
    for code, value in values.items():
        if value is not None and code in by_code:
            values[code] = fitting_example(spec, by_code[code], value)
    return values


def fitting_example(spec: ItemSpec, field: FieldSpec, value: Any) -> Any:
    """The example value as the template writes it, within its field's range: a choice by its
    label (choice_text), a text cut to the field's length; a value the field would refuse is
    left out rather than shown as an example. References are checked by the import itself."""
    if field.kind in (Kind.CHOICE, Kind.CHARACTERISTIC):
        value = choice_text(field, value)
    elif isinstance(value, str) and field.max_length:
        value = value[: field.max_length]
    if field.kind in REFERENCE_KINDS:
        return value
    try:
        spec.clean(field.code, value)
    except ValueProblem:
        return None
    return value


def example_relation(spec: ItemSpec) -> Relation | None:
    """The first active relation holding every role the type sets on each item (R13)."""
    roles = [REGARDING_ROLES[f.code] for f in spec.fields if f.auto and REGARDING_ROLES.get(f.code)]
    relations = Relation.objects.filter(is_active=True)
    for role in roles:
        relations = relations.filter(pk__in=ROLE_MODELS[role].objects.values("relation_id"))
    return relations.order_by("number").first()


def _contact_of(relation: Relation | None) -> Contact | None:
    if relation is None or not relation.is_organisation:
        return None
    return Contact.objects.filter(organisation=relation).order_by("contact_id").first()


def _example_characteristics(spec: ItemSpec) -> dict[str, str]:
    """The values of the type's first combination, else the first value of level 1."""
    codes_by_pk = {
        v.pk: (level, code) for level, values in spec.characteristic_values.items() for code, v in values.items()
    }
    for combo, _workflow in spec.combinations:
        picked = [codes_by_pk[pk] for pk in combo if pk in codes_by_pk]
        if picked:
            return {f"characteristic_{level}": code for level, code in picked}
    for level, values in sorted(spec.characteristic_values.items()):
        if values:
            return {f"characteristic_{level}": next(iter(values))}
    return {}


def _example_free_value(field: FieldSpec) -> Any:
    match field.kind:
        case Kind.INTEGER:
            return 1
        case Kind.DECIMAL:
            return 2500
        case Kind.DATE:
            return timezone.localdate()
        case Kind.BOOLEAN:
            return _("yes")
        case Kind.CHOICE:
            return next(iter(field.choices), None)
    return _("Example")


def _example_cell(sheet, value: Any):
    cell = xlsx_cell(sheet, value)
    if isinstance(value, dt.date):
        cell.number_format = "dd-mm-yyyy"
    return cell
