"""The resolver of destinations a file names that are no relation number or contact id
(dossier.resolving): role numbers, names, contacts, inactive relations, visibility."""

import pytest
from django.contrib.auth.models import Permission

from dossier.resolving import MAX_NAMES, NAME_CHUNK, Evidence, normalised, resolve_contacts, resolve_relations
from tests.factories import (
    ApplicantFactory,
    ContactFactory,
    EmployeeFactory,
    OrganisationFactory,
    PurchaseRelationFactory,
    RelationFactory,
    SalesRelationFactory,
    UserFactory,
)


@pytest.fixture
def viewer(db):
    """May see relations: view permission on them, as the staff group has."""
    user = UserFactory(username="viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_relation", content_type__app_label="dossier"))
    return user


@pytest.fixture
def stranger(db):
    """Imports, but may not see relations."""
    return UserFactory(username="stranger")


@pytest.fixture
def jansen(db):
    return OrganisationFactory(number="20004", name="Jansen B.V.", city="Utrecht")


@pytest.mark.parametrize(
    ("factory", "number", "role"),
    [
        (EmployeeFactory, "E0001", "employee"),
        (SalesRelationFactory, "D20004", "sales"),
        (PurchaseRelationFactory, "C20031", "purchase"),
        (ApplicantFactory, "A0081", "applicant"),
    ],
)
def test_r19_a_role_number_of_each_role_offers_its_relation(viewer, jansen, factory, number, role):
    factory(relation=jansen, number=number)

    found = resolve_relations([number], user=viewer)[number]

    assert found.evidence == Evidence.ROLE_NUMBER
    assert found.role == role
    assert [c.number for c in found.candidates] == ["20004"]
    assert found.suggestion == "20004"
    assert "relation number 20004" in str(found.explanation)


def test_a_role_number_in_another_case_and_a_plain_role_number_are_found(viewer, jansen):
    SalesRelationFactory(relation=jansen, number="D20004")
    other = OrganisationFactory(number="20005", name="Pietersen")
    SalesRelationFactory(relation=other, number="4711")

    found = resolve_relations(["d20004", "4711"], user=viewer)

    assert found["d20004"].suggestion == "20004"
    assert found["4711"].evidence == Evidence.ROLE_NUMBER
    assert found["4711"].suggestion == "20005"


def test_the_candidate_label_names_number_name_place_and_kind(viewer, jansen):
    SalesRelationFactory(relation=jansen, number="D20004")

    candidate = resolve_relations(["D20004"], user=viewer)["D20004"].candidates[0]

    assert candidate.label == "20004 Jansen B.V., Utrecht (organisation)"


def test_a_name_with_one_candidate_is_suggested(viewer, jansen):
    OrganisationFactory(number="20009", name="Pietersen Bouw")

    found = resolve_relations(["jansen bv"], user=viewer)["jansen bv"]

    assert found.evidence == Evidence.NAME
    assert [c.number for c in found.candidates] == ["20004"]
    assert found.candidates[0].exact
    assert found.suggestion == "20004"


def test_a_name_with_its_place_is_the_same_name(viewer, jansen):
    assert resolve_relations(["Jansen BV, Utrecht"], user=viewer)["Jansen BV, Utrecht"].suggestion == "20004"


def test_a_name_with_several_candidates_suggests_none(viewer, jansen):
    OrganisationFactory(number="20008", name="Jansen BV", city="Delft")
    RelationFactory(number="10008", name="Jansens", city="Breda")
    OrganisationFactory(number="20009", name="Pietersen")

    found = resolve_relations(["Jansen"], user=viewer)["Jansen"]

    assert found.evidence == Evidence.NAME
    assert [c.number for c in found.candidates] == ["20004", "20008", "10008"]  # the same names first
    assert found.suggestion is None
    assert "choose one" in str(found.explanation)


def test_a_name_part_of_one_relations_name_is_a_candidate_not_a_suggestion(viewer, jansen):
    found = resolve_relations(["Jansen Utrecht Bouw en Advies"], user=viewer)["Jansen Utrecht Bouw en Advies"]

    assert [c.number for c in found.candidates] == ["20004"]
    assert found.suggestion is None


def test_an_inactive_relation_says_so_and_is_never_suggested(viewer, jansen):
    jansen.is_active = False
    jansen.save()
    SalesRelationFactory(relation=jansen, number="D20004")

    found = resolve_relations(["D20004", "Jansen BV"], user=viewer)

    for resolution in found.values():
        candidate = resolution.candidates[0]
        assert not candidate.is_active
        assert candidate.label == "20004 Jansen B.V., Utrecht (organisation): inactive"
        assert "is inactive" in str(candidate.warning)
        assert resolution.suggestion is None


