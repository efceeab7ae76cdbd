"""ItemSpec: every setting and state of a type, named after the rules they prove."""

import datetime as dt
from decimal import Decimal

import pytest

from dossier.models import (
    TEXT_MAX_LENGTH,
    CharacteristicCombination,
    CreationProfile,
    CreationProfileField,
    DossierItem,
    FieldState,
    FreeField,
)
from dossier.spec import Group, ItemSpec, Kind, Purpose
from dossier.values import ValueProblem
from tests.factories import (
    CharacteristicFactory,
    CharacteristicValueFactory,
    ContactFactory,
    EmployeeFactory,
    FreeFieldFactory,
    ItemTypeFactory,
    OrganisationFactory,
    ProjectFactory,
    RelationFactory,
    SalesRelationFactory,
    WorkflowFactory,
)

pytestmark = pytest.mark.django_db


def import_spec(item_type, profile=None):
    return ItemSpec(item_type, profile, purpose=Purpose.IMPORT)


def codes(fields):
    return [f.code for f in fields]


# --- R6, R7, R22: what is never offered ----------------------------------------------------


def test_r06_reactions_have_no_field():
    spec = import_spec(ItemTypeFactory())
    assert not [f for f in spec.fields if "reaction" in f.code]


def test_r07_the_outgoing_post_choice_is_not_offered_by_the_import():
    with_choice = import_spec(ItemTypeFactory(outgoing_post_choice=True))
    without_choice = import_spec(ItemTypeFactory(outgoing_post_choice=False))
    assert codes(with_choice.fields) == codes(without_choice.fields)


def test_r22_the_attachment_is_offered_only_when_attach_file_is_on():
    assert not import_spec(ItemTypeFactory(attach_file=True))["attachment"].is_hidden
    assert import_spec(ItemTypeFactory(attach_file=False))["attachment"].is_hidden


def test_r22_an_attachment_for_a_type_without_attach_file_fails(alice):
    item_type = ItemTypeFactory(attach_file=False)
    spec = import_spec(item_type)
    _values, problems = spec.validate({"relation": RelationFactory(), "attachment": "10001_cv.pdf"}, user=alice)
    assert [(p.field, p.code) for p in problems] == [("attachment", "field_not_allowed")]
    assert "attach file is off" in problems[0].message


# --- R9, R10: submitter and submit date -----------------------------------------------------


def test_r09_the_submitter_defaults_to_the_importing_user(alice):
    spec = import_spec(ItemTypeFactory())
    values, problems = spec.validate({"relation": RelationFactory()}, user=alice)
    assert problems == []
    assert values["submitter"] == alice


def test_r09_a_given_submitter_is_kept(alice, bob):
    spec = import_spec(ItemTypeFactory())
    values, _problems = spec.validate({"relation": RelationFactory(), "submitter": bob}, user=alice)
    assert values["submitter"] == bob
    assert spec["submitter"].state == FieldState.OPTIONAL


def test_r10_the_submit_date_defaults_to_now(alice):
    now = dt.datetime(2025, 5, 1, 12, tzinfo=dt.UTC)
    spec = import_spec(ItemTypeFactory())
    values, _problems = spec.validate({"relation": RelationFactory()}, user=alice, now=now)
    assert values["submitted_at"] == now
    given = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    values, _problems = spec.validate({"relation": RelationFactory(), "submitted_at": given}, user=alice, now=now)
    assert values["submitted_at"] == given


def test_manual_entry_does_not_offer_submitter_or_submit_date():
    spec = ItemSpec(ItemTypeFactory())
    assert spec["submitter"].is_hidden
    assert spec["submitted_at"].is_hidden


# --- R11: item options ----------------------------------------------------------------------

OPTIONS = {
    "has_subject": ["subject"],
    "has_text": ["text"],
    "has_begin_date": ["begin_date"],
    "has_end_date": ["end_date"],
    "has_done": ["done", "done_date"],
    "has_responsible": ["responsible"],
    "has_cause": ["cause"],
    "has_priority": ["priority"],
}


