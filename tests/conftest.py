"""The cast of the test suite:

- alice imports: InSite rights, authorised for the type `alice_type`;
- bob has Profit rights but is authorised for nothing;
- charlie has no rights at all (the outsider);
- root is a superuser.

The `demo` fixture loads the demo world of the README instead, with its own cast
(dossier.demo.DEMO_USERS; the password is the user name):

- admin is a superuser with InSite and Profit rights, authorised for every type;
- importeur has InSite rights, authorised for SOLL, CORR, CONTR, KLACHT and CURSUS (the
  import tests' `importeur` fixture, tests/imports/conftest.py, signs him in);
- profit has Profit rights, authorised for CORR only;
- zonderrechten has no rights at all and is authorised for nothing.
"""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.storage import FileSystemStorage
from django.db.models import FileField
from django.utils import translation

from dossier import models as dossier_models
from dossier.models import FieldState
from imports.models import ImportJob, SavedMapping
from tests.factories import (
    ApplicantFactory,
    CharacteristicValueFactory,
    ContactFactory,
    CourseFactory,
    EmployeeFactory,
    FreeFieldFactory,
    ItemTypeFactory,
    OrganisationFactory,
    ProjectFactory,
    PurchaseRelationFactory,
    RelationFactory,
    SalesRelationFactory,
    UserFactory,
    WorkflowTaskFactory,
    plain_item,
)


@pytest.fixture(autouse=True)
def private_files(tmp_path, monkeypatch):
    """Every private file a test writes lands in its own temporary folder."""
    storage = FileSystemStorage(location=tmp_path / "private")
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, FileField):
                monkeypatch.setattr(field, "storage", storage)
    return storage


@pytest.fixture(autouse=True)
def english(settings):
    """Messages and pages are asserted in English, the source language; the Dutch
    translation has its own tests (which ask for nl explicitly)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    """The demo world of the README (seed_demo)."""
    from dossier.demo import seed_demo_world

    return seed_demo_world()


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", has_insite_rights=True)


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", has_insite_rights=False, has_profit_rights=True)


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie", has_insite_rights=False, has_profit_rights=False)


@pytest.fixture
def root(db):
    return UserFactory(
        username="root", is_superuser=True, is_staff=True, has_insite_rights=True, has_profit_rights=True
    )


@pytest.fixture
def alice_type(alice):
    item_type = ItemTypeFactory(code="LETTER", name="Letter", relation_state=FieldState.REQUIRED)
    item_type.authorised_users.add(alice)
    return item_type


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def world(root, alice):
    """One or more of everything the admin shows."""
    organisation = OrganisationFactory(number="20001", name="Acme")
    person = RelationFactory(number="10001", name="Jan Jansen")
    contact = ContactFactory(contact_id="30001", organisation=organisation, person=person)
    EmployeeFactory(relation=person, number="E0001")
    ApplicantFactory(relation=RelationFactory(number="10081"), number="A0001")
    SalesRelationFactory(relation=organisation, number="D20001")
    PurchaseRelationFactory(relation=OrganisationFactory(number="20031"), number="C20031")
    project = ProjectFactory(code="PRJ-001")
    CourseFactory(code="CRS-01")

    value = CharacteristicValueFactory(code="HOOG", label="High")
    task = WorkflowTaskFactory(code="START", name="Start")
    dossier_models.WorkflowAction.objects.create(task=task, code="DONE", name="Done")
    review = dossier_models.ReviewProfile.objects.create(code="REV", name="Review")
    review.reviewers.add(root)
    template = dossier_models.DocumentTemplate.objects.create(
        code="DOC", name="Contract", file="templates/contract.docx"
    )

    item_type = ItemTypeFactory(
        code="KLACHT",
        name="Complaint",
        contact_state=dossier_models.FieldState.OPTIONAL,
        project_state=dossier_models.FieldState.OPTIONAL,
        use_characteristics=True,
        characteristic_1=value.characteristic,
        attach_file=True,
    )
    item_type.authorised_users.add(alice)
    FreeFieldFactory(item_type=item_type, code="Salaris", kind=dossier_models.FreeField.Kind.DECIMAL)
    dossier_models.CharacteristicCombination.objects.create(item_type=item_type, value_1=value, workflow=task.workflow)
    profile = dossier_models.CreationProfile.objects.create(
        item_type=item_type, code="NIEUW", name="New", review_profile=review, document_template=template
    )
    dossier_models.CreationProfileField.objects.create(profile=profile, field_code="subject", position=1)

    job = ImportJob.objects.create(
        user=alice,
        item_type=item_type,
        file="imports/complaints.csv",
        file_name="complaints.csv",
        row_count=1,
        items_created=1,
        state=ImportJob.State.DONE,
    )
    item = plain_item(
        item_type,
        1,
        alice,
        relation=organisation,
        contact=contact,
        project=project,
        characteristic_value_1=value,
        creation_profile=profile,
        import_job=job,
    )
    dossier_models.Attachment.objects.create(
        item=item, file="attachments/20001_letter.pdf", original_name="20001_letter.pdf", size=12, sha256="ab" * 32
    )
    dossier_models.Reaction.objects.create(item=item, author=root, text="Seen.")
    dossier_models.WorkflowInstance.objects.create(item=item, workflow=task.workflow, current_task=task)
    dossier_models.ReviewTask.objects.create(item=item, review_profile=review, reviewer=root)
    SavedMapping.objects.create(
        item_type=item_type,
        header_key="k" * 64,
        headers=["Nummer", "Onderwerp"],
        mapping={},
        owner=alice,
        updated_by=alice,
    )
    Group.objects.create(name="Importers")
    return {"item_type": item_type, "item": item, "job": job, "template": template, "organisation": organisation}
