"""Recording a dossier item in the admin: each view works for alice, refuses charlie (no
rights, R2), hides what is not hers (404) and sends strangers to the login page."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from accounts.rights import rights_refusal
from dossier.models import (
    Attachment,
    CharacteristicCombination,
    CreationProfile,
    CreationProfileField,
    DossierItem,
    FreeField,
    ReviewProfile,
)
from dossier.services import create_item
from dossier.spec import ItemSpec, Purpose
from tests.factories import (
    CharacteristicValueFactory,
    FreeFieldFactory,
    ItemTypeFactory,
    RelationFactory,
    WorkflowFactory,
    WorkflowTaskFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def make_item(item_type, user, *, profile=None, attachment: bytes | None = None, **values) -> DossierItem:
    spec = ItemSpec(item_type, profile, purpose=Purpose.ENTRY)
    values, problems = spec.validate({"relation": RelationFactory(number="10001", name="Anna"), **values}, user=user)
    assert problems == []
    content = ContentFile(attachment, name="10001_letter.pdf") if attachment is not None else None
    return create_item(spec=spec, values=values, attachment=content)


@pytest.fixture
def item(alice, alice_type):
    return make_item(alice_type, alice, subject="Welcome letter", attachment=b"%PDF-1.4 letter")


@pytest.fixture
def secret_item(bob):
    """An item of a confidential type only bob is authorised for."""
    secret = ItemTypeFactory(code="SECRET", confidential=True)
    secret.authorised_users.add(bob)
    return make_item(secret, bob, subject="Secret", attachment=b"secret bytes")


def urls(item) -> dict[str, str]:
    return {
        "record-choose": reverse("dossier:record-choose"),
        "record-item": reverse("dossier:record-item", args=[item.item_type.code]),
        "item-detail": reverse("dossier:item-detail", args=[item.pk]),
        "attachment-download": reverse("dossier:attachment-download", args=[item.attachments.get().pk]),
    }


VIEWS = ["record-choose", "record-item", "item-detail", "attachment-download"]


# --- for every view -------------------------------------------------------------------------------


@pytest.mark.parametrize("view", VIEWS)
def test_it_works_for_alice(client, alice, item, view):
    client.force_login(alice)
    response = client.get(urls(item)[view])
    assert response.status_code == 200


@pytest.mark.parametrize("view", ["record-choose", "record-item"])
def test_r02_it_refuses_a_user_without_insite_or_profit_rights_and_says_why(client, charlie, item, view):
    client.force_login(charlie)
    response = client.get(urls(item)[view])
    assert response.status_code == 403
    with translation.override("en"):
        reason = str(rights_refusal(charlie))
    assert reason in response.content.decode()


@pytest.mark.parametrize("view", ["item-detail", "attachment-download"])
def test_a_user_without_rights_sees_and_downloads_an_item_of_a_type_he_is_authorised_for(client, charlie, item, view):
    client.force_login(charlie)
    assert client.get(urls(item)[view]).status_code == 404  # not authorised for the type
    item.item_type.authorised_users.add(charlie)
    assert client.get(urls(item)[view]).status_code == 200  # R2 is about submitting, not seeing


@pytest.mark.parametrize("view", VIEWS)
def test_it_sends_an_anonymous_visitor_to_the_login_page(client, item, view):
    url = urls(item)[view]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert "next=" in response["Location"]


# --- choosing a type ------------------------------------------------------------------------------


def test_it_lists_the_types_alice_may_use_with_their_active_profiles(client, alice, alice_type):
    CreationProfile.objects.create(item_type=alice_type, code="NIEUW", name="New letter")
    CreationProfile.objects.create(item_type=alice_type, code="OUD", name="Old letter", is_active=False)
    ItemTypeFactory(code="OTHER", name="Not for alice")
    client.force_login(alice)
    response = client.get(reverse("dossier:record-choose"))
    content = response.content.decode()
    assert reverse("dossier:record-item", args=["LETTER"]) + "?profile=NIEUW" in content
    assert "?profile=OUD" not in content
    assert "Not for alice" not in content


def test_r03_it_offers_bob_no_type_as_he_is_authorised_for_none(client, bob, alice_type):
    client.force_login(bob)
    response = client.get(reverse("dossier:record-choose"))
    assert response.status_code == 200
    assert reverse("dossier:record-item", args=["LETTER"]) not in response.content.decode()
    assert "not authorised for any item type" in response.content.decode()


def test_it_goes_on_to_the_chosen_type_and_profile(client, alice, alice_type):
    profile = CreationProfile.objects.create(item_type=alice_type, code="NIEUW", name="New letter")
    client.force_login(alice)
    response = client.get(reverse("dossier:record-choose"), {"item_type": "LETTER", "profile": profile.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("dossier:record-item", args=["LETTER"]) + "?profile=NIEUW"


# --- recording an item ----------------------------------------------------------------------------


def test_it_shows_the_form_of_the_type(client, alice, alice_type):
    client.force_login(alice)
    response = client.get(reverse("dossier:record-item", args=["LETTER"]))
    assert response.context["form"].spec.item_type == alice_type
    assert 'name="relation"' in response.content.decode()


def test_it_records_the_item_and_shows_it(client, alice, alice_type):
    relation = RelationFactory(number="10001")
    client.force_login(alice)
    response = client.post(
        reverse("dossier:record-item", args=["LETTER"]), {"relation": "10001", "subject": "Welcome"}, follow=True
    )
    item = DossierItem.objects.get()
    assert response.redirect_chain == [(reverse("dossier:item-detail", args=[item.pk]), 302)]
    assert (item.number, item.relation, item.subject, item.submitter) == (1, relation, "Welcome", alice)
    assert "was recorded" in response.content.decode()


def test_it_stores_an_uploaded_attachment(client, alice, alice_type):
    alice_type.attach_file = True
    alice_type.save()
    RelationFactory(number="10001")
    client.force_login(alice)
    upload = ContentFile(b"%PDF-1.4 cv", name="10001_cv.pdf")
    client.post(reverse("dossier:record-item", args=["LETTER"]), {"relation": "10001", "attachment": upload})
    attachment = DossierItem.objects.get().attachments.get()
    assert attachment.original_name == "10001_cv.pdf"


def test_it_shows_the_problems_and_stores_nothing(client, alice, alice_type):
    client.force_login(alice)
    response = client.post(reverse("dossier:record-item", args=["LETTER"]), {"relation": "E0001"})
    assert response.status_code == 200
    assert response.context["form"].has_error("relation")
    assert not DossierItem.objects.exists()


def test_r03_it_hides_a_type_the_user_is_not_authorised_for(client, alice, bob, alice_type):
    ItemTypeFactory(code="OTHER")
    client.force_login(bob)
    assert client.get(reverse("dossier:record-item", args=["LETTER"])).status_code == 404
    client.force_login(alice)
    assert client.get(reverse("dossier:record-item", args=["OTHER"])).status_code == 404
    assert client.post(reverse("dossier:record-item", args=["OTHER"]), {"relation": "1"}).status_code == 404


def test_r21_it_refuses_a_profile_of_another_type_or_an_inactive_one(client, alice, alice_type):
    other = ItemTypeFactory(code="OWN", kind="own")
    other.authorised_users.add(alice)
    CreationProfile.objects.create(item_type=other, code="P", name="Of another type")
    CreationProfile.objects.create(item_type=alice_type, code="OUD", name="Inactive", is_active=False)
    client.force_login(alice)
    url = reverse("dossier:record-item", args=["LETTER"])
    assert client.get(url, {"profile": "P"}).status_code == 404
    assert client.get(url, {"profile": "OUD"}).status_code == 404


def test_r21_an_item_recorded_with_a_profile_gets_its_review_tasks(client, alice, bob, alice_type):
    review = ReviewProfile.objects.create(code="HR", name="HR")
    review.reviewers.add(bob)
    CreationProfile.objects.create(item_type=alice_type, code="NIEUW", name="New letter", review_profile=review)
    RelationFactory(number="10001")
    client.force_login(alice)
    url = reverse("dossier:record-item", args=["LETTER"]) + "?profile=NIEUW"
    response = client.post(url, {"relation": "10001"})
    item = DossierItem.objects.get()
    assert response.status_code == 302
    assert item.creation_profile.code == "NIEUW"
    assert [task.reviewer for task in item.review_tasks.all()] == [bob]


# --- showing an item ------------------------------------------------------------------------------


def test_it_shows_the_items_fields_attachments_workflow_and_review_tasks(client, alice, bob, alice_type):
    value = CharacteristicValueFactory(code="HOOG", label="Hoog")
    alice_type.use_characteristics, alice_type.characteristic_1 = True, value.characteristic
    alice_type.save()
    workflow = WorkflowFactory(name="Escalatie")
    WorkflowTaskFactory(workflow=workflow, name="Beoordelen")
    CharacteristicCombination.objects.create(item_type=alice_type, value_1=value, workflow=workflow)
    review = ReviewProfile.objects.create(code="HR", name="HR")
    review.reviewers.add(bob)
    profile = CreationProfile.objects.create(item_type=alice_type, code="NIEUW", name="New", review_profile=review)
    item = make_item(alice_type, alice, profile=profile, subject="Complaint", characteristic_1=value, attachment=b"x")
    client.force_login(alice)
    content = client.get(reverse("dossier:item-detail", args=[item.pk])).content.decode()
    for text in ("Complaint", "10001 Anna", "Hoog", "10001_letter.pdf", "Escalatie", "Beoordelen", "bob"):
        assert text in content
    assert reverse("dossier:attachment-download", args=[item.attachments.get().pk]) in content


def test_r21_it_shows_the_fields_in_the_order_of_the_profiles_show_page(client, alice, alice_type):
    alice_type.kind = "own"
    alice_type.save()
    FreeFieldFactory(item_type=alice_type, code="Functie", label="Function", kind=FreeField.Kind.TEXT)
    profile = CreationProfile.objects.create(item_type=alice_type, code="NIEUW", name="New")
    CreationProfileField.objects.create(profile=profile, field_code="free_Functie", position=1)
    CreationProfileField.objects.create(profile=profile, field_code="relation", position=2)
    CreationProfileField.objects.create(profile=profile, field_code="subject", position=3, on_show_page=False)
    item = make_item(alice_type, alice, profile=profile, subject="Hidden here", free_Functie="Adviseur")
    client.force_login(alice)
    response = client.get(reverse("dossier:item-detail", args=[item.pk]))
    assert [label for label, _value in response.context["rows"]] == ["Function", "Organisation/person"]
    assert response.context["rows"][0] == ("Function", "Adviseur")


def test_it_shows_a_detail_page_in_a_bounded_number_of_queries(
    client, alice, alice_type, django_assert_max_num_queries
):
    item = make_item(alice_type, alice, attachment=b"x")
    for _ in range(3):
        Attachment.objects.create(item=item, original_name="more.pdf", sha256="0" * 64)
    client.force_login(alice)
    with django_assert_max_num_queries(10):
        client.get(reverse("dossier:item-detail", args=[item.pk]))


def test_it_hides_an_item_of_a_confidential_type_of_another_user(client, alice, secret_item):
    client.force_login(alice)
    assert client.get(reverse("dossier:item-detail", args=[secret_item.pk])).status_code == 404


def test_it_shows_an_item_of_a_type_that_is_not_confidential_only_to_users_authorised_for_the_type(client, alice, bob):
    public = ItemTypeFactory(code="PUBLIC", confidential=False)
    item = make_item(public, bob, subject="For the authorised")
    client.force_login(alice)
    assert client.get(reverse("dossier:item-detail", args=[item.pk])).status_code == 404
    public.authorised_users.add(alice)
    assert client.get(reverse("dossier:item-detail", args=[item.pk])).status_code == 200
    public.is_active = False  # an inactive type's items stay readable to those authorised
    public.save()
    assert client.get(reverse("dossier:item-detail", args=[item.pk])).status_code == 200


# --- downloading an attachment --------------------------------------------------------------------


def test_it_streams_the_attachment_as_a_download(client, alice, item):
    client.force_login(alice)
    response = client.get(reverse("dossier:attachment-download", args=[item.attachments.get().pk]))
    assert b"".join(response.streaming_content) == b"%PDF-1.4 letter"
    assert response["Content-Disposition"] == 'attachment; filename="10001_letter.pdf"'


def test_it_hides_an_attachment_of_an_item_the_user_may_not_see(client, alice, root, secret_item):
    url = reverse("dossier:attachment-download", args=[secret_item.attachments.get().pk])
    client.force_login(alice)
    assert client.get(url).status_code == 404
    client.force_login(root)
    assert b"".join(client.get(url).streaming_content) == b"secret bytes"


def test_it_answers_404_when_the_attachments_file_is_gone(client, alice, item, private_files):
    attachment = item.attachments.get()
    private_files.delete(attachment.file.name)
    client.force_login(alice)
    assert client.get(reverse("dossier:attachment-download", args=[attachment.pk])).status_code == 404


def test_the_admin_index_links_to_recording_an_item(client, root):
    ItemTypeFactory(code="NOTE")  # a superuser may use every active type; without one he may record nothing
    client.force_login(root)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b'href="/admin/items/record/"' in response.content


# --- one item, one way of showing it (issue 19, part 6) ----------------------------------------


@pytest.fixture
def free_item(alice, alice_type):
    alice_type.kind = "own"
    alice_type.save()
    FreeFieldFactory(item_type=alice_type, code="Bedrag", label="Amount", kind=FreeField.Kind.DECIMAL)
    FreeFieldFactory(item_type=alice_type, code="Datum", label="Due", kind=FreeField.Kind.DATE)
    FreeFieldFactory(item_type=alice_type, code="Akkoord", label="Agreed", kind=FreeField.Kind.BOOLEAN)
    return make_item(alice_type, alice, free_Bedrag="3250.50", free_Datum="2026-12-31", free_Akkoord="true")


@pytest.mark.parametrize(
    ("language", "amount", "due", "agreed"),
    [("nl", "3.250,50", "31-12-2026", "ja"), ("en", "3,250.50", "12/31/2026", "yes")],
)
def test_it_shows_free_values_in_the_style_of_the_users_language(
    client, alice, free_item, language, amount, due, agreed
):
    client.force_login(alice)
    with translation.override(language):
        response = client.get(
            reverse("dossier:item-detail", args=[free_item.pk]), headers={"accept-language": language}
        )
    rows = dict(response.context["rows"])
    assert (str(rows["Amount"]), str(rows["Due"]), str(rows["Agreed"])) == (amount, due, agreed)


def test_a_characteristic_is_shown_and_offered_by_its_label(client, alice, alice_type):
    value = CharacteristicValueFactory(code="HOOG", label="Hoog", characteristic__code="ERNST")
    alice_type.use_characteristics, alice_type.characteristic_1 = True, value.characteristic
    alice_type.save()
    item = make_item(alice_type, alice, characteristic_1=value)
    assert str(value) == "Hoog"
    client.force_login(alice)
    shown = client.get(reverse("dossier:item-detail", args=[item.pk])).content.decode()
    offered = client.get(reverse("dossier:record-item", args=[alice_type.code])).content.decode()
    assert "Hoog" in shown and "HOOG" not in shown and "ERNST=" not in shown
    assert '<option value="HOOG">Hoog</option>' in offered