@pytest.mark.parametrize(("option", "fields"), OPTIONS.items())
def test_r11_an_option_that_is_off_is_hidden_and_one_that_is_on_is_optional(option, fields):
    off = import_spec(ItemTypeFactory(**{option: False}))
    on = import_spec(ItemTypeFactory(**{option: True}))
    for code in fields:
        assert off[code].is_hidden
        assert on[code].state == FieldState.OPTIONAL


def test_r11_options_are_never_required_on_import_even_a_mandatory_responsible():
    item_type = ItemTypeFactory(has_responsible=True, responsible_required=True)
    assert import_spec(item_type)["responsible"].state == FieldState.OPTIONAL
    assert ItemSpec(item_type)["responsible"].state == FieldState.REQUIRED


def test_r11_a_value_for_an_option_that_is_off_fails(alice):
    spec = import_spec(ItemTypeFactory(has_begin_date=False))
    _values, problems = spec.validate({"relation": RelationFactory(), "begin_date": dt.date(2025, 1, 1)}, user=alice)
    assert [(p.field, p.code) for p in problems] == [("begin_date", "field_not_allowed")]


def test_priority_offers_its_three_values():
    spec = import_spec(ItemTypeFactory(has_priority=True))
    assert spec.clean("priority", "High") == "high"
    assert set(spec["priority"].choices) == {"high", "normal", "low"}


# --- R12: destinations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "import_state"),
    [
        (FieldState.HIDDEN, FieldState.HIDDEN),
        (FieldState.OPTIONAL, FieldState.OPTIONAL),
        (FieldState.REQUIRED, FieldState.REQUIRED),
        (FieldState.ONE_OF, FieldState.OPTIONAL),
    ],
)
def test_r12_relation_and_contact_follow_the_type_and_one_of_is_optional_on_import(setting, import_state):
    item_type = ItemTypeFactory(relation_state=setting, contact_state=setting)
    spec = import_spec(item_type)
    assert spec["relation"].state == import_state
    assert spec["contact"].state == import_state
    assert ItemSpec(item_type)["relation"].state == setting


def test_r12_a_required_relation_must_be_given(alice):
    spec = import_spec(ItemTypeFactory(relation_state=FieldState.REQUIRED))
    _values, problems = spec.validate({}, user=alice)
    assert [(p.field, p.code) for p in problems] == [("relation", "required")]


def test_r12_one_of_required_is_optional_on_import_but_enforced_on_manual_entry(alice):
    item_type = ItemTypeFactory(
        relation_state=FieldState.ONE_OF, contact_state=FieldState.ONE_OF, course_state=FieldState.REQUIRED
    )
    course = __import__("tests.factories", fromlist=["CourseFactory"]).CourseFactory()
    _values, problems = import_spec(item_type).validate({"course": course}, user=alice)
    assert problems == []
    _values, problems = ItemSpec(item_type).validate({"course": course}, user=alice)
    assert [p.code for p in problems] == ["one_of_required"]
    _values, problems = ItemSpec(item_type).validate({"course": course, "relation": RelationFactory()}, user=alice)
    assert problems == []


def test_r12_a_hidden_relation_may_not_be_given(alice):
    spec = import_spec(ItemTypeFactory(relation_state=FieldState.HIDDEN, project_state=FieldState.REQUIRED))
    _values, problems = spec.validate({"relation": RelationFactory(), "project": ProjectFactory()}, user=alice)
    assert [(p.field, p.code) for p in problems] == [("relation", "field_not_allowed")]


def test_a_blocked_relation_gets_no_new_item_on_entry_or_import_and_says_who_can_unblock_it(alice):
    item_type = ItemTypeFactory(relation_state=FieldState.REQUIRED)
    blocked = RelationFactory(number="20050", name="Kwartel Verhuur B.V.", blocked=True)
    for spec in (ItemSpec(item_type), import_spec(item_type)):
        _values, problems = spec.validate({"relation": blocked}, user=alice)
        assert [(p.field, p.code) for p in problems] == [("relation", "relation_blocked")]
        message = str(problems[0].message)
        assert "Relation 20050 Kwartel Verhuur B.V. is blocked" in message
        assert "ask an administrator to unblock it" in message


