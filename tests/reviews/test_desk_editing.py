"""Editing on the desk: a claim's span, merging two claims, evidence, claimant suggestions.

Every refusal leaves the data as it was (`snapshot` before and after).
"""

from __future__ import annotations

import pytest

from annotations import anchoring
from annotations.models import Claim, Evidence
from annotations.services.evidence import evidence_attach
from reviews.models import Comment, Notification, Review
from reviews.services import claims_merge, evidence_edit
from tests.factories import claim_create
from tests.reviews.conftest import move
from tests.reviews.helpers import changed, claim_etag, edit_claim, snapshot

pytestmark = pytest.mark.django_db


# --- span_step (pure) -------------------------------------------------------------------------

TEXT = "Rutte said, on Monday, that troops were sent."


def _span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


@pytest.mark.parametrize(
    ("words", "edge", "grow", "expected"),
    [
        ("on Monday,", "start", True, "said, on Monday,"),
        ("on Monday,", "end", True, "on Monday, that"),
        ("on Monday, that", "start", False, "Monday, that"),
        ("on Monday, that", "end", False, "on Monday,"),
        ("onday", "start", True, "Monday"),  # mid-word: to the word's start
        ("Rutte said", "end", True, "Rutte said,"),  # mid-word: to the word's end
    ],
)
def test_span_step_moves_an_edge_by_a_word(words, edge, grow, expected):
    start, end = anchoring.span_step(TEXT, *_span(TEXT, words), edge=edge, grow=grow)
    assert TEXT[start:end] == expected


@pytest.mark.parametrize(
    ("words", "edge", "grow", "field"),
    [
        ("Rutte", "start", True, "start"),
        ("sent.", "end", True, "end"),
        ("Monday,", "start", False, "start"),
        ("Monday,", "end", False, "end"),
    ],
)
def test_span_step_refuses_what_cannot_move(words, edge, grow, field):
    with pytest.raises(anchoring.AnchorError) as info:
        anchoring.span_step(TEXT, *_span(TEXT, words), edge=edge, grow=grow)
    assert info.value.field == field


# --- Span through the API ---------------------------------------------------------------------


def test_patch_moves_the_span_and_rereads_the_quote(client_for, reviewer, claim):
    text = claim.article.text
    start = text.index("claimed North Korea")
    before_review = Review.objects.get(claim=claim).version
    response = edit_claim(client_for(reviewer), claim, start=start)
    assert response.status_code == 200, response.data
    assert response.data["exact"] == "claimed North Korea is training 10,000 soldiers"
    assert response.data["start"] == start and response.data["end"] == claim.end
    assert response.data["prefix"].endswith("Zelensky has ")
    assert response.data["version"] == claim.version + 1
    # The review's ETag covers the words reviewed: an approval loaded before is stale.
    assert Review.objects.get(claim=claim).version == before_review + 1
    record = Claim.history.filter(id=claim.pk).first()
    assert record.history_change_reason.startswith("span adjusted:")
    assert record.history_user == reviewer


def test_patch_takes_utf16_offsets_and_other_fields_together(client_for, reviewer, claim):
    end = claim.article.text.index(" to support") + len(" to support")
    response = edit_claim(client_for(reviewer), claim, utf16_end=end, summary="Training")
    assert response.status_code == 200, response.data
    assert response.data["exact"].endswith("soldiers to support")
    assert response.data["summary"] == "Training"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": 10_000}, "start"),
        ({"end": 3}, "start"),  # end before the claim's start
        ({"start": -1}, "start"),
        ({"start": "x"}, "start"),
        ({"start": 0, "utf16_start": 5}, "utf16_start"),
    ],
)
def test_bad_spans_are_a_400_and_change_nothing(client_for, reviewer, claim, body, field):
    before = snapshot(claim)
    response = edit_claim(client_for(reviewer), claim, **body)
    assert response.status_code == 400, response.data
    assert field in response.data, response.data
    assert changed(before, snapshot(claim)) == set()


