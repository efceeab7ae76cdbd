"""django-import-export resources for master data: relations, contacts, roles and dossier
extras. Files name every object by its natural key (relation number, contact id, role number,
extra code), never by database id, so a file exported here can be edited and imported again,
and a file from another system can be loaded as it is.

An import is all or nothing, and it writes briefly: every row is checked first without writing
anything (no transaction, so on SQLite no write lock: the preview is this check), and only a
file without problems is then written in one short transaction of bulk statements
(`MasterDataResource.import_data`, `WritePlan`)."""

from __future__ import annotations

import copy
import logging
import tempfile
from pathlib import Path
from typing import Any

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from import_export import fields, instance_loaders, resources, results, widgets
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm

from dossier.models import (
    ROLE_MODELS,
    Applicant,
    Contact,
    Course,
    Employee,
    Project,
    PurchaseRelation,
    Relation,
    SalesRelation,
)
from dossier.spec import ROLE_NUMBER_LABELS, unknown_relation_message
from dossier.values import (
    as_text,
    is_empty,
    parse_boolean,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_integer,
)
from spreadsheets.messages import N_, Message, grouped, in_every_language, message_of, message_with
from spreadsheets.reading import ReadError, column_letter, open_table

logger = logging.getLogger(__name__)

# SQLite allows 32766 variables per statement; stay far below it.
LOOKUP_BATCH = 500
# Rows a bulk INSERT writes at once.
WRITE_BATCH = 500


