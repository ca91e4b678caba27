"""annotations' signals are sent inside the service's transaction and answered by reviews."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.dispatch import Signal

from annotations import signals
from annotations.models import ArticleRevision, Claim
from annotations.services.articles import article_revise
from annotations.services.claims import claim_create
from reviews.models import Review
from tests.factories import ARTICLE_TEXT

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


@contextmanager
def receiving(signal: Signal, receiver: Any) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return receiver(**kwargs)

    signal.connect(record, weak=False, dispatch_uid="test")
    try:
        yield calls
    finally:
        signal.disconnect(dispatch_uid="test")


def test_a_new_claim_gets_its_review_from_the_reviews_receiver(article, reviewer):
    with receiving(signals.claim_created, lambda **kw: None) as calls:
        claim = claim_create(article=article, by=reviewer, exact="North Korean troops")
    assert [c["claim"].pk for c in calls] == [claim.pk]
    assert Review.objects.filter(claim=claim, state="unassigned").count() == 1


def test_a_receiver_that_fails_undoes_the_claim(article, reviewer):
    """Sent with send(), inside claim_create's transaction: no claim without its reaction."""

    def refuse(**_: Any) -> None:
        raise Refused

    with receiving(signals.claim_created, refuse), pytest.raises(Refused):
        claim_create(article=article, by=reviewer, exact="North Korean troops")
    assert not Claim.objects.exists()
    assert not Review.objects.exists()


def test_reanchoring_announces_changed_words_and_rolls_back_with_its_receiver(
    article, claim, editor
):
    changed = ARTICLE_TEXT.replace(claim.exact, claim.exact.replace("10,000", "12,000"), 1)
    assert changed != ARTICLE_TEXT

    def refuse(**_: Any) -> None:
        raise Refused

    with receiving(signals.claims_wording_changed, refuse) as calls, pytest.raises(Refused):
        article_revise(article=article, by=editor, text=changed)
    assert [set(c["reasons"]) for c in calls] == [{claim.pk}]
    # The revision and the re-anchoring went with the refused reaction.
    assert ArticleRevision.objects.filter(article=article).count() == 1
    claim.refresh_from_db()
    assert (claim.revision.number, claim.version) == (1, 1)
    assert Review.objects.get(claim=claim).needs_rereview is False

    article.refresh_from_db()
    with receiving(signals.claims_wording_changed, lambda **kw: None) as calls:
        article_revise(article=article, by=editor, text=changed)
    assert [c["by"] for c in calls] == [editor]
    review = Review.objects.get(claim=claim)
    assert review.needs_rereview is True
    assert "12,000" in review.rereview_reason
