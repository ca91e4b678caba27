"""The hand-written to_representation of the hot output shapes gives what DRF's generic
field walk gives: same keys, order, values and types, for the JSON the API renders."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.renderers import JSONRenderer

from annotations import selectors
from annotations.api import serializers as s
from annotations.models import Claim
from annotations.services.evidence import evidence_attach
from tests.api.conftest import publish
from tests.factories import ARTICLE_TEXT, article_create, claim_create

pytestmark = pytest.mark.django_db


def _generic(self: Any, instance: Any) -> Any:
    return super(s.FastOutputMixin, self).to_representation(instance)


def test_fast_output_matches_drf(
    editor: Any, editor2: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = article_create(by=editor, url="https://news.example.org/fast", text=ARTICLE_TEXT)
    plain = claim_create(article=article, by=reviewer, exact="North Korea is training")
    published = claim_create(article=article, by=reviewer, exact="Rutte said Monday", tags=["x"])
    evidence_attach(claim=plain, by=reviewer, url="https://example.org/a", stance="refutes")
    evidence_attach(claim=plain, by=reviewer, url="https://example.org/b", stance="supports")
    publish(published, reviewer=reviewer, editor=editor2)
    Claim.objects.filter(pk=plain.pk).update(anchor_score=0.5)
    claims = list(selectors.claim_list(user=editor).order_by("start"))
    assert len(claims) == 2

    fast = s.ClaimOutput(claims, many=True).data
    monkeypatch.setattr(s.FastOutputMixin, "to_representation", _generic)
    generic = s.ClaimOutput(claims, many=True).data

    assert [list(row) for row in fast] == [list(row) for row in generic]
    assert fast == generic
    render = JSONRenderer().render
    assert render(fast) == render(generic)
    assert json.loads(render(fast))[0]["evidence"]


def test_article_body_claims_match_the_claim_list(editor: Any, reviewer: Any) -> None:
    article = article_create(by=editor, url="https://news.example.org/body", text=ARTICLE_TEXT)
    claim = claim_create(article=article, by=reviewer, exact="North Korea is training")
    claim_create(article=article, by=reviewer, exact="Rutte said Monday")
    evidence_attach(claim=claim, by=reviewer, url="https://example.org/c", stance="refutes")
    listed = list(selectors.claim_list(user=editor).filter(article=article))
    body = selectors.article_claims_for_output(user=editor, article=article)
    key = lambda row: row["id"]  # noqa: E731
    expected = sorted(s.ClaimOutput(listed, many=True).data, key=key)
    assert sorted(s.ClaimOutput(body, many=True).data, key=key) == expected
