"""Stale evidence by host as a maintained fact: `Evidence.stale_host` (its link's host while
stale) and `StaleHost` (stale evidence per host, with the oldest `stale_since`), computed here
for existing rows as `annotations.linkhealth.staleness` keeps them; indexes for the evidence
admin's order and the link list by health."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, Min, OuterRef, Subquery


def stale_hosts_compute(apps, schema_editor):
    Evidence = apps.get_model("annotations", "Evidence")
    Link = apps.get_model("annotations", "Link")
    StaleHost = apps.get_model("annotations", "StaleHost")
    stale = Evidence.objects.filter(stale_since__isnull=False)
    stale.update(
        stale_host=Subquery(Link.objects.filter(pk=OuterRef("link_id")).values("host")[:1])
    )
    StaleHost.objects.bulk_create(
        StaleHost(host=row["stale_host"], evidence_count=row["n"], oldest_stale_since=row["oldest"])
        for row in stale.order_by()
        .values("stale_host")
        .annotate(n=Count("pk"), oldest=Min("stale_since"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0009_claim_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StaleHost",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("host", models.CharField(max_length=255, unique=True)),
                ("evidence_count", models.PositiveIntegerField(default=0)),
                ("oldest_stale_since", models.DateTimeField()),
            ],
            options={
                "ordering": ("oldest_stale_since", "host"),
            },
        ),
        migrations.AddField(
            model_name="evidence",
            name="stale_host",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.RunPython(stale_hosts_compute, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(
                condition=models.Q(("stale_since__isnull", False)),
                fields=["stale_host", "stale_since", "id"],
                name="evidence_stale_host",
            ),
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(fields=["created_at", "id"], name="evidence_created"),
        ),
        migrations.AddIndex(
            model_name="link",
            index=models.Index(fields=["health", "-created_at", "-id"], name="link_health_recent"),
        ),
        migrations.AddIndex(
            model_name="stalehost",
            index=models.Index(fields=["oldest_stale_since", "host"], name="stalehost_oldest"),
        ),
    ]