def test_an_existing_item_keeps_its_blocked_relation_but_cannot_move_to_another_blocked_one(alice):
    spec = ItemSpec(ItemTypeFactory(relation_state=FieldState.REQUIRED))
    kept = RelationFactory(blocked=True)
    _values, problems = spec.validate({"relation": kept}, user=alice, kept_relation_id=kept.pk)
    assert problems == []
    other = RelationFactory(blocked=True)
    _values, problems = spec.validate({"relation": other}, user=alice, kept_relation_id=kept.pk)
    assert [p.code for p in problems] == ["relation_blocked"]


# --- R13: regarding -------------------------------------------------------------------------


def test_r13_a_required_regarding_role_is_set_on_every_item_and_never_fed(alice):
    item_type = ItemTypeFactory(regarding_employee_state=FieldState.REQUIRED)
    spec = import_spec(item_type)
    assert spec["regarding_employee"].auto
    assert "regarding_employee" not in codes(spec.fillable_fields)
    employee = EmployeeFactory()
    values, problems = spec.validate({"relation": employee.relation}, user=alice)
    assert problems == []
    assert values["regarding_employee"] is True


def test_r13_a_regarding_role_the_relation_does_not_have_makes_the_row_fail(alice):
    spec = import_spec(ItemTypeFactory(regarding_employee_state=FieldState.REQUIRED))
    person = RelationFactory(number="10099")
    _values, problems = spec.validate({"relation": person}, user=alice)
    assert [(p.field, p.code) for p in problems] == [("regarding_employee", "regarding_role_missing")]
    assert "Relation 10099 is not registered as employee" in problems[0].message


def test_r13_an_optional_regarding_role_is_set_only_when_the_value_says_so(alice):
    spec = import_spec(ItemTypeFactory(regarding_sales_state=FieldState.OPTIONAL))
    sales = SalesRelationFactory()
    values, problems = spec.validate({"relation": sales.relation}, user=alice)
    assert problems == []
    assert "regarding_sales" not in values
    values, problems = spec.validate({"relation": sales.relation, "regarding_sales": True}, user=alice)
    assert problems == []
    assert values["regarding_sales"] is True
    _values, problems = spec.validate({"relation": RelationFactory(), "regarding_sales": True}, user=alice)
    assert [p.code for p in problems] == ["regarding_role_missing"]


def test_r13_a_hidden_regarding_role_is_never_set(alice):
    spec = import_spec(ItemTypeFactory(regarding_employee_state=FieldState.HIDDEN))
    employee = EmployeeFactory()
    _values, problems = spec.validate({"relation": employee.relation, "regarding_employee": False}, user=alice)
    assert problems == []
    _values, problems = spec.validate({"relation": employee.relation, "regarding_employee": True}, user=alice)
    assert [p.code for p in problems] == ["field_not_allowed"]


def test_r13_the_relations_roles_can_come_from_a_prefetched_lookup(alice, django_assert_num_queries):
    spec = import_spec(ItemTypeFactory(regarding_employee_state=FieldState.REQUIRED))
    person = RelationFactory()
    with django_assert_num_queries(0):
        _values, problems = spec.validate({"relation": person}, user=alice, roles_of=lambda relation: {"employee"})
    assert problems == []


# --- R15: dossier extras --------------------------------------------------------------------


