"""The dossier domain: relations and their roles, item types with their whole configuration,
and the dossier items themselves. Rules about a single object live on its model; what fields
an item of a type has, and what makes it valid, lives in `dossier.spec`."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from spreadsheets.messages import MessageField


def private_storage():
    return storages["private"]


class FieldState(models.TextChoices):
    """How a type treats a destination, regarding role or extra (AFAS's four states)."""

    HIDDEN = "hidden", _("not allowed")
    OPTIONAL = "optional", _("optional")
    REQUIRED = "required", _("required")
    ONE_OF = "one_of", _("one of these required")


def state_field(verbose_name, default=FieldState.HIDDEN):
    return models.CharField(verbose_name, max_length=10, choices=FieldState.choices, default=default)


# --- Relations and roles -------------------------------------------------------------------


class RelationQuerySet(models.QuerySet):
    def visible_to(self, user) -> RelationQuerySet:
        """The relations a user may be shown by name (the import's candidates for a reference
        it could not find): all of them for an active user with view permission on relations
        (the staff group has it; superusers), none for anyone else. A number already known
        to the user still names its relation in an import (R19)."""
        if getattr(user, "is_active", False) and user.has_perm("dossier.view_relation"):
            return self
        return self.none()

    def holders_of_role_numbers(self, numbers) -> dict[str, tuple[str, Relation]]:
        """R19: for numbers that are role numbers (employee, debtor, creditor, applicant), the
        role and the relation that holds it, so a message can name the number to use."""
        numbers = list(numbers)
        found: dict[str, tuple[str, Relation]] = {}
        if not numbers:
            return found
        for role, model in ROLE_MODELS.items():
            for holder in model.objects.filter(number__in=numbers).select_related("relation"):
                found[holder.number] = (role, holder.relation)
        return found


class Relation(models.Model):
    """An organisation or a person. Its number (AFAS: BcCo) is the only key an import may use
    to name a destination (R19)."""

    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("organisation")
        PERSON = "person", _("person")

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RelationQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("organisation/person")
        verbose_name_plural = _("organisations/persons")
        # One permission for the admin's Export button on all master data (relations,
        # contacts, roles, extras): viewing a list is not leave to take it home.
        permissions = [("export_master_data", _("Can export master data (relations, contacts, roles, extras)"))]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_organisation(self) -> bool:
        return self.kind == self.Kind.ORGANISATION

    def own_contacts(self) -> models.QuerySet[Contact]:
        """The contacts whose items belong in this relation's dossier."""
        return contacts_of(self)

    def role_codes(self) -> set[str]:
        """The roles this relation holds, as codes of `ROLE_MODELS`."""
        return {code for code, model in ROLE_MODELS.items() if model.objects.filter(relation=self).exists()}


class Contact(models.Model):
    """A person at an organisation, with its own id."""

    contact_id = models.CharField(_("contact id"), max_length=20, unique=True)
    organisation = models.ForeignKey(
        Relation,
        on_delete=models.PROTECT,
        related_name="contacts",
        limit_choices_to={"kind": Relation.Kind.ORGANISATION},
        verbose_name=_("organisation"),
    )
    person = models.ForeignKey(
        Relation,
        on_delete=models.PROTECT,
        related_name="contact_links",
        limit_choices_to={"kind": Relation.Kind.PERSON},
        verbose_name=_("person"),
    )
    function = models.CharField(_("function"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering = ["contact_id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.contact_id} {self.person.name} ({self.organisation.name})"

    def clean(self) -> None:
        if self.organisation_id and self.organisation.kind != Relation.Kind.ORGANISATION:
            raise ValidationError({"organisation": _("A contact's organisation must be an organisation.")})
        if self.person_id and self.person.kind != Relation.Kind.PERSON:
            raise ValidationError({"person": _("A contact's person must be a person.")})


def contacts_of(relation) -> models.QuerySet[Contact]:
    """An organisation's contacts, or the contacts that are a person (a relation, or an
    `OuterRef` to one). A contact's organisation is always an organisation and its person a
    person, so one condition serves both kinds."""
    return Contact.objects.filter(Q(organisation=relation) | Q(person=relation))


class Role(models.Model):
    """A role a relation holds, with a number of its own. Role numbers are never import keys."""

    relation = models.OneToOneField(Relation, on_delete=models.CASCADE, verbose_name=_("organisation/person"))
    number = models.CharField(_("number"), max_length=20, unique=True)

    class Meta:
        abstract = True
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} ({self.relation})"


class Employee(Role):
    class Meta(Role.Meta):
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        default_related_name = "employee"


class SalesRelation(Role):
    class Meta(Role.Meta):
        verbose_name = _("sales relation")
        verbose_name_plural = _("sales relations")
        default_related_name = "sales_relation"


class PurchaseRelation(Role):
    class Meta(Role.Meta):
        verbose_name = _("purchase relation")
        verbose_name_plural = _("purchase relations")
        default_related_name = "purchase_relation"


class Applicant(Role):
    class Meta(Role.Meta):
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        default_related_name = "applicant"


ROLE_MODELS: dict[str, type[Role]] = {
    "employee": Employee,
    "sales": SalesRelation,
    "purchase": PurchaseRelation,
    "applicant": Applicant,
}
# The reverse one-to-one accessor of each role on Relation (`select_related` names).
ROLE_ACCESSORS: dict[str, str] = {code: model._meta.default_related_name for code, model in ROLE_MODELS.items()}


# --- Dossier extras ------------------------------------------------------------------------


class DossierExtra(models.Model):
    """A non-relation link of an item. Another extra is one model here, one entry in
    `EXTRA_MODELS`, a `<code>_state` field on ItemType and a `<code>` field on DossierItem."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Project(DossierExtra):
    class Meta(DossierExtra.Meta):
        verbose_name = _("project")
        verbose_name_plural = _("projects")


class Course(DossierExtra):
    class Meta(DossierExtra.Meta):
        verbose_name = _("course")
        verbose_name_plural = _("courses")


EXTRA_MODELS: dict[str, type[DossierExtra]] = {"project": Project, "course": Course}

# Regarding field -> the role the relation must hold (None: the relation itself). Each is a
# `<code>_state` field on ItemType and a `<code>` flag on DossierItem.
REGARDING_ROLES: dict[str, str | None] = {
    "regarding_relation": None,
    "regarding_employee": "employee",
    "regarding_sales": "sales",
    "regarding_purchase": "purchase",
    "regarding_applicant": "applicant",
}


# --- Characteristics and workflows ---------------------------------------------------------


class Characteristic(models.Model):
    """A classification (kenmerk) with a list of values; a type uses up to three levels."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("characteristic")
        verbose_name_plural = _("characteristics")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CharacteristicValue(models.Model):
    characteristic = models.ForeignKey(
        Characteristic, on_delete=models.CASCADE, related_name="values", verbose_name=_("characteristic")
    )
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("label"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["characteristic", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["characteristic", "code"], name="unique_value_code")]
        verbose_name = _("characteristic value")
        verbose_name_plural = _("characteristic values")

    def __str__(self) -> str:
        # A person reads a value by its label ("Hoog"), on every page and drop-down; the code
        # is what the import and the export exchange.
        return self.label


class Workflow(models.Model):
    """A small graph of tasks and actions that an item can enter."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")

    def __str__(self) -> str:
        return self.name

    def start_task(self) -> WorkflowTask | None:
        """The task marked as start, else the first one (uses prefetched tasks when there)."""
        tasks = sorted(self.tasks.all(), key=lambda task: (not task.is_start, task.position, task.pk))
        return tasks[0] if tasks else None


class WorkflowTask(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("workflow"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_start = models.BooleanField(_("start task"), default=False)

    class Meta:
        ordering = ["workflow", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["workflow", "code"], name="unique_task_code")]
        verbose_name = _("workflow task")
        verbose_name_plural = _("workflow tasks")

    def __str__(self) -> str:
        return f"{self.workflow.code}: {self.name}"


class WorkflowAction(models.Model):
    """A button on a task; it moves the item to the next task, or ends the workflow."""

    task = models.ForeignKey(WorkflowTask, on_delete=models.CASCADE, related_name="actions", verbose_name=_("task"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    next_task = models.ForeignKey(
        WorkflowTask,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("next task"),
        help_text=_("Empty: the action ends the workflow."),
    )

    class Meta:
        ordering = ["task", "code"]
        verbose_name = _("workflow action")
        verbose_name_plural = _("workflow actions")

    def __str__(self) -> str:
        return f"{self.task}: {self.name}"


# --- Review profiles, document templates ---------------------------------------------------


class ReviewProfile(models.Model):
    """How an item made with a creation profile is reviewed: one review task per reviewer."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="review_profiles", verbose_name=_("reviewers")
    )
    days_to_review = models.PositiveIntegerField(_("days to review"), default=5)

    class Meta:
        ordering = ["code"]
        verbose_name = _("review profile")
        verbose_name_plural = _("review profiles")

    def __str__(self) -> str:
        return self.name


class DocumentTemplate(models.Model):
    """A .docx with docxtpl placeholders ({{ item.subject }}, {{ free.Salaris }}, ...),
    rendered per item and attached to it."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    file = models.FileField(_("template (.docx)"), upload_to="templates/", storage=private_storage)
    output_name = models.CharField(
        _("output file name"),
        max_length=100,
        default="{number}.docx",
        help_text=_("Placeholders: {number}, {relation}, {type}."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_(
            "The language amounts, dates and yes/no are written in. Empty: the language of the user "
            "who makes the item (the importing user), else the site's."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.file and not self.file.name.lower().endswith(".docx"):
            raise ValidationError({"file": _("Upload a Word document (.docx).")})


# --- Item types ----------------------------------------------------------------------------


class ItemTypeQuerySet(models.QuerySet):
    def authorised_for(self, user) -> ItemTypeQuerySet:
        """Types the user is authorised for, directly or through one of his groups, active or
        not. Superusers are authorised for every type."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            pk__in=ItemType.objects.filter(Q(authorised_users=user) | Q(authorised_groups__user=user)).values("pk")
        )

    def usable_by(self, user) -> ItemTypeQuerySet:
        """R3: the active types the user is authorised for: the ones he may record or import."""
        return self.authorised_for(user).filter(is_active=True)

    def visible_to(self, user) -> ItemTypeQuerySet:
        """The types a user sees in the configuration: those he is authorised for, and every
        type for whoever may change types (he configures them)."""
        if getattr(user, "is_active", False) and user.has_perm("dossier.change_itemtype"):
            return self
        return self.authorised_for(user)


class ItemType(models.Model):
    """The configuration every dossier item has; it decides the item's fields and rules."""

    class Kind(models.TextChoices):
        SYSTEM = "system", _("system type")
        OWN = "own", _("own type")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OWN)
    is_active = models.BooleanField(_("active"), default=True)
    confidential = models.BooleanField(
        _("confidential"), default=False, help_text=_("Items are hidden from general lists for users without rights.")
    )

    # Item options: off means the field is not offered; in the import never required (R11).
    has_subject = models.BooleanField(_("subject"), default=True)
    has_text = models.BooleanField(_("text"), default=True)
    has_begin_date = models.BooleanField(_("begin date"), default=False)
    has_end_date = models.BooleanField(_("end date"), default=False)
    has_done = models.BooleanField(_("done"), default=False)
    has_responsible = models.BooleanField(_("responsible"), default=False)
    responsible_required = models.BooleanField(_("responsible is mandatory"), default=False)
    submitter_is_default_responsible = models.BooleanField(_("submitter as default responsible"), default=False)
    has_cause = models.BooleanField(_("cause"), default=False)
    has_priority = models.BooleanField(_("priority"), default=False)

    last_number = models.PositiveIntegerField(
        _("last used number"), default=0, help_text=_("The next item of this type gets this number plus one.")
    )
    attach_file = models.BooleanField(_("attach file"), default=False)
    outgoing_post_choice = models.BooleanField(
        _("outgoing-post choice"), default=False, help_text=_("On manual entry only; the import ignores it.")
    )

    # Destination
    relation_state = state_field(_("organisation/person"))
    contact_state = state_field(_("contact"))
    # Regarding (betreft), one per role
    regarding_relation_state = state_field(_("regarding organisation/person"))
    regarding_employee_state = state_field(_("regarding employee"))
    regarding_sales_state = state_field(_("regarding sales relation"))
    regarding_purchase_state = state_field(_("regarding purchase relation"))
    regarding_applicant_state = state_field(_("regarding applicant"))
    # Dossier extras
    project_state = state_field(_("project"))
    course_state = state_field(_("course"))

    # Characteristics
    use_characteristics = models.BooleanField(_("use characteristics"), default=False)
    only_existing_combinations = models.BooleanField(_("only existing combinations allowed"), default=False)
    allow_without_characteristics = models.BooleanField(_("items without characteristics allowed"), default=True)
    characteristic_1 = models.ForeignKey(
        Characteristic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("characteristic 1"),
    )
    characteristic_2 = models.ForeignKey(
        Characteristic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("characteristic 2"),
    )
    characteristic_3 = models.ForeignKey(
        Characteristic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("characteristic 3"),
    )

    authorised_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="authorised_item_types", verbose_name=_("authorised users")
    )
    authorised_groups = models.ManyToManyField(
        "auth.Group", blank=True, related_name="authorised_item_types", verbose_name=_("authorised groups")
    )

    objects = ItemTypeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("dossier item type")
        verbose_name_plural = _("dossier item types")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_own(self) -> bool:
        return self.kind == self.Kind.OWN

    def characteristics(self) -> list[tuple[int, Characteristic]]:
        """The characteristic levels this type uses, as (level, characteristic)."""
        if not self.use_characteristics:
            return []
        levels = [(1, self.characteristic_1), (2, self.characteristic_2), (3, self.characteristic_3)]
        return [(level, c) for level, c in levels if c is not None]

    def clean(self) -> None:
        errors = {}
        if not self.is_own and self.pk and self.free_fields.exists():
            errors["kind"] = _("Free fields exist only on own types.")
        if self.use_characteristics and not self.characteristic_1:
            errors["characteristic_1"] = _("Choose the first characteristic, or switch characteristics off.")
        if self.responsible_required and not self.has_responsible:
            errors["responsible_required"] = _("Switch on the responsible option first.")
        if errors:
            raise ValidationError(errors)


