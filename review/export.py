"""The export of the items list as it is filtered (.xlsx, .csv), through django-import-export.

The rows are the admin's changelist queryset (its filters and search, on top of
`DossierItem.objects.visible_to(user)`); the columns are the fields the import may fill for
the exported types, in ItemSpec's order, with headers and values the import reads by itself:

- a header is the field's label in the user's language (as in the import template); where a
  label would be read as another field, or two columns share one, the field code;
- relation by its number, contact by its contact id, users by user name, the cause by its
  item number, project and course by code, characteristic values by code, choices by code;
- yes/no as yes/no (ja/nee in Dutch), dates as dates (ISO text in .csv), the submit date as
  local time to the second, free fields by their kind;
- then three columns no field of the import takes: type, item number and import (the
  import asks to confirm them as not imported: the wizard's tick boxes, --ignore-column).

With one type, an export can be imported again as a new import of that type: every other
column maps by itself (`ItemExport` checks that with the mapping step's own `suggest_mapping`). With
several types the columns are the union of the types' fields; a column a type lacks stays
empty on its rows. Cells are written by spreadsheets/writing.py (formulas neutralised).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import tablib
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.admin import ExportMixin
from import_export.forms import ExportForm

from dossier.models import DossierItem, FreeField, ItemType
from dossier.spec import FREE_PREFIX, FieldSpec, Group, ItemSpec, Purpose
from imports.models import ImportJob
from imports.pipeline.mapping import normalise, suggest_mapping
from spreadsheets import writing

CHUNK_SIZE = 2000
# Fields the export leaves out: an attachment is a file, not a cell.
NOT_EXPORTED = {"attachment"}


def _yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """A date and time as the import reads it back: local, naive (.xlsx holds no time zone),
    to the second."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def _free_value(kind: str, value: Any) -> Any:
    """A stored free value (JSON) as a cell."""
    if value is None or value == "":
        return None
    match kind:
        case FreeField.Kind.BOOLEAN:
            return _yes_no(value)
        case FreeField.Kind.DECIMAL:
            try:
                return Decimal(str(value))
            except InvalidOperation:
                return str(value)
        case FreeField.Kind.DATE:
            try:
                return dt.date.fromisoformat(str(value))
            except ValueError:
                return str(value)
    return value


def _text(value: str) -> str | None:
    return value or None


# Where each non-free field of an item is read (a `values()` lookup) and how its value
# becomes a cell (None: as it is); an empty value is always an empty cell.
SOURCES: dict[str, tuple[str, Callable[[Any], Any] | None]] = {
    "subject": ("subject", _text),
    "text": ("text", _text),
    "begin_date": ("begin_date", None),
    "end_date": ("end_date", None),
    "done": ("done", _yes_no),
    "done_date": ("done_date", None),
    "responsible": ("responsible__username", None),
    "cause": ("cause__number", None),
    "priority": ("priority", _text),
    "submitter": ("submitter__username", None),
    "submitted_at": ("submitted_at", _local),
    "relation": ("relation__number", None),
    "contact": ("contact__contact_id", None),
    "regarding_relation": ("regarding_relation", _yes_no),
    "regarding_employee": ("regarding_employee", _yes_no),
    "regarding_sales": ("regarding_sales", _yes_no),
    "regarding_purchase": ("regarding_purchase", _yes_no),
    "regarding_applicant": ("regarding_applicant", _yes_no),
    "project": ("project__code", None),
    "course": ("course__code", None),
    "characteristic_1": ("characteristic_value_1__code", None),
    "characteristic_2": ("characteristic_value_2__code", None),
    "characteristic_3": ("characteristic_value_3__code", None),
}
Row = dict[str, Any]  # one item as `values()` gives it


def _reader(path: str, convert: Callable[[Any], Any] | None) -> Callable[[Row], Any]:
    if convert is None:
        return lambda row: row[path]
    return lambda row: None if row[path] is None else convert(row[path])


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Row], Any]
    paths: tuple[str, ...]  # what it reads of an item (`values()` lookups)
    field_code: str | None = None  # the ItemSpec field it feeds on import; None: informational


