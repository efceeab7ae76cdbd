# The items list: its default order (newest first) and one type by date.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dossier", "0006_dossier_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="dossieritem",
            index=models.Index(fields=["-submitted_at", "-id"], name="item_submitted_idx"),
        ),
        migrations.AddIndex(
            model_name="dossieritem",
            index=models.Index(fields=["item_type", "-submitted_at", "-id"], name="item_type_submitted_idx"),
        ),
    ]
