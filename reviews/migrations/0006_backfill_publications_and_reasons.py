"""Backfill: one publication for every review published before versions were kept, and one
open re-review reason for every review flagged before reasons were a list."""

from django.db import migrations


def _code(reason: str) -> str:
    text = reason.lower()
    if "soft 404" in text or "soft_404" in text:
        return "evidence_soft_404"
    if "dead" in text:
        return "evidence_dead"
    if "broken" in text:
        return "evidence_broken"
    if "gone from revision" in text or "merged its quote" in text:
        return "claim_orphaned"
    if "revision" in text or "quote" in text or "words" in text:
        return "wording_changed"
    if "changed" in text:
        return "evidence_changed"
    return "evidence_unverified"


def forwards(apps, schema_editor):
    Review = apps.get_model("reviews", "Review")
    HistoricalReview = apps.get_model("reviews", "HistoricalReview")
    Publication = apps.get_model("reviews", "Publication")
    RereviewReason = apps.get_model("reviews", "RereviewReason")
    Evidence = apps.get_model("annotations", "Evidence")
    published = Review.objects.filter(first_published_at__isnull=False).select_related(
        "claim", "claim__revision"
    )
    for review in published.iterator():
        if review.state == "published":
            verdict, rationale = review.verdict, review.rationale
            approved_by_id, when = review.approved_by_id, review.published_at
        else:
            last = (
                HistoricalReview.objects.filter(id=review.pk, state="published")
                .order_by("-history_date")
                .first()
            )
            if last is None or not last.approved_by_id:
                continue
            verdict, rationale = last.verdict, last.rationale
            approved_by_id, when = last.approved_by_id, last.published_at or last.history_date
        if not approved_by_id or not verdict:
            continue
        claim = review.claim
        correction = (
            apps.get_model("reviews", "Correction")
            .objects.filter(review_id=review.pk)
            .order_by("-created_at")
            .first()
        )
        evidence = [
            {
                "url": e.url,
                "title": e.title,
                "stance": e.stance,
                "archive_url": e.archive_url,
            }
            for e in Evidence.objects.filter(claim_id=claim.pk).order_by("created_at", "pk")
        ]
        publication = Publication.objects.create(
            review_id=review.pk,
            number=1,
            kind="correction" if correction else "first",
            exact=claim.exact,
            prefix=claim.prefix,
            suffix=claim.suffix,
            article_revision=claim.revision.number,
            claimant=claim.claimant,
            summary=claim.summary,
            verdict=verdict,
            rationale=rationale,
            evidence=evidence,
            approved_by_id=approved_by_id,
            published_at=when or review.first_published_at,
            note=correction.reason if correction else "",
        )
        Review.objects.filter(pk=review.pk).update(live_publication=publication)
    for review in Review.objects.filter(needs_rereview=True).iterator():
        RereviewReason.objects.create(
            review_id=review.pk,
            code=_code(review.rereview_reason),
            message=review.rereview_reason or "needs another look",
            subject="legacy",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0005_publications_reasons_discussion"),
        ("annotations", "0003_claim_version"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
