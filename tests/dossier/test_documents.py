"""Generated documents (dossier.documents): values written as a person would, in the template's,
the author's or the site's language; role numbers; labels; the document's own properties."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from docx import Document

from dossier import documents, services
from dossier.models import Attachment, DocumentTemplate, DossierItem, FreeField
from tests.factories import (
    CharacteristicValueFactory,
    EmployeeFactory,
    FreeFieldFactory,
    ItemTypeFactory,
    RelationFactory,
    UserFactory,
)

TEMPLATE_LINES = (
    "Werknemer: {{ relation.name }} ({{ employee.number }}, relatie {{ relation.number }}, rol {{ role.number }})",
    "Salaris: € {{ free.Salaris }}",
    "Uren: {{ free.Uren }}",
    "Ingangsdatum: {{ free.Ingangsdatum }}",
    "Soort: {{ free.Soort }}",
    "Proeftijd: {{ free.Proeftijd }}{% if not free.Proeftijd %} (geen){% endif %}",
    "Richting: {{ characteristic.RICHTING }} / {{ item.characteristic_value_1 }}",
    "Begin: {{ item.begin_date }}",
    "Onderwerp: {{ item.subject }}",
    "Nummer: {{ item.number }}",
    "Debiteur: [{{ debtor.number }}]",
    "Rauw: {{ free_raw.Salaris }}",
)


def docx_bytes(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def lines(content: bytes) -> dict[str, str]:
    """The document's paragraphs by the word before their first colon."""
    result = {}
    for paragraph in Document(io.BytesIO(content)).paragraphs:
        key, _sep, rest = paragraph.text.partition(": ")
        result[key] = rest
    return result


@pytest.fixture
def contract(db):
    item_type = ItemTypeFactory(code="CONTR", kind="own", attach_file=True, regarding_employee_state="required")
    for code, kind, choices in (
        ("Salaris", FreeField.Kind.DECIMAL, ""),
        ("Uren", FreeField.Kind.INTEGER, ""),
        ("Ingangsdatum", FreeField.Kind.DATE, ""),
        ("Soort", FreeField.Kind.CHOICE, "VAST=Vast\nTIJDELIJK=Tijdelijk"),
        ("Proeftijd", FreeField.Kind.BOOLEAN, ""),
    ):
        FreeFieldFactory(item_type=item_type, code=code, label=code, kind=kind, choices=choices)
    employee = EmployeeFactory(number="E0001", relation=RelationFactory(number="10001", name="Anna de Vries"))
    richting = CharacteristicValueFactory(
        characteristic__code="RICHTING", characteristic__name="Richting", code="IN", label="Inkomend"
    )
    item = DossierItem.objects.create(
        item_type=item_type,
        number=12345,
        subject="Arbeidsovereenkomst",
        begin_date=dt.date(2027, 1, 1),
        submitter=UserFactory(username="hr", first_name="Henk", last_name="de Vries", language="en"),
        relation=employee.relation,
        regarding_employee=True,
        characteristic_value_1=richting,
        free_values={
            "Salaris": "3250.5",
            "Uren": 1200,
            "Ingangsdatum": "2027-01-01",
            "Soort": "TIJDELIJK",
            "Proeftijd": False,
        },
    )
    template = DocumentTemplate(code="CONTRACT", name="Arbeidsovereenkomst", output_name="{relation}-contract-{number}")
    template.file.save("contract.docx", ContentFile(docx_bytes(*TEMPLATE_LINES)))
    return item, template


def test_a_document_in_dutch_writes_amounts_dates_labels_and_the_employee_number_as_a_person_would(contract):
    item, template = contract

    text = lines(documents.render_document(template=template, item=item, language="nl"))

    assert text["Werknemer"] == "Anna de Vries (E0001, relatie 10001, rol E0001)"
    assert text["Salaris"] == "€ 3.250,50"
    assert text["Uren"] == "1200"  # a whole number: a count, a year or a code, never grouped
    assert text["Ingangsdatum"] == "1 januari 2027"
    assert text["Soort"] == "Tijdelijk"
    assert text["Proeftijd"] == "nee (geen)"
    assert text["Richting"] == "Inkomend / Inkomend"
    assert text["Begin"] == "1 januari 2027"
    assert text["Onderwerp"] == "Arbeidsovereenkomst"
    assert text["Nummer"] == "12345"
    assert text["Debiteur"] == "[]"  # a role the relation does not have: empty, no error
    assert text["Rauw"] == "3250.5"  # the stored value, for a template that needs it