class FreeField(models.Model):
    """A custom field of an own item type."""

    class Kind(models.TextChoices):
        TEXT = "text", pgettext_lazy("free field kind", "text")
        LONG_TEXT = "long_text", pgettext_lazy("free field kind", "long text")
        INTEGER = "integer", _("integer")
        DECIMAL = "decimal", _("decimal")
        DATE = "date", _("date")
        BOOLEAN = "boolean", _("yes/no")
        CHOICE = "choice", _("choice")

    item_type = models.ForeignKey(
        ItemType, on_delete=models.CASCADE, related_name="free_fields", verbose_name=_("type")
    )
    code = models.CharField(
        _("code"), max_length=40, help_text=_("Letters, digits and underscores; used as column name and in templates.")
    )
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(_("required"), default=False)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For a choice field: one per line, as CODE or CODE=Label.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["item_type", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["item_type", "code"], name="unique_free_field_code")]
        verbose_name = _("free field")
        verbose_name_plural = _("free fields")

    def __str__(self) -> str:
        return self.label

    def choice_map(self) -> dict[str, str]:
        """Allowed codes with their labels, in the order they were entered."""
        result = {}
        for line in self.choices.splitlines():
            code, _sep, label = line.strip().partition("=")
            if code.strip():
                result[code.strip()] = label.strip() or code.strip()
        return result

    def clean(self) -> None:
        if not self.code.replace("_", "").isalnum():
            raise ValidationError({"code": _("Use only letters, digits and underscores.")})
        if self.kind == self.Kind.CHOICE and not self.choice_map():
            raise ValidationError({"choices": _("A choice field needs at least one choice.")})
        if self.item_type_id and not self.item_type.is_own:
            raise ValidationError(_("Free fields exist only on own types."))


