"""The creation profile's document made by an import (R21, issue 17 part 5): marked as generated,
written in the template's language with labels and the employee number, its properties naming
the importing user; a draft beside a signed document the row brings."""

import io
import zipfile

from django.contrib.auth import get_user_model
from django.urls import reverse
from docx import Document

from dossier.models import Attachment, DossierItem, ItemType
from imports import presenting, services

ROWS = "Relatienummer;Onderwerp;Salaris;Ingangsdatum;Soort contract\n10001;Contract;3.250,50;01-01-2027;TIJDELIJK\n"


def start(text: str, **options):
    user = get_user_model().objects.get(username=options.pop("username", "admin"))
    contr = ItemType.objects.get(code="CONTR")
    job = services.start_import(
        user=user,
        item_type=contr,
        file=io.BytesIO(text.encode("utf-8")),
        file_name="rows.csv",
        profile=contr.creation_profiles.get(code="NIEUW"),
        **options,
    )
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    return job


def paragraphs(attachment: Attachment) -> str:
    with attachment.file.open("rb") as stored:
        return "\n".join(p.text for p in Document(io.BytesIO(stored.read())).paragraphs)


def test_an_import_with_a_profile_attaches_a_document_marked_as_generated_that_reads_as_written(demo):
    importer = get_user_model().objects.get(username="admin")
    importer.language = "en"  # the screen's language does not matter: the template is Dutch
    importer.save()
    job = start(ROWS)

    assert services.commit_import(job=job).items_created == 1

    item = DossierItem.objects.get(import_job=job)
    document = item.attachments.get()
    assert document.kind == Attachment.Kind.GENERATED and document.is_generated
    assert document.template.code == "CONTRACT"
    text = paragraphs(document)
    assert "Salaris: € 3.250,50 bruto per maand" in text
    assert "Ingangsdatum: 1 januari 2027" in text
    assert "Soort contract: Tijdelijk" in text
    assert "(personeelsnummer E0001)" in text
    with document.file.open("rb") as stored:
        properties = Document(io.BytesIO(stored.read())).core_properties
    assert properties.author == (importer.get_full_name() or "admin")
    assert properties.title == f"Arbeidsovereenkomst {item.number}"


def test_a_row_that_brings_a_signed_contract_keeps_it_as_the_main_file_and_gets_the_generated_one_as_a_draft(demo):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("10001 getekend contract.pdf", b"%PDF-1.4 signed")
    archive.seek(0)
    rows = ROWS.replace("Soort contract\n", "Soort contract;Bijlage\n").replace(
        "TIJDELIJK\n", "TIJDELIJK;10001 getekend contract.pdf\n"
    )
    job = start(rows, attachments=archive, attachments_name="docs.zip")

    assert services.commit_import(job=job).items_created == 1

    item = DossierItem.objects.get(import_job=job)
    signed, generated = item.attachments.all()  # the row's file first: the main file
    assert (signed.original_name, signed.kind) == ("10001 getekend contract.pdf", Attachment.Kind.FILE)
    assert generated.kind == Attachment.Kind.DRAFT
    assert generated.original_name == f"10001-contract-{item.number}.docx"
    with generated.file.open("rb") as stored:
        assert Document(io.BytesIO(stored.read())).core_properties.content_status == "concept"


def test_the_item_page_marks_the_generated_draft_beside_the_signed_file(importeur, client):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("10001 getekend contract.pdf", b"%PDF-1.4 signed")
    archive.seek(0)
    rows = ROWS.replace("Soort contract\n", "Soort contract;Bijlage\n").replace(
        "TIJDELIJK\n", "TIJDELIJK;10001 getekend contract.pdf\n"
    )
    job = start(rows, username="importeur", attachments=archive, attachments_name="docs.zip")
    services.commit_import(job=job)
    item = DossierItem.objects.get(import_job=job)

    content = client.get(reverse("dossier:item-detail", args=[item.pk])).content.decode()

    signed_at, draft_at = content.index("10001 getekend contract.pdf"), content.index("(generated draft)")
    assert signed_at < draft_at  # the signed file first: the main file
    assert content.count('class="attachment-kind"') == 1


def test_the_check_page_names_the_document_each_item_gets_and_the_drafts(demo):
    job = start(ROWS)
    services.validate_import(job=job)
    job.refresh_from_db()

    lines = presenting.document_lines(job)

    assert lines == [
        "Each item gets the document {relation}-contract-{number}.docx (generated from template Arbeidsovereenkomst)."
    ]


def test_the_check_page_says_nothing_of_documents_without_a_template(demo):
    contr = ItemType.objects.get(code="CONTR")
    job = services.start_import(
        user=get_user_model().objects.get(username="admin"),
        item_type=contr,
        file=io.BytesIO(ROWS.encode()),
        file_name="rows.csv",
    )
    assert presenting.document_lines(job) == []


def test_the_check_page_shows_the_document_line_to_the_importing_user(importeur, client):
    job = start(ROWS, username="importeur")
    services.validate_import(job=job)

    response = client.get(reverse("imports:check", args=[job.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="check-documents"' in content
    assert "(generated from template Arbeidsovereenkomst)" in content
