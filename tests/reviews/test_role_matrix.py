"""Every role against every action: allowed, refused (401/403), or 404 where a claim's
existence or unpublished state must not leak. The state is unchanged after every refusal."""

from __future__ import annotations

import uuid

import pytest

from reviews.models import Review
from tests.reviews.conftest import move
from tests.reviews.helpers import act, changed, current_etag, edit_claim, snapshot

pytestmark = pytest.mark.django_db

ACTORS = ("anon", "outsider", "submitter", "rita", "rob", "edna", "ed", "admin")


def expect(allowed: set[str], refused: int = 403) -> list[tuple[str, int]]:
    """Status per actor: 200 for the allowed, 401 without sign-in, `refused` for the rest."""
    return [(a, 200 if a in allowed else 401 if a == "anon" else refused) for a in ACTORS]


# (action, starting state, inputs, who may) — rita is the assignee once the claim is taken,
# and she submitted the verdict of the in_review claim.
TRANSITION_MATRIX = [
    ("take", "unassigned", {}, {"rita", "rob", "edna", "ed", "admin"}),
    ("assign", "unassigned", {"assignee": "rob"}, {"edna", "ed", "admin"}),
    ("assign", "in_progress", {"assignee": "rob"}, {"edna", "ed", "admin"}),
    (
        "submit",
        "in_progress",
        {"verdict": "false", "rationale": "No such figure."},
        {"rita", "edna", "ed", "admin"},
    ),
    ("approve", "in_review", {}, {"edna", "ed", "admin"}),
    ("return", "in_review", {"note": "Cite the primary source."}, {"edna", "ed", "admin"}),
    (
        "mark_not_checkable",
        "in_progress",
        {"note": "A prediction."},
        {"rita", "edna", "ed", "admin"},
    ),
    ("mark_not_checkable", "unassigned", {"note": "An opinion."}, {"edna", "ed", "admin"}),
    ("reopen", "published", {"note": "New figures."}, {"edna", "ed", "admin"}),
]


def expected_review(action: str, review: dict, by, inputs: dict, actors: dict) -> dict:
    """The review row after `by` applied `action` to `review` (a snapshot's review entry)."""
    after = dict(review, version=review["version"] + 1)
    if action == "take":
        after.update(state="in_progress", assignee_id=by.pk)
    elif action == "assign":
        after.update(state="in_progress", assignee_id=actors[inputs["assignee"]].pk)
    elif action == "submit":
        after.update(
            state="in_review",
            verdict=inputs["verdict"],
            rationale=inputs["rationale"],
            submitted_by_id=by.pk,
        )
    elif action == "approve":
        after.update(state="published", approved_by_id=by.pk, needs_rereview=False)
    else:
        target = {"return": "returned", "mark_not_checkable": "not_checkable"}
        after.update(state=target.get(action, "in_progress"), note=inputs["note"])
    return after


@pytest.mark.parametrize(
    ("action", "state", "inputs", "actor", "status"),
    [
        (action, state, inputs, actor, status)
        for action, state, inputs, allowed in TRANSITION_MATRIX
        for actor, status in expect(allowed)
    ],
)
def test_transition_matrix(client_for, actors, claim_in, action, state, inputs, actor, status):
    claim = claim_in(state)
    before = snapshot(claim)
    assert before["review"]["state"] == state
    response = act(client_for(actors[actor]), claim, current_etag(claim), action=action, **inputs)
    assert response.status_code == status, (actor, response.data)
    after = snapshot(claim)
    if status != 200:
        assert after == before
        assert "detail" in response.data
        return
    # One history row for the review; the claim, its evidence and corrections stay as they were.
    assert changed(before, after) == {"review", "review_history"}
    assert after["review_history"] == before["review_history"] + 1
    expected = expected_review(action, before["review"], actors[actor], inputs, actors)
    if action == "approve":  # a first publication: both dates are now
        assert after["review"]["published_at"] is not None
        assert after["review"]["first_published_at"] == after["review"]["published_at"]
        expected.update(
            published_at=after["review"]["published_at"],
            first_published_at=after["review"]["first_published_at"],
        )
    assert after["review"] == expected
    assert response.data["state"] == expected["state"]
    assert response.data["version"] == expected["version"]


