import pytest

from reviews.models import Correction, Review

pytestmark = pytest.mark.django_db


def review_of(client, claim):
    response = client.get(f"/api/v1/claims/{claim.pk}/review/")
    assert response.status_code == 200
    return response


def act(client, claim, etag=None, **body):
    headers = {"HTTP_IF_MATCH": etag} if etag is not None else {}
    return client.post(
        f"/api/v1/claims/{claim.pk}/review/transitions/", body, format="json", **headers
    )


def step(client, claim, **body):
    etag = review_of(client, claim)["ETag"]
    response = act(client, claim, etag, **body)
    assert response.status_code == 200, response.data
    return response


@pytest.fixture
def with_evidence(claim, reviewer):
    from annotations.services.evidence import evidence_attach

    evidence_attach(claim=claim, by=reviewer, url="https://example.org/source", stance="supports")
    return claim


def test_full_workflow_take_submit_approve(client_for, reviewer, editor, with_evidence):
    claim = with_evidence
    rev = client_for(reviewer)
    first = review_of(rev, claim)
    assert first.data["available_actions"] == ["take"]
    step(rev, claim, action="take")
    step(rev, claim, action="submit", verdict="mostly_true", rationale="Matches UK MoD estimates.")
    ed = client_for(editor)
    published = step(ed, claim, action="approve")
    assert published.data["state"] == "published"
    assert published.data["verdict"] == "mostly_true"
    assert published.data["approved_by"] == "edna"
    assert published["ETag"] == f'"{published.data["version"]}"'


def test_if_match_missing_is_428_and_stale_is_412(client_for, reviewer, claim):
    client = client_for(reviewer)
    assert act(client, claim, action="take").status_code == 428
    stale = act(client, claim, '"999"', action="take")
    assert stale.status_code == 412
    assert stale.data["current"]["state"] == "unassigned"
    assert Review.objects.get(claim=claim).state == "unassigned"


def test_nobody_approves_their_own_verdict(client_for, editor, editor2, with_evidence):
    claim = with_evidence
    ed = client_for(editor)
    step(ed, claim, action="take")
    step(ed, claim, action="submit", verdict="false", rationale="No record of it.")
    own = act(ed, claim, review_of(ed, claim)["ETag"], action="approve")
    assert own.status_code == 403
    assert "another editor" in own.data["detail"]
    step(client_for(editor2), claim, action="approve")


def test_publishing_needs_evidence(client_for, reviewer, editor, claim):
    rev = client_for(reviewer)
    step(rev, claim, action="take")
    step(rev, claim, action="submit", verdict="true", rationale="Because.")
    refused = act(client_for(editor), claim, review_of(rev, claim)["ETag"], action="approve")
    assert refused.status_code == 400
    assert "evidence" in refused.data
    assert Review.objects.get(claim=claim).state == "in_review"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"action": "submit", "rationale": "x"}, 400, "verdict"),
        ({"action": "submit", "verdict": "pants_on_fire", "rationale": "x"}, 400, "verdict"),
        ({"action": "submit", "verdict": "true"}, 400, "rationale"),
        ({"action": "fly"}, 400, "action"),
        ({"action": "approve"}, 409, "detail"),
    ],
)
def test_bad_transitions_say_why_and_change_nothing(
    client_for, reviewer, claim, body, status, field
):
    client = client_for(reviewer)
    step(client, claim, action="take")
    before = Review.objects.get(claim=claim)
    response = act(client, claim, review_of(client, claim)["ETag"], **body)
    assert response.status_code == status, response.data
    assert field in response.data
    after = Review.objects.get(claim=claim)
    assert (after.state, after.verdict, after.version) == (
        before.state,
        before.verdict,
        before.version,
    )


def test_assign_needs_a_reviewer(client_for, editor, submitter, reviewer, claim):
    client = client_for(editor)
    refused = act(client, claim, review_of(client, claim)["ETag"], action="assign", assignee="sam")
    assert refused.status_code == 400
    assert "assignee" in refused.data
    assigned = step(client, claim, action="assign", assignee="rita")
    assert assigned.data["assignee"] == "rita"


def test_reviewer_cannot_submit_someone_elses_claim(client_for, reviewer, reviewer2, claim):
    step(client_for(reviewer), claim, action="take")
    other = client_for(reviewer2)
    response = act(
        other,
        claim,
        review_of(other, claim)["ETag"],
        action="submit",
        verdict="true",
        rationale="x",
    )
    assert response.status_code == 403


def test_return_needs_a_note_and_reopen_then_republish_is_a_correction(
    client_for, reviewer, editor, editor2, with_evidence
):
    claim = with_evidence
    rev, ed = client_for(reviewer), client_for(editor)
    step(rev, claim, action="take")
    step(rev, claim, action="submit", verdict="true", rationale="r1")
    no_note = act(ed, claim, review_of(ed, claim)["ETag"], action="return")
    assert no_note.status_code == 400 and "note" in no_note.data
    step(ed, claim, action="return", note="Find a primary source.")
    step(rev, claim, action="submit", verdict="true", rationale="r2")
    step(ed, claim, action="approve")
    step(ed, claim, action="reopen", note="New figures were released.")
    step(rev, claim, action="submit", verdict="mostly_true", rationale="r3")
    no_reason = act(client_for(editor2), claim, review_of(ed, claim)["ETag"], action="approve")
    assert no_reason.status_code == 400 and "note" in no_reason.data
    step(client_for(editor2), claim, action="approve", note="Updated estimate.")
    correction = Correction.objects.get()
    assert (correction.previous_verdict, correction.new_verdict) == ("true", "mostly_true")


def test_submitter_may_not_transition(client_for, submitter, claim):
    client = client_for(submitter)
    response = act(client, claim, review_of(client, claim)["ETag"], action="take")
    assert response.status_code == 403
