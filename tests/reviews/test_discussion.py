"""A claim's discussion: comments, one-level replies, @mentions, transition notes in full."""

from __future__ import annotations

from typing import Any

import pytest

from reviews.models import Comment, Notification, Review
from tests.reviews.conftest import move

pytestmark = pytest.mark.django_db


def comments_url(claim: Any) -> str:
    return f"/api/v1/claims/{claim.pk}/comments/"


def stored(claim: Any) -> dict[str, Any]:
    review = Review.objects.get(claim=claim)
    return {
        "comments": list(Comment.objects.filter(review=review).values_list("pk", "body")),
        "notifications": Notification.objects.count(),
        "review_version": review.version,
    }


def test_a_comment_is_stored_rendered_sanitized_and_listed_newest_last(
    client_for: Any, claim: Any, reviewer: Any, editor: Any
) -> None:
    rita, edna = client_for(reviewer), client_for(editor)
    version = Review.objects.get(claim=claim).version
    first = rita.post(comments_url(claim), {"body": "Source?"}, format="json")
    assert first.status_code == 201, first.data
    body = (
        "**Check** the *MoD* figure `10,000` <script>alert(1)</script>\n"
        "[safe](https://example.org/a) [bad](javascript:alert(1))\n\n- one\n- two"
    )
    second = edna.post(comments_url(claim), {"body": body}, format="json")
    assert second.status_code == 201, second.data

    listed = rita.get(comments_url(claim))
    assert listed.status_code == 200
    assert [c["id"] for c in listed.data] == [first.data["id"], second.data["id"]]
    item = listed.data[1]
    assert item["author"] == "edna"
    assert item["body"] == body
    assert item["parent"] is None
    assert item["action"] == ""
    assert item["mentions"] == []
    html = item["body_html"]
    assert "<strong>Check</strong>" in html
    assert "<em>MoD</em>" in html
    assert "<code>10,000</code>" in html
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://example.org/a" rel="noopener noreferrer nofollow">safe</a>' in html
    assert 'href="javascript' not in html  # left as text, never a link
    assert "<li>one</li>" in html
    # Talk is not what is reviewed: the review's ETag does not move.
    assert Review.objects.get(claim=claim).version == version


def test_a_reply_to_a_reply_joins_the_top_level_comment(
    client_for: Any, claim: Any, reviewer: Any, editor: Any
) -> None:
    rita, edna = client_for(reviewer), client_for(editor)
    top = rita.post(comments_url(claim), {"body": "Which year?"}, format="json").data
    reply = edna.post(
        comments_url(claim), {"body": "2024.", "parent": top["id"]}, format="json"
    ).data
    assert reply["parent"] == top["id"]
    deeper = rita.post(
        comments_url(claim), {"body": "Thanks.", "parent": reply["id"]}, format="json"
    )
    assert deeper.status_code == 201, deeper.data
    assert deeper.data["parent"] == top["id"]
    assert Comment.objects.get(pk=deeper.data["id"]).parent_id == top["id"]


def test_mentions_resolve_to_desk_users_and_notify_them(
    client_for: Any, claim: Any, reviewer: Any, reviewer2: Any, editor: Any
) -> None:
    response = client_for(editor).post(
        comments_url(claim),
        {"body": "@rob can you check this, and @rita. Mail sam@example.org"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["mentions"] == ["rita", "rob"]
    kinds = dict(Notification.objects.values_list("recipient__username", "kind"))
    # Mentioned users get `mentioned` (not also `comment`); the author nothing.
    assert kinds == {"rita": "mentioned", "rob": "mentioned"}
    note = Notification.objects.get(recipient=reviewer2)
    assert note.actor == editor
    assert note.claim_id == claim.pk
    assert note.message == "edna mentioned you on “North Korea is training 10,000 soldiers”"


def test_people_in_the_thread_are_told_of_a_new_comment_never_the_author(
    client_for: Any, claim: Any, reviewer: Any, reviewer2: Any, editor: Any, editor2: Any
) -> None:
    move(claim, reviewer, "take")  # rita is the assignee
    client_for(reviewer2).post(comments_url(claim), {"body": "First."}, format="json")
    Notification.objects.all().delete()
    client_for(editor).post(comments_url(claim), {"body": "Second."}, format="json")
    told = sorted(
        Notification.objects.filter(kind="comment").values_list("recipient__username", flat=True)
    )
    assert told == ["rita", "rob"]  # assignee and earlier author; not edna, not ed
    client_for(reviewer).post(comments_url(claim), {"body": "Third."}, format="json")
    assert not Notification.objects.filter(recipient=reviewer, actor=reviewer).exists()
    assert Notification.objects.filter(recipient=reviewer2, actor=reviewer).count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "cannot be empty"),
        ("   \n\t ", "cannot be empty"),
        ("x" * 10_001, "at most 10,000 characters (this one has 10,001)"),
        ("ask @nobody and @ghost_2 please", "No reviewer or editor is called @nobody, @ghost_2."),
    ],
    ids=["empty", "blank", "too-long", "unknown-mention"],
)
def test_bad_bodies_are_field_errors_and_store_nothing(
    client_for: Any, claim: Any, editor: Any, body: str, message: str
) -> None:
    before = stored(claim)
    response = client_for(editor).post(comments_url(claim), {"body": body}, format="json")
    assert response.status_code == 400, response.data
    assert list(response.data) == ["body", "code", *(["unknown_mentions"] if "@" in body else [])]
    assert message in response.data["body"][0]
    assert stored(claim) == before


