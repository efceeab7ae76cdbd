"""What the validation tells the commit moves from the `options` JSON into typed fields
(issue 8). Every job before this one came from the command line or from code: the wizard did
not exist yet."""

import datetime as dt

from django.db import migrations, models

MOVED = ("validated_at", "staged_items", "staged_attachments", "sheet_names", "skip_invalid", "attachments_name")


def options_to_fields(apps, schema_editor):
    ImportJob = apps.get_model("imports", "ImportJob")
    changed = []
    for job in ImportJob.objects.only("pk", "options").iterator(chunk_size=2000):
        options = dict(job.options or {})
        validated_at = options.pop("validated_at", None)
        job.validated_at = dt.datetime.fromisoformat(validated_at) if validated_at else None
        job.staged_items = options.pop("staged_items", 0) or 0
        job.staged_attachments = options.pop("staged_attachments", 0) or 0
        job.sheet_names = options.pop("sheet_names", []) or []
        job.skip_invalid = bool(options.pop("skip_invalid", False))
        job.attachments_name = options.pop("attachments_name", "") or ""
        counts = options.pop("problem_counts", {}) or {}
        job.error_count = counts.get("errors", 0)
        job.warning_count = counts.get("warnings", 0)
        options.pop("source", None)
        job.source = "command line"
        job.options = options
        changed.append(job)
    fields = [*MOVED, "error_count", "warning_count", "source", "options"]
    ImportJob.objects.bulk_update(changed, fields, batch_size=500)


def fields_to_options(apps, schema_editor):
    ImportJob = apps.get_model("imports", "ImportJob")
    changed = []
    for job in ImportJob.objects.iterator(chunk_size=2000):
        options = dict(job.options or {})
        options.update(
            source=job.source,
            sheet_names=job.sheet_names,
            skip_invalid=job.skip_invalid,
            problem_counts={"errors": job.error_count, "warnings": job.warning_count},
        )
        if job.attachments_name:
            options["attachments_name"] = job.attachments_name
        if job.validated_at:
            options.update(
                validated_at=job.validated_at.isoformat(),
                staged_items=job.staged_items,
                staged_attachments=job.staged_attachments,
            )
        job.options = options
        changed.append(job)
    ImportJob.objects.bulk_update(changed, ["options"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0003_visible_attachment_names'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='attachments_name',
            field=models.CharField(blank=True, max_length=255, verbose_name='attachments ZIP name'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='error_count',
            field=models.PositiveIntegerField(default=0, verbose_name='errors'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='sheet_names',
            field=models.JSONField(blank=True, default=list, verbose_name='sheets'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='skip_invalid',
            field=models.BooleanField(default=False, verbose_name='only the valid rows'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='source',
            field=models.CharField(choices=[('wizard', 'wizard'), ('command line', 'command line')], default='wizard', max_length=12, verbose_name='started from'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='staged_attachments',
            field=models.PositiveIntegerField(default=0, verbose_name='attachments staged'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='staged_items',
            field=models.PositiveIntegerField(default=0, verbose_name='items staged'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='validated_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='validated'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='warning_count',
            field=models.PositiveIntegerField(default=0, verbose_name='warnings'),
        ),
        migrations.RunPython(options_to_fields, fields_to_options),
    ]
