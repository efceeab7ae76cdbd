import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from docx import Document

from dossier.models import (
    CharacteristicCombination,
    CreationProfile,
    DocumentTemplate,
    FreeField,
    ReviewProfile,
    ReviewTask,
    WorkflowInstance,
)
from dossier.services import create_item, item_attributes, render_document
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


def docx_bytes(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def docx_text(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


@pytest.fixture
def contract_type(alice):
    item_type = ItemTypeFactory(code="CONTR", kind="own", attach_file=True)
    FreeFieldFactory(item_type=item_type, code="Salaris", label="Salaris", kind=FreeField.Kind.DECIMAL, required=True)
    FreeFieldFactory(item_type=item_type, code="Ingangsdatum", label="Ingangsdatum", kind=FreeField.Kind.DATE)
    return item_type


def test_create_item_numbers_items_and_stores_free_values_as_json(contract_type, alice):
    spec = ItemSpec(contract_type, purpose=Purpose.IMPORT)
    relation = RelationFactory(number="10001")
    values, problems = spec.validate(
        {
            "relation": relation,
            "subject": "Contract",
            "free_Salaris": spec.clean("free_Salaris", "3.500,50"),
            "free_Ingangsdatum": spec.clean("free_Ingangsdatum", "01-02-2026"),
        },
        user=alice,
    )
    assert problems == []
    first = create_item(spec=spec, values=values)
    second = create_item(spec=spec, values=values)
    assert (first.number, second.number) == (1, 2)
    first.refresh_from_db()
    assert first.free_values == {"Salaris": "3500.50", "Ingangsdatum": "2026-02-01"}
    assert first.relation == relation
    assert first.submitter == alice


def test_create_item_stores_the_attachment_with_size_and_sha256(contract_type, alice):
    spec = ItemSpec(contract_type, purpose=Purpose.IMPORT)
    values, _problems = spec.validate({"relation": RelationFactory(), "free_Salaris": 1}, user=alice)
    content = b"%PDF-1.4 a letter"
    item = create_item(spec=spec, values=values, attachment=ContentFile(content), attachment_name="10001_cv.pdf")
    attachment = item.attachments.get()
    assert attachment.original_name == "10001_cv.pdf"
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == content


def test_r17_an_item_enters_the_workflow_of_its_characteristic_combination(alice):
    value = CharacteristicValueFactory(code="HOOG")
    item_type = ItemTypeFactory(use_characteristics=True, characteristic_1=value.characteristic)
    workflow = WorkflowFactory(code="ESCALATIE")
    WorkflowTaskFactory(workflow=workflow, code="LATER", is_start=False, position=2)
    start = WorkflowTaskFactory(workflow=workflow, code="BEOORDELEN", is_start=True, position=1)
    CharacteristicCombination.objects.create(item_type=item_type, value_1=value, workflow=workflow)
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    values, _problems = spec.validate({"relation": RelationFactory(), "characteristic_1": value}, user=alice)
    item = create_item(spec=spec, values=values)
    instance = WorkflowInstance.objects.get(item=item)
    assert (instance.workflow, instance.current_task) == (workflow, start)
    assert item.characteristic_value_1 == value


def test_an_item_without_a_matching_combination_enters_no_workflow(alice):
    item_type = ItemTypeFactory()
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    values, _problems = spec.validate({"relation": RelationFactory()}, user=alice)
    item = create_item(spec=spec, values=values)
    assert not WorkflowInstance.objects.filter(item=item).exists()


def test_r21_a_creation_profile_creates_review_tasks_and_attaches_its_document(contract_type, alice, bob):
    review = ReviewProfile.objects.create(code="HR", name="HR review", days_to_review=3)
    review.reviewers.add(alice, bob)
    template = DocumentTemplate(code="CONTRACT", name="Contract", output_name="contract-{number}-{relation}")
    template.file.save(
        "contract.docx",
        ContentFile(docx_bytes("Contract {{ item.number }} for {{ relation.name }}", "Salary: {{ free.Salaris }}")),
    )
    profile = CreationProfile.objects.create(
        item_type=contract_type, code="NIEUW", name="Nieuw", review_profile=review, document_template=template
    )
    spec = ItemSpec(contract_type, profile, purpose=Purpose.IMPORT)
    relation = RelationFactory(number="10001", name="Anna de Vries")
    values, _problems = spec.validate(
        {"relation": relation, "free_Salaris": spec.clean("free_Salaris", "3500")}, user=alice
    )
    item = create_item(spec=spec, values=values)
    assert item.creation_profile == profile
    assert set(ReviewTask.objects.filter(item=item).values_list("reviewer__username", flat=True)) == {"alice", "bob"}
    document = item.attachments.get()
    assert document.original_name == "contract-1-10001.docx"
    with document.file.open("rb") as stored:
        text = docx_text(stored.read())
    assert "Contract 1 for Anna de Vries" in text
    assert "Salary: 3,500.00" in text  # the site's language in the tests: English


def test_render_document_escapes_item_text(contract_type, alice):
    template = DocumentTemplate(code="T", name="T")
    template.file.save("t.docx", ContentFile(docx_bytes("{{ item.subject }}")))
    spec = ItemSpec(contract_type, purpose=Purpose.IMPORT)
    values, _problems = spec.validate(
        {"relation": RelationFactory(), "subject": "A & B <c>", "free_Salaris": 1}, user=alice
    )
    item = create_item(spec=spec, values=values)
    assert docx_text(render_document(template=template, item=item)) == "A & B <c>"


def test_item_attributes_map_characteristics_and_free_fields(contract_type):
    spec = ItemSpec(contract_type, purpose=Purpose.IMPORT)
    attributes = item_attributes(spec, {"subject": "x", "free_Salaris": 5, "attachment": "a.pdf", "unknown": 1})
    assert attributes == {"subject": "x", "free_values": {"Salaris": 5}}
