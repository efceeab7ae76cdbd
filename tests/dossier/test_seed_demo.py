"""The demo world (docs/design.md, "The demo world") is a contract: these tests hold it."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.forms.models import model_to_dict
from docx import Document

from accounts.models import User
from accounts.rights import may_import
from dossier import models as m
from dossier.access import type_refusal
from dossier.admin import CreationProfileFieldForm
from dossier.demo import DEMO_USERS, contract_template_docx, seed_demo_world
from dossier.services import create_item, render_document
from dossier.spec import ItemSpec

pytestmark = pytest.mark.django_db

SNAPSHOT_MODELS = [
    m.Relation,
    m.Employee,
    m.Applicant,
    m.SalesRelation,
    m.PurchaseRelation,
    m.Contact,
    m.Project,
    m.Course,
    m.Characteristic,
    m.CharacteristicValue,
    m.Workflow,
    m.WorkflowTask,
    m.WorkflowAction,
    m.ItemType,
    m.ItemType.authorised_users.through,
    m.ItemType.authorised_groups.through,
    m.FreeField,
    m.CharacteristicCombination,
    m.ReviewProfile,
    m.ReviewProfile.reviewers.through,
    m.DocumentTemplate,
    m.CreationProfile,
    m.CreationProfileField,
    m.DossierItem,
    m.Attachment,
    m.WorkflowInstance,
    m.ReviewTask,
    User,
    User.groups.through,
    User.user_permissions.through,
    Group,
    Group.permissions.through,
]
AUTO_TIMESTAMPS = {"created_at", "started_at", "last_login"}


def snapshot() -> dict[str, list[dict]]:
    return {
        model._meta.label: [
            {key: value for key, value in row.items() if key not in AUTO_TIMESTAMPS}
            for row in model.objects.order_by("pk").values()
        ]
        for model in SNAPSHOT_MODELS
    }


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch, settings):
    """Files go to a temporary folder; passwords hash fast."""
    storage = FileSystemStorage(location=tmp_path)
    for model in (m.DocumentTemplate, m.Attachment):
        monkeypatch.setattr(model._meta.get_field("file"), "storage", storage)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return storage


@pytest.fixture
def world():
    return seed_demo_world()


def item_type(code: str) -> m.ItemType:
    return m.ItemType.objects.get(code=code)


# --- idempotence -----------------------------------------------------------------------------


def test_running_seed_demo_twice_gives_the_same_world():
    first = seed_demo_world()
    before = snapshot()

    second = seed_demo_world()

    assert snapshot() == before
    assert second["written"] == 0
    assert {k: v for k, v in second.items() if k != "written"} == {k: v for k, v in first.items() if k != "written"}
    assert first["written"] > 0


def test_the_counts_describe_the_world(world):
    assert world["persons"] == m.Relation.objects.filter(kind="person").count() == 150
    assert world["organisations"] == m.Relation.objects.filter(kind="organisation").count() == 40
    assert world["employees"] == m.Employee.objects.count() == 80
    assert world["applicants"] == m.Applicant.objects.count() == 20
    assert world["sales_relations"] == m.SalesRelation.objects.count() == 30
    assert world["purchase_relations"] == m.PurchaseRelation.objects.count() == 10
    assert world["contacts"] == m.Contact.objects.count() == 40
    assert world["projects"] == 10
    assert world["courses"] == 5
    assert world["item_types"] == 6
    assert world["users"] == 4
    assert world["items"] == m.DossierItem.objects.count() > 0


def test_the_command_prints_the_summary_and_the_demo_sign_ins():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    output = out.getvalue()

    assert "Demo world ready" in output
    assert "E0001-E0080" in output
    for user in DEMO_USERS:
        assert f"{user.username} / {user.username}" in output

    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert "nothing changed" in again.getvalue()


def test_a_rerun_repairs_what_was_changed_by_hand(world):
    klacht = item_type("KLACHT")
    klacht.attach_file = True
    klacht.save()
    importeur = User.objects.get(username="importeur")
    importeur.set_password("something else")
    importeur.has_insite_rights = False
    importeur.save()
    m.Relation.objects.filter(number="10001").update(name="Renamed")

    assert seed_demo_world()["written"] > 0

    assert item_type("KLACHT").attach_file is False
    importeur.refresh_from_db()
    assert importeur.check_password("importeur")
    assert importeur.has_insite_rights
    assert m.Relation.objects.get(number="10001").name != "Renamed"
    assert seed_demo_world()["written"] == 0


def test_the_template_file_is_written_only_when_its_content_differs(world, private_storage):
    template = m.DocumentTemplate.objects.get(code="CONTRACT")
    name = template.file.name
    assert private_storage.open(name).read() == contract_template_docx()
    mtime = private_storage.get_modified_time(name)

    seed_demo_world()
    assert private_storage.get_modified_time(name) == mtime

    with open(private_storage.path(name), "wb") as stale:
        stale.write(b"not a docx")
    assert seed_demo_world()["written"] == 1
    template.refresh_from_db()
    assert template.file.name == name
    assert private_storage.open(name).read() == contract_template_docx()


def test_the_generated_template_is_the_same_bytes_every_time():
    assert contract_template_docx() == contract_template_docx()


# --- relations and roles ---------------------------------------------------------------------


def test_persons_10001_to_10080_are_employees_e0001_to_e0080(world):
    assert m.Employee.objects.get(relation__number="10001").number == "E0001"
    assert m.Employee.objects.get(relation__number="10080").number == "E0080"
    assert m.Relation.objects.get(number="10001").kind == m.Relation.Kind.PERSON


def test_persons_10081_to_10100_are_applicants_and_no_employees(world):
    relation = m.Relation.objects.get(number="10081")
    assert relation.role_codes() == {"applicant"}
    assert relation.applicant.number == "A0081"
    assert m.Applicant.objects.get(relation__number="10100").number == "A0100"
    assert m.Relation.objects.get(number="10150").role_codes() == set()


def test_organisations_20001_to_20030_are_sales_relations_and_20031_to_20040_purchase_relations(world):
    assert m.SalesRelation.objects.get(relation__number="20001").number == "D20001"
    assert m.SalesRelation.objects.get(relation__number="20030").number == "D20030"
    assert m.Relation.objects.get(number="20031").role_codes() == {"purchase"}
    assert m.PurchaseRelation.objects.get(relation__number="20040").number == "C20040"
    assert m.Relation.objects.get(number="20040").kind == m.Relation.Kind.ORGANISATION


def test_contact_300nn_is_person_100nn_at_organisation_200nn(world):
    contact = m.Contact.objects.get(contact_id="30005")
    assert (contact.person.number, contact.organisation.number) == ("10005", "20005")
    pairs = m.Contact.objects.values_list("contact_id", "person__number", "organisation__number")
    assert all(p[-2:] == c[-2:] == o[-2:] for c, p, o in pairs)
    for contact in m.Contact.objects.select_related("person", "organisation"):
        contact.full_clean()


def test_projects_and_courses_have_their_codes(world):
    assert list(m.Project.objects.values_list("code", flat=True)) == [f"PRJ-{n:03d}" for n in range(1, 11)]
    assert list(m.Course.objects.values_list("code", flat=True)) == [f"CRS-{n:02d}" for n in range(1, 6)]


# --- types -----------------------------------------------------------------------------------


def test_memo_cannot_be_imported_and_every_other_type_can(world):
    assert type_refusal(item_type("MEMO")) is not None
    for code in ("SOLL", "CORR", "CONTR", "KLACHT", "CURSUS"):
        assert type_refusal(item_type(code)) is None, code


def test_the_types_are_configured_as_the_contract_says(world):
    soll, corr, contr, klacht, cursus = (item_type(c) for c in ("SOLL", "CORR", "CONTR", "KLACHT", "CURSUS"))
    assert (soll.relation_state, soll.regarding_employee_state, soll.attach_file) == ("required", "required", True)
    assert (corr.relation_state, corr.contact_state, corr.attach_file) == ("required", "optional", True)
    assert corr.outgoing_post_choice and corr.allow_without_characteristics
    assert [(level, c.code) for level, c in corr.characteristics()] == [(1, "RICHTING")]
    assert contr.is_own and (contr.relation_state, contr.regarding_employee_state) == ("required", "required")
    assert (klacht.relation_state, klacht.contact_state, klacht.regarding_sales_state) == (
        "required",
        "optional",
        "required",
    )
    assert (klacht.attach_file, klacht.project_state) == (False, "optional")
    assert [c.code for _level, c in klacht.characteristics()] == ["ERNST"]
    assert (cursus.course_state, cursus.relation_state, cursus.contact_state) == ("required", "one_of", "one_of")
    assert cursus.project_state == "hidden"
    for item in m.ItemType.objects.all():
        item.full_clean()


def test_characteristics_have_their_values_in_order(world):
    assert list(
        m.CharacteristicValue.objects.filter(characteristic__code="RICHTING").values_list("code", flat=True)
    ) == [
        "IN",
        "UIT",
    ]
    assert list(m.CharacteristicValue.objects.filter(characteristic__code="ERNST").values_list("code", flat=True)) == [
        "LAAG",
        "MIDDEN",
        "HOOG",
    ]


def test_contract_has_its_free_fields_only_on_the_own_type(world):
    fields = {f.code: f for f in item_type("CONTR").free_fields.all()}
    assert list(fields) == ["Salaris", "Ingangsdatum", "Functie", "Proeftijd", "Soort_contract"]
    assert (fields["Salaris"].kind, fields["Salaris"].required) == ("decimal", True)
    assert (fields["Ingangsdatum"].kind, fields["Ingangsdatum"].required) == ("date", True)
    assert fields["Proeftijd"].kind == "boolean"
    assert fields["Soort_contract"].label == "Soort contract"
    assert list(fields["Soort_contract"].choice_map()) == ["VAST", "TIJDELIJK"]
    for field in fields.values():
        field.full_clean()
    assert not m.FreeField.objects.exclude(item_type__kind=m.ItemType.Kind.OWN).exists()
    assert not m.CreationProfile.objects.exclude(item_type__kind=m.ItemType.Kind.OWN).exists()


def test_profile_nieuw_has_a_review_profile_a_template_and_a_page_of_fields_of_the_type(world):
    profile = m.CreationProfile.objects.get(item_type__code="CONTR", code="NIEUW")
    assert set(profile.review_profile.reviewers.values_list("username", flat=True)) == {"admin", "importeur"}
    assert profile.document_template.file.name.endswith(".docx")
    for field in profile.fields.all():  # as the admin checks them: fields of the type only
        form = CreationProfileFieldForm(model_to_dict(field), instance=field)
        assert form.is_valid(), form.errors
    page = [f.code for f in ItemSpec(profile.item_type, profile).page()]
    assert page[:3] == ["relation", "subject", "free_Functie"]
    assert {"free_Salaris", "free_Ingangsdatum"} <= set(page)


def test_klacht_with_ernst_hoog_enters_the_workflow_escalatie(world):
    klacht = item_type("KLACHT")
    hoog = m.CharacteristicValue.objects.get(characteristic__code="ERNST", code="HOOG")
    laag = m.CharacteristicValue.objects.get(characteristic__code="ERNST", code="LAAG")
    spec = ItemSpec(klacht)

    workflow = m.Workflow.objects.get(pk=spec.workflow_id_for({"characteristic_1": hoog}))
    assert (workflow.code, workflow.name) == ("ESCALATIE", "Escalatie")
    assert workflow.start_task().code == "BEOORDELEN"
    assert spec.workflow_id_for({"characteristic_1": laag}) is None

    seeded = m.DossierItem.objects.get(item_type=klacht, characteristic_value_1=hoog)
    assert seeded.workflow_instance.workflow == workflow
    assert seeded.workflow_instance.current_task.code == "BEOORDELEN"


def test_contract_profile_nieuw_renders_its_document_to_a_valid_docx(world):
    contr = item_type("CONTR")
    profile = contr.creation_profiles.get(code="NIEUW")
    admin = User.objects.get(username="admin")
    spec = ItemSpec(contr, profile)
    values, problems = spec.validate(
        {
            "relation": m.Relation.objects.get(number="10001"),
            "free_Salaris": Decimal("3500.50"),
            "free_Ingangsdatum": spec.clean("free_Ingangsdatum", "01-02-2026"),
            "free_Functie": "Magazijnmedewerker",
        },
        user=admin,
    )
    assert problems == []
    item = create_item(spec=spec, values=values)

    content = render_document(template=profile.document_template, item=item)

    text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    relation = item.relation
    assert f"Contractnummer: {item.number}" in text
    assert relation.name in text
    assert "3500.50" in text
    assert "Magazijnmedewerker" in text
    assert "Soort contract: TIJDELIJK" in text  # the profile's default
    assert "{{" not in text
    assert item.attachments.get().original_name == f"10001-contract-{item.number}.docx"
    assert set(item.review_tasks.values_list("reviewer__username", flat=True)) == {"admin", "importeur"}


# --- users -----------------------------------------------------------------------------------


def test_importeur_may_use_exactly_soll_corr_contr_klacht_cursus(world):
    usable = m.ItemType.objects.usable_by(User.objects.get(username="importeur"))
    assert set(usable.values_list("code", flat=True)) == {"SOLL", "CORR", "CONTR", "KLACHT", "CURSUS"}


def test_admin_may_use_every_type_profit_only_corr_and_zonderrechten_none(world):
    def usable(username):
        return set(m.ItemType.objects.usable_by(User.objects.get(username=username)).values_list("code", flat=True))

    assert usable("admin") == set(m.ItemType.objects.values_list("code", flat=True))
    assert set(item_type("MEMO").authorised_users.values_list("username", flat=True)) == {"admin"}
    assert usable("profit") == {"CORR"}
    assert usable("zonderrechten") == set()


def test_each_demo_user_signs_in_with_his_user_name_as_password(world, client):
    for demo in DEMO_USERS:
        user = authenticate(username=demo.username, password=demo.username)
        assert user is not None, demo.username
        assert user.is_staff
        assert client.login(username=demo.username, password=demo.username)


def test_the_demo_users_have_the_rights_the_contract_gives_them(world):
    users = {u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_USERS])}
    assert users["admin"].is_superuser and users["admin"].has_insite_rights and users["admin"].has_profit_rights
    assert users["importeur"].has_insite_rights and not users["importeur"].is_superuser
    assert users["profit"].has_profit_rights and not users["profit"].has_insite_rights
    assert not may_import(users["zonderrechten"])
    assert [u for u in users if may_import(users[u])] == ["admin", "importeur", "profit"]


def test_staff_users_may_view_dossier_items_and_relations(world):
    for username in ("importeur", "profit", "zonderrechten"):
        user = User.objects.get(username=username)
        assert user.has_perm("dossier.view_dossieritem"), username
        assert user.has_perm("dossier.view_relation"), username
        assert not user.has_perm("dossier.change_itemtype"), username


# --- items -----------------------------------------------------------------------------------


def test_demo_items_are_made_once_with_real_numbers(world):
    corr = item_type("CORR")
    numbers = sorted(corr.items.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert corr.last_number == len(numbers) > 0
    assert not item_type("SOLL").items.exists()

    seed_demo_world()

    assert item_type("CORR").items.count() == len(numbers)


def test_two_demo_contracts_give_each_reviewer_open_review_tasks(world):
    contracts = item_type("CONTR").items.filter(creation_profile__code="NIEUW").order_by("number")
    assert [(c.number, c.relation.number) for c in contracts] == [(1, "10002"), (2, "10003")]
    for contract in contracts:
        assert contract.attachments.get().original_name == f"{contract.relation.number}-contract-{contract.number}.docx"
    for name in ("admin", "importeur"):
        tasks = m.ReviewTask.objects.assigned_to(User.objects.get(username=name)).open()
        assert set(tasks.values_list("item__number", flat=True)) == {1, 2}

    seed_demo_world()

    assert item_type("CONTR").items.count() == 2