@pytest.mark.parametrize("extra", ["project", "course"])
def test_r15_an_extra_follows_the_type(extra, alice):
    from tests import factories

    make = factories.ProjectFactory if extra == "project" else factories.CourseFactory
    hidden = import_spec(ItemTypeFactory(**{f"{extra}_state": FieldState.HIDDEN}))
    required = import_spec(ItemTypeFactory(**{f"{extra}_state": FieldState.REQUIRED}))
    assert hidden[extra].is_hidden
    assert required[extra].is_required
    assert required[extra].kind == Kind.EXTRA
    relation = RelationFactory()
    _values, problems = hidden.validate({"relation": relation, extra: make()}, user=alice)
    assert [(p.field, p.code) for p in problems] == [(extra, "field_not_allowed")]
    _values, problems = required.validate({"relation": relation}, user=alice)
    assert [(p.field, p.code) for p in problems] == [(extra, "required")]


# --- R16, R17: characteristics and workflows ------------------------------------------------


@pytest.fixture
def ernst():
    characteristic = CharacteristicFactory(code="ERNST", name="Ernst")
    values = {
        code: CharacteristicValueFactory(characteristic=characteristic, code=code, label=code.title())
        for code in ("LAAG", "MIDDEN", "HOOG")
    }
    return characteristic, values


def test_r16_characteristics_are_offered_only_when_the_type_uses_them(ernst):
    characteristic, _values = ernst
    off = import_spec(ItemTypeFactory(use_characteristics=False, characteristic_1=characteristic))
    on = import_spec(ItemTypeFactory(use_characteristics=True, characteristic_1=characteristic))
    assert "characteristic_1" not in off
    assert on["characteristic_1"].kind == Kind.CHARACTERISTIC
    assert on["characteristic_1"].choices == {"LAAG": "Laag", "MIDDEN": "Midden", "HOOG": "Hoog"}


def test_r16_a_characteristic_value_must_exist(ernst):
    characteristic, values = ernst
    spec = import_spec(ItemTypeFactory(use_characteristics=True, characteristic_1=characteristic))
    assert spec.clean("characteristic_1", "hoog") == values["HOOG"]
    assert spec.clean("characteristic_1", "Midden") == values["MIDDEN"]
    with pytest.raises(ValueProblem) as caught:
        spec.clean("characteristic_1", "EXTREEM")
    assert "Laag, Midden, Hoog" in caught.value.message  # the labels, in the reader's language


def test_r16_only_existing_combinations_are_allowed_when_the_type_says_so(ernst, alice):
    characteristic, values = ernst
    item_type = ItemTypeFactory(
        use_characteristics=True, characteristic_1=characteristic, only_existing_combinations=True
    )
    CharacteristicCombination.objects.create(item_type=item_type, value_1=values["HOOG"])
    spec = import_spec(item_type)
    relation = RelationFactory()
    assert spec.validate({"relation": relation, "characteristic_1": values["HOOG"]}, user=alice)[1] == []
    _values, problems = spec.validate({"relation": relation, "characteristic_1": values["LAAG"]}, user=alice)
    assert [p.code for p in problems] == ["characteristic_combination"]
    assert "HOOG" in problems[0].message


def test_r16_at_least_one_characteristic_unless_items_without_are_allowed(ernst, alice):
    characteristic, _values = ernst
    strict = import_spec(
        ItemTypeFactory(use_characteristics=True, characteristic_1=characteristic, allow_without_characteristics=False)
    )
    lenient = import_spec(
        ItemTypeFactory(use_characteristics=True, characteristic_1=characteristic, allow_without_characteristics=True)
    )
    relation = RelationFactory()
    assert [p.code for p in strict.validate({"relation": relation}, user=alice)[1]] == ["characteristic_required"]
    assert lenient.validate({"relation": relation}, user=alice)[1] == []


def test_r16_three_levels_are_offered_in_order():
    levels = [CharacteristicValueFactory().characteristic for _ in range(3)]
    item_type = ItemTypeFactory(
        use_characteristics=True, characteristic_1=levels[0], characteristic_2=levels[1], characteristic_3=levels[2]
    )
    spec = import_spec(item_type)
    assert [f.code for f in spec.fields if f.group == Group.CHARACTERISTIC] == [
        "characteristic_1",
        "characteristic_2",
        "characteristic_3",
    ]