def test_whitespace_only_span_is_refused(client_for, reviewer, article):
    claim = claim_create(article=article, by=reviewer, exact="Kursk region.")
    gap = article.text.index("\n\nRutte")
    before = snapshot(claim)
    response = edit_claim(client_for(reviewer), claim, start=gap, end=gap + 2)
    assert response.status_code == 400
    assert changed(before, snapshot(claim)) == set()


def test_span_another_claim_holds_is_a_409(client_for, reviewer, article, claim):
    other = claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers")
    before = snapshot(other)
    response = edit_claim(client_for(reviewer), other, start=claim.start, end=claim.end)
    assert response.status_code == 409, response.data
    assert response.data["code"] == "duplicate_claim"
    assert changed(before, snapshot(other)) == set()


def test_span_needs_if_match_and_a_current_one(client_for, reviewer, claim):
    client = client_for(reviewer)
    before = snapshot(claim)
    url = f"/api/v1/claims/{claim.pk}/"
    assert client.patch(url, {"start": 0}, format="json").status_code == 428
    stale = client.patch(url, {"start": 0}, format="json", HTTP_IF_MATCH='"99"')
    assert stale.status_code == 412
    assert changed(before, snapshot(claim)) == set()


def test_span_of_a_claim_published_once_never_moves(client_for, editor, published):
    move(published, editor, "reopen", note="Look again")
    before = snapshot(published)
    response = edit_claim(client_for(editor), published, start=0)
    assert response.status_code == 409, response.data
    assert response.data["code"] == "published"
    assert changed(before, snapshot(published)) == set()


def test_span_of_another_reviewers_claim_is_forbidden(client_for, reviewer, reviewer2, claim):
    move(claim, reviewer, "take")
    before = snapshot(claim)
    assert edit_claim(client_for(reviewer2), claim, start=0).status_code == 403
    assert changed(before, snapshot(claim)) == set()


def test_orphaned_claim_span_is_a_409(client_for, editor, claim):
    Claim.objects.filter(pk=claim.pk).update(anchor_state="orphaned")
    before = snapshot(claim)
    response = edit_claim(client_for(editor), claim, start=0)
    assert response.status_code == 409
    assert response.data["code"] == "orphaned"
    assert changed(before, snapshot(claim)) == set()


# --- Merge ------------------------------------------------------------------------------------


def _merge(client, claim, other, **headers):
    return client.post(
        f"/api/v1/claims/{claim.pk}/merge/", {"other": str(other.pk)}, format="json", **headers
    )


def test_merge_moves_evidence_comments_and_notifications(client_for, reviewer, editor, article):
    from reviews.discussion import comment_post

    keep = claim_create(article=article, by=reviewer, exact="North Korea is training 10,000")
    other = claim_create(
        article=article,
        by=reviewer,
        exact="North Korea is training 10,000 soldiers",
        claimant="Zelensky",
        tags=["troops"],
    )
    shared = "https://example.org/shared"
    evidence_attach(claim=keep, by=reviewer, url=shared, stance="supports")
    evidence_attach(claim=other, by=reviewer, url=shared, stance="refutes")
    moved = evidence_attach(
        claim=other, by=reviewer, url="https://example.org/own", stance="context"
    )
    comment_post(claim=other, by=reviewer, body="@edna is this the same claim?")
    assert Notification.objects.filter(claim_id=other.pk).exists()

    response = _merge(client_for(editor), keep, other, HTTP_IF_MATCH=claim_etag(keep))
    assert response.status_code == 200, response.data
    assert not Claim.objects.filter(pk=other.pk).exists()
    assert not Review.objects.filter(claim_id=other.pk).exists()
    assert response.data["exact"] == "North Korea is training 10,000"
    assert response.data["claimant"] == "Zelensky"
    assert response.data["tags"] == ["troops"]
    urls = sorted(e["url"] for e in response.data["evidence"])
    assert urls == ["https://example.org/own", shared]
    assert Evidence.objects.get(pk=moved.pk).claim_id == keep.pk
    # The shared link stays once, as the kept claim cites it.
    assert Evidence.objects.get(claim=keep, url=shared).stance == "supports"
    review = Review.objects.get(claim=keep)
    assert Comment.objects.filter(review=review, body__contains="same claim").exists()
    assert not Notification.objects.filter(claim_id=other.pk).exists()
    assert Notification.objects.filter(claim_id=keep.pk).exists()
    reason = Claim.history.filter(id=keep.pk).first().history_change_reason
    assert reason.startswith("merged claim")