def natural_key_text(value: Any) -> str:
    """A key cell as text: spreadsheets turn 10001 into 10001.0, files add spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class RelationNumberWidget(widgets.ForeignKeyWidget):
    """A relation named by its number (R19), optionally of one kind. Lookups are prefetched
    per file with `prefetch()`; an unknown number is a row validation error that says what
    the value is when it is not a relation number (a role number, or a relation of the
    wrong kind)."""

    def __init__(self, kind: str | None = None, **kwargs):
        super().__init__(Relation, "number", **kwargs)
        self.kind = kind
        self._cache: dict[str, Relation] = {}

    def prefetch(self, values) -> None:
        numbers = sorted({natural_key_text(v) for v in values} - {""} - self._cache.keys())
        for start in range(0, len(numbers), LOOKUP_BATCH):
            batch = numbers[start : start + LOOKUP_BATCH]
            self._cache.update((r.number, r) for r in Relation.objects.filter(number__in=batch))

    def clean(self, value, row=None, **kwargs) -> Relation | None:
        number = natural_key_text(value)
        if not number:
            return None
        if number not in self._cache:
            self.prefetch([number])
        relation = self._cache.get(number)
        if relation is None:
            raise ValueError(self._unknown_number_message(number))
        if self.kind and relation.kind != self.kind:
            if self.kind == Relation.Kind.ORGANISATION:
                message = N_("%(relation)s is a person, not an organisation: use the number of an organisation.")
            else:
                message = N_("%(relation)s is an organisation, not a person: use the number of a person.")
            raise ValueError(message % {"relation": relation})
        return relation

    def _unknown_number_message(self, number: str) -> Message:
        return unknown_relation_message(number, Relation.objects.holders_of_role_numbers([number]).get(number))


# --- Values read as strictly as the dossier item import reads them ------------------------
#
# django-import-export's own widgets turn what they cannot read into a value without a word
# ("misschien" becomes False). These parse with dossier.values and make anything unreadable a
# row error that names the value. An empty cell keeps the stored value of an existing row (see
# KeepWhenEmptyField); on a new row it is the field's default, or empty.


class StrictBooleanWidget(widgets.BooleanWidget):
    def clean(self, value, row=None, **kwargs) -> bool | None:
        return None if is_empty(value) else parse_boolean(value)


class StrictDateWidget(widgets.DateWidget):
    def clean(self, value, row=None, **kwargs):
        return None if is_empty(value) else parse_date(value)


class StrictDateTimeWidget(widgets.DateTimeWidget):
    def clean(self, value, row=None, **kwargs):
        return None if is_empty(value) else parse_datetime(value)


class StrictIntegerWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs) -> int | None:
        return None if is_empty(value) else parse_integer(value)


class StrictDecimalWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        return None if is_empty(value) else parse_decimal(value)


class StrictChoiceWidget(widgets.CharWidget):
    """A choice by its code or by its label in any language of the site (organisation or
    organisatie, whatever the user's language), case-insensitively and trimmed. An export
    writes the label in the user's language, which every language imports again."""

    def __init__(self, choices, empty: str | None = "", **kwargs):
        super().__init__(**kwargs)
        self.choices = choices
        self.empty = empty  # what an empty cell is: "" (the model then says it is required) or None
        self._words: dict[str, str] | None = None

    def labels(self, language: str) -> dict[str, str]:
        with translation.override(language):
            return {str(code): str(label) for code, label in self.choices}

    def accepted_words(self) -> dict[str, str]:
        """Every word that names a choice, folded, with its code: codes first, then the
        labels in each language of the site (labels are translated, so asked each time)."""
        words = {str(code).casefold(): str(code) for code, _label in self.choices}
        for language, _name in settings.LANGUAGES:
            for code, label in self.labels(language).items():
                words.setdefault(label.casefold(), code)
        return words

    def clean(self, value, row=None, **kwargs) -> str | None:
        if is_empty(value):
            return self.empty
        if self._words is None:  # once per resource (each has its own widgets), not per row
            self._words = self.accepted_words()
        code = self._words.get(as_text(value).casefold())
        if code is None:
            raise ValueError(self.refusal(value))
        return code

    def refusal(self, value) -> Message:
        """The values to write in the reader's language, and the others also accepted: made
        in each language of the site, since which words are "also" depends on it."""
        return in_every_language(lambda: self.refusal_text(value))

    def refusal_text(self, value) -> str:
        """`refusal` in the active language."""
        own = list(self.labels(translation.get_language() or settings.LANGUAGE_CODE).values())
        own_folded = {label.casefold() for label in own}
        also = []
        for word in [str(code) for code, _label in self.choices] + [
            label for language, _name in settings.LANGUAGES for label in self.labels(language).values()
        ]:
            if word.casefold() not in own_folded and word not in also:
                also.append(word)
        message = _("'%(value)s' is not one of the allowed values: %(allowed)s.") % {
            "value": value,
            "allowed": ", ".join(own),
        }
        if also:
            message = _("%(message)s Also accepted: %(also)s.") % {"message": message, "also": ", ".join(also)}
        return message

    def render(self, value, obj=None, **kwargs) -> str:
        if value in (None, ""):
            return ""
        return self.labels(translation.get_language() or settings.LANGUAGE_CODE).get(str(value), str(value))


STRICT_WIDGETS = {
    "BooleanField": StrictBooleanWidget,
    "DateField": StrictDateWidget,
    "DateTimeField": StrictDateTimeWidget,
    "IntegerField": StrictIntegerWidget,
    "PositiveIntegerField": StrictIntegerWidget,
    "PositiveSmallIntegerField": StrictIntegerWidget,
    "SmallIntegerField": StrictIntegerWidget,
    "BigIntegerField": StrictIntegerWidget,
    "DecimalField": StrictDecimalWidget,
}


class KeepWhenEmptyField(fields.Field):
    """A field read by a strict widget: an empty cell keeps what an existing row holds (a
    new row gets the model's default)."""

    def save(self, instance, row, is_m2m=False, **kwargs) -> None:
        if instance.pk is not None and is_empty(row.get(self.column_name)):
            return
        super().save(instance, row, is_m2m=is_m2m, **kwargs)


class PersonError(results.Error):
    """An import error as the user sees it, never a traceback: our own sentences (a widget's
    ValueError, a missing column) as they are; anything unexpected as a general sentence,
    its details in the log."""

    def __init__(self, error, row=None, number=None):
        if not isinstance(error, ValueError):
            logger.error("Master data import failed", exc_info=error)
            error = RuntimeError(
                N_("The import stopped on an unexpected error and stored nothing. The details are in the server log.")
            )
        super().__init__(error, row=row, number=number)


class StyleFreeDiff(resources.Diff):
    """The import preview's changes as <ins> and <del> without the style attributes
    diff-match-patch writes, which the Content-Security-Policy blocks."""

    def as_html(self) -> list[str]:
        from diff_match_patch import diff_match_patch

        tags = {diff_match_patch.DIFF_INSERT: "ins", diff_match_patch.DIFF_DELETE: "del"}
        matcher = diff_match_patch()
        cells = []
        for before, after in zip(self.left, self.right, strict=False):
            if before != after and self.new:
                before = ""
            parts = matcher.diff_main(force_str(before), force_str(after))
            matcher.diff_cleanupSemantic(parts)
            cells.append(
                format_html_join(
                    "",
                    "{}",
                    (
                        (format_html("<{}>{}</{}>", tags[op], text, tags[op]) if op in tags else text,)
                        for op, text in parts
                    ),
                )
            )
        return cells


class KeyedInstanceLoader(instance_loaders.ModelInstanceLoader):
    """The stored rows a file names, looked up once per file (in batches), not one query a
    row; a row saved during the import is remembered, so a later row with the same key
    updates it. Because every row of the file is found here by its key, the key's own
    uniqueness check (one query a row) is left out (`MasterDataResource.validate_instance`)."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self.key = resource.fields[resource.get_import_id_fields()[0]]
        self.instances: dict[Any, Any] = {}
        resource._instance_loader = self
        column = self.key.column_name
        if dataset is None or column not in (dataset.headers or []):
            return
        values = set()
        for value in dataset[column]:
            try:
                values.add(self.key.clean({column: value}))
            except (ValueError, ValidationError):
                continue
        values = sorted(str(v) for v in values - {None, ""})
        for start in range(0, len(values), LOOKUP_BATCH):
            batch = values[start : start + LOOKUP_BATCH]
            for instance in self.get_queryset().filter(**{f"{self.key.attribute}__in": batch}):
                self.remember(instance)

    def remember(self, instance) -> None:
        self.instances[getattr(instance, self.key.attribute)] = instance

    def get_instance(self, row):
        return self.instances.get(self.key.clean(row))


class MasterDataResource(resources.ModelResource):
    """Shared behaviour: model validation on every row, unchanged rows skipped, and an
    import that stores every row or none (a row with a validation error rolls back all).
    Stored rows are looked up per file (`KeyedInstanceLoader`), not per row.

    Column names may be written in any language of the site ("nummer", "soort", "naam" as
    well as "number", "kind", "name"); a row's problem names its row in the file (the header
    is row 1) and its column."""

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        instance_loader_class = KeyedInstanceLoader

    def before_import(self, dataset, **kwargs) -> None:
        """Read column names in either language; refuse a file without the key columns; look
        up all relation numbers of the file at once, not one query per row."""
        super().before_import(dataset, **kwargs)
        if dataset.headers:
            dataset.headers = self.column_names_of(dataset.headers)
        self._file_columns = {name: column_letter(index) for index, name in enumerate(dataset.headers or [])}
        keys = [self.fields[name].column_name for name in self._meta.import_id_fields]
        missing = [column for column in keys if column not in (dataset.headers or [])]
        if missing:
            raise MissingColumns(
                N_("The file has no column %(columns)s; add it with a value on every row. Columns found: %(found)s.")
                % {
                    "columns": ", ".join(missing),
                    "found": ", ".join(str(h) for h in dataset.headers or []) or "-",
                }
            )
        for field in self.fields.values():
            if isinstance(field.widget, RelationNumberWidget) and field.column_name in (dataset.headers or []):
                field.widget.prefetch(dataset[field.column_name])

    def column_aliases(self) -> dict[str, str]:
        """Every folded name a column may have, with the resource's column name: the column
        name itself, and the field's name in each language of the site ("soort" is kind)."""
        aliases: dict[str, str] = {}
        ambiguous: set[str] = set()
        for field in self.get_import_fields():
            names = {field.column_name, field.column_name.replace("_", " ")}
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    names.add(str(self.field_title(field)))
            for name in names:
                folded = name.strip().casefold()
                if aliases.setdefault(folded, field.column_name) != field.column_name:
                    ambiguous.add(folded)
        return {name: column for name, column in aliases.items() if name not in ambiguous}

    def field_title(self, field) -> str:
        """A field's name for people: the model field's verbose name, else the column name."""
        title = getattr(field, "title", None)
        if title:
            return title()
        try:
            return str(self._meta.model._meta.get_field(field.attribute).verbose_name)
        except (FieldDoesNotExist, TypeError):
            return field.column_name

    def column_names_of(self, headers: list) -> list:
        """The file's headers with every known name turned into the resource's column name;
        two columns that mean the same field refuse the file."""
        aliases = self.column_aliases()
        renamed = [aliases.get(str(header).strip().casefold(), header) for header in headers]
        given: dict[str, list[str]] = {}
        for header, name in zip(headers, renamed, strict=True):
            given.setdefault(name, []).append(str(header))
        for name, originals in given.items():
            if len(originals) > 1:
                raise MissingColumns(
                    N_("The columns %(columns)s all mean %(name)s: keep one of them.")
                    % {"columns": ", ".join(f"'{o}'" for o in originals), "name": name}
                )
        return renamed

    # Unique fields besides the key that the resource checks itself, against the database and
    # the rows planned before (the rows are not written while they are checked).
    unique_in_memory: tuple[str, ...] = ()

    # Set by the task worker (`dossier.masterdata`): called with the rows done after each row;
    # and the rows whose changes the preview shows (later rows are counted, not drawn).
    on_progress = None
    diff_rows: int | None = None

    def before_import_row(self, row, **kwargs) -> None:
        super().before_import_row(row, **kwargs)
        self._row_number, self._saved = kwargs.get("row_number"), None
        if self.diff_rows is not None and (self._row_number or 0) > self.diff_rows and not self._meta.skip_html_diff:
            self._meta = copy.copy(self._meta)  # this resource's own options, not the class's
            self._meta.skip_html_diff = True

    def after_import_row(self, row, row_result, **kwargs) -> None:
        super().after_import_row(row, row_result, **kwargs)
        if self.diff_rows is not None and (kwargs.get("row_number") or 0) > self.diff_rows:
            row_result.original = None  # not shown: do not keep a copy of every row
        saved, self._saved = getattr(self, "_saved", None), None
        if saved is not None and row_result.import_type == results.RowResult.IMPORT_TYPE_NEW:
            self.plan.new_rows.append((row_result, saved))
        if self.on_progress is not None:
            self.on_progress(kwargs.get("row_number") or 0)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True) -> None:
        """The model's and the widgets' problems, each named by its row and column. The key's
        uniqueness needs no query a row: `KeyedInstanceLoader` found every stored row with
        the file's keys, so a row that is new has a key no row holds."""
        errors = dict(import_validation_errors or {})
        if validate_unique and self._meta.clean_model_instances:
            loader = getattr(self, "_instance_loader", None)
            keys = {loader.key.attribute} if isinstance(loader, KeyedInstanceLoader) else set()
            try:
                instance.validate_unique(exclude=set(errors) | keys | set(self.unique_in_memory))
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        try:
            super().validate_instance(instance, errors, validate_unique=False)
        except ValidationError as error:
            raise ValidationError(self.located(error.update_error_dict({}))) from None

    def after_save_instance(self, instance, row, **kwargs) -> None:
        """A row's instance is remembered by its key (written or only planned), so a later
        row with the same key changes it, as it would once written."""
        super().after_save_instance(instance, row, **kwargs)
        loader = getattr(self, "_instance_loader", None)
        if isinstance(loader, KeyedInstanceLoader):
            loader.remember(instance)

    def located(self, errors: dict[str, list]) -> dict[str, list[Message]]:
        """Each problem with its row and column, as a Message: the task worker keeps it, and
        the page shows it in the reader's language (Django's own sentences too, by msgid)."""
        columns = {field.attribute: field.column_name for field in self.fields.values() if field.attribute}
        row = file_row(getattr(self, "_row_number", None))
        located = {}
        for key, problems in errors.items():
            messages = [
                message_with(error.message, error.params)
                for problem in problems
                for error in ValidationError(problem).error_list
            ]
            column = columns.get(key, key)
            if key == NON_FIELD_ERRORS:
                where = N_("Row %(row)s") % {"row": row}
            elif column in getattr(self, "_file_columns", {}):
                where = N_("Row %(row)s, column %(letter)s (%(name)s)") % {
                    "row": row,
                    "letter": self._file_columns[column],
                    "name": column,
                }
            else:
                where = N_("Row %(row)s, %(name)s") % {"row": row, "name": column}
            located[key] = [N_("%(where)s: %(message)s") % {"where": where, "message": m} for m in messages]
        return located

    def import_instance(self, instance, row, **kwargs) -> None:
        """As django-import-export's, except that a widget's sentence stays a Message
        (translated when shown) instead of a text in the language of the check."""
        errors = {}
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget):
                continue
            try:
                self.import_field(field, instance, row, **kwargs)
            except ValueError as error:
                errors[field.attribute] = ValidationError(message_of(error), code="invalid")
        if errors:
            raise ValidationError(errors)

    def get_error_result_class(self):
        return PersonError

    def get_diff_class(self):
        return StyleFreeDiff

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        """The model's fields with strict widgets (see StrictBooleanWidget and the others)."""
        field = super().field_from_django_field(field_name, django_field, readonly)
        if django_field.choices:
            widget = StrictChoiceWidget(django_field.flatchoices, empty=None if django_field.null else "")
        elif strict := STRICT_WIDGETS.get(django_field.get_internal_type()):
            widget = strict()
        else:
            return field
        return KeepWhenEmptyField(
            attribute=field.attribute,
            column_name=field.column_name,
            widget=widget,
            readonly=field.readonly,
            default=field.default,
        )

    # Set by the caller (the task worker, `dossier.masterdata`): called with the result inside
    # the write's transaction, after the rows are written; what it writes commits with them,
    # and what it raises rolls all of it back.
    while_writing = None

    def import_data(
        self,
        dataset,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = True,
        **kwargs,
    ):
        """Every row or none, holding the database's write lock only while writing:

        1. every row is checked as django-import-export checks it (widgets, model validation,
           the key, role numbers), without a write and without a transaction: what a row
           would store is gathered in a `WritePlan` (on SQLite nobody waits for a check);
        2. a dry run (the preview) ends there, with the same new / changed / unchanged rows,
           diff and problems a dry run in a rolled-back transaction gave;
        3. a file with any problem writes nothing; otherwise the plan is written in one
           transaction of bulk statements (`write_plan`), which commits all rows or none.
           Should the database refuse it (another user took a key or number meanwhile),
           the file is checked and written once more, so the problem reaches its row.

        `use_transactions` is not used: the check needs none, the write always has one."""
        if not dry_run and not self._meta.skip_html_diff:
            # The import itself shows no preview (the dry run did): draw no changes.
            self._meta = copy.copy(self._meta)
            self._meta.skip_html_diff = True
        for attempt in (1, 2):
            result = self.check_rows(dataset, raise_errors, collect_failed_rows, **kwargs)
            if dry_run or result.has_errors() or result.has_validation_errors():
                return result
            try:
                self.write_plan(result)
            except IntegrityError as error:
                logger.warning("Master data import met a change made meanwhile (attempt %s): %s", attempt, error)
                continue
            return result
        result.append_base_error(
            self.get_error_result_class()(
                ValueError(
                    N_(
                        "Another user changed the same records while this file was imported; nothing of the "
                        "file was stored. Import the file again."
                    )
                )
            )
        )
        return result

    def check_rows(self, dataset, raise_errors: bool, collect_failed_rows: bool, **kwargs):
        """Step 1 of `import_data`: django-import-export's row loop without a transaction and
        with dry_run set, so that `save_instance` only plans (see there); the file's own
        errors (missing columns) are the result's base errors, as before."""
        self.plan = WritePlan(self._meta.model)
        result = self.import_data_inner(dataset, True, raise_errors, False, collect_failed_rows, **kwargs)
        for invalid in result.invalid_rows:  # the row in the file, as the messages name it
            invalid.number = file_row(invalid.number)
        return result

    def save_instance(self, instance, is_create, row, **kwargs) -> None:
        """Plan the row's write; nothing is written until every row has been checked."""
        self.before_save_instance(instance, row, **kwargs)
        self.plan.add(instance, created=is_create)
        self._saved = instance
        self.after_save_instance(instance, row, **kwargs)

    def write_plan(self, result) -> None:
        """Step 3 of `import_data`: the planned rows in one transaction, with bulk statements
        (a few per 500 rows instead of one or more per row), then `while_writing`. A new
        row's instance gets its id, so the admin's history can name it."""
        database = router.db_for_write(self._meta.model)
        with transaction.atomic(using=database):
            self.plan.write(connections[database], self.written_columns())
            self.write_more(connections[database])
            if self.while_writing is not None:
                self.while_writing(result)
        for row_result, instance in self.plan.new_rows:
            row_result.object_id = instance.pk

    def written_columns(self) -> list[str]:
        """The model fields a changed row writes: those of the file's columns (not the key)."""
        given = getattr(self, "_file_columns", {})  # the file's columns, as before_import named them
        names = []
        for field in self.get_import_fields():
            if field.column_name not in given or field.column_name in self._meta.import_id_fields:
                continue
            try:
                model_field = self._meta.model._meta.get_field(field.attribute)
            except (FieldDoesNotExist, TypeError):
                continue
            if model_field.concrete and not model_field.primary_key:
                names.append(model_field.name)
        return names

    def write_more(self, connection) -> None:
        """What a resource writes besides its own rows (the relations' roles), in the same
        transaction."""


