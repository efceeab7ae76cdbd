"""Attachment names stored before imports removed invisible characters (issue 7): the same
cleaning as dossier.services.visible_name, copied so the migration never changes with it.
It lives here because the import stored them; it only reads and writes dossier.Attachment."""

import unicodedata

from django.db import migrations

INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _visible(name: str) -> str:
    if name.isascii() and name.isprintable():
        return name
    return "".join(c for c in name if unicodedata.category(c) not in INVISIBLE_CATEGORIES)


def clean_attachment_names(apps, schema_editor):
    Attachment = apps.get_model("dossier", "Attachment")
    changed = []
    for attachment in Attachment.objects.only("pk", "original_name").iterator(chunk_size=2000):
        visible = _visible(attachment.original_name)
        if visible != attachment.original_name:
            attachment.original_name = visible
            changed.append(attachment)
    Attachment.objects.bulk_update(changed, ["original_name"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("dossier", "0003_lean_item_indexes"),
        ("imports", "0002_same_file_index"),
    ]

    operations = [migrations.RunPython(clean_attachment_names, migrations.RunPython.noop, elidable=True)]