def test_r17_a_combination_with_a_workflow_names_the_workflow(ernst):
    characteristic, values = ernst
    item_type = ItemTypeFactory(use_characteristics=True, characteristic_1=characteristic)
    workflow = WorkflowFactory(code="ESCALATIE")
    CharacteristicCombination.objects.create(item_type=item_type, value_1=values["HOOG"], workflow=workflow)
    CharacteristicCombination.objects.create(item_type=item_type, value_1=values["LAAG"])
    spec = import_spec(item_type)
    assert spec.workflow_id_for({"characteristic_1": values["HOOG"]}) == workflow.pk
    assert spec.workflow_id_for({"characteristic_1": values["LAAG"]}) is None
    assert spec.workflow_id_for({}) is None


# --- R18: free fields -----------------------------------------------------------------------


def test_r18_free_fields_are_offered_on_own_types_only():
    own = ItemTypeFactory(kind="own")
    FreeFieldFactory(item_type=own, code="Salaris", kind=FreeField.Kind.DECIMAL, required=True)
    system = ItemTypeFactory(kind="system")
    FreeField.objects.create(item_type=system, code="Legacy", label="Legacy")
    assert "free_Salaris" in import_spec(own)
    assert import_spec(own)["free_Salaris"].is_required
    assert not [f for f in import_spec(system).fields if f.group == Group.FREE]


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (FreeField.Kind.TEXT, " Manager ", "Manager"),
        (FreeField.Kind.LONG_TEXT, "line 1\nline 2", "line 1\nline 2"),
        (FreeField.Kind.INTEGER, "36", 36),
        (FreeField.Kind.DECIMAL, "3.500,50", Decimal("3500.50")),
        (FreeField.Kind.DATE, "01-02-2026", dt.date(2026, 2, 1)),
        (FreeField.Kind.BOOLEAN, "ja", True),
    ],
)
def test_r18_free_field_values_are_parsed_by_their_kind(kind, raw, expected):
    item_type = ItemTypeFactory(kind="own")
    FreeFieldFactory(item_type=item_type, code="f", kind=kind)
    assert import_spec(item_type).clean("free_f", raw) == expected


def test_r18_a_choice_free_field_takes_its_codes_or_labels():
    item_type = ItemTypeFactory(kind="own")
    FreeFieldFactory(item_type=item_type, code="Soort", kind=FreeField.Kind.CHOICE, choices="VAST=Vast\nTIJDELIJK")
    spec = import_spec(item_type)
    assert spec["free_Soort"].choices == {"VAST": "Vast", "TIJDELIJK": "TIJDELIJK"}
    assert spec.clean("free_Soort", "vast") == "VAST"
    with pytest.raises(ValueProblem):
        spec.clean("free_Soort", "OPROEP")


def test_r18_required_free_fields_must_be_filled(alice):
    item_type = ItemTypeFactory(kind="own")
    FreeFieldFactory(item_type=item_type, code="Salaris", label="Salaris", kind=FreeField.Kind.DECIMAL, required=True)
    _values, problems = import_spec(item_type).validate({"relation": RelationFactory()}, user=alice)
    assert [(p.field, p.code) for p in problems] == [("free_Salaris", "required")]
    assert "Salaris is required" in problems[0].message


# --- R20: contact and relation --------------------------------------------------------------


def test_r20_a_contact_must_belong_to_the_given_relation(alice):
    spec = import_spec(ItemTypeFactory(contact_state=FieldState.OPTIONAL))
    contact = ContactFactory()
    other = OrganisationFactory(number="20099")
    assert spec.validate({"relation": contact.organisation, "contact": contact}, user=alice)[1] == []
    _values, problems = spec.validate({"relation": other, "contact": contact}, user=alice)
    assert [(p.field, p.code) for p in problems] == [("contact", "contact_not_of_relation")]
    assert contact.organisation.number in problems[0].message