class WritePlan:
    """What an import will write, gathered while its rows are checked: the new and the
    changed instances of the resource's model, each once (a key the file gives twice is one
    instance, changed by both rows), in the order of the file."""

    def __init__(self, model):
        self.model = model
        self.created: dict[int, Any] = {}
        self.changed: dict[int, Any] = {}
        self.new_rows: list[tuple[Any, Any]] = []  # (row result, instance): ids once written

    def add(self, instance, *, created: bool) -> None:
        if created:
            self.created[id(instance)] = instance
        elif id(instance) not in self.created:
            self.changed[id(instance)] = instance

    def write(self, connection, fields: list[str]) -> None:
        """INSERT the new rows in batches (their ids come back), UPDATE the changed ones with
        one prepared statement run for every row."""
        if self.created:
            self.model.objects.bulk_create(list(self.created.values()), batch_size=WRITE_BATCH)
        if self.changed and fields:
            update_rows(connection, self.model, list(self.changed.values()), fields)


def update_rows(connection, model, instances: list, fields: list[str]) -> None:
    """UPDATE the given fields of each instance by its id: one statement, run for every row
    (executemany), in the order given. Values are prepared as `save()` prepares them."""
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    # Names from the model's metadata, quoted; every value is a parameter.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(f"{quote(column.column)} = %s" for column in columns),
        quote(meta.pk.column),
    )
    params = [
        [column.get_db_prep_save(getattr(instance, column.attname), connection) for column in columns]
        + [meta.pk.get_db_prep_save(instance.pk, connection)]
        for instance in instances
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), WRITE_BATCH):
            cursor.executemany(sql, params[start : start + WRITE_BATCH])