class CharacteristicCombination(models.Model):
    """Type + up to three characteristic values; names the workflow such an item enters (R17)."""

    item_type = models.ForeignKey(
        ItemType, on_delete=models.CASCADE, related_name="combinations", verbose_name=_("type")
    )
    value_1 = models.ForeignKey(
        CharacteristicValue, on_delete=models.PROTECT, related_name="+", verbose_name=_("value 1")
    )
    value_2 = models.ForeignKey(
        CharacteristicValue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("value 2"),
    )
    value_3 = models.ForeignKey(
        CharacteristicValue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("value 3"),
    )
    workflow = models.ForeignKey(
        Workflow,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="combinations",
        verbose_name=_("workflow"),
    )

    class Meta:
        verbose_name = _("characteristic combination")
        verbose_name_plural = _("characteristic combinations")
        constraints = [
            # Empty levels count as equal, on every database.
            models.UniqueConstraint(
                F("item_type"),
                F("value_1"),
                Coalesce("value_2", Value(0)),
                Coalesce("value_3", Value(0)),
                name="unique_combination",
                violation_error_message=_("The type already has this combination."),
            )
        ]

    def __str__(self) -> str:
        values = [str(v) for v in (self.value_1, self.value_2, self.value_3) if v]
        target = f" -> {self.workflow}" if self.workflow_id else ""
        return ", ".join(values) + target

    def value_ids(self) -> tuple[int | None, int | None, int | None]:
        return (self.value_1_id, self.value_2_id, self.value_3_id)

    def clean(self) -> None:
        if not self.item_type_id:
            return
        levels = {
            1: self.item_type.characteristic_1_id,
            2: self.item_type.characteristic_2_id,
            3: self.item_type.characteristic_3_id,
        }
        for level, value_id in enumerate(self.value_ids(), start=1):
            # A value the form refused is not set (its id is None): the form says so itself.
            if value_id is not None and getattr(self, f"value_{level}").characteristic_id != levels[level]:
                raise ValidationError(
                    {
                        f"value_{level}": _("This value does not belong to characteristic %(level)s of the type.")
                        % {"level": level}
                    }
                )