def test_r20_a_contact_alone_brings_its_organisation(alice):
    spec = import_spec(ItemTypeFactory(contact_state=FieldState.OPTIONAL))
    contact = ContactFactory()
    values, problems = spec.validate({"contact": contact}, user=alice)
    assert problems == []
    assert values["relation"] == contact.organisation


# --- R21: creation profiles -----------------------------------------------------------------


@pytest.fixture
def profiled_type():
    item_type = ItemTypeFactory(kind="own", has_begin_date=True)
    profile = CreationProfile.objects.create(item_type=item_type, code="NIEUW", name="Nieuw")
    CreationProfileField.objects.create(profile=profile, field_code="begin_date", setting="required", position=2)
    CreationProfileField.objects.create(profile=profile, field_code="subject", default="Contract", position=1)
    CreationProfileField.objects.create(profile=profile, field_code="text", setting="hidden", position=3)
    return item_type, profile


def test_r21_a_profile_must_belong_to_the_type(profiled_type):
    _item_type, profile = profiled_type
    with pytest.raises(ValueError, match="does not belong"):
        ItemSpec(ItemTypeFactory(kind="own"), profile)


def test_r21_the_import_does_not_apply_the_profiles_field_settings(profiled_type):
    item_type, profile = profiled_type
    spec = import_spec(item_type, profile)
    assert spec["begin_date"].state == FieldState.OPTIONAL
    assert spec["text"].state == FieldState.OPTIONAL
    assert spec["subject"].default is None


def test_manual_entry_applies_the_profiles_field_settings_and_page_order(profiled_type):
    item_type, profile = profiled_type
    spec = ItemSpec(item_type, profile)
    assert spec["begin_date"].is_required
    assert spec["text"].is_hidden
    assert spec["subject"].default == "Contract"
    assert codes(spec.page("edit"))[:2] == ["subject", "begin_date"]


def test_manual_entry_fills_profile_defaults(profiled_type, alice):
    item_type, profile = profiled_type
    values, _problems = ItemSpec(item_type, profile).validate({"relation": RelationFactory()}, user=alice)
    assert values["subject"] == "Contract"


# --- one value, cross-field checks ----------------------------------------------------------


def test_clean_returns_none_for_empty_values():
    spec = import_spec(ItemTypeFactory(has_begin_date=True))
    assert spec.clean("begin_date", "   ") is None
    assert spec.clean("begin_date", None) is None


def test_clean_keeps_relation_numbers_as_text():
    spec = import_spec(ItemTypeFactory())
    assert spec.clean("relation", 10001.0) == "10001"
    assert spec.clean("relation", "00123") == "00123"


def test_clean_refuses_a_subject_longer_than_the_item_holds():
    spec = import_spec(ItemTypeFactory())
    limit = DossierItem._meta.get_field("subject").max_length
    assert spec["subject"].max_length == limit == 255
    assert spec.clean("subject", "x" * limit) == "x" * limit
    with pytest.raises(ValueProblem) as caught:
        spec.clean("subject", "x" * (limit + 1))
    assert caught.value.code == "too_long"


def test_free_text_fields_hold_255_characters_and_long_text_free_fields_as_much_as_the_text():
    item_type = ItemTypeFactory(kind="own")
    FreeFieldFactory(item_type=item_type, code="Functie", label="Functie", kind=FreeField.Kind.TEXT)
    FreeFieldFactory(item_type=item_type, code="Notitie", label="Notitie", kind=FreeField.Kind.LONG_TEXT)
    spec = import_spec(item_type)
    assert spec.clean("free_Notitie", "x" * TEXT_MAX_LENGTH) == "x" * TEXT_MAX_LENGTH
    for code, limit in (("free_Functie", 255), ("free_Notitie", TEXT_MAX_LENGTH)):
        with pytest.raises(ValueProblem) as caught:
            spec.clean(code, "x" * (limit + 1))
        assert caught.value.code == "too_long"