class ItemExport:
    """The columns of an export of items of `item_types`, and its rows."""

    def __init__(self, item_types: Sequence[ItemType], *, user):
        self.item_types = sorted(item_types, key=lambda t: t.code)
        self.specs = [ItemSpec(t, purpose=Purpose.IMPORT) for t in self.item_types]
        self.visible_jobs = _visible_jobs(user)
        self.columns = self._columns()

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    @property
    def paths(self) -> list[str]:
        """What the rows read of each item, for `values()`."""
        return list(dict.fromkeys(path for column in self.columns for path in column.paths))

    def row(self, item: Row) -> list[Any]:
        return [column.value(item) for column in self.columns]

    def rows(self, queryset, chunk_size: int = CHUNK_SIZE) -> Iterable[list[Any]]:
        """The rows of the items of `queryset`: one query, read in chunks, no model instances."""
        row = self.row
        for item in queryset.values(*self.paths).iterator(chunk_size=chunk_size):
            yield row(item)

    # --- the columns -----------------------------------------------------------------------

    def _fields(self) -> list[FieldSpec]:
        """The fields the import may fill in at least one of the types, once each, in
        ItemSpec's order: the fixed fields, characteristics, then free fields type by type."""
        fillable: dict[str, list[FieldSpec]] = {}
        self._types_of: dict[str, set[int]] = {}  # field code -> the types that have it
        for spec in self.specs:
            for field in spec.fillable_fields:
                if field.code not in NOT_EXPORTED:
                    fillable.setdefault(field.code, []).append(field)
                    self._types_of.setdefault(field.code, set()).add(spec.item_type.pk)
        fixed = (
            [f.code for f in self.specs[0].fields if f.group not in (Group.CHARACTERISTIC, Group.FREE)]
            if self.specs
            else []
        )
        characteristic = [f"characteristic_{level}" for level in (1, 2, 3)]
        order = [c for c in [*fixed, *characteristic] if c in fillable]
        order += [c for c in fillable if c not in order]  # the free fields, in type order
        self._labels = {code: {str(capfirst(str(f.label))) for f in fillable[code]} for code in order}
        return [fillable[code][0] for code in order]

    def _columns(self) -> list[Column]:
        fields = self._fields()
        by_label = self._field_columns(fields, use_codes=False)
        if self._maps_by_itself(by_label):
            return by_label
        return self._field_columns(fields, use_codes=True)

    def _field_columns(self, fields: list[FieldSpec], *, use_codes: bool) -> list[Column]:
        type_codes = {t.pk: t.code for t in self.item_types}
        columns = [
            Column(str(capfirst(_("type"))), lambda row: type_codes[row["item_type"]], ("item_type",)),
            Column(str(capfirst(_("item number"))), lambda row: row["number"], ("number",)),
        ]
        for field in fields:
            labels = self._labels[field.code]
            header = next(iter(labels)) if len(labels) == 1 and not use_codes else field.code
            columns.append(self._column(header, field))
        columns.append(Column(str(capfirst(_("import"))), self._import_of, ("import_job",)))
        # Two columns that read the same would map neither: those go by their field code.
        seen: dict[str, int] = {}
        for column in columns:
            key = normalise(column.header)
            seen[key] = seen.get(key, 0) + 1
        return [
            replace(c, header=c.field_code) if c.field_code and seen[normalise(c.header)] > 1 else c for c in columns
        ]

    def _maps_by_itself(self, columns: list[Column]) -> bool:
        """Does the mapping step map every field column of a one-type export to its own field,
        and no informational column to any? (With several types no one mapping applies.)"""
        if len(self.specs) != 1:
            return True
        headers = [c.header for c in columns]
        expected = {c.field_code: {"column": c.header} for c in columns if c.field_code}
        return suggest_mapping(self.specs[0], headers) == expected

    def _column(self, header: str, field: FieldSpec) -> Column:
        if field.group == Group.FREE:
            return Column(header, self._free_reader(field), ("item_type", "free_values"), field.code)
        path, convert = SOURCES[field.code]
        read, types = _reader(path, convert), self._types_of[field.code]
        if len(types) == len(self.specs):
            return Column(header, read, (path,), field.code)
        # A field some exported types lack stays empty on their rows.
        return Column(
            header, lambda row: read(row) if row["item_type"] in types else None, (path, "item_type"), field.code
        )

    def _free_reader(self, field: FieldSpec) -> Callable[[Row], Any]:
        code = field.code.removeprefix(FREE_PREFIX)
        # The free field of this code on each type (prefetched): its kind decides the cell.
        kinds = {
            spec.item_type.pk: free.kind
            for spec in self.specs
            for free in spec.item_type.free_fields.all()
            if free.code == code
        }

        def read(row: Row) -> Any:
            kind = kinds.get(row["item_type"])
            return _free_value(kind, row["free_values"].get(code)) if kind else None

        return read

    def _import_of(self, row: Row) -> str | None:
        """The import that made the item, by its id; another user's import is not named."""
        job = row["import_job"]
        if job is None:
            return None
        return str(job) if self.visible_jobs is None or job in self.visible_jobs else _("another user's import")


