"""The single-item form: built from ItemSpec, it refuses exactly what the spec refuses."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from dossier.forms import ChooseTypeForm, ItemForm
from dossier.models import (
    CharacteristicCombination,
    CreationProfile,
    CreationProfileField,
    DocumentTemplate,
    FieldState,
    FreeField,
    ReviewProfile,
    ReviewTask,
    WorkflowInstance,
)
from dossier.services import create_item
from dossier.spec import ItemSpec, Purpose
from tests.factories import (
    ApplicantFactory,
    CharacteristicFactory,
    CharacteristicValueFactory,
    ContactFactory,
    EmployeeFactory,
    FreeFieldFactory,
    ItemTypeFactory,
    OrganisationFactory,
    ProjectFactory,
    PurchaseRelationFactory,
    RelationFactory,
    SalesRelationFactory,
    WorkflowFactory,
    WorkflowTaskFactory,
)

pytestmark = pytest.mark.django_db


def entry_form(item_type, data=None, files=None, *, user, profile=None) -> ItemForm:
    return ItemForm(ItemSpec(item_type, profile, purpose=Purpose.ENTRY), data, files, user=user)


def record(form: ItemForm):
    assert form.is_valid(), form.errors
    return create_item(spec=form.spec, values=form.validated_values, attachment=form.attachment)


# --- the fields offered ----------------------------------------------------------------------


def test_it_offers_exactly_the_fields_the_type_shows(alice):
    item_type = ItemTypeFactory(
        has_subject=True,
        has_text=False,
        relation_state=FieldState.REQUIRED,
        contact_state=FieldState.OPTIONAL,
        regarding_employee_state=FieldState.OPTIONAL,
        regarding_sales_state=FieldState.REQUIRED,
    )
    form = entry_form(item_type, user=alice)
    # text is off; the required regarding role is set by the rules, never typed (R13)
    assert list(form.fields) == ["subject", "relation", "contact", "regarding_employee"]


@pytest.mark.parametrize(("has_begin_date", "offered"), [(False, False), (True, True)])
def test_r11_it_offers_the_begin_date_only_when_the_type_has_it(alice, has_begin_date, offered):
    form = entry_form(ItemTypeFactory(has_begin_date=has_begin_date), user=alice)
    assert ("begin_date" in form.fields) is offered


def test_it_marks_the_fields_the_spec_needs_as_required(alice):
    item_type = ItemTypeFactory(relation_state=FieldState.REQUIRED, contact_state=FieldState.OPTIONAL)
    form = entry_form(item_type, user=alice)
    assert form.fields["relation"].required
    assert not form.fields["contact"].required
    assert form["relation"].build_widget_attrs({}).get("required") is True


# --- destinations: relation and contact --------------------------------------------------------


def test_r12_it_refuses_an_item_without_its_required_relation(alice):
    item_type = ItemTypeFactory(relation_state=FieldState.REQUIRED)
    form = entry_form(item_type, {"subject": "Letter"}, user=alice)
    assert not form.is_valid()
    # the message is the spec's, not one of the form's own: there is one set of rules
    _values, problems = ItemSpec(item_type, purpose=Purpose.ENTRY).validate({"subject": "Letter"}, user=alice)
    assert form.errors["relation"] == [problem.message for problem in problems if problem.field == "relation"]
    assert form.has_error("relation", code="required")


def test_it_says_so_when_no_relation_has_the_number(alice):
    form = entry_form(ItemTypeFactory(), {"relation": "99999"}, user=alice)
    assert not form.is_valid()
    assert form.has_error("relation", code="unknown_relation")
    assert "99999" in form.errors["relation"][0]
    # the unknown number is reported once, not also as a missing relation
    assert len(form.errors["relation"]) == 1


@pytest.mark.parametrize(
    ("factory", "role_number"),
    [
        (EmployeeFactory, "E0001"),
        (SalesRelationFactory, "D20001"),
        (PurchaseRelationFactory, "C20031"),
        (ApplicantFactory, "A0081"),
    ],
)
def test_r19_a_role_number_in_the_relation_field_names_the_relation_number_to_use(alice, factory, role_number):
    role = factory(number=role_number, relation__number="10001")
    form = entry_form(ItemTypeFactory(), {"relation": role_number}, user=alice)
    assert not form.is_valid()
    assert form.has_error("relation", code="role_number")
    [message] = form.errors["relation"]
    assert role_number in message
    assert role.relation.number in message


def test_it_refuses_a_blocked_relation_with_the_specs_message(alice):
    RelationFactory(number="20050", name="Kwartel Verhuur B.V.", blocked=True)
    form = entry_form(ItemTypeFactory(), {"relation": "20050"}, user=alice)
    assert not form.is_valid()
    assert form.has_error("relation", code="relation_blocked")
    [message] = form.errors["relation"]
    assert "Relation 20050 Kwartel Verhuur B.V. is blocked" in message and "unblock" in message


def test_r20_it_refuses_a_contact_of_another_organisation(alice):
    item_type = ItemTypeFactory(relation_state=FieldState.REQUIRED, contact_state=FieldState.OPTIONAL)
    relation = OrganisationFactory(number="20001")
    contact = ContactFactory(contact_id="30002", organisation__number="20002")
    form = entry_form(item_type, {"relation": relation.number, "contact": contact.contact_id}, user=alice)
    assert not form.is_valid()
    assert form.has_error("contact", code="contact_not_of_relation")
    assert "20002" in form.errors["contact"][0]


def test_r20_a_contact_alone_brings_its_organisation(alice):
    item_type = ItemTypeFactory(relation_state=FieldState.OPTIONAL, contact_state=FieldState.OPTIONAL)
    contact = ContactFactory()
    form = entry_form(item_type, {"contact": contact.contact_id}, user=alice)
    assert form.is_valid(), form.errors
    assert form.validated_values["relation"] == contact.organisation
    assert form.validated_values["contact"] == contact


def test_it_says_so_when_no_contact_has_the_id(alice):
    item_type = ItemTypeFactory(relation_state=FieldState.OPTIONAL, contact_state=FieldState.OPTIONAL)
    form = entry_form(item_type, {"contact": "31999"}, user=alice)
    assert not form.is_valid()
    assert form.has_error("contact", code="unknown_contact")


def test_r12_one_of_these_required_is_enforced_on_manual_entry_but_not_on_import(alice):
    item_type = ItemTypeFactory(relation_state=FieldState.ONE_OF, contact_state=FieldState.ONE_OF)
    form = entry_form(item_type, {"subject": "Evaluation"}, user=alice)
    assert not form.is_valid()
    assert form.has_error("relation", code="one_of_required")

    _values, problems = ItemSpec(item_type, purpose=Purpose.IMPORT).validate({"subject": "Evaluation"}, user=alice)
    assert problems == []

    filled = entry_form(item_type, {"subject": "Evaluation", "contact": ContactFactory().contact_id}, user=alice)
    assert filled.is_valid(), filled.errors


# --- regarding roles -----------------------------------------------------------------------------


def test_r13_it_refuses_regarding_employee_on_a_relation_who_is_no_employee(alice):
    item_type = ItemTypeFactory(regarding_employee_state=FieldState.OPTIONAL)
    person = RelationFactory(number="10090")
    form = entry_form(item_type, {"relation": person.number, "regarding_employee": "on"}, user=alice)
    assert not form.is_valid()
    assert form.has_error("regarding_employee", code="regarding_role_missing")

    employee = EmployeeFactory(relation__number="10001")
    form = entry_form(item_type, {"relation": employee.relation.number, "regarding_employee": "on"}, user=alice)
    assert form.is_valid(), form.errors
    assert form.validated_values["regarding_employee"] is True


def test_r13_a_required_regarding_role_the_relation_lacks_is_reported_on_the_relation_field(alice):
    item_type = ItemTypeFactory(regarding_employee_state=FieldState.REQUIRED)
    form = entry_form(item_type, {"relation": RelationFactory().number}, user=alice)
    assert not form.is_valid()
    assert form.has_error("relation", code="regarding_role_missing")


# --- characteristics and workflows ---------------------------------------------------------------


@pytest.fixture
def ernst_type():
    ernst = CharacteristicFactory(code="ERNST", name="Ernst")
    values = {code: CharacteristicValueFactory(characteristic=ernst, code=code) for code in ("LAAG", "HOOG")}
    item_type = ItemTypeFactory(
        code="KLACHT",
        use_characteristics=True,
        characteristic_1=ernst,
        only_existing_combinations=True,
        allow_without_characteristics=False,
    )
    workflow = WorkflowFactory(code="ESCALATIE", name="Escalatie")
    WorkflowTaskFactory(workflow=workflow, code="BEOORDELEN", is_start=True)
    CharacteristicCombination.objects.create(item_type=item_type, value_1=values["HOOG"], workflow=workflow)
    return item_type


def test_r16_it_offers_the_characteristics_value_codes(alice, ernst_type):
    form = entry_form(ernst_type, user=alice)
    assert [code for code, _label in form.fields["characteristic_1"].choices] == ["", "LAAG", "HOOG"]


def test_r16_it_refuses_values_that_form_no_combination_of_the_type(alice, ernst_type):
    form = entry_form(ernst_type, {"relation": RelationFactory().number, "characteristic_1": "LAAG"}, user=alice)
    assert not form.is_valid()
    assert form.has_error("characteristic_1", code="characteristic_combination")
    assert "HOOG" in form.errors["characteristic_1"][0]


def test_r16_it_needs_a_characteristic_when_items_without_are_not_allowed(alice, ernst_type):
    form = entry_form(ernst_type, {"relation": RelationFactory().number}, user=alice)
    assert not form.is_valid()
    assert form.has_error("characteristic_1", code="characteristic_required")


def test_r16_a_value_the_characteristic_does_not_have_is_refused(alice, ernst_type):
    form = entry_form(ernst_type, {"relation": RelationFactory().number, "characteristic_1": "EXTREEM"}, user=alice)
    assert not form.is_valid()
    assert form.has_error("characteristic_1")


def test_r17_an_item_whose_characteristic_matches_a_combination_enters_its_workflow(alice, ernst_type):
    form = entry_form(ernst_type, {"relation": RelationFactory().number, "characteristic_1": "HOOG"}, user=alice)
    item = record(form)
    instance = WorkflowInstance.objects.get(item=item)
    assert instance.workflow.code == "ESCALATIE"
    assert instance.current_task.code == "BEOORDELEN"
    assert item.characteristic_value_1.code == "HOOG"


# --- free fields, options, extras -----------------------------------------------------------------


@pytest.fixture
def contract_type():
    item_type = ItemTypeFactory(code="CONTR", kind="own", has_begin_date=True)
    FreeFieldFactory(item_type=item_type, code="Salaris", label="Salaris", kind=FreeField.Kind.DECIMAL, required=True)
    FreeFieldFactory(item_type=item_type, code="Functie", label="Functie", kind=FreeField.Kind.TEXT)
    FreeFieldFactory(
        item_type=item_type,
        code="Soort",
        label="Soort contract",
        kind=FreeField.Kind.CHOICE,
        choices="VAST=Vast\nTIJDELIJK=Tijdelijk",
    )
    return item_type


def test_r18_it_refuses_an_item_without_its_required_free_field(alice, contract_type):
    form = entry_form(contract_type, {"relation": RelationFactory().number}, user=alice)
    assert not form.is_valid()
    assert form.has_error("free_Salaris", code="required")


def test_r18_it_parses_a_free_decimal_written_the_dutch_way(alice, contract_type):
    data = {"relation": RelationFactory().number, "free_Salaris": "1.234,56", "free_Soort": "Tijdelijk"}
    form = entry_form(contract_type, data, user=alice)
    assert form.is_valid(), form.errors
    assert form.validated_values["free_Salaris"] == Decimal("1234.56")
    assert form.validated_values["free_Soort"] == "TIJDELIJK"


def test_it_accepts_a_date_as_dd_mm_yyyy(alice, contract_type):
    data = {"relation": RelationFactory().number, "free_Salaris": "1", "begin_date": "31-12-2025"}
    form = entry_form(contract_type, data, user=alice)
    assert form.is_valid(), form.errors
    assert form.validated_values["begin_date"] == dt.date(2025, 12, 31)


def test_it_reports_a_value_it_cannot_parse_once_with_how_to_write_it(alice, contract_type):
    data = {"relation": RelationFactory().number, "free_Salaris": "veel"}
    form = entry_form(contract_type, data, user=alice)
    assert not form.is_valid()
    assert form.has_error("free_Salaris", code="invalid_number")
    assert len(form.errors["free_Salaris"]) == 1


def test_it_needs_an_answer_to_a_required_yes_no_field_and_no_is_one(alice):
    item_type = ItemTypeFactory(kind="own")
    FreeFieldFactory(item_type=item_type, code="Proeftijd", kind=FreeField.Kind.BOOLEAN, required=True)
    relation = RelationFactory().number
    unanswered = entry_form(item_type, {"relation": relation, "free_Proeftijd": ""}, user=alice)
    assert not unanswered.is_valid()
    assert unanswered.has_error("free_Proeftijd", code="required")
    answered = entry_form(item_type, {"relation": relation, "free_Proeftijd": "false"}, user=alice)
    assert answered.is_valid(), answered.errors
    assert answered.validated_values["free_Proeftijd"] is False


def test_r15_it_takes_a_project_by_its_code(alice):
    item_type = ItemTypeFactory(project_state=FieldState.OPTIONAL)
    project = ProjectFactory(code="PRJ-001")
    form = entry_form(item_type, {"relation": RelationFactory().number, "project": "PRJ-001"}, user=alice)
    assert form.is_valid(), form.errors
    assert form.validated_values["project"] == project


def test_it_takes_the_responsible_by_user_name_and_proposes_the_submitter(alice, bob):
    item_type = ItemTypeFactory(has_responsible=True, submitter_is_default_responsible=True)
    assert entry_form(item_type, user=alice)["responsible"].initial == "alice"
    form = entry_form(item_type, {"relation": RelationFactory().number, "responsible": "bob"}, user=alice)
    assert form.is_valid(), form.errors
    assert form.validated_values["responsible"] == bob
    unknown = entry_form(item_type, {"relation": RelationFactory().number, "responsible": "nobody"}, user=alice)
    assert unknown.has_error("responsible", code="unknown_user")


def test_it_takes_the_cause_by_the_number_of_an_earlier_item_of_the_type(alice):
    item_type = ItemTypeFactory(has_cause=True)
    item_type.authorised_users.add(alice)  # a cause must be an item the user may see
    relation = RelationFactory().number
    earlier = record(entry_form(item_type, {"relation": relation, "subject": "Earlier"}, user=alice))
    form = entry_form(item_type, {"relation": relation, "cause": str(earlier.number)}, user=alice)
    assert form.is_valid(), form.errors
    assert form.validated_values["cause"] == earlier
    unknown = entry_form(item_type, {"relation": relation, "cause": "7"}, user=alice)
    assert unknown.has_error("cause", code="unknown_item")


# --- creation profiles (R21) ------------------------------------------------------------------------


@pytest.fixture
def profile(contract_type):
    profile = CreationProfile.objects.create(item_type=contract_type, code="NIEUW", name="Nieuw contract")
    CreationProfileField.objects.create(profile=profile, field_code="free_Salaris", position=1)
    CreationProfileField.objects.create(profile=profile, field_code="begin_date", position=2, setting="required")
    CreationProfileField.objects.create(profile=profile, field_code="relation", position=3)
    CreationProfileField.objects.create(profile=profile, field_code="free_Functie", position=4, default="Adviseur")
    CreationProfileField.objects.create(profile=profile, field_code="text", position=5, setting="hidden")
    return profile


def test_r21_the_form_honours_the_profiles_field_settings_and_order(alice, contract_type, profile):
    form = entry_form(contract_type, user=alice, profile=profile)
    assert list(form.fields) == ["free_Salaris", "begin_date", "relation", "free_Functie"]
    assert form.fields["begin_date"].required
    assert form["free_Functie"].initial == "Adviseur"

    form = entry_form(
        contract_type, {"relation": RelationFactory().number, "free_Salaris": "1"}, user=alice, profile=profile
    )
    assert not form.is_valid()
    assert form.has_error("begin_date", code="required")


def test_r21_the_import_spec_ignores_the_profiles_field_settings(contract_type, profile):
    spec = ItemSpec(contract_type, profile, purpose=Purpose.IMPORT)
    assert spec["begin_date"].state == FieldState.OPTIONAL
    assert spec["text"].state == FieldState.OPTIONAL
    assert spec["free_Functie"].default is None


def test_r21_a_profile_default_fills_a_field_left_empty(alice, contract_type, profile):
    data = {"relation": RelationFactory().number, "free_Salaris": "1", "begin_date": "01-02-2026"}
    form = entry_form(contract_type, data, user=alice, profile=profile)
    assert form.is_valid(), form.errors
    assert form.validated_values["free_Functie"] == "Adviseur"


def test_r21_a_field_the_profile_hides_takes_its_default(alice, contract_type, profile):
    relation = RelationFactory(number="10001")
    CreationProfileField.objects.filter(profile=profile, field_code="relation").update(
        setting="hidden", default="10001"
    )
    CreationProfileField.objects.filter(profile=profile, field_code="free_Functie").update(setting="hidden")
    form = entry_form(contract_type, {"free_Salaris": "1", "begin_date": "01-02-2026"}, user=alice, profile=profile)
    assert list(form.fields) == ["free_Salaris", "begin_date"]
    assert form.is_valid(), form.errors
    assert form.validated_values["relation"] == relation
    assert form.validated_values["free_Functie"] == "Adviseur"


def test_r21_a_profile_default_that_names_nothing_is_reported_not_stored(alice, contract_type, profile):
    CreationProfileField.objects.filter(profile=profile, field_code="relation").update(
        setting="hidden", default="99999"
    )
    form = entry_form(contract_type, {"free_Salaris": "1", "begin_date": "01-02-2026"}, user=alice, profile=profile)
    assert not form.is_valid()
    assert form.has_error("__all__", code="invalid_default")
    assert "99999" in form.non_field_errors()[0]


def docx_bytes(text: str) -> bytes:
    document = Document()
    document.add_paragraph(text)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def test_r21_an_item_recorded_with_a_profile_gets_its_review_tasks_and_document(alice, bob, contract_type, profile):
    review = ReviewProfile.objects.create(code="HR", name="HR", days_to_review=3)
    review.reviewers.add(bob)
    template = DocumentTemplate(code="CONTRACT", name="Contract", output_name="contract-{number}")
    template.file.save("contract.docx", ContentFile(docx_bytes("Salary {{ free.Salaris }}")))
    CreationProfile.objects.filter(pk=profile.pk).update(review_profile=review, document_template=template)
    profile.refresh_from_db()
    data = {"relation": RelationFactory().number, "free_Salaris": "3.500,00", "begin_date": "01-02-2026"}
    item = record(entry_form(contract_type, data, user=alice, profile=profile))
    assert item.creation_profile == profile
    assert list(ReviewTask.objects.filter(item=item).values_list("reviewer__username", flat=True)) == ["bob"]
    assert list(item.attachments.values_list("original_name", flat=True)) == ["contract-1.docx"]


# --- storing --------------------------------------------------------------------------------------


def test_r28_items_recorded_one_after_another_get_numbers_1_and_2(alice):
    item_type = ItemTypeFactory()
    relation = RelationFactory()
    first = record(entry_form(item_type, {"relation": relation.number, "subject": "One"}, user=alice))
    second = record(entry_form(item_type, {"relation": relation.number, "subject": "Two"}, user=alice))
    assert (first.number, second.number) == (1, 2)
    assert (first.submitter, first.relation, first.subject) == (alice, relation, "One")


def test_r22_a_recorded_item_keeps_its_attachment(alice):
    item_type = ItemTypeFactory(attach_file=True)
    upload = SimpleUploadedFile("10001_cv.pdf", b"%PDF-1.4 cv")
    item = record(entry_form(item_type, {"relation": RelationFactory().number}, {"attachment": upload}, user=alice))
    attachment = item.attachments.get()
    assert (attachment.original_name, attachment.size) == ("10001_cv.pdf", len(b"%PDF-1.4 cv"))


# --- choosing a type -------------------------------------------------------------------------------


def test_it_lets_the_user_choose_only_the_types_he_may_use(alice, alice_type):
    ItemTypeFactory(code="OTHER")
    form = ChooseTypeForm(user=alice)
    assert list(form.fields["item_type"].queryset) == [alice_type]


def test_it_refuses_to_choose_a_profile_of_another_type(alice, alice_type):
    other = ItemTypeFactory(code="OWN", kind="own")
    other.authorised_users.add(alice)
    profile = CreationProfile.objects.create(item_type=other, code="P", name="P")
    form = ChooseTypeForm({"item_type": alice_type.code, "profile": profile.pk}, user=alice)
    assert not form.is_valid()
    assert form.has_error("profile", code="profile_of_other_type")


def test_the_form_refuses_a_text_longer_than_the_item_holds_with_the_specs_message(alice):
    from dossier.models import TEXT_MAX_LENGTH

    item_type = ItemTypeFactory(has_text=True)
    FreeFieldFactory(item_type=item_type, code="Notitie", label="Notitie", kind=FreeField.Kind.LONG_TEXT)
    too_long = "x" * (TEXT_MAX_LENGTH + 1)
    form = entry_form(item_type, {"subject": "Brief", "text": too_long, "free_Notitie": too_long}, user=alice)
    assert not form.is_valid()
    for name in ("text", "free_Notitie"):
        assert form.has_error(name, code="too_long"), form.errors
        assert f"{TEXT_MAX_LENGTH:,}" in form.errors[name][0]  # grouped as English writes it
    fits = entry_form(item_type, {"subject": "Brief", "text": "x" * TEXT_MAX_LENGTH}, user=alice)
    fits.is_valid()
    assert "text" not in fits.errors