def file_row(data_row: int | None) -> int | None:
    """The row of the file (the header is row 1) of the n-th data row."""
    return None if data_row is None else data_row + 1


# The role number columns of a relations file, by role (see ROLE_MODELS).
ROLE_NUMBER_COLUMNS = {
    "employee": "employee_number",
    "sales": "debtor_number",
    "purchase": "creditor_number",
    "applicant": "applicant_number",
}


class RoleNumberField(fields.Field):
    """A relation's role number (employee, debtor, creditor, applicant number) as a column.

    Import: a number gives the relation that role with that number, or renumbers the role it
    holds; an empty cell, or no column, leaves the role as it is (a role is removed on the
    relation's page, never by a file). The wanted number waits on the relation until it is
    saved (`RelationResource.after_save_instance`)."""

    def __init__(self, role: str):
        self.role = role
        self.accessor = ROLE_MODELS[role]._meta.default_related_name
        super().__init__(
            attribute=f"wanted_{role}_number", column_name=ROLE_NUMBER_COLUMNS[role], widget=widgets.CharWidget()
        )

    def title(self) -> str:
        return str(ROLE_NUMBER_LABELS[self.role])

    def held(self, relation: Relation) -> str:
        """The number of the role the relation holds (one planned by the import included):
        a relation of the file has its roles at hand (`RelationResource.get_queryset`,
        `after_init_instance`), so this asks the database nothing."""
        role = getattr(relation, self.accessor, None)
        return role.number if role is not None else ""

    def get_value(self, relation: Relation) -> str:
        return relation.__dict__.get(self.attribute) or self.held(relation)

    def save(self, relation: Relation, row, is_m2m=False, **kwargs) -> None:
        number = natural_key_text(row.get(self.column_name))
        if number:
            setattr(relation, self.attribute, number)


