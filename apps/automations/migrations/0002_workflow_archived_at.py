from django.db import migrations, models


class Migration(migrations.Migration):
    """Deleting a workflow archives it; an archived workflow's name may be used again."""

    dependencies = [
        ("automations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="workflow",
            name="archived_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RemoveConstraint(
            model_name="workflow",
            name="workflow_name_unique_per_org",
        ),
        migrations.AddConstraint(
            model_name="workflow",
            constraint=models.UniqueConstraint(condition=models.Q(("archived_at__isnull", True)),
                                               fields=("organization", "name"), name="workflow_name_unique_per_org"),
        ),
    ]