class CreationProfile(models.Model):
    """Settings for creating items of an own type: page layout, review profile, document."""

    item_type = models.ForeignKey(
        ItemType,
        on_delete=models.CASCADE,
        related_name="creation_profiles",
        limit_choices_to={"kind": ItemType.Kind.OWN},
        verbose_name=_("type"),
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    review_profile = models.ForeignKey(
        ReviewProfile, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("review profile")
    )
    document_template = models.ForeignKey(
        DocumentTemplate, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("document template")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["item_type", "code"]
        constraints = [models.UniqueConstraint(fields=["item_type", "code"], name="unique_profile_code")]
        verbose_name = _("creation profile")
        verbose_name_plural = _("creation profiles")

    def __str__(self) -> str:
        return f"{self.item_type.code}/{self.code} {self.name}"

    def clean(self) -> None:
        if self.item_type_id and not self.item_type.is_own:
            raise ValidationError({"item_type": _("Creation profiles exist only on own types.")})


class CreationProfileField(models.Model):
    """One field on a profile's pages, in order, with its field setting. Field settings
    (state, default) apply to manual entry only; the import ignores them (R21)."""

    class Setting(models.TextChoices):
        AS_TYPE = "", _("as the type says")
        HIDDEN = "hidden", _("hidden")
        OPTIONAL = "optional", _("optional")
        REQUIRED = "required", _("required")

    profile = models.ForeignKey(
        CreationProfile, on_delete=models.CASCADE, related_name="fields", verbose_name=_("profile")
    )
    field_code = models.CharField(
        _("field"), max_length=40, help_text=_("A field code of the type, e.g. subject, relation, free_Salaris.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    on_edit_page = models.BooleanField(_("on edit page"), default=True)
    on_show_page = models.BooleanField(_("on show page"), default=True)
    setting = models.CharField(_("setting"), max_length=10, choices=Setting.choices, blank=True, default="")
    default = models.CharField(_("default value"), max_length=200, blank=True)

    class Meta:
        ordering = ["profile", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["profile", "field_code"], name="unique_profile_field")]
        verbose_name = _("profile field")
        verbose_name_plural = _("profile fields")

    def __str__(self) -> str:
        return self.field_code


# --- Dossier items -------------------------------------------------------------------------


class DossierItemQuerySet(models.QuerySet):
    def for_relation(self, relation) -> DossierItemQuerySet:
        """The central dossier of a relation: the items whose destination is the relation or
        one of its contacts (an organisation's contacts; for a person, the contacts that are
        that person). An item that regards one of the relation's roles has the relation itself
        as its destination (R13), so it is among them.

        For a Relation the contact ids are looked up first (one small query): `relation = r
        OR contact IN (ids)` lets the database use item_relation_idx and item_contact_dossier_idx,
        where an OR across a join to contacts would read the whole table. `relation` may also
        be an `OuterRef` to a relation's pk: one count per row of the relations list."""
        if isinstance(relation, Relation):
            contacts = list(relation.own_contacts().values_list("pk", flat=True))
        else:
            contacts = contacts_of(OuterRef(relation)).values("pk")
        return self.filter(Q(relation=relation) | Q(contact__in=contacts))

    def for_relation_in_parts(self, relation) -> tuple[DossierItemQuerySet, ...]:
        """`for_relation(relation)` as disjoint parts, each a plain index lookup: the items on
        the relation, and those on one of its contacts (as organisation, as person) but not on
        the relation. For counts per row of the relations list (`relation` an `OuterRef`), where
        one OR over a correlated list of contacts makes PostgreSQL read the whole table."""
        elsewhere = self.exclude(relation=relation)
        return (
            self.filter(relation=relation),
            elsewhere.filter(contact__organisation=relation),
            elsewhere.filter(contact__person=relation),
        )

    def visible_to(self, user, *, types_first: bool = False) -> DossierItemQuerySet:
        """The one rule of what a user may see of items, wherever items are shown: only items
        of the types he is authorised for (R3), confidential or not, active or not; superusers
        see all. Everything hanging off an item (attachments, reactions, workflow instances,
        review tasks) derives its visibility from this one method.

        types_first: fetch the user's types now (one small query) and give them to the
        database as constants instead of a subquery. Large lists want it: the planner then
        picks a per-type index for a user of few types, and a user of none costs no item
        query at all (it would otherwise walk every item for nothing)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        types = ItemType.objects.authorised_for(user).values_list("pk", flat=True)
        return self.filter(item_type__in=list(types) if types_first else types)


class ItemPartQuerySet(models.QuerySet):
    """Rows that belong to one dossier item: visible exactly when their item is."""

    def visible_to(self, user) -> ItemPartQuerySet:
        if getattr(user, "is_superuser", False) and user.is_active:
            return self
        # Correlated on the item's key: `item__in=<visible items>` has SQLite build the list of
        # every visible item first (seconds at a million items) to show one item's parts.
        return self.filter(Exists(DossierItem.objects.visible_to(user).filter(pk=OuterRef("item"))))


# Optional keys most items leave empty: indexed only where filled, so an insert skips them.
OPTIONAL_KEYS_INDEXED = {
    "responsible": "item_responsible_idx",
    "cause": "item_cause_idx",
    "project": "item_project_idx",
    "course": "item_course_idx",
    "characteristic_value_1": "item_characteristic_1_idx",
    "characteristic_value_2": "item_characteristic_2_idx",
    "characteristic_value_3": "item_characteristic_3_idx",
    "creation_profile": "item_creation_profile_idx",
}


def _filled_index(field: str, name: str) -> models.Index:
    return models.Index(fields=[field], name=name, condition=Q(**{f"{field}__isnull": False}))


# The longest text an item holds: its text and a free field of kind long text (a subject and a
# free text field hold one line of 255). ItemSpec checks it (dossier/spec.py). It is what one
# Excel cell holds, so an item exported to .xlsx opens whole, and it stays under the cell
# limit (settings.IMPORT_MAX_CELL_LENGTH), so an exported item reads back.
TEXT_MAX_LENGTH = 32_767


class DossierItem(models.Model):
    class Priority(models.TextChoices):
        HIGH = "high", _("high")
        NORMAL = "normal", _("normal")
        LOW = "low", _("low")

    item_type = models.ForeignKey(
        ItemType,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("type"),
        db_index=False,  # unique_item_number starts with it
    )
    number = models.PositiveIntegerField(_("number"))
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    text = models.TextField(_("text"), max_length=TEXT_MAX_LENGTH, blank=True)
    begin_date = models.DateField(_("begin date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_date = models.DateField(_("date done"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_items",
        verbose_name=_("responsible"),
        db_index=False,
    )
    cause = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cause"),
        db_index=False,
    )
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, blank=True)
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submitted_items", verbose_name=_("submitter")
    )
    submitted_at = models.DateTimeField(_("submit date"), default=timezone.now)

    relation = models.ForeignKey(
        Relation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("organisation/person"),
        db_index=False,  # item_relation_idx starts with it
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("contact"),
        db_index=False,
    )
    regarding_relation = models.BooleanField(_("regarding organisation/person"), default=False)
    regarding_employee = models.BooleanField(_("regarding employee"), default=False)
    regarding_sales = models.BooleanField(_("regarding sales relation"), default=False)
    regarding_purchase = models.BooleanField(_("regarding purchase relation"), default=False)
    regarding_applicant = models.BooleanField(_("regarding applicant"), default=False)
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("project"),
        db_index=False,
    )
    course = models.ForeignKey(
        Course,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("course"),
        db_index=False,
    )
    characteristic_value_1 = models.ForeignKey(
        CharacteristicValue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("characteristic 1"),
        db_index=False,
    )
    characteristic_value_2 = models.ForeignKey(
        CharacteristicValue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("characteristic 2"),
        db_index=False,
    )
    characteristic_value_3 = models.ForeignKey(
        CharacteristicValue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("characteristic 3"),
        db_index=False,
    )
    free_values = models.JSONField(_("free fields"), default=dict, blank=True)
    creation_profile = models.ForeignKey(
        CreationProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("creation profile"),
        db_index=False,
    )
    import_job = models.ForeignKey(
        "imports.ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("import"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set by every change after the item was made (never by its creation): an undo of its
    # import names the items changed since.
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True, editable=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
        db_index=False,
        editable=False,
    )
    # What makes two items probably the same document (dossier/fingerprints.py): set by the
    # import, which looks it up before it imports (issue 15: duplicates by content); NULL for
    # items made otherwise, which are never taken for a duplicate.
    fingerprint = models.CharField(_("fingerprint"), max_length=32, null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: unknown)

    objects = DossierItemQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["item_type", "number"], name="unique_item_number")]
        indexes = [
            # The dossier's order; with the type and done in it, the relations list counts each
            # shown relation's visible items, and the dossier its counts per type and done,
            # from the index alone (`for_relation_in_parts`, `central.count_items`).
            models.Index(fields=["relation", "-submitted_at", "item_type", "done"], name="item_relation_idx"),
            # The items list: its default order, and one type (or a user's types) by date.
            models.Index(fields=["-submitted_at", "-id"], name="item_submitted_idx"),
            models.Index(fields=["item_type", "-submitted_at", "-id"], name="item_type_submitted_idx"),
            # The done filter of a user of few types: its page and its capped count from the
            # index, not a walk over his types' items that skips the other state.
            models.Index(fields=["item_type", "done", "-submitted_at", "-id"], name="item_type_done_idx"),
            # The list's search of a text: subjects (LIKE '%text%', which no index finds) and
            # the relations named, read from this index alone (the capped count of a user's
            # types then reads no item row: a tenth of the time at a million items). The
            # relation last: a dossier's counts keep item_relation_idx, which holds done.
            models.Index(fields=["item_type", "subject", "relation"], name="item_search_idx"),
            # Items on a contact, for the dossier and the counts; only where a contact is set.
            models.Index(
                fields=["contact", "relation", "item_type", "done"],
                name="item_contact_dossier_idx",
                condition=Q(contact__isnull=False),
            ),
            *(_filled_index(field, name) for field, name in OPTIONAL_KEYS_INDEXED.items()),
            # An import's items in the list's order ("Show the created items", the import
            # filter): the first page without sorting the import's items, its capped count
            # with the user's types from the index alone, and the undo's and the import
            # filter's lookups by import. Only where an import is set.
            models.Index(
                fields=["import_job", "-submitted_at", "-id", "item_type"],
                name="item_import_job_idx",
                condition=Q(import_job__isnull=False),
            ),
            # The import's look-up of probable duplicates: one query per batch of rows.
            models.Index(fields=["fingerprint"], name="item_fingerprint_idx"),
        ]
        verbose_name = _("dossier item")
        verbose_name_plural = _("dossier items")

    def __str__(self) -> str:
        return f"{self.item_type.code} {self.number} {self.subject}".strip()

    def characteristic_value_ids(self) -> tuple[int | None, int | None, int | None]:
        return (self.characteristic_value_1_id, self.characteristic_value_2_id, self.characteristic_value_3_id)


def attachment_path(instance: Attachment, filename: str) -> str:
    """Stored under a generated name: a user's file name never becomes a path on disk."""
    suffix = Path(filename).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file stored with an item: one brought by the user (an upload, an import row's file)
    or a document generated from a creation profile's template (dossier.documents). An item's
    main file is its first file of kind "file", else its generated document; a document
    generated beside a file of the item's own is a draft."""

    class Kind(models.TextChoices):
        FILE = "file", pgettext_lazy("attachment kind", "file")
        GENERATED = "generated", _("generated document")
        DRAFT = "draft", _("generated draft")

    item = models.ForeignKey(DossierItem, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("item"))
    file = models.FileField(_("file"), upload_to=attachment_path, storage=private_storage, max_length=255)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FILE)
    template = models.ForeignKey(
        DocumentTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("generated from template"),
        db_index=False,
    )

    objects = ItemPartQuerySet.as_manager()

    class Meta:
        ordering = ["item", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_generated(self) -> bool:
        return self.kind != self.Kind.FILE

    @staticmethod
    def digest(content) -> tuple[str, int]:
        """sha256 and size of a file-like object, read in chunks."""
        digest, size = hashlib.sha256(), 0
        for chunk in content.chunks() if hasattr(content, "chunks") else iter(lambda: content.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
        if hasattr(content, "seek"):
            content.seek(0)
        return digest.hexdigest(), size


class Reaction(models.Model):
    """A comment on an item. Reactions are never imported (R6)."""

    item = models.ForeignKey(DossierItem, on_delete=models.CASCADE, related_name="reactions", verbose_name=_("item"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("author"))
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ItemPartQuerySet.as_manager()

    class Meta:
        ordering = ["item", "created_at"]
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")

    def __str__(self) -> str:
        return self.text[:50]


class WorkflowInstance(models.Model):
    """An item in a workflow, at its current task (None: finished)."""

    item = models.OneToOneField(
        DossierItem, on_delete=models.CASCADE, related_name="workflow_instance", verbose_name=_("item")
    )
    workflow = models.ForeignKey(
        Workflow, on_delete=models.PROTECT, related_name="instances", verbose_name=_("workflow")
    )
    current_task = models.ForeignKey(
        WorkflowTask, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("current task")
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)

    objects = ItemPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("workflow instance")
        verbose_name_plural = _("workflow instances")

    def __str__(self) -> str:
        return f"{self.item} in {self.workflow}"


class ReviewTask(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    item = models.ForeignKey(DossierItem, on_delete=models.CASCADE, related_name="review_tasks", verbose_name=_("item"))
    review_profile = models.ForeignKey(ReviewProfile, on_delete=models.PROTECT, verbose_name=_("review profile"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("reviewer"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ItemPartQuerySet.as_manager()

    class Meta:
        ordering = ["item", "pk"]
        verbose_name = _("review task")
        verbose_name_plural = _("review tasks")

    def __str__(self) -> str:
        return f"{self.item}: {self.reviewer}"


class MasterDataImportQuerySet(models.QuerySet):
    def visible_to(self, user) -> MasterDataImportQuerySet:
        """A master-data import (its file, its rows and their problems) is its owner's and
        the superusers', nobody else's."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self if user.is_superuser else self.filter(user=user)


class MasterDataImport(models.Model):
    """A master-data file (relations, contacts, roles, extras) too large to check and import
    inside a web request: the task worker checks it (the preview), and after the user's
    confirmation imports it (`dossier.masterdata`, `dossier.tasks`)."""

    class State(models.TextChoices):
        CHECKING = "checking", pgettext_lazy("master data import state", "checking")
        CHECKED = "checked", pgettext_lazy("master data import state", "checked")
        IMPORTING = "importing", pgettext_lazy("master data import state", "importing")
        DONE = "done", pgettext_lazy("master data import state", "done")
        FAILED = "failed", pgettext_lazy("master data import state", "failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    resource = models.CharField(_("resource"), max_length=100)
    file = models.FileField(_("file"), upload_to="masterdata/", storage=private_storage, max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.PositiveSmallIntegerField(_("format"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.CHECKING)
    language = models.CharField(_("language"), max_length=10, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    message = MessageField(_("message"), blank=True)  # a Message, shown in the reader's language
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = MasterDataImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("master data import")
        verbose_name_plural = _("master data imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"