class RelationResource(MasterDataResource):
    """Relations with their role numbers as columns (employee_number, debtor_number,
    creditor_number, applicant_number), so an export can be edited and imported again."""

    employee_number = RoleNumberField("employee")
    debtor_number = RoleNumberField("sales")
    creditor_number = RoleNumberField("purchase")
    applicant_number = RoleNumberField("applicant")

    class Meta(MasterDataResource.Meta):
        model = Relation
        fields = (
            "number",
            "kind",
            "name",
            "email",
            "city",
            "is_active",
            "blocked",
            "employee_number",
            "debtor_number",
            "creditor_number",
            "applicant_number",
        )
        import_id_fields = ("number",)

    def role_fields(self) -> list[RoleNumberField]:
        return [field for field in self.fields.values() if isinstance(field, RoleNumberField)]

    def get_queryset(self):
        return super().get_queryset().select_related(*(field.accessor for field in self.role_fields()))

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True) -> None:
        errors = dict(import_validation_errors or {})
        for field in self.role_fields():
            number = instance.__dict__.get(field.attribute)
            if (
                number
                and field.attribute not in errors
                and (problem := self.role_number_problem(instance, field, number))
            ):
                errors[field.attribute] = ValidationError(problem)
        super().validate_instance(instance, errors, validate_unique)

    def before_import(self, dataset, **kwargs) -> None:
        """Also look up, once per file, which relation holds each role number of the file
        (kept up to date as rows give relations their numbers, `after_save_instance`)."""
        super().before_import(dataset, **kwargs)
        self._role_holders: dict[str, dict[str, Any]] = {}
        for field in self.role_fields():
            if field.column_name not in (dataset.headers or []):
                continue
            numbers = sorted({natural_key_text(v) for v in dataset[field.column_name]} - {""})
            holders = self._role_holders.setdefault(field.role, {})
            for start in range(0, len(numbers), LOOKUP_BATCH):
                batch = numbers[start : start + LOOKUP_BATCH]
                for role in ROLE_MODELS[field.role].objects.filter(number__in=batch).select_related("relation"):
                    holders[role.number] = role

    def after_init_instance(self, instance, new, row, **kwargs) -> None:
        """A new relation holds no role yet: say so, so that reading its roles after it is
        saved (the preview's diff, `RoleNumberField.held`) asks the database nothing."""
        super().after_init_instance(instance, new, row, **kwargs)
        if new:
            for field in self.role_fields():
                getattr(Relation, field.accessor).related.set_cached_value(instance, None)

    def role_holder(self, field: RoleNumberField, number: str):
        holders = getattr(self, "_role_holders", {}).get(field.role)
        if holders is not None:
            return holders.get(number)
        return ROLE_MODELS[field.role].objects.filter(number=number).select_related("relation").first()

    def role_number_problem(self, relation: Relation, field: RoleNumberField, number: str) -> Message | None:
        model = ROLE_MODELS[field.role]
        limit = model._meta.get_field("number").max_length
        if len(number) > limit:
            return N_("'%(value)s' is longer than %(max)s characters: shorten it.") % {
                "value": number,
                "max": grouped(limit),
            }
        holder = self.role_holder(field, number)
        if holder is not None and not held_by(holder, relation):
            return N_("%(number)s is already the %(role)s of %(relation)s: a number belongs to one relation.") % {
                "number": number,
                "role": ROLE_NUMBER_LABELS[field.role],
                "relation": holder.relation,
            }
        return None

    def after_save_instance(self, instance, row, **kwargs) -> None:
        """Give the relation the role numbers of its row (see RoleNumberField): planned, as
        the relation itself is, and written with it (`write_more`)."""
        super().after_save_instance(instance, row, **kwargs)
        for field in self.role_fields():
            number = instance.__dict__.pop(field.attribute, None)
            if not number or number == field.held(instance):
                continue
            role = getattr(instance, field.accessor, None)
            if role is None:
                role = ROLE_MODELS[field.role](relation=instance)
                self._new_roles[id(role)] = role
            holders = getattr(self, "_role_holders", {}).get(field.role)
            held_before = holders.get(role.number) if holders is not None else None
            if held_before is not None and (held_before is role or (role.pk is not None and held_before.pk == role.pk)):
                del holders[role.number]  # renumbered: its old number is free
            role.number = number
            if role.pk is not None:
                self._renumbered.append((type(role), role.pk, number))
            setattr(instance, field.accessor, role)
            if holders is not None:
                holders[number] = role

    def check_rows(self, dataset, raise_errors: bool, collect_failed_rows: bool, **kwargs):
        self._new_roles: dict[int, Any] = {}
        self._renumbered: list[tuple[type, int, str]] = []  # (model, id, number), in the file's order
        return super().check_rows(dataset, raise_errors, collect_failed_rows, **kwargs)

    def write_more(self, connection) -> None:
        """The roles the file gives or renumbers, after the relations (a new role needs its
        relation's id). Renumbered roles first, one UPDATE each in the file's order, as the
        rows did it (a number one row frees, a later row may take); then the new roles, with
        their final numbers, in bulk."""
        for model, pk, number in self._renumbered:
            model.objects.filter(pk=pk).update(number=number)
        by_model: dict[type, list] = {}
        for role in self._new_roles.values():
            by_model.setdefault(type(role), []).append(role)
        for model, roles in by_model.items():
            model.objects.bulk_create(roles, batch_size=WRITE_BATCH)