def test_two_person_rule_holds_for_editors_and_admins(client_for, actors, with_evidence):
    claim = with_evidence
    for submitter_name, other in (("edna", "ed"), ("admin", "edna")):
        if Review.objects.get(claim=claim).state == "published":
            move(claim, actors["ed"], "reopen", note="Again.")
        else:
            move(claim, actors[submitter_name], "take")
        move(claim, actors[submitter_name], "submit", verdict="true", rationale="r")
        before = snapshot(claim)
        own = act(client_for(actors[submitter_name]), claim, current_etag(claim), action="approve")
        assert own.status_code == 403
        assert "another editor" in own.data["detail"]
        assert snapshot(claim) == before
        body = {"note": "Rechecked."} if submitter_name == "admin" else {}
        approved = act(
            client_for(actors[other]), claim, current_etag(claim), action="approve", **body
        )
        assert approved.status_code == 200, approved.data
        after = snapshot(claim)
        assert after["review"]["state"] == "published"
        assert after["review"]["approved_by_id"] == actors[other].pk
        assert after["review"]["submitted_by_id"] == actors[submitter_name].pk
        assert after["review"]["version"] == before["review"]["version"] + 1
        # The second publication (after the reopen) is a correction with its reason.
        assert after["corrections"] == before["corrections"] + (submitter_name == "admin")


def test_available_actions_follow_the_matrix(client_for, actors, claim_in):
    claim = claim_in("in_review")
    seen = {
        name: client_for(actors[name])
        .get(f"/api/v1/claims/{claim.pk}/review/")
        .data["available_actions"]
        for name in ("submitter", "rita", "rob", "edna")
    }
    assert seen == {"submitter": [], "rita": [], "rob": [], "edna": ["approve", "return"]}


READS = [
    # (path, who may read; others 401/403)
    ("review", {"submitter", "rita", "rob", "edna", "ed", "admin"}),
    ("history", {"rita", "rob", "edna", "ed", "admin"}),
    ("claim", {"submitter", "rita", "rob", "edna", "ed", "admin"}),
]


@pytest.mark.parametrize(
    ("what", "actor", "status"),
    [(what, actor, status) for what, allowed in READS for actor, status in expect(allowed)],
)
def test_read_matrix(client_for, actors, published, what, actor, status):
    path = {
        "review": f"/api/v1/claims/{published.pk}/review/",
        "history": f"/api/v1/claims/{published.pk}/history/",
        "claim": f"/api/v1/claims/{published.pk}/",
    }[what]
    before = snapshot(published)
    response = client_for(actors[actor]).get(path)
    assert response.status_code == status, (actor, response.data)
    if status == 200:
        body = response.data
        if what == "history":  # the trail of the published claim, its publication last
            assert body[0]["type"] == "claim" and body[0]["change"] == "created", body
            assert body[-1]["reason"] == "approve: in_review -> published", body
        else:
            assert body["id" if what == "claim" else "claim"] == str(published.pk), body
    else:
        assert "detail" in response.data
    assert snapshot(published) == before