def test_a_mention_of_a_user_without_a_desk_role_is_unknown(
    client_for: Any, claim: Any, editor: Any, submitter: Any, outsider: Any
) -> None:
    before = stored(claim)
    response = client_for(editor).post(
        comments_url(claim), {"body": "@sam and @olga"}, format="json"
    )
    assert response.status_code == 400
    assert response.data["unknown_mentions"] == ["sam", "olga"]
    assert stored(claim) == before


def test_ten_thousand_characters_is_the_limit(client_for: Any, claim: Any, editor: Any) -> None:
    response = client_for(editor).post(comments_url(claim), {"body": "y" * 10_000}, format="json")
    assert response.status_code == 201
    assert len(response.data["body"]) == 10_000


def test_a_parent_of_another_claim_or_missing_is_refused(
    client_for: Any, claim: Any, article: Any, reviewer: Any, editor: Any
) -> None:
    from tests.factories import claim_create

    other = claim_create(article=article, by=reviewer, exact="Rutte said Monday")
    elsewhere = client_for(editor).post(comments_url(other), {"body": "there"}, format="json")
    before = stored(claim)
    for parent in (elsewhere.data["id"], 999_999):
        response = client_for(editor).post(
            comments_url(claim), {"body": "reply", "parent": parent}, format="json"
        )
        assert response.status_code == 400
        assert response.data["parent"] == ["No such comment in this claim's discussion."]
    assert stored(claim) == before


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [
        ("anon", 401, 401),
        ("outsider", 403, 403),
        ("submitter", 403, 403),
    ],
)
def test_only_the_desk_reads_and_writes_the_thread(
    client_for: Any,
    actors: dict[str, Any],
    claim: Any,
    who: str,
    get_status: int,
    post_status: int,
) -> None:
    before = stored(claim)
    client = client_for(actors[who])
    assert client.get(comments_url(claim)).status_code == get_status
    response = client.post(comments_url(claim), {"body": "hello"}, format="json")
    assert response.status_code == post_status
    assert stored(claim) == before


def test_an_unknown_claim_is_a_404(client_for: Any, editor: Any, db: Any) -> None:
    url = "/api/v1/claims/00000000-0000-0000-0000-000000000000/comments/"
    assert client_for(editor).get(url).status_code == 404
    assert client_for(editor).post(url, {"body": "x"}, format="json").status_code == 404
    assert Comment.objects.count() == 0


def test_every_transition_note_lands_in_the_thread_in_full(
    client_for: Any, claim_in: Any, reviewer: Any, editor: Any
) -> None:
    claim = claim_in("in_review")
    long_note = "The MoD figure is from 2023, not 2024; " * 40  # ~1,600 characters
    move(claim, editor, "return", note=long_note)
    thread = client_for(reviewer).get(comments_url(claim)).data
    notes = [c for c in thread if c["action"]]
    assert [(c["action"], c["author"]) for c in notes] == [("return", "edna")]
    assert notes[0]["body"] == long_note.strip()
    # ... and in the audit history, in full (no 100-character cut).
    reasons = list(
        Review.history.filter(claim_id=claim.pk)  # type: ignore[attr-defined]
        .order_by("-history_date")
        .values_list("history_change_reason", flat=True)
    )
    assert reasons[0] == f"return: in_review -> returned ({long_note.strip()})"
    history = client_for(reviewer).get(f"/api/v1/claims/{claim.pk}/history/").data
    assert history[-1]["reason"] == reasons[0]


def test_a_note_mentioning_someone_notifies_them_and_unknown_names_do_not_fail_it(
    claim_in: Any, reviewer: Any, reviewer2: Any, editor: Any
) -> None:
    claim = claim_in("in_review")
    move(claim, editor, "return", note="@rob please pair with @rita; @nobody knows")
    comment = Comment.objects.get(review__claim=claim, action="return")
    assert sorted(u.username for u in comment.mentions.all()) == ["rita", "rob"]
    assert Notification.objects.filter(recipient=reviewer2, kind="mentioned").count() == 1
    # rita is both mentioned and returned to: she is told both.
    assert sorted(
        Notification.objects.filter(recipient=reviewer).values_list("kind", flat=True)
    ) == ["mentioned", "returned"]
