from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('triggers', '0003_webhook_events'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookdelivery',
            name='pruned_at',
            field=models.DateTimeField(blank=True, help_text='When the body and headers were discarded.', null=True),
        ),
        migrations.AddIndex(
            model_name='webhookdelivery',
            index=models.Index(condition=models.Q(('pruned_at__isnull', True)), fields=['received_at'],
                               name='webhook_delivery_unpruned'),
        ),
    ]
