"""Factories for volume; set up meaningful data through services where one exists."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from dossier import models


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("password")
    has_insite_rights = True


class RelationFactory(DjangoModelFactory):
    class Meta:
        model = models.Relation

    number = factory.Sequence(lambda n: str(50000 + n))
    kind = models.Relation.Kind.PERSON
    name = factory.Sequence(lambda n: f"Person {n}")


class OrganisationFactory(RelationFactory):
    kind = models.Relation.Kind.ORGANISATION
    name = factory.Sequence(lambda n: f"Organisation {n}")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = models.Contact

    contact_id = factory.Sequence(lambda n: str(70000 + n))
    organisation = factory.SubFactory(OrganisationFactory)
    person = factory.SubFactory(RelationFactory)


class EmployeeFactory(DjangoModelFactory):
    class Meta:
        model = models.Employee

    relation = factory.SubFactory(RelationFactory)
    number = factory.Sequence(lambda n: f"E9{n:04d}")


class SalesRelationFactory(DjangoModelFactory):
    class Meta:
        model = models.SalesRelation

    relation = factory.SubFactory(OrganisationFactory)
    number = factory.Sequence(lambda n: f"D9{n:04d}")


class PurchaseRelationFactory(DjangoModelFactory):
    class Meta:
        model = models.PurchaseRelation

    relation = factory.SubFactory(OrganisationFactory)
    number = factory.Sequence(lambda n: f"C9{n:04d}")


class ApplicantFactory(DjangoModelFactory):
    class Meta:
        model = models.Applicant

    relation = factory.SubFactory(RelationFactory)
    number = factory.Sequence(lambda n: f"A9{n:04d}")


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = models.Project

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Project {n}")


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = models.Course

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"Course {n}")


class ItemTypeFactory(DjangoModelFactory):
    class Meta:
        model = models.ItemType

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"Type {n}")
    relation_state = models.FieldState.REQUIRED


class CharacteristicFactory(DjangoModelFactory):
    class Meta:
        model = models.Characteristic

    code = factory.Sequence(lambda n: f"K{n:02d}")
    name = factory.Sequence(lambda n: f"Characteristic {n}")


class CharacteristicValueFactory(DjangoModelFactory):
    class Meta:
        model = models.CharacteristicValue

    characteristic = factory.SubFactory(CharacteristicFactory)
    code = factory.Sequence(lambda n: f"V{n}")
    label = factory.Sequence(lambda n: f"Value {n}")


class FreeFieldFactory(DjangoModelFactory):
    class Meta:
        model = models.FreeField

    item_type = factory.SubFactory(ItemTypeFactory)
    code = factory.Sequence(lambda n: f"field{n}")
    label = factory.Sequence(lambda n: f"Field {n}")


class WorkflowFactory(DjangoModelFactory):
    class Meta:
        model = models.Workflow

    code = factory.Sequence(lambda n: f"WF{n}")
    name = factory.Sequence(lambda n: f"Workflow {n}")


class WorkflowTaskFactory(DjangoModelFactory):
    class Meta:
        model = models.WorkflowTask

    workflow = factory.SubFactory(WorkflowFactory)
    code = factory.Sequence(lambda n: f"TASK{n}")
    name = factory.Sequence(lambda n: f"Task {n}")
    is_start = True


def plain_item(item_type, number, submitter, **kwargs) -> models.DossierItem:
    """An item written straight to the table, without ItemSpec: for pages that only show it."""
    return models.DossierItem.objects.create(
        item_type=item_type, number=number, submitter=submitter, subject=f"Item {number}", **kwargs
    )
