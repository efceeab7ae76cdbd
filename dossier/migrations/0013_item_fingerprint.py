"""The items' fingerprints (dossier/fingerprints.py), for the import's look-up of probable
duplicates: the field, its index, and the fingerprint of every item made before, from its
stored values and its attachments."""

from collections import defaultdict

from django.db import migrations, models

from dossier.fingerprints import fingerprint_of_item

BATCH = 2000


def fill_fingerprints(apps, schema_editor):
    alias = schema_editor.connection.alias
    DossierItem = apps.get_model("dossier", "DossierItem")
    Attachment = apps.get_model("dossier", "Attachment")
    items = (
        DossierItem.objects.using(alias)
        .only(
            "item_type_id",
            "relation_id",
            "contact_id",
            "regarding_relation",
            "regarding_employee",
            "regarding_sales",
            "regarding_purchase",
            "regarding_applicant",
            "project_id",
            "course_id",
            "subject",
            "submitted_at",
        )
        .order_by("pk")
    )
    # By ranges of ids, each read whole before it is written (SQLite does not keep a
    # reading cursor apart from writes to the same table).
    last = 0
    while batch := list(items.filter(pk__gt=last)[:BATCH]):
        digests = defaultdict(list)  # item id -> its attachments' SHA-256s
        attachments = Attachment.objects.using(alias).filter(item_id__gte=batch[0].pk, item_id__lte=batch[-1].pk)
        for item_id, sha256 in attachments.values_list("item_id", "sha256"):
            digests[item_id].append(sha256)
        for item in batch:
            item.fingerprint = fingerprint_of_item(item, attachment_sha256s=digests[item.pk])
        DossierItem.objects.using(alias).bulk_update(batch, ["fingerprint"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("dossier", "0012_item_done_and_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossieritem",
            name="fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=32, null=True, verbose_name="fingerprint"),
        ),
        migrations.RunPython(fill_fingerprints, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="dossieritem",
            index=models.Index(fields=["fingerprint"], name="item_fingerprint_idx"),
        ),
    ]
