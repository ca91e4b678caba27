"""The desk's editing views: span, delete, merge, evidence edit, recheck in place, and the
small things (why no Approve, the admin link, the unsafe badge's reason, "No claims match")."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from annotations.models import Article, Claim, Evidence, Link
from annotations.web import editing
from reviews.models import Review
from reviews.services import review_transition
from reviews.workflow import State
from tests.reviews.helpers import changed, snapshot

pytestmark = pytest.mark.django_db


def hx(client: Any, method: str, url: str, data: dict | None = None) -> Any:
    return getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true")


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def claim_in(article: Article, state: str) -> Claim:
    return article.claims.select_related("review").get(review__state=state)


def test_span_buttons_move_the_claim_by_a_word(seeded: Article, login: Any) -> None:
    claim = claim_in(seeded, State.IN_PROGRESS)
    client = login(user("demo-reviewer"))
    panel = hx(client, "get", reverse("web:claim", args=[claim.pk])).content.decode()
    assert 'id="span-end-grow"' in panel
    url = reverse("web:claim-span", args=[claim.pk])
    response = hx(client, "post", url, {"move": "end-grow", "expected_version": claim.version})
    assert response.status_code == 200, response.content
    moved = Claim.objects.get(pk=claim.pk)
    assert moved.exact == claim.exact + seeded.text[claim.end : moved.end]
    assert moved.start == claim.start and moved.end > claim.end
    assert moved.version == claim.version + 1
    body = response.content.decode()
    assert 'id="reader-body"' in body and "Span adjusted." in body
    assert response["HX-Push-Url"].endswith(f"?claim={claim.pk}")

    # The same move sent with the version rendered before: a 412, nothing changes.
    before = snapshot(moved)
    stale = hx(client, "post", url, {"move": "end-grow", "expected_version": claim.version})
    assert stale.status_code == 412
    assert "This claim was changed by demo-reviewer" in stale.content.decode()
    assert changed(before, snapshot(moved)) == set()


def test_span_from_selected_words(seeded: Article, login: Any) -> None:
    claim = claim_in(seeded, State.IN_PROGRESS)
    start = seeded.text.index("North Korea is training")
    end = start + len("North Korea is training")  # the text is ASCII here: UTF-16 = code points
    response = hx(
        login(user("demo-reviewer")),
        "post",
        reverse("web:claim-span", args=[claim.pk]),
        {"utf16_start": start, "utf16_end": end, "expected_version": claim.version},
    )
    assert response.status_code == 200
    assert Claim.objects.get(pk=claim.pk).exact == "North Korea is training"


@pytest.mark.parametrize(
    "data",
    [{"expected_version": 1}, {"move": "sideways", "expected_version": 1}, {"move": "end-grow"}],
)
def test_unreadable_span_moves_are_a_400(seeded: Article, login: Any, data: dict) -> None:
    claim = claim_in(seeded, State.IN_PROGRESS)
    before = snapshot(claim)
    response = hx(
        login(user("demo-reviewer")), "post", reverse("web:claim-span", args=[claim.pk]), data
    )
    assert response.status_code == 400
    assert changed(before, snapshot(claim)) == set()


def test_published_claim_offers_no_span_delete_or_merge(seeded: Article, login: Any) -> None:
    claim = claim_in(seeded, State.PUBLISHED)
    editor = login(user("demo-editor"))
    panel = hx(editor, "get", reverse("web:claim", args=[claim.pk])).content.decode()
    assert "span-end-grow" not in panel
    assert "Delete claim" not in panel and "Merge another claim" not in panel
    before = snapshot(claim)
    span = hx(
        editor,
        "post",
        reverse("web:claim-span", args=[claim.pk]),
        {"move": "end-grow", "expected_version": claim.version},
    )
    assert span.status_code == 409
    assert hx(editor, "post", reverse("web:claim-delete", args=[claim.pk])).status_code == 409
    assert changed(before, snapshot(claim)) == set()


def test_delete_a_claim_never_published(seeded: Article, login: Any) -> None:
    claim = claim_in(seeded, State.UNASSIGNED)
    client = login(user("demo-editor"))
    panel = hx(client, "get", reverse("web:claim", args=[claim.pk])).content.decode()
    assert "Delete claim" in panel
    response = hx(client, "post", reverse("web:claim-delete", args=[claim.pk]))
    assert response.status_code == 200
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert "Claim deleted." in response.content.decode()
    assert response["HX-Push-Url"] == reverse("web:article", args=[seeded.pk])


def test_merge_from_the_panel(seeded: Article, login: Any) -> None:
    keep = claim_in(seeded, State.IN_PROGRESS)
    gone = claim_in(seeded, State.UNASSIGNED)
    moved = set(gone.evidence.values_list("pk", flat=True))
    client = login(user("demo-editor"))
    panel = hx(client, "get", reverse("web:claim", args=[keep.pk])).content.decode()
    options = re.findall(r'<option value="([0-9a-f-]{36})"', panel)
    assert str(gone.pk) in options
    published = claim_in(seeded, State.PUBLISHED)
    assert str(published.pk) not in options
    response = hx(
        client,
        "post",
        reverse("web:claim-merge", args=[keep.pk]),
        {"other": gone.pk, "expected_version": keep.version},
    )
    assert response.status_code == 200, response.content
    assert not Claim.objects.filter(pk=gone.pk).exists()
    assert moved <= set(Evidence.objects.filter(claim=keep).values_list("pk", flat=True))

    before = snapshot(keep)
    refused = hx(
        client,
        "post",
        reverse("web:claim-merge", args=[keep.pk]),
        {"other": published.pk, "expected_version": Claim.objects.get(pk=keep.pk).version},
    )
    assert refused.status_code == 409
    assert changed(before, snapshot(keep)) == set()


def test_edit_evidence_in_the_panel(seeded: Article, login: Any) -> None:
    claim = claim_in(seeded, State.IN_PROGRESS)
    evidence = claim.evidence.first()
    client = login(user("demo-reviewer"))
    panel = hx(client, "get", reverse("web:claim", args=[claim.pk])).content.decode()
    assert reverse("web:evidence-edit", args=[evidence.pk]) in panel
    response = hx(
        client,
        "post",
        reverse("web:evidence-edit", args=[evidence.pk]),
        {"stance": "refutes", "title": "DoD transcript", "note": "See page 3"},
    )
    assert response.status_code == 200
    assert "Evidence saved." in response.content.decode()
    evidence.refresh_from_db()
    assert (evidence.stance, evidence.title, evidence.note) == (
        "refutes",
        "DoD transcript",
        "See page 3",
    )
    before = snapshot(claim)
    bad = hx(client, "post", reverse("web:evidence-edit", args=[evidence.pk]), {"stance": "no"})
    assert bad.status_code == 400
    assert changed(before, snapshot(claim)) == set()


def test_published_evidence_has_no_edit_and_refuses_one(seeded: Article, login: Any) -> None:
    claim = claim_in(seeded, State.PUBLISHED)
    evidence = claim.evidence.first()
    client = login(user("demo-editor"))
    panel = hx(client, "get", reverse("web:claim", args=[claim.pk])).content.decode()
    assert reverse("web:evidence-edit", args=[evidence.pk]) not in panel
    before = snapshot(claim)
    response = hx(
        client,
        "post",
        reverse("web:evidence-edit", args=[evidence.pk]),
        {"stance": "refutes", "title": "", "note": ""},
    )
    assert response.status_code == 409
    assert changed(before, snapshot(claim)) == set()


def test_recheck_polls_in_place_until_the_check_lands(seeded: Article, login: Any) -> None:
    claim = claim_in(seeded, State.IN_PROGRESS)
    evidence = claim.evidence.first()
    client = login(user("demo-reviewer"))
    item = hx(client, "post", reverse("web:evidence-recheck", args=[evidence.pk]))
    body = item.content.decode()
    poll = re.search(r'hx-get="([^"]+)" hx-trigger="load delay:2s"', body)
    assert poll, body
    assert "Recheck requested" in body
    url = poll.group(1).replace("&amp;", "&")
    # Not checked yet: the next poll waits again, counting.
    again = hx(client, "get", url).content.decode()
    assert "poll=2" in again and "hx-trigger" in again
    # The check lands: the item shows the result and stops polling.
    Link.objects.filter(pk=evidence.link_id).update(
        last_checked_at=timezone.now() + timedelta(seconds=1),
        health="broken",
        last_error="HTTP 404",
    )
    landed = hx(client, "get", url).content.decode()
    assert "hx-trigger" not in landed
    assert "Checked just now: broken (HTTP 404)." in landed


def test_recheck_polling_is_bounded(seeded: Article, login: Any) -> None:
    evidence = claim_in(seeded, State.IN_PROGRESS).evidence.first()
    since = timezone.now().isoformat().replace("+", "%2B")
    url = reverse("web:evidence-item", args=[evidence.pk])
    last = hx(
        login(user("demo-reviewer")), "get", f"{url}?since={since}&poll={editing.POLL_LIMIT}"
    ).content.decode()
    assert "hx-trigger" not in last
    assert "has not answered yet" in last


def test_own_verdict_says_why_approve_is_not_offered(seeded: Article, login: Any) -> None:
    claim = claim_in(seeded, State.IN_PROGRESS)
    editor = user("demo-editor")
    review = Review.objects.get(claim=claim)
    review_transition(
        review_id=review.pk,
        by=editor,
        action="submit",
        expected_version=review.version,
        verdict="true",
        rationale="Confirmed by the DoD.",
    )
    own = hx(login(editor), "get", reverse("web:claim", args=[claim.pk])).content.decode()
    assert 'data-action="approve"' not in own
    assert "You submitted this verdict, so another editor approves it" in own
    other = hx(login(user("demo-editor2")), "get", reverse("web:claim", args=[claim.pk]))
    assert 'data-action="approve"' in other.content.decode()
    assert "two-person rule" not in other.content.decode()


@pytest.mark.parametrize(
    ("name", "sees_admin"),
    [("demo-reviewer", False), ("demo-editor", False), ("demo-admin", True)],
)
def test_admin_link_only_for_staff(
    seeded: Article, login: Any, name: str, sees_admin: bool
) -> None:
    page = login(user(name)).get(reverse("web:help")).content.decode()
    assert (f'href="{reverse("admin:index")}"' in page) is sees_admin


def test_unsafe_badge_names_the_real_reason(seeded: Article, login: Any) -> None:
    claim = claim_in(seeded, State.IN_PROGRESS)
    evidence = claim.evidence.first()
    Link.objects.filter(pk=evidence.link_id).update(
        health="unsafe",
        last_error="www.defense.gov is outside the egress allow-list: it admits loopback only "
        "and www.defense.gov is not in the local hosts file (no DNS query is made)",
    )
    client = login(user("demo-reviewer"))
    panel = hx(client, "get", reverse("web:claim", args=[claim.pk])).content.decode()
    assert ">outside the allowed networks</span>" in panel
    assert "egress allow-list" in panel
    assert '<span class="badge badge--bad" title="Refused' not in panel

    Link.objects.filter(pk=evidence.link_id).update(
        last_error="www.defense.gov resolves to a private address"
    )
    panel = hx(client, "get", reverse("web:claim", args=[claim.pk])).content.decode()
    assert "outside the allowed networks" not in panel
    assert (
        'class="badge badge--bad" title="Refused before fetching: www.defense.gov resolves to '
        'a private address.">unsafe</span>'
    ) in panel


def test_queue_filtered_to_nothing_says_no_claims_match(seeded: Article, login: Any) -> None:
    client = login(user("demo-editor"))
    page = client.get(reverse("web:queue"), {"q": "zzzz-no-such-words", "tab": "all"})
    assert "No claims match these filters." in page.content.decode()


def test_reader_suggests_earlier_claimants_and_the_last_one(seeded: Article, login: Any) -> None:
    from annotations.services.claims import claim_create

    reviewer = user("demo-reviewer")
    claim_create(
        article=seeded,
        by=reviewer,
        exact=seeded.text[:20].strip(),
        claimant="Mark Rutte",
    )
    client = login(reviewer)
    reader = client.get(reverse("web:article", args=[seeded.pk])).content.decode()
    assert 'list="claimant-options"' in reader
    # Loaded after the page (hx-trigger="load"): the reader's own queries stay as they were.
    assert f'hx-get="{reverse("web:claimant-options")}"' in reader
    page = hx(client, "get", reverse("web:claimant-options")).content.decode()
    datalist = page[page.index('<datalist id="claimant-options">') :]
    datalist = datalist[: datalist.index("</datalist>")]
    assert '<option value="Mark Rutte">' in datalist
    assert '<option value="Volodymyr Zelensky, President of Ukraine">' in datalist
    assert 'data-fill-value="Mark Rutte"' in page
