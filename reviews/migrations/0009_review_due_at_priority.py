from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0008_feed_and_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="due_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="review",
            name="priority",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "low"), (1, "normal"), (2, "high"), (3, "urgent")],
                db_index=True,
                default=1,
            ),
        ),
        migrations.AddField(
            model_name="historicalreview",
            name="due_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalreview",
            name="priority",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "low"), (1, "normal"), (2, "high"), (3, "urgent")],
                db_index=True,
                default=1,
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("assigned", "assigned to you"),
                    ("returned", "returned to you"),
                    ("submitted", "submitted for approval"),
                    ("published", "published"),
                    ("rereview", "needs re-review"),
                    ("mentioned", "mentioned you"),
                    ("comment", "new comment"),
                    ("due_soon", "due tomorrow"),
                    ("overdue", "overdue"),
                ],
                max_length=12,
            ),
        ),
    ]