def held_by(role, relation: Relation) -> bool:
    """Whether the role (stored, or planned by this import) is the relation's."""
    if relation.pk is not None and role.relation_id is not None:
        return role.relation_id == relation.pk
    return type(role).relation.is_cached(role) and role.relation is relation


class ContactResource(MasterDataResource):
    organisation = fields.Field(
        attribute="organisation",
        column_name="organisation",
        widget=RelationNumberWidget(kind=Relation.Kind.ORGANISATION),
    )
    person = fields.Field(
        attribute="person",
        column_name="person",
        widget=RelationNumberWidget(kind=Relation.Kind.PERSON),
    )

    class Meta(MasterDataResource.Meta):
        model = Contact
        fields = ("contact_id", "organisation", "person", "function", "email")
        import_id_fields = ("contact_id",)

    def get_queryset(self):
        return super().get_queryset().select_related("organisation", "person")


class RoleResource(MasterDataResource):
    """A role (employee, sales relation, ...) keyed by its own number, naming its relation by
    the relation number."""

    relation = fields.Field(attribute="relation", column_name="relation", widget=RelationNumberWidget())
    unique_in_memory = ("relation",)

    class Meta(MasterDataResource.Meta):
        fields = ("number", "relation")
        import_id_fields = ("number",)

    def get_queryset(self):
        return super().get_queryset().select_related("relation")

    def before_import(self, dataset, **kwargs) -> None:
        """Which role number each relation of the file holds, and which relation each role
        number of the file has, looked up once: a relation holds one role of a kind, and the
        rows are checked before any is written (kept up to date in `after_save_instance`)."""
        super().before_import(dataset, **kwargs)
        model, headers = self._meta.model, dataset.headers or []
        relations = sorted({r.pk for r in self.fields["relation"].widget._cache.values()})
        numbers = sorted({natural_key_text(v) for v in dataset["number"]} - {""}) if "number" in headers else []
        self._holding: dict[int, str] = {}  # relation id -> the number of its role
        for key, values in (("relation_id__in", relations), ("number__in", numbers)):
            for start in range(0, len(values), LOOKUP_BATCH):
                query = model.objects.filter(**{key: values[start : start + LOOKUP_BATCH]})
                self._holding.update(query.values_list("relation_id", "number"))
        self._has_relation = {number: relation for relation, number in self._holding.items()}

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True) -> None:
        errors = dict(import_validation_errors or {})
        holding = getattr(self, "_holding", None)
        if holding is not None and "relation" not in errors and instance.relation_id is not None:
            number = holding.get(instance.relation_id)
            if number is not None and number != instance.number:
                errors["relation"] = instance.unique_error_message(type(instance), ("relation",))
        super().validate_instance(instance, errors, validate_unique)

    def after_save_instance(self, instance, row, **kwargs) -> None:
        super().after_save_instance(instance, row, **kwargs)
        if getattr(self, "_holding", None) is None:
            return
        before = self._has_relation.get(instance.number)
        if before is not None and self._holding.get(before) == instance.number:
            del self._holding[before]  # the role moved to another relation
        self._holding[instance.relation_id] = instance.number
        self._has_relation[instance.number] = instance.relation_id