def test_a_blocked_relation_says_blocked_and_is_never_suggested(viewer, jansen):
    jansen.blocked = True
    jansen.save()
    SalesRelationFactory(relation=jansen, number="D20004")
    contact = ContactFactory(organisation=jansen, contact_id="30004")

    found = resolve_relations(["D20004", "Jansen BV"], user=viewer)

    for resolution in found.values():
        candidate = resolution.candidates[0]
        assert candidate.blocked
        assert candidate.label == "20004 Jansen B.V., Utrecht (organisation): blocked"
        assert "is blocked" in str(candidate.warning) and "administrator unblocks it" in str(candidate.warning)
        assert resolution.suggestion is None
    (candidate,) = resolve_contacts([contact.person.number], user=viewer)[contact.person.number].candidates
    assert candidate.blocked and str(candidate.label).endswith(": blocked")
    assert "of blocked organisation 20004" in str(candidate.warning)


def test_a_value_without_candidates_is_not_found(viewer, jansen):
    found = resolve_relations(["99999", "Nobody Ltd"], user=viewer)

    assert found["99999"].evidence == Evidence.NONE
    assert found["Nobody Ltd"].evidence == Evidence.NONE
    assert found["Nobody Ltd"].candidates == ()
    assert "No relation you may see" in str(found["Nobody Ltd"].explanation)


def test_a_user_who_may_not_see_relations_gets_no_candidates(stranger, jansen):
    SalesRelationFactory(relation=jansen, number="D20004")

    found = resolve_relations(["D20004", "Jansen BV"], user=stranger)

    assert all(resolution.candidates == () for resolution in found.values())
    assert all(resolution.suggestion is None for resolution in found.values())


def test_a_contact_by_its_persons_number_or_name_within_the_relation(viewer, jansen):
    piet = RelationFactory(number="10004", name="Piet de Vries")
    ContactFactory(contact_id="30004", organisation=jansen, person=piet)
    elsewhere = OrganisationFactory(number="20007", name="Elders")
    ContactFactory(contact_id="30007", organisation=elsewhere, person=RelationFactory(name="Piet de Vries"))

    by_number = resolve_contacts(["10004"], user=viewer)["10004"]
    by_name = resolve_contacts(["piet de vries"], user=viewer, relations={"piet de vries": "20004"})

    assert by_number.evidence == Evidence.CONTACT
    assert by_number.suggestion == "30004"
    assert by_number.candidates[0].label == "30004 Piet de Vries at 20004 Jansen B.V. (contact)"
    assert [c.number for c in by_name["piet de vries"].candidates] == ["30004"]
    assert by_name["piet de vries"].suggestion == "30004"


def test_a_contact_name_at_two_organisations_suggests_none(viewer, jansen):
    for number, organisation in (("30004", jansen), ("30007", OrganisationFactory(number="20007"))):
        ContactFactory(contact_id=number, organisation=organisation, person=RelationFactory(name="Piet de Vries"))

    found = resolve_contacts(["Piet de Vries"], user=viewer)["Piet de Vries"]

    assert {c.number for c in found.candidates} == {"30004", "30007"}
    assert found.suggestion is None


def test_contacts_are_not_shown_to_a_user_who_may_not_see_relations(stranger, jansen):
    ContactFactory(contact_id="30004", organisation=jansen, person=RelationFactory(number="10004"))

    found = resolve_contacts(["10004"], user=stranger)["10004"]

    assert found.candidates == ()
    assert "No contact you may see" in str(found.explanation)


def test_names_are_compared_without_case_accents_punctuation_and_legal_form():
    assert normalised("Jänsen B.V.") == normalised("jansen bv") == "jansen"


def test_the_queries_do_not_grow_with_the_numbers(viewer, jansen, django_assert_max_num_queries):
    SalesRelationFactory(relation=jansen, number="D20004")
    numbers = [str(n) for n in range(3000)] + ["D20004"]

    # the user's permissions (2), 4 roles x 4 chunks
    with django_assert_max_num_queries(2 + 4 * 4):
        found = resolve_relations(numbers, user=viewer)

    assert found["D20004"].suggestion == "20004"
    assert found["17"].evidence == Evidence.NONE  # a number is never searched as a name


def test_a_code_is_not_searched_as_a_name_but_a_name_with_a_number_is(viewer):
    OrganisationFactory(number="20010", name="Bouw 2000 BV")
    OrganisationFactory(number="20011", name="KL-2025 Advies")

    found = resolve_relations(["KL-2025", "Bouw 2000"], user=viewer)

    assert found["KL-2025"].candidates == ()
    assert found["Bouw 2000"].suggestion == "20010"


def test_names_are_searched_together_in_bounded_queries(viewer, jansen, django_assert_max_num_queries):
    names = [f"Name {n}" for n in range(MAX_NAMES + 100)] + ["Jansen BV"]

    # the user's permissions (2), 4 roles, 2 per NAME_CHUNK names
    with django_assert_max_num_queries(2 + 4 + 2 * (MAX_NAMES // NAME_CHUNK)):
        found = resolve_relations(names, user=viewer)

    assert len(found) == len(names)
    assert found["Name 1"].evidence == Evidence.NONE