def test_merge_refused_when_either_was_published(client_for, editor, reviewer, published):
    other = claim_create(article=published.article, by=reviewer, exact="600,000 Russian soldiers")
    client = client_for(editor)
    for keep, gone in ((published, other), (other, published)):
        before = (snapshot(keep), snapshot(gone))
        response = _merge(client, keep, gone)
        assert response.status_code == 409, response.data
        assert response.data["code"] == "published"
        assert (changed(before[0], snapshot(keep)), changed(before[1], snapshot(gone))) == (
            set(),
            set(),
        )


@pytest.mark.parametrize("case", ["self", "other_article", "missing", "bad_id", "extra"])
def test_merge_bad_input_is_a_400_and_changes_nothing(client_for, editor, reviewer, claim, case):
    from tests.factories import article_create

    elsewhere = claim_create(
        article=article_create(by=editor, url="https://news.example.org/other"),
        by=reviewer,
        exact="600,000 Russian soldiers",
    )
    body = {
        "self": {"other": str(claim.pk)},
        "other_article": {"other": str(elsewhere.pk)},
        "missing": {"other": "00000000-0000-0000-0000-000000000001"},
        "bad_id": {"other": "nope"},
        "extra": {"other": str(elsewhere.pk), "keep": "both"},
    }[case]
    before = (snapshot(claim), snapshot(elsewhere))
    response = client_for(editor).post(f"/api/v1/claims/{claim.pk}/merge/", body, format="json")
    assert response.status_code == 400, response.data
    assert (changed(before[0], snapshot(claim)), changed(before[1], snapshot(elsewhere))) == (
        set(),
        set(),
    )


def test_merge_needs_the_right_to_edit_both(client_for, reviewer, reviewer2, article, claim):
    other = claim_create(article=article, by=reviewer2, exact="600,000 Russian soldiers")
    before = (snapshot(claim), snapshot(other))
    assert _merge(client_for(reviewer), claim, other).status_code == 403
    assert _merge(client_for(reviewer), claim, other, HTTP_IF_MATCH='"9"').status_code == 403
    assert (changed(before[0], snapshot(claim)), changed(before[1], snapshot(other))) == (
        set(),
        set(),
    )


def test_merge_with_a_stale_if_match_is_a_412(client_for, editor, reviewer, article, claim):
    other = claim_create(article=article, by=reviewer, exact="600,000 Russian soldiers")
    before = (snapshot(claim), snapshot(other))
    assert _merge(client_for(editor), claim, other, HTTP_IF_MATCH='"9"').status_code == 412
    assert (changed(before[0], snapshot(claim)), changed(before[1], snapshot(other))) == (
        set(),
        set(),
    )


def test_merge_service_refuses_claims_of_two_articles(editor, reviewer, claim):
    from factcheck.errors import DomainError
    from tests.factories import article_create

    elsewhere = claim_create(
        article=article_create(by=editor, url="https://news.example.org/b"),
        by=reviewer,
        exact="600,000 Russian soldiers",
    )
    with pytest.raises(DomainError):
        claims_merge(claim=claim, other=elsewhere, by=editor)
    assert Claim.objects.filter(pk=elsewhere.pk).exists()


# --- Evidence ---------------------------------------------------------------------------------