class EmployeeResource(RoleResource):
    class Meta(RoleResource.Meta):
        model = Employee


class SalesRelationResource(RoleResource):
    class Meta(RoleResource.Meta):
        model = SalesRelation


class PurchaseRelationResource(RoleResource):
    class Meta(RoleResource.Meta):
        model = PurchaseRelation


class ApplicantResource(RoleResource):
    class Meta(RoleResource.Meta):
        model = Applicant


class ExtraResource(MasterDataResource):
    class Meta(MasterDataResource.Meta):
        fields = ("code", "name", "is_active")
        import_id_fields = ("code",)


class ProjectResource(ExtraResource):
    class Meta(ExtraResource.Meta):
        model = Project


class CourseResource(ExtraResource):
    class Meta(ExtraResource.Meta):
        model = Course


# --- Files the admin's Import button reads -------------------------------------------------


class MissingColumns(ValueError):
    """The file lacks a column every row needs; the message is one sentence for the user."""


def read_dataset(path: Path, file_name: str) -> tablib.Dataset:
    """A file as a tablib Dataset, read through the import's guarded readers (size on disk,
    ZIP bombs, damaged files, unterminated quotes, ...) and at most
    MASTER_DATA_IMPORT_MAX_ROWS rows. Raises ReadError with one sentence for the user."""
    limit = settings.MASTER_DATA_IMPORT_MAX_ROWS
    table = open_table(path, file_name=file_name)
    rows = table.rows()
    try:
        refuse_repeated_headers(table.headers)
        dataset = tablib.Dataset(headers=table.headers)
        for row in rows:
            if len(dataset) >= limit:
                raise ReadError(
                    N_("'%(name)s' has more than %(max)s rows; split it into smaller files.")
                    % {"name": file_name, "max": grouped(limit)}
                )
            # A spreadsheet's 10001.0 is the key 10001 (numbers, codes): whole floats as ints.
            dataset.append([int(c) if isinstance(c, float) and c.is_integer() else c for c in row.cells])
        return dataset
    finally:
        rows.close()
        table.close()


