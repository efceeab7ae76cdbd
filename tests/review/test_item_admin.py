"""The item's admin change page: laid out, checked and stored through ItemSpec; free fields
as typed inputs; only what the type allows; read-only for users who may only view items."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dossier.demo import CONTRACT_PAGE
from dossier.models import CharacteristicValue, Course, DossierItem, ItemType, Project, Relation
from dossier.services import add_attachment, create_item
from dossier.spec import ItemSpec, Purpose

pytestmark = pytest.mark.django_db


def change_url(item: DossierItem) -> str:
    return reverse("admin:dossier_dossieritem_change", args=[item.pk])


def user(username: str):
    return get_user_model().objects.get(username=username)


def login(client, username: str):
    client.force_login(user(username))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def make_contract(**raw) -> DossierItem:
    """A CONTR item made with profile NIEUW the way manual entry makes it."""
    contract = ItemType.objects.get(code="CONTR")
    spec = ItemSpec(contract, contract.creation_profiles.get(code="NIEUW"), purpose=Purpose.ENTRY)
    raw = {
        "subject": "Arbeidsovereenkomst",
        "free_Functie": "Monteur",
        "free_Salaris": "3500",
        "free_Ingangsdatum": "01-02-2025",
        **raw,
    }
    values = {code: spec.clean(code, value) for code, value in raw.items()}
    values["relation"] = Relation.objects.get(number="10001")
    values, problems = spec.validate(values, user=user("admin"))
    assert problems == []
    return create_item(spec=spec, values=values)


def form_data(response) -> dict:
    """The POST data of the change page as rendered, inline management forms included."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value in (None, False, ""):
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, dt.date):
            data[name] = field.widget.format_value(value)
        else:
            data[name] = str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value not in (None, False):
                    data[form.add_prefix(name)] = str(value)
    return data


def page_names(response) -> list[tuple[str | None, list[str]]]:
    return [
        (fieldset.name, [f.field["name"] if f.is_readonly else f.field.name for line in fieldset for f in line])
        for fieldset in response.context["adminform"]
    ]


@pytest.fixture
def admin_client(client, demo):
    return login(client, "admin")


# --- layout ---------------------------------------------------------------------------------


def test_it_lays_out_an_item_made_with_a_profile_like_the_profiles_edit_page(admin_client):
    item = make_contract()
    runs = dict(page_names(admin_client.get(change_url(item))))
    wanted = [code for code, _setting, _default in CONTRACT_PAGE]
    assert runs["Nieuw contract"] == wanted


def test_it_lays_out_an_item_without_a_profile_in_the_specs_order(admin_client):
    complaint = DossierItem.objects.get(item_type__code="KLACHT", subject="Factuur onjuist")
    runs = page_names(admin_client.get(change_url(complaint)))
    spec = ItemSpec(complaint.item_type)
    shown = [name for title, names in runs[1:-2] for name in names]
    expected = [f.code.replace("characteristic_", "characteristic_value_") for f in spec.fillable_fields]
    assert shown == [code for code in expected if code != "attachment"]
    assert [title for title, _names in runs[1:4]] == ["Item", "Destination", "Dossier extras"]


def test_it_marks_the_fields_the_spec_requires(admin_client):
    item = make_contract()
    form = admin_client.get(change_url(item)).context["adminform"].form
    required = {name for name, field in form.fields.items() if field.required}
    # Functie is required by the profile's page; relation, Salaris and Ingangsdatum by the type.
    assert required == {"relation", "free_Salaris", "free_Ingangsdatum", "free_Functie"}


# --- free fields ----------------------------------------------------------------------------


def test_it_offers_free_fields_as_typed_inputs_never_as_json(admin_client):
    item = make_contract(free_Functie="Monteur")
    response = admin_client.get(change_url(item))
    form = response.context["adminform"].form
    assert "free_values" not in form.fields
    assert form["free_Salaris"].value() == pytest.approx(3500)
    assert form["free_Ingangsdatum"].value() == dt.date(2025, 2, 1)
    assert 'name="free_Ingangsdatum" value="01-02-2025"' in response.text
    assert dict(form.fields["free_Soort_contract"].choices)["VAST"] == "Vast"