@pytest.mark.parametrize("actor", ACTORS)
def test_public_reads_are_open_to_everyone(client_for, actors, published, actor):
    client = client_for(actors[actor])
    assert client.get(f"/api/v1/claims/{published.pk}/claimreview/").status_code == 200
    assert client.get("/api/v1/claimreviews/").status_code == 200
    assert client.get("/api/v1/corrections/").status_code == 200


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("state", ["unassigned", "in_progress", "in_review"])
def test_unpublished_claimreview_is_the_same_404_as_no_claim(
    client_for, actors, claim_in, actor, state
):
    claim = claim_in(state)
    client = client_for(actors[actor])
    hidden = client.get(f"/api/v1/claims/{claim.pk}/claimreview/")
    missing = client.get(f"/api/v1/claims/{uuid.uuid4()}/claimreview/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.data == missing.data


@pytest.mark.parametrize("actor", ["outsider", "anon"])
def test_roleless_callers_learn_nothing_about_which_claims_exist(client_for, actors, claim, actor):
    client = client_for(actors[actor])
    for suffix in ("", "review/", "history/"):
        real = client.get(f"/api/v1/claims/{claim.pk}/{suffix}")
        fake = client.get(f"/api/v1/claims/{uuid.uuid4()}/{suffix}")
        assert real.status_code == fake.status_code == {"anon": 401, "outsider": 403}[actor]
        assert real.data == fake.data


# Edits of a claim assigned to rita that rob marked: the assignee and editors work on it.
EDITS = [
    ("patch_claim", {"rita", "edna", "ed", "admin"}),
    ("add_evidence", {"rita", "edna", "ed", "admin"}),
    ("delete_claim", {"rita", "edna", "ed", "admin"}),
]


@pytest.fixture
def robs_claim_assigned_to_rita(article, reviewer, reviewer2, editor):
    from tests.factories import claim_create

    claim = claim_create(article=article, by=reviewer2, exact="600,000 Russian soldiers")
    move(claim, editor, "assign", assignee=reviewer)
    return claim


@pytest.mark.parametrize(
    ("edit", "actor", "status"),
    [(edit, actor, status) for edit, allowed in EDITS for actor, status in expect(allowed)],
)
def test_edit_matrix(
    client_for, actors, robs_claim_assigned_to_rita, no_link_checks, edit, actor, status
):
    claim = robs_claim_assigned_to_rita
    client = client_for(actors[actor])
    before = snapshot(claim)
    if edit == "patch_claim":
        response = edit_claim(client, claim, summary="Casualty estimate")
    elif edit == "add_evidence":
        response = client.post(
            f"/api/v1/claims/{claim.pk}/evidence/",
            {"url": "https://example.org/mod", "stance": "supports"},
            format="json",
        )
        status = 201 if status == 200 else status
    else:
        response = client.delete(f"/api/v1/claims/{claim.pk}/")
        status = 204 if status == 200 else status
    assert response.status_code == status, (actor, getattr(response, "data", None))
    after = snapshot(claim)
    if status >= 400:
        assert after == before
        assert "detail" in response.data
        return
    review_bumped = dict(before["review"], version=before["review"]["version"] + 1)
    if edit == "patch_claim":
        # The claim's new words and version, one claim history row; the review's version moves
        # with it (its ETag covers what is reviewed).
        assert changed(before, after) == {"claim", "claim_history", "review"}
        assert after["claim"] == dict(
            before["claim"], summary="Casualty estimate", version=before["claim"]["version"] + 1
        )
        assert after["claim_history"] == before["claim_history"] + 1
        assert after["review"] == review_bumped
    elif edit == "add_evidence":
        assert changed(before, after) == {"evidence", "evidence_history", "review"}
        [added] = after["evidence"]
        assert (added["url"], added["stance"], added["added_by_id"]) == (
            "https://example.org/mod",
            "supports",
            actors[actor].pk,
        )
        assert str(added["id"]) == response.data["id"]
        assert after["evidence_history"] == before["evidence_history"] + 1
        assert after["review"] == review_bumped
    else:
        # Gone with its review (a deletion row in each history), nothing else touched.
        assert changed(before, after) == {"claim", "review", "claim_history", "review_history"}
        assert after["claim"] is None
        assert after["review"] is None
        assert after["claim_history"] == before["claim_history"] + 1
        assert after["review_history"] == before["review_history"] + 1


@pytest.mark.parametrize(
    ("actor", "status"),
    expect({"rita", "edna", "ed", "admin"}),
)
def test_evidence_delete_matrix(
    client_for, actors, robs_claim_assigned_to_rita, reviewer, actor, status
):
    from annotations.services.evidence import evidence_attach

    evidence = evidence_attach(
        claim=robs_claim_assigned_to_rita,
        by=reviewer,
        url="https://example.org/x",
        stance="refutes",
    )
    before = snapshot(robs_claim_assigned_to_rita)
    response = client_for(actors[actor]).delete(f"/api/v1/evidence/{evidence.pk}/")
    assert response.status_code == (204 if status == 200 else status), actor
    after = snapshot(robs_claim_assigned_to_rita)
    if status != 200:
        assert after == before
        assert "detail" in response.data
        return
    assert changed(before, after) == {"evidence", "evidence_history", "review"}
    assert after["evidence"] == []
    assert after["evidence_history"] == before["evidence_history"] + 1
    assert after["review"] == dict(before["review"], version=before["review"]["version"] + 1)


def test_published_claims_keep_their_words_and_evidence(client_for, actors, published):
    editor = client_for(actors["edna"])
    before = snapshot(published)
    summary = edit_claim(editor, published, summary="x")
    assert summary.status_code == 409
    assert "correction" in summary.data["detail"]
    assert snapshot(published) == before
    tags = edit_claim(editor, published, tags=["kursk"])
    assert tags.status_code == 200
    tagged = snapshot(published)
    assert tagged["claim"] == dict(
        before["claim"], tags=["kursk"], version=before["claim"]["version"] + 1
    )
    assert tagged["review"]["state"] == "published"
    assert tagged["evidence"] == before["evidence"]
    assert editor.delete(f"/api/v1/claims/{published.pk}/").status_code == 409
    assert snapshot(published) == tagged
    evidence = published.evidence.get()
    assert editor.delete(f"/api/v1/evidence/{evidence.pk}/").status_code == 409
    assert snapshot(published) == tagged