def refuse_repeated_headers(headers: list[str]) -> None:
    """A resource reads a column by its name, so a name given twice would silently read the
    last of them: refuse the file, naming the columns."""
    columns: dict[str, list[str]] = {}
    for index, name in enumerate(headers):
        columns.setdefault(name, []).append(column_letter(index))
    for name, letters in columns.items():
        if len(letters) > 1:
            raise ReadError(
                N_(
                    "The column name '%(name)s' is given more than once (columns %(letters)s): remove or rename one of them."
                )
                % {"name": name, "letters": ", ".join(letters)}
            )


class GuardedFormat(base_formats.Format):
    """An import format of the admin's Import button that reads through `read_dataset`, never
    through tablib's own whole-file readers. The admin sets `file_name` (the user's) before
    reading; the confirmation step reads the stored copy under a generic name."""

    title = ""
    suffixes: tuple[str, ...] = ()

    def __init__(self, encoding: str | None = None):
        self.encoding = encoding
        self.file_name: str | None = None

    def get_title(self) -> str:
        return self.title

    def get_extension(self) -> str:
        return self.suffixes[0].lstrip(".")

    def can_import(self) -> bool:
        return True

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        name = self.file_name or f"file{self.suffixes[0]}"
        if Path(name).suffix.lower() not in self.suffixes:
            raise ReadError(
                N_("'%(name)s' is not a %(format)s file: choose the format that matches the file.")
                % {"name": name, "format": self.title}
            )
        with tempfile.TemporaryDirectory(prefix="masterdata-") as folder:
            path = Path(folder) / f"upload{self.suffixes[0]}"
            path.write_bytes(in_stream)
            return read_dataset(path, name)


class GuardedCSV(GuardedFormat):
    title = "csv"
    suffixes = (".csv", ".txt")


class GuardedXLSX(GuardedFormat):
    title = "xlsx"
    suffixes = (".xlsx",)


class GuardedXLS(GuardedFormat):
    title = "xls"
    suffixes = (".xls",)


class GuardedODS(GuardedFormat):
    title = "ods"
    suffixes = (".ods",)


IMPORT_FORMATS = [GuardedCSV, GuardedXLSX, GuardedXLS, GuardedODS]


# --- The export page -----------------------------------------------------------------------


class MasterDataExportForm(SelectableFieldsExportForm):
    """The export page's field boxes labelled with the models' (translated) field names instead
    of django-import-export's English "Is Active"; the file's column name follows in brackets
    where it reads differently ("Actief (is_active)")."""

    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        column = field.column_name if field else field_name
        try:
            label = str(capfirst(resource._meta.model._meta.get_field(field_name).verbose_name))
        except FieldDoesNotExist:  # a field of the resource that is no model field
            if not hasattr(field, "title"):
                return super()._get_field_label(resource, field_name)
            label = str(capfirst(field.title()))
        return label if label.casefold() == column.replace("_", " ").casefold() else f"{label} ({column})"