def test_the_item_text_has_the_limit_of_the_model_field():
    spec = import_spec(ItemTypeFactory())
    assert spec["text"].max_length == DossierItem._meta.get_field("text").max_length == TEXT_MAX_LENGTH
    assert spec.clean("text", "x" * TEXT_MAX_LENGTH) == "x" * TEXT_MAX_LENGTH
    with pytest.raises(ValueProblem) as caught:
        spec.clean("text", "x" * (TEXT_MAX_LENGTH + 1))
    assert caught.value.code == "too_long"
    assert f"{TEXT_MAX_LENGTH:,}" in caught.value.message  # grouped as English writes it


def test_every_text_field_the_spec_cleans_has_a_limit():
    item_type = ItemTypeFactory(kind="own")
    for kind in (FreeField.Kind.TEXT, FreeField.Kind.LONG_TEXT):
        FreeFieldFactory(item_type=item_type, code=f"f_{kind}", label=str(kind), kind=kind)
    spec = import_spec(item_type)
    texts = [field for field in spec.fields if field.kind in (Kind.TEXT, Kind.LONG_TEXT)]
    assert len(texts) >= 4
    assert all(field.max_length for field in texts)


def test_clean_returns_a_text_without_its_control_characters():
    spec = import_spec(ItemTypeFactory())
    assert spec.clean("subject", "Brief\x1b[0m\u2066 aan klant") == "Brief[0m aan klant"


def test_an_end_date_before_the_begin_date_fails(alice):
    spec = import_spec(ItemTypeFactory(has_begin_date=True, has_end_date=True))
    _values, problems = spec.validate(
        {"relation": RelationFactory(), "begin_date": dt.date(2025, 2, 1), "end_date": dt.date(2025, 1, 1)}, user=alice
    )
    assert [p.code for p in problems] == ["end_before_begin"]


def test_all_problems_of_an_item_are_collected(alice):
    item_type = ItemTypeFactory(
        kind="own", regarding_employee_state=FieldState.REQUIRED, project_state=FieldState.REQUIRED
    )
    FreeFieldFactory(item_type=item_type, code="Salaris", required=True)
    _values, problems = import_spec(item_type).validate({"relation": RelationFactory()}, user=alice)
    assert {p.code for p in problems} == {"required", "regarding_role_missing"}
    assert {p.field for p in problems} == {"project", "free_Salaris", "regarding_employee"}


def test_building_a_spec_takes_a_bounded_number_of_queries(ernst, django_assert_max_num_queries):
    characteristic, _values = ernst
    item_type = ItemTypeFactory(kind="own", use_characteristics=True, characteristic_1=characteristic)
    for n in range(5):
        FreeFieldFactory(item_type=item_type, code=f"f{n}")
    with django_assert_max_num_queries(4):
        import_spec(item_type)


def test_the_submitter_is_the_default_responsible_when_the_type_says_so(alice, bob):
    item_type = ItemTypeFactory(has_responsible=True, submitter_is_default_responsible=True)
    values, _problems = import_spec(item_type).validate({"relation": RelationFactory()}, user=alice)
    assert values["responsible"] == alice
    values, _problems = import_spec(item_type).validate({"relation": RelationFactory(), "responsible": bob}, user=alice)
    assert values["responsible"] == bob
    values, _problems = import_spec(ItemTypeFactory(has_responsible=True)).validate(
        {"relation": RelationFactory()}, user=alice
    )
    assert "responsible" not in values


def test_reference_defaults_are_left_to_the_entry_path_to_resolve(profiled_type, alice):
    item_type, profile = profiled_type
    item_type.contact_state = FieldState.OPTIONAL
    item_type.save()
    CreationProfileField.objects.create(profile=profile, field_code="contact", default="30001", position=4)
    given = {"relation": RelationFactory(), "begin_date": dt.date(2026, 1, 1)}
    values, problems = ItemSpec(item_type, profile).validate(given, user=alice)
    assert "contact" not in values
    assert problems == []