def _visible_jobs(user) -> set | None:
    """The ids of the jobs the user may see (his own), or None for all (a superuser)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    return set(ImportJob.objects.visible_to(user).values_list("pk", flat=True))


def exported_types(queryset) -> list[ItemType]:
    """The types of the items in `queryset` (one query)."""
    type_ids = queryset.order_by().values_list("item_type", flat=True).distinct()
    return list(ItemType.objects.filter(pk__in=type_ids).prefetch_related("free_fields"))


class ItemExportResource(resources.Resource):
    """django-import-export's resource for the items export: the rows are built by
    `ItemExport` (one function per column), not by a Field per cell."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    @classmethod
    def get_display_name(cls) -> str:
        return str(_("dossier items"))

    def export_for(self, queryset) -> ItemExport:
        return ItemExport(exported_types(queryset), user=self.user)

    def export(self, queryset=None, **kwargs) -> tablib.Dataset:
        if queryset is None:
            queryset = DossierItem.objects.visible_to(self.user)
        export = self.export_for(queryset)
        dataset = tablib.Dataset(headers=export.headers, title=_export_title(export))
        for row in export.rows(queryset):
            dataset.append(row)
        return dataset


def _export_title(export: ItemExport) -> str:
    return export.item_types[0].code if len(export.item_types) == 1 else str(_("Items"))


class ItemExportForm(ExportForm):
    """The export page: the file format only (the columns follow from the types)."""


ITEM_EXPORT_FORMATS = [writing.SafeXLSX, writing.SafeCSV]
EXPORT_HELP = gettext_lazy(
    "The export holds the items of the list as it is filtered. Filter the list on one type to "
    "get that type's free fields and characteristics as columns: such a file can be imported "
    "again as a new import of that type."
)


class ItemExportMixin(ExportMixin):
    """The Export button of the items list: export only (no import), the rows of the list as
    it is filtered, for users who may view items. The rows start from the admin's
    get_queryset, so from `visible_to(user)`: nobody exports an item he may not see."""

    resource_classes = [ItemExportResource]
    export_formats = ITEM_EXPORT_FORMATS
    export_form_class = ItemExportForm
    export_template_name = "admin/dossier/dossieritem/export.html"

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def get_export_resource_kwargs(self, request, **kwargs) -> dict[str, Any]:
        return {"user": request.user}

    def get_export_filename(self, request, queryset, file_format) -> str:
        types = exported_types(queryset)
        name = types[0].code if len(types) == 1 else "items"
        return f"{name}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    def init_request_context_data(self, request, form):
        """The export page names the columns and the number of items the file will hold."""
        context = super().init_request_context_data(request, form)
        queryset = self.get_export_queryset(request)
        export = ItemExportResource(user=request.user).export_for(queryset)
        context["fields_list"] = [(ItemExportResource.get_display_name(), export.headers)]
        context["item_count"] = queryset.count()
        context["exported_types"] = export.item_types
        context["export_help"] = EXPORT_HELP
        return context