def test_a_document_in_english_writes_the_same_values_the_english_way(contract):
    item, template = contract

    text = lines(documents.render_document(template=template, item=item, language="en"))

    assert text["Salaris"] == "€ 3,250.50"
    assert text["Uren"] == "1200"
    assert text["Ingangsdatum"] == "1 January 2027"
    assert text["Proeftijd"] == "no (geen)"


def test_the_templates_own_language_wins_over_the_authors(contract):
    item, template = contract
    template.language = "nl"
    author = UserFactory(language="en")

    assert documents.document_language(template, author) == "nl"
    text = lines(documents.render_document(template=template, item=item, author=author))
    assert text["Ingangsdatum"] == "1 januari 2027"


def test_without_a_template_language_the_authors_language_then_the_sites_is_used(contract, settings):
    _item, template = contract
    settings.LANGUAGE_CODE = "nl"

    assert documents.document_language(template, UserFactory(language="en")) == "en"
    assert documents.document_language(template, UserFactory(language="")) == "nl"
    assert documents.document_language(template, None) == "nl"


def test_the_document_names_its_author_dates_and_template_in_its_properties(contract):
    item, template = contract
    author = UserFactory(username="importeur", first_name="Ingrid", last_name="Mporteur")
    moment = dt.datetime(2027, 1, 2, 10, 30, tzinfo=dt.UTC)

    content = documents.render_document(template=template, item=item, author=author, now=moment, language="nl")

    properties = Document(io.BytesIO(content)).core_properties
    assert properties.author == properties.last_modified_by == "Ingrid Mporteur"
    assert properties.created == properties.modified == moment
    assert properties.title == "Arbeidsovereenkomst 12345"
    assert properties.category == "gegenereerd document"
    assert properties.content_status == ""
    assert properties.language == "nl"


def test_a_draft_says_so_in_its_properties(contract):
    item, template = contract

    content = documents.render_document(template=template, item=item, language="en", draft=True)

    assert Document(io.BytesIO(content)).core_properties.content_status == "draft"


def test_the_check_pages_line_names_the_document_without_rendering_it(contract):
    _item, template = contract
    assert (
        documents.document_plan(template)
        == "{relation}-contract-{number}.docx (generated from template Arbeidsovereenkomst)"
    )


def test_shown_values_leave_text_alone_and_unknown_free_values_as_stored():
    assert documents.shown("A & B") == "A & B"
    assert documents.shown(None) == ""
    assert documents.free_value(None, "x") == "x"
    with timezone.override("Europe/Amsterdam"):
        assert documents.shown(Decimal("5")) == "5.00"


def test_an_attachment_is_a_file_unless_generated():
    assert not Attachment(kind=Attachment.Kind.FILE).is_generated
    assert Attachment(kind=Attachment.Kind.DRAFT).is_generated


def test_a_generated_document_does_not_count_in_the_items_fingerprint(contract):
    item, template = contract
    services.refresh_fingerprint(item)
    before = DossierItem.objects.get(pk=item.pk).fingerprint

    services.add_attachment(
        item=item, content=ContentFile(b"docx"), name="x.docx", kind=Attachment.Kind.GENERATED, template=template
    )
    services.refresh_fingerprint(item)

    assert DossierItem.objects.get(pk=item.pk).fingerprint == before
    services.add_attachment(item=item, content=ContentFile(b"%PDF signed"), name="signed.pdf")
    services.refresh_fingerprint(item)
    assert DossierItem.objects.get(pk=item.pk).fingerprint != before