def test_it_stores_changed_free_fields_as_manual_entry_stores_them(admin_client):
    item = make_contract(free_Functie="Monteur")
    data = form_data(admin_client.get(change_url(item)))
    data.update(
        free_Salaris="4.250,50",
        free_Ingangsdatum="01-03-2025",
        free_Soort_contract="VAST",
        free_Functie="Chef monteur",
    )
    data.pop("free_Proeftijd", None)  # unticked
    response = admin_client.post(change_url(item), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    item.refresh_from_db()
    assert item.free_values == {
        "Salaris": "4250.50",
        "Ingangsdatum": "2025-03-01",
        "Soort_contract": "VAST",
        "Functie": "Chef monteur",
        "Proeftijd": False,
    }


def test_it_refuses_a_free_value_of_the_wrong_type_with_the_specs_message(admin_client):
    item = make_contract()
    data = {**form_data(admin_client.get(change_url(item))), "free_Ingangsdatum": "31-02-2025"}
    response = admin_client.post(change_url(item), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["free_Ingangsdatum"]
    assert DossierItem.objects.get(pk=item.pk).free_values["Ingangsdatum"] == "2025-02-01"


def test_it_enforces_the_fields_the_spec_requires(admin_client):
    item = make_contract(free_Functie="Monteur")
    data = form_data(admin_client.get(change_url(item)))
    del data["free_Salaris"]
    response = admin_client.post(change_url(item), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["free_Salaris"] == ["Salaris is required: fill it in."]


# --- what the type allows -------------------------------------------------------------------


def test_it_refuses_a_value_of_another_characteristic(admin_client):
    complaint = DossierItem.objects.get(item_type__code="KLACHT", subject="Factuur onjuist")
    incoming = CharacteristicValue.objects.get(characteristic__code="RICHTING", code="IN")
    response = admin_client.get(change_url(complaint))
    offered = response.context["adminform"].form.fields["characteristic_value_1"].queryset
    assert {v.characteristic.code for v in offered} == {"ERNST"}
    data = {**form_data(response), "characteristic_value_1": str(incoming.pk)}
    response = admin_client.post(change_url(complaint), data)
    assert "This is not a value of Ernst" in str(response.context["adminform"].form.errors["characteristic_value_1"])
    complaint.refresh_from_db()
    assert complaint.characteristic_value_1.code == "MIDDEN"


def test_it_offers_no_characteristics_when_the_type_uses_none(admin_client):
    item = make_contract()
    form = admin_client.get(change_url(item)).context["adminform"].form
    assert not [name for name in form.fields if name.startswith("characteristic")]


def test_it_offers_no_project_where_the_type_hides_it(admin_client):
    course = Course.objects.get(code="CRS-01")
    spec = ItemSpec(ItemType.objects.get(code="CURSUS"))
    values, problems = spec.validate(
        {"course": course, "relation": Relation.objects.get(number="10002")}, user=user("admin")
    )
    assert problems == []
    evaluation = create_item(spec=spec, values=values)
    response = admin_client.get(change_url(evaluation))
    fields = response.context["adminform"].form.fields
    assert "course" in fields
    assert "project" not in fields
    project = Project.objects.get(code="PRJ-001")
    response = admin_client.post(change_url(evaluation), {**form_data(response), "project": str(project.pk)})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.project is None


def test_it_offers_an_active_project_with_search(admin_client):
    complaint = DossierItem.objects.get(item_type__code="KLACHT", subject="Factuur onjuist")
    response = admin_client.get(change_url(complaint))
    assert "admin-autocomplete" in response.text
    Project.objects.filter(code="PRJ-002").update(is_active=False)
    inactive = Project.objects.get(code="PRJ-002")
    response = admin_client.post(change_url(complaint), {**form_data(response), "project": str(inactive.pk)})
    assert "There is no active project with this code" in str(response.context["adminform"].form.errors["project"])


def test_it_refuses_a_contact_of_another_relation(admin_client):
    letter = DossierItem.objects.get(item_type__code="CORR", subject="Offerte kantoorinrichting")
    other = letter.contact.__class__.objects.get(contact_id="30002")
    data = {**form_data(admin_client.get(change_url(letter))), "contact": str(other.pk)}
    response = admin_client.post(change_url(letter), data)
    assert "belongs to organisation 20002, not to 20001" in str(response.context["adminform"].form.errors["contact"])


# --- saving ---------------------------------------------------------------------------------


def test_it_records_who_changed_the_item_and_when(admin_client):
    complaint = DossierItem.objects.get(item_type__code="KLACHT", subject="Factuur onjuist")
    assert complaint.changed_at is None
    data = {**form_data(admin_client.get(change_url(complaint))), "subject": "Factuur onjuist (februari)"}
    assert admin_client.post(change_url(complaint), data).status_code == 302
    complaint.refresh_from_db()
    assert complaint.subject == "Factuur onjuist (februari)"
    assert complaint.changed_by == user("admin")
    assert complaint.changed_at is not None


def test_it_leaves_changed_at_empty_when_nothing_changed(admin_client):
    complaint = DossierItem.objects.get(item_type__code="KLACHT", subject="Factuur onjuist")
    data = form_data(admin_client.get(change_url(complaint)))
    assert admin_client.post(change_url(complaint), data).status_code == 302
    complaint.refresh_from_db()
    assert complaint.changed_at is None


def test_it_keeps_the_workflow_when_characteristics_change(admin_client):
    complaint = DossierItem.objects.get(item_type__code="KLACHT", subject="Factuur onjuist")
    high = CharacteristicValue.objects.get(characteristic__code="ERNST", code="HOOG")
    data = {**form_data(admin_client.get(change_url(complaint))), "characteristic_value_1": str(high.pk)}
    response = admin_client.post(change_url(complaint), data, follow=True)
    assert "an item enters a workflow only when it is made" in response.text
    complaint.refresh_from_db()
    assert complaint.characteristic_value_1 == high
    assert not hasattr(complaint, "workflow_instance")


def test_it_adds_an_attachment_where_the_type_allows_it(admin_client):
    letter = DossierItem.objects.get(item_type__code="CORR", subject="Adreswijziging")
    data = {**form_data(admin_client.get(change_url(letter))), "new_attachment": SimpleUploadedFile("10005.txt", b"hi")}
    assert admin_client.post(change_url(letter), data).status_code == 302
    attachment = letter.attachments.get()
    assert (attachment.original_name, attachment.file.read()) == ("10005.txt", b"hi")
    letter.refresh_from_db()
    assert letter.changed_at is not None


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("10005_brief.pdf", b"x" * 1001, "attachment_too_large"),
        ("10005_brief.xlsm", b"PK", "attachment_type_not_allowed"),
        ("10005_brief.exe", b"MZ", "attachment_type_never_allowed"),
        ("10005_brief.pdf", b"MZ\x90\x00", "attachment_content_program"),
        ("10005_brief.pdf", b"", "attachment_empty"),
    ],
)
def test_it_refuses_an_attachment_the_import_refuses_and_stores_nothing(
    admin_client, settings, private_files, name, content, code
):
    settings.IMPORT_ATTACHMENT_MAX_SIZE = 1000
    settings.IMPORT_ATTACHMENT_TYPES = ["pdf"]
    letter = DossierItem.objects.get(item_type__code="CORR", subject="Adreswijziging")
    data = {**form_data(admin_client.get(change_url(letter))), "new_attachment": SimpleUploadedFile(name, content)}
    response = admin_client.post(change_url(letter), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [error.code for error in form.errors.as_data()["new_attachment"]] == [code]
    assert f"&#x27;{name}&#x27;" in response.text
    assert not letter.attachments.exists() and not private_files.exists("attachments")
    letter.refresh_from_db()
    assert letter.changed_at is None


def test_it_offers_no_attachment_input_where_the_type_has_attach_file_off(admin_client):
    complaint = DossierItem.objects.get(item_type__code="KLACHT", subject="Factuur onjuist")
    assert "new_attachment" not in admin_client.get(change_url(complaint)).context["adminform"].form.fields


# --- workflow, review tasks and the relation's dossier --------------------------------------


def test_it_shows_the_workflow_state_and_review_tasks(admin_client):
    escalated = DossierItem.objects.get(item_type__code="KLACHT", subject="Installatie defect bij oplevering")
    text = admin_client.get(change_url(escalated)).text
    assert "Escalatie, at task Klacht beoordelen (since" in text
    contract = make_contract()
    text = admin_client.get(change_url(contract)).text
    assert "Not in a workflow." in text
    assert "admin: open, due" in text


# --- rights ---------------------------------------------------------------------------------


def test_a_user_who_may_only_view_items_sees_free_fields_readable(client, demo):
    item = make_contract(free_Functie="Monteur", free_Soort_contract="VAST")
    response = login(client, "importeur").get(change_url(item))
    assert response.status_code == 200
    text = response.text
    assert "field-free_values" not in text and "&quot;Salaris&quot;" not in text  # no raw JSON
    assert "Monteur" in text
    assert "Vast" in text  # the choice's label, not its code
    assert 'name="free_Salaris"' not in text


def test_a_user_who_may_only_view_items_cannot_change_one(client, demo):
    item = make_contract()
    response = login(client, "importeur").post(change_url(item), {"subject": "Changed"})
    assert response.status_code == 403
    assert DossierItem.objects.get(pk=item.pk).subject == "Arbeidsovereenkomst"


def test_a_user_not_authorised_for_the_type_gets_no_page(client, demo):
    item = make_contract()
    response = login(client, "profit").get(change_url(item))
    assert response.status_code == 302  # the admin sends an unknown object to the index
    assert DossierItem.objects.visible_to(user("profit")).filter(pk=item.pk).exists() is False


def test_an_attachment_downloads_only_for_users_who_may_see_the_item(client, demo):
    item = make_contract()
    attachment = add_attachment(item=item, content=ContentFile(b"signed copy"), name="10001-signed.pdf")
    url = reverse("dossier:attachment-download", args=[attachment.pk])
    assert login(client, "profit").get(url).status_code == 404
    response = login(client, "importeur").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"signed copy"


def test_the_page_speaks_dutch(client, demo):
    item = make_contract()
    client.force_login(user("admin"))
    text = client.get(change_url(item), HTTP_ACCEPT_LANGUAGE="nl").text
    assert "Workflow en beoordeling" in text