def test_patch_evidence_edits_stance_title_and_note(client_for, reviewer, with_evidence):
    evidence = with_evidence.evidence.get()
    version = Review.objects.get(claim=with_evidence).version
    response = client_for(reviewer).patch(
        f"/api/v1/evidence/{evidence.pk}/",
        {"stance": "refutes", "title": "  MoD update ", "note": "Table 2"},
        format="json",
    )
    assert response.status_code == 200, response.data
    assert (response.data["stance"], response.data["title"], response.data["note"]) == (
        "refutes",
        "MoD update",
        "Table 2",
    )
    assert Review.objects.get(claim=with_evidence).version == version + 1
    assert Evidence.history.filter(id=evidence.pk).first().history_user == reviewer


def test_patch_evidence_with_nothing_new_writes_nothing(client_for, reviewer, with_evidence):
    evidence = with_evidence.evidence.get()
    before = snapshot(with_evidence)
    response = client_for(reviewer).patch(
        f"/api/v1/evidence/{evidence.pk}/", {"stance": evidence.stance}, format="json"
    )
    assert response.status_code == 200
    assert changed(before, snapshot(with_evidence)) == set()


@pytest.mark.parametrize(
    "body",
    [{"stance": "agrees"}, {"title": "x" * 501}, {"url": "https://x.org"}, {"note": 5 * [1]}],
)
def test_patch_evidence_bad_input_is_a_400(client_for, reviewer, with_evidence, body):
    evidence = with_evidence.evidence.get()
    before = snapshot(with_evidence)
    response = client_for(reviewer).patch(f"/api/v1/evidence/{evidence.pk}/", body, format="json")
    assert response.status_code == 400, response.data
    assert changed(before, snapshot(with_evidence)) == set()


def test_patch_evidence_of_a_published_claim_is_a_409(client_for, editor, published):
    evidence = published.evidence.get()
    before = snapshot(published)
    response = client_for(editor).patch(
        f"/api/v1/evidence/{evidence.pk}/", {"note": "sneaky"}, format="json"
    )
    assert response.status_code == 409, response.data
    assert response.data["code"] == "published"
    assert changed(before, snapshot(published)) == set()


def test_published_evidence_changes_through_an_update(editor2, published):
    from reviews.services import review_transition

    evidence = published.evidence.get()
    review = Review.objects.get(claim=published)
    review_transition(
        review_id=review.pk,
        by=editor2,
        action="update",
        expected_version=review.version,
        note="Stance and note of a source",
        evidence=[{"id": str(evidence.pk), "stance": "context", "note": "Background"}],
    )
    evidence.refresh_from_db()
    assert (evidence.stance, evidence.note) == ("context", "Background")


def test_evidence_edit_by_another_reviewer_is_forbidden(reviewer, reviewer2, with_evidence):
    from factcheck.errors import Forbidden

    move(with_evidence, reviewer, "take")
    evidence = with_evidence.evidence.get()
    before = snapshot(with_evidence)
    with pytest.raises(Forbidden):
        evidence_edit(evidence=evidence, by=reviewer2, note="mine now")
    assert changed(before, snapshot(with_evidence)) == set()


# --- Claimants --------------------------------------------------------------------------------


def test_claimants_are_suggested_most_recent_first(client_for, reviewer, article):
    claim_create(article=article, by=reviewer, exact="Kursk region.", claimant="Mark Rutte")
    claim_create(article=article, by=reviewer, exact="600,000", claimant="Volodymyr Zelensky")
    claim_create(article=article, by=reviewer, exact="10,000 soldiers", claimant="Mark Rutte")
    client = client_for(reviewer)
    rows = client.get("/api/v1/claimants/").data
    assert [(r["claimant"], r["claims"]) for r in rows] == [
        ("Mark Rutte", 2),
        ("Volodymyr Zelensky", 1),
    ]
    assert [r["claimant"] for r in client.get("/api/v1/claimants/?q=zel").data] == [
        "Volodymyr Zelensky"
    ]
    assert client.get("/api/v1/claimants/?q=" + "x" * 301).status_code == 400


def test_claimants_need_a_role(client_for, outsider):
    assert client_for(outsider).get("/api/v1/claimants/").status_code == 403
