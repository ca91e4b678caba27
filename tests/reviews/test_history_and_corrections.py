from __future__ import annotations

import pytest

from annotations.models import Claim
from reviews.models import Correction
from tests.reviews.helpers import act, current_etag, edit_claim, step

pytestmark = pytest.mark.django_db


def history(client, claim):
    response = client.get(f"/api/v1/claims/{claim.pk}/history/")
    assert response.status_code == 200, response.data
    return response.data


def test_history_is_one_time_ordered_trail_of_claim_review_and_evidence(
    client_for, reviewer, editor, claim, no_link_checks
):
    rev, ed = client_for(reviewer), client_for(editor)
    added = rev.post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"url": "https://example.org/report", "stance": "supports"},
        format="json",
    )
    assert added.status_code == 201
    assert edit_claim(rev, claim, summary="10,000 troops").status_code == 200
    step(rev, claim, action="take")
    step(rev, claim, action="submit", verdict="mostly_true", rationale="UK MoD figures.")
    step(ed, claim, action="return", note="Which report?")
    gone = rev.delete(f"/api/v1/evidence/{added.data['id']}/")
    assert gone.status_code == 204

    trail = history(ed, claim)
    dates = [entry["date"] for entry in trail]
    assert dates == sorted(dates)
    kinds = [(e["type"], e["change"]) for e in trail]
    assert kinds[0] == ("claim", "created")
    assert ("evidence", "created") in kinds and ("evidence", "deleted") in kinds
    assert [e["user"] for e in trail if e["type"] == "evidence"] == ["rita", "rita"]

    summary = next(e for e in trail if e["type"] == "claim" and e["change"] == "changed")
    assert summary["user"] == "rita"
    assert {"field": "summary", "old": "", "new": "10,000 troops"} in summary["changes"]

    review_steps = [e for e in trail if e["type"] == "review" and e["change"] == "changed"]
    states = [next(c for c in e["changes"] if c["field"] == "state")["new"] for e in review_steps]
    assert states == ["in_progress", "in_review", "returned"]
    returned = review_steps[-1]
    assert returned["user"] == "edna"
    assert returned["reason"] == "return: in_review -> returned (Which report?)"
    assert {"field": "note", "old": "", "new": "Which report?"} in returned["changes"]
    took = review_steps[0]
    assert {"field": "assignee", "old": None, "new": "rita"} in took["changes"]


def test_history_reads_a_fixed_number_of_queries(
    client_for, article, claim, reviewer, reviewer2, editor, editor2
):
    """A claim with one entry in its trail and one with many (of several people) read in the
    same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotations.services.evidence import evidence_attach
    from tests.factories import claim_create
    from tests.reviews.conftest import move

    client = client_for(editor)

    def read(of) -> tuple[int, int]:
        """(entries in the trail, queries it took)."""
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/claims/{of.pk}/history/")
        assert response.status_code == 200, response.data
        return len(response.data), len(queries)

    read(claim)  # token and roles warm
    entries, small = read(claim)
    assert entries == 2  # the claim and its review created

    busy = claim_create(article=article, by=reviewer2, exact="600,000 Russian soldiers")
    evidence_attach(claim=busy, by=reviewer2, url="https://example.org/trail/a", stance="context")
    move(busy, editor, "assign", assignee=reviewer)
    for i, who in enumerate((reviewer, editor, editor2, reviewer)):
        evidence_attach(claim=busy, by=who, url=f"https://example.org/trail/{i}", stance="supports")
    move(busy, reviewer, "submit", verdict="mostly_true", rationale="UK MoD figures.")
    move(busy, editor2, "return", note="Which report?")
    move(busy, reviewer, "submit", verdict="mostly_true", rationale="The March report.")
    move(busy, editor2, "approve")
    entries, large = read(busy)
    assert entries == 12  # 2 created, 5 evidence, 5 review steps
    assert large == small <= 12, f"{small} queries for 1 entry, {large} for {entries}"


def test_republishing_is_a_public_correction_with_its_reason(
    client_for, reviewer, editor, editor2, published
):
    rev, ed = client_for(reviewer), client_for(editor)
    reopen = act(ed, published, current_etag(published), action="reopen")
    assert reopen.status_code == 400 and "note" in reopen.data
    step(ed, published, action="reopen", note="New MoD estimate.")
    # Reopened, the check stays online as it was published until the next approval.
    online = client_for(None).get(f"/api/v1/claims/{published.pk}/claimreview/")
    assert online.status_code == 200
    assert online.data["reviewRating"]["alternateName"] == "Mostly true"
    step(rev, published, action="submit", verdict="mixed", rationale="Estimates now differ.")
    no_reason = act(client_for(editor2), published, current_etag(published), action="approve")
    assert no_reason.status_code == 400 and "note" in no_reason.data
    step(client_for(editor2), published, action="approve", note="Estimates were revised.")

    correction = Correction.objects.get()
    assert (correction.previous_verdict, correction.new_verdict) == ("mostly_true", "mixed")
    log = client_for(None).get("/api/v1/corrections/")
    assert log.status_code == 200
    assert log.data["next"] is None
    (entry,) = log.data["results"]
    assert entry["claim"] == str(published.pk)
    assert entry["previous_verdict"] == "mostly_true" and entry["new_verdict"] == "mixed"
    assert entry["verdict_changed"] is True
    assert entry["reason"] == "Estimates were revised."
    assert entry["claim_url"].endswith(f"/claims/{published.pk}/")
    assert entry["quote"] == published.exact
    assert "by" not in entry

    # The log quotes the words as published, even after the working claim's words moved.
    moved = "x" * len(published.exact)  # a span of the same length (the row's constraint)
    Claim.objects.filter(pk=published.pk).update(exact=moved)
    (entry,) = client_for(None).get("/api/v1/corrections/").data["results"]
    assert entry["quote"] == published.exact

    markup = client_for(None).get(f"/api/v1/claims/{published.pk}/claimreview/")
    assert markup.data["reviewRating"]["alternateName"] == "Mixed"
    assert markup.data["dateModified"] > markup.data["datePublished"]


def test_corrections_log_is_paginated(client_for, editor, editor2, reviewer, published):
    for i in range(3):
        step(client_for(editor), published, action="reopen", note=f"round {i}")
        step(client_for(reviewer), published, action="submit", verdict="true", rationale=f"r{i}")
        step(client_for(editor2), published, action="approve", note=f"fix {i}")
    page = client_for(None).get("/api/v1/corrections/?page_size=2")
    assert [e["reason"] for e in page.data["results"]] == ["fix 2", "fix 1"]
    rest = client_for(None).get(page.data["next"])
    assert [e["reason"] for e in rest.data["results"]] == ["fix 0"]
