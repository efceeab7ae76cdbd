"""Attachment names lose invisible characters (control, format, bidirectional) wherever they
are stored, shown or sent: U+202E would turn 'cv\u202efdp.exe' into what reads as 'cvexe.pdf'."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from dossier.models import Attachment
from dossier.services import add_attachment, visible_name
from tests.dossier.test_views import make_item

pytestmark = pytest.mark.django_db

INVISIBLE = (
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e\u200f\ufeff\x00\x1b\x7f\u2028"
)


@pytest.mark.parametrize("character", list(INVISIBLE), ids=lambda c: f"U+{ord(c):04X}")
def test_visible_name_removes_every_invisible_character(character):
    assert visible_name(f"10001_cv{character}fdp.exe") == "10001_cvfdp.exe"


def test_visible_name_keeps_letters_of_every_script_and_ordinary_spaces():
    name = "Überweisung café 履歴書 ملف.pdf"
    assert visible_name(name) == name


def test_a_stored_attachment_name_holds_no_invisible_characters(alice, alice_type):
    item = make_item(alice_type, alice, subject="CV")
    attachment = add_attachment(item=item, content=ContentFile(b"x"), name="10001_cv\u202efdp.exe")
    assert Attachment.objects.get(pk=attachment.pk).original_name == "10001_cvfdp.exe"


def test_the_item_page_shows_the_name_without_invisible_characters(client, alice, alice_type):
    item = make_item(alice_type, alice, subject="CV")
    add_attachment(item=item, content=ContentFile(b"x"), name="10001_cv\u202efdp.exe")
    client.force_login(alice)
    content = client.get(reverse("dossier:item-detail", args=[item.pk])).content.decode()
    assert "10001_cvfdp.exe" in content and "\u202e" not in content


def test_the_download_sends_a_name_stored_earlier_without_its_invisible_characters(client, alice, alice_type):
    item = make_item(alice_type, alice, subject="CV")
    attachment = add_attachment(item=item, content=ContentFile(b"x"), name="cv.pdf")
    Attachment.objects.filter(pk=attachment.pk).update(original_name="10001_cv\u202efdp.exe")  # before the fix
    client.force_login(alice)
    response = client.get(reverse("dossier:attachment-download", args=[attachment.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="10001_cvfdp.exe"'


def test_the_migration_cleans_names_stored_before(alice, alice_type):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("imports.migrations.0003_visible_attachment_names")
    item = make_item(alice_type, alice, subject="CV")
    dirty = add_attachment(item=item, content=ContentFile(b"x"), name="a.pdf")
    clean = add_attachment(item=item, content=ContentFile(b"y"), name="b.pdf")
    Attachment.objects.filter(pk=dirty.pk).update(original_name="\u2067a\u2069\u200b.pdf")
    migration.clean_attachment_names(apps, None)
    assert dict(Attachment.objects.values_list("pk", "original_name")) == {dirty.pk: "a.pdf", clean.pk: "b.pdf"}
