"""The fingerprint of an item (dossier/fingerprints.py): what makes two items probably the
same document, worked out from values, never from the text of a cell."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection

from dossier.fingerprints import fingerprint_of_item, item_fingerprint
from dossier.models import Attachment, DossierItem, ItemType, Relation

PARTS = {
    "item_type_id": 1,
    "relation_id": 10,
    "contact_id": None,
    "subject": "Sollicitatiebrief",
    "submitted_at": dt.datetime(2025, 4, 3, 8, 0, tzinfo=dt.UTC),
    "attachment_sha256s": ("ab" * 32,),
}


def test_the_same_values_give_the_same_fingerprint_and_each_part_counts():
    same = item_fingerprint(**PARTS)
    assert same == item_fingerprint(**PARTS) and len(same) == 32
    for part, other in (
        ("item_type_id", 2),
        ("relation_id", 11),
        ("contact_id", 5),
        ("subject", "CV"),
        ("submitted_at", dt.datetime(2025, 4, 4, 8, 0, tzinfo=dt.UTC)),
        ("attachment_sha256s", ("cd" * 32,)),
        ("attachment_sha256s", ("ab" * 32, "cd" * 32)),
        ("attachment_sha256s", ()),
    ):
        assert item_fingerprint(**{**PARTS, part: other}) != same, part
    assert item_fingerprint(**{**PARTS, "regarding": ("regarding_sales",)}) != same
    assert item_fingerprint(**{**PARTS, "project_id": 3}) != same


def test_the_order_of_the_attachments_does_not_count():
    one, two = "ab" * 32, "cd" * 32
    assert item_fingerprint(**{**PARTS, "attachment_sha256s": (one, two)}) == item_fingerprint(
        **{**PARTS, "attachment_sha256s": [two, one]}
    )


def test_spaces_case_and_composition_of_the_subject_do_not_count():
    same = item_fingerprint(**PARTS)
    assert item_fingerprint(**{**PARTS, "subject": "  sollicitatieBRIEF "}) == same
    accented = item_fingerprint(**{**PARTS, "subject": "Café"})
    assert item_fingerprint(**{**PARTS, "subject": "Cafe\u0301"}) == accented  # e + combining accent


def test_the_submit_date_counts_to_the_second_in_any_time_zone():
    same = item_fingerprint(**PARTS)
    amsterdam = dt.timezone(dt.timedelta(hours=2))
    assert item_fingerprint(**{**PARTS, "submitted_at": dt.datetime(2025, 4, 3, 10, 0, tzinfo=amsterdam)}) == same
    # an Excel date cell one rounding away from the text date
    rounded = dt.datetime(2025, 4, 3, 7, 59, 59, 999_700, tzinfo=dt.UTC)
    assert item_fingerprint(**{**PARTS, "submitted_at": rounded}) == same
    assert item_fingerprint(**{**PARTS, "submitted_at": None}) != same  # not given: no date


@pytest.mark.django_db
def test_the_migration_fills_in_the_fingerprint_of_items_made_before(demo):
    """Migration 0013 gives every existing item the fingerprint of its stored values and its
    attachments, the one the import would have given it."""
    relation = Relation.objects.get(number="10001")
    item_type = ItemType.objects.get(code="SOLL")
    submitted = dt.datetime(2025, 4, 3, 8, 0, tzinfo=dt.UTC)
    common = {"item_type": item_type, "submitter": get_user_model().objects.get(username="importeur")}
    bare = DossierItem.objects.create(number=901, relation=relation, subject="CV", submitted_at=submitted, **common)
    attached = DossierItem.objects.create(number=902, relation=relation, subject="CV", submitted_at=submitted, **common)
    Attachment.objects.create(item=attached, file="attachments/x.pdf", original_name="x.pdf", sha256="ef" * 32)
    Attachment.objects.create(item=attached, file="attachments/y.pdf", original_name="y.pdf", sha256="01" * 32)
    DossierItem.objects.filter(pk__in=[bare.pk, attached.pk]).update(fingerprint=None)

    migration = importlib.import_module("dossier.migrations.0013_item_fingerprint")
    migration.fill_fingerprints(apps, connection.schema_editor())

    bare.refresh_from_db()
    attached.refresh_from_db()
    assert bare.fingerprint == fingerprint_of_item(bare, attachment_sha256s=())
    assert attached.fingerprint == fingerprint_of_item(attached, attachment_sha256s=["01" * 32, "ef" * 32])
    assert bare.fingerprint != attached.fingerprint
