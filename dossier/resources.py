"""django-import-export resources for master data: relations, contacts, roles and dossier
extras. Files name every object by its natural key (relation number, contact id, role number,
extra code), never by database id, so a file exported here can be edited and imported again,
and a file from another system can be loaded as it is.

An import is all or nothing: a row with an error rolls back every row of the file."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from dossier.models import (
    Applicant,
    Contact,
    Course,
    Employee,
    Project,
    PurchaseRelation,
    Relation,
    SalesRelation,
)
from dossier.spec import unknown_relation_message

# SQLite allows 32766 variables per statement; stay far below it.
LOOKUP_BATCH = 500


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
                message = _("%(relation)s is a person, not an organisation: use the number of an organisation.")
            else:
                message = _("%(relation)s is an organisation, not a person: use the number of a person.")
            raise ValueError(message % {"relation": relation})
        return relation

    def _unknown_number_message(self, number: str) -> str:
        return unknown_relation_message(number, Relation.objects.holders_of_role_numbers([number]).get(number))


class MasterDataResource(resources.ModelResource):
    """Shared behaviour: model validation on every row, unchanged rows skipped, and an
    import that stores every row or none (a row with a validation error rolls back all)."""

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def before_import(self, dataset, **kwargs) -> None:
        """Look up all relation numbers of the file at once, not one query per row."""
        super().before_import(dataset, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, RelationNumberWidget) and field.column_name in (dataset.headers or []):
                field.widget.prefetch(dataset[field.column_name])

    def import_data(self, dataset, *args, rollback_on_validation_errors: bool = True, **kwargs):
        return super().import_data(
            dataset, *args, rollback_on_validation_errors=rollback_on_validation_errors, **kwargs
        )


class RelationResource(MasterDataResource):
    class Meta(MasterDataResource.Meta):
        model = Relation
        fields = ("number", "kind", "name", "email", "city", "is_active")
        import_id_fields = ("number",)


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

    class Meta(MasterDataResource.Meta):
        fields = ("number", "relation")
        import_id_fields = ("number",)

    def get_queryset(self):
        return super().get_queryset().select_related("relation")


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
