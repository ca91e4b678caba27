import django.db.models.deletion
from django.db import migrations, models


def first_published_backfill(apps, schema_editor):
    """Reviews published before `first_published_at` was kept everywhere get it from their
    history (the earliest published record), else from their oldest correction or their
    approval: it is what keeps a once-published claim from being deleted."""
    Review = apps.get_model("reviews", "Review")
    HistoricalReview = apps.get_model("reviews", "HistoricalReview")
    Correction = apps.get_model("reviews", "Correction")
    missing = Review.objects.filter(first_published_at__isnull=True)
    for review in missing.iterator():
        record = (
            HistoricalReview.objects.filter(id=review.pk, state="published")
            .order_by("history_date")
            .first()
        )
        when = record and (record.published_at or record.history_date)
        if when is None:
            correction = Correction.objects.filter(review_id=review.pk).order_by("created_at")
            first = correction.first()
            when = first.created_at if first else None
        if when is None and review.approved_by_id is not None:
            when = review.published_at or review.updated_at
        if when is not None:
            Review.objects.filter(pk=review.pk).update(first_published_at=when)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0003_webhooksubscription_webhookdelivery"),
    ]

    operations = [
        migrations.RunPython(first_published_backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="correction",
            name="review",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="corrections",
                to="reviews.review",
            ),
        ),
    ]
