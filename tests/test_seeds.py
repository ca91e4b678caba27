import io

import pytest
from django.core.management import call_command

from annotations.models import Article, Claim, Evidence
from reviews.models import Review

pytestmark = pytest.mark.django_db


def test_load_seeds_is_idempotent_and_marks_the_real_claims(django_capture_on_commit_callbacks):
    call_command("create_demo_users", stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=False):
        call_command("load_seeds", stdout=io.StringIO())
        call_command("load_seeds", stdout=io.StringIO())
    assert Article.objects.count() == 1
    article = Article.objects.get()
    assert article.publisher == "The Moscow Times"
    assert article.published_at is not None
    quotes = list(Claim.objects.values_list("exact", flat=True))
    assert any("600,000" in q for q in quotes)
    assert any("10,000 soldiers" in q for q in quotes)
    assert any("Kursk" in q for q in quotes)
    for claim in Claim.objects.all():
        assert article.text[claim.start : claim.end] == claim.exact
    states = set(Review.objects.values_list("state", flat=True))
    assert {"published", "in_review", "in_progress", "unassigned"} <= states
    published = Review.objects.get(state="published")
    assert published.submitted_by != published.approved_by
    assert Evidence.objects.filter(claim__review__state="published").exists()
