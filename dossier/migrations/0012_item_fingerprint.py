"""The items' fingerprints (dossier/fingerprints.py), for the import's look-up of probable
duplicates: the field, its index, and the fingerprint of every item made before, from its
stored values and its first attachment."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from dossier.fingerprints import fingerprint_of_item

BATCH = 2000


def fill_fingerprints(apps, schema_editor):
    DossierItem = apps.get_model("dossier", "DossierItem")
    Attachment = apps.get_model("dossier", "Attachment")
    first_attachment = Attachment.objects.filter(item=OuterRef("pk")).order_by("pk").values("sha256")[:1]
    items = (
        DossierItem.objects.using(schema_editor.connection.alias)
        .annotate(attachment_sha256=Subquery(first_attachment))
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
        for item in batch:
            item.fingerprint = fingerprint_of_item(item, attachment_sha256=item.attachment_sha256)
        DossierItem.objects.using(schema_editor.connection.alias).bulk_update(batch, ["fingerprint"])
        last = batch[-1].pk

class Migration(migrations.Migration):
    dependencies = [
        ("dossier", "0011_master_data_import"),
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
