"""A claim's ETag and If-Match: PATCH without it is a 428, with a stale one a 412, and the
claim is exactly as it was after either."""

from __future__ import annotations

from typing import Any

import pytest

from annotations.models import Claim, Link
from tests.factories import ARTICLE_TEXT

pytestmark = pytest.mark.django_db


def url(claim: Any) -> str:
    return f"/api/v1/claims/{claim.pk}/"


def patch(client: Any, claim: Any, etag: str | None, **body: Any) -> Any:
    headers = {"HTTP_IF_MATCH": etag} if etag is not None else {}
    return client.patch(url(claim), body, format="json", **headers)


def stored(claim: Any) -> tuple[Any, ...]:
    row = Claim.objects.get(pk=claim.pk)
    return (row.claimant, row.summary, row.tags, row.version, row.history.count())


def test_get_gives_an_etag_that_a_patch_must_send_back(client_for, reviewer, claim):
    client = client_for(reviewer)
    read = client.get(url(claim))
    assert read.status_code == 200
    assert read["ETag"].startswith('"1-')
    assert read.data["version"] == 1
    before = stored(claim)

    missing = patch(client, claim, None, summary="No precondition")
    assert missing.status_code == 428
    assert missing.data["code"] == "precondition_required"
    assert "If-Match" in missing.data["detail"]
    assert stored(claim) == before

    edited = patch(client, claim, read["ETag"], summary="Troop numbers")
    assert edited.status_code == 200, edited.data
    assert edited.data["summary"] == "Troop numbers"
    assert edited.data["version"] == 2
    assert edited["ETag"].startswith('"2-')
    assert client.get(url(claim))["ETag"] == edited["ETag"]

    after_edit = stored(claim)
    stale = patch(client, claim, read["ETag"], summary="Overwritten")
    assert stale.status_code == 412
    assert stale.data["code"] == "precondition_failed"
    assert "changed since you loaded it" in stale.data["detail"]
    assert stale.data["current"] == {"version": 2}
    assert stored(claim) == after_edit


def test_of_two_editors_working_from_one_read_the_second_is_refused(
    client_for, reviewer, editor, claim
):
    seen = client_for(editor).get(url(claim))["ETag"]
    first = patch(client_for(reviewer), claim, seen, claimant="Zelensky")
    assert first.status_code == 200
    before = stored(claim)
    second = patch(client_for(editor), claim, seen, claimant="Kyiv", tags=["ukraine"])
    assert second.status_code == 412
    assert stored(claim) == before
    assert Claim.objects.get(pk=claim.pk).claimant == "Zelensky"


@pytest.mark.parametrize(
    "if_match",
    [
        "*",
        "garbage",
        '"1", "2"',
        '"999"',
        '"' + "1" * 5000 + '"',
        "9" * 5000,
        '"1-' + "f" * 5000 + '"',
        '"1-not-hex"',
    ],
    ids=["star", "garbage", "list", "stale", "long-quoted", "long-bare", "long-digest", "bad"],
)
def test_if_match_that_is_not_the_current_etag_is_a_412(client_for, reviewer, claim, if_match):
    before = stored(claim)
    response = patch(client_for(reviewer), claim, if_match, summary="x")
    assert response.status_code == 412, response.data
    assert response.data["code"] == "precondition_failed"
    assert response.data["detail"]
    assert stored(claim) == before


def test_the_body_digest_keeps_conditional_gets_honest(client_for, reviewer, claim):
    """Link health changes the claim's body without an edit: a new ETag for If-None-Match,
    while If-Match (the version) still accepts the edit."""
    from annotations.services.evidence import evidence_attach

    evidence = evidence_attach(
        claim=claim, by=reviewer, url="https://example.org/figures", stance="refutes"
    )
    client = client_for(reviewer)
    first = client.get(url(claim))
    assert client.get(url(claim), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    Link.objects.filter(pk=evidence.link_id).update(health="broken", last_status=404)
    changed = client.get(url(claim), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert changed["ETag"].startswith('"1-')
    assert patch(client, claim, first["ETag"], tags=["kursk"]).status_code == 200


def test_reanchoring_a_claim_makes_an_earlier_etag_stale(client_for, reviewer, editor, claim):
    from annotations.services.articles import article_submit

    seen = client_for(reviewer).get(url(claim))["ETag"]
    article = claim.article
    outcome = article_submit(
        by=editor, title="T", url=article.url, text="Breaking: " + ARTICLE_TEXT
    )
    assert outcome.status == "revised"
    moved = Claim.objects.get(pk=claim.pk)
    assert moved.start == claim.start + len("Breaking: ")
    assert moved.version == 2
    before = stored(claim)
    assert patch(client_for(reviewer), claim, seen, summary="x").status_code == 412
    assert stored(claim) == before


def test_a_new_claim_comes_with_its_etag(client_for, reviewer, article):
    response = client_for(reviewer).post(
        f"/api/v1/articles/{article.pk}/claims/",
        {"exact": "600,000 Russian soldiers"},
        format="json",
    )
    assert response.status_code == 201
    claim = Claim.objects.get(pk=response.data["id"])
    assert patch(client_for(reviewer), claim, response["ETag"], summary="s").status_code == 200
