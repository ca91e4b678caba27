"""The desk's workflow forms ask exactly the inputs `reviews.workflow` declares.

For every state and every action open in it (and approve again after a reopen, a correction),
the panel's form for the action has one field per input the action accepts, marked required
exactly when the action needs it; and what the form sends reaches the service as it is.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reviews.models import Review
from reviews.workflow import TRANSITIONS, State, available_actions

pytestmark = pytest.mark.django_db

_NOT_INPUTS = {"csrfmiddlewaretoken", "action", "expected_version"}
# The desk's fields of the `evidence` input (an update's evidence changes).
EVIDENCE_FIELDS = (
    "evidence_add_url",
    "evidence_add_stance",
    "evidence_add_title",
    "evidence_archive_for",
    "evidence_archive_url",
    "evidence_remove",
)


class _Forms(HTMLParser):
    """Each action form's named fields: {action: {name: required}}."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, bool]] = {}
        self._current: dict[str, bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and "data-inputs-for" in attributes:
            action = attributes["data-inputs-for"] or ""
            assert action not in self.forms, f"two forms for {action}"
            self._current = self.forms[action] = {}
        elif tag in ("input", "select", "textarea") and self._current is not None:
            name = attributes.get("name") or ""
            if name and name not in _NOT_INPUTS:
                assert name not in self._current, f"{name} twice in one form"
                self._current[name] = "required" in attributes

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _panel_forms(client: Client, claim: Any) -> dict[str, dict[str, bool]]:
    response = client.get(reverse("web:claim", args=[claim.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    parser = _Forms()
    parser.feed(response.content.decode())
    return parser.forms


def _cases() -> list[tuple[str, bool]]:
    cases = [(state.value, False) for state in State]
    # Published before: the same states again, where an approval is a correction.
    cases += [(state.value, True) for state in State]
    return cases


@pytest.mark.parametrize(
    ("state", "published_before"),
    _cases(),
    ids=lambda v: v if isinstance(v, str) else ("published-before" if v else "first"),
)
def test_every_action_form_asks_the_workflows_inputs(
    state: str, published_before: bool, claim: Any, reviewer: Any, editor: Any, editor2: Any
) -> None:
    # The reviewer submitted and is assigned; the editor (who did not submit) may take every
    # action the table opens in this state.
    Review.objects.filter(claim=claim).update(
        state=state,
        assignee=reviewer,
        submitted_by=editor2,
        verdict="true",
        rationale="Confirmed.",
        first_published_at=timezone.now() if published_before else None,
        needs_rereview=True,  # so that dismiss_rereview is open too
    )
    review = Review.objects.get(claim=claim)
    open_now = [t for t in TRANSITIONS if state in t.sources and (t.when is None or t.when(review))]
    assert available_actions(review=review, user=editor) == [t.action for t in open_now]

    client = Client()
    client.force_login(editor)
    forms = _panel_forms(client, claim)

    assert set(forms) == {t.action for t in open_now}
    for transition in open_now:
        needed = set(transition.needs)
        if published_before:
            needed |= set(transition.correction_needs)
        declared = {
            field: name in needed
            for name in transition.accepts
            for field in (EVIDENCE_FIELDS if name == "evidence" else (name,))
        }
        assert forms[transition.action] == declared, transition.action


def test_approving_a_correction_asks_for_its_reason(
    claim: Any, reviewer: Any, editor: Any, editor2: Any
) -> None:
    """The one input whose need depends on the review: the table's correction_needs."""
    Review.objects.filter(claim=claim).update(
        state=State.IN_REVIEW, assignee=reviewer, submitted_by=editor2
    )
    client = Client()
    client.force_login(editor)
    assert _panel_forms(client, claim)["approve"] == {"note": False}
    Review.objects.filter(claim=claim).update(first_published_at=timezone.now())
    assert _panel_forms(client, claim)["approve"] == {"note": True}


def test_a_note_sent_with_take_is_kept(claim: Any, reviewer: Any) -> None:
    """The workflow lets `take` carry a note; the desk used to drop it without a word."""
    client = Client()
    client.force_login(reviewer)
    review = Review.objects.get(claim=claim)
    response = client.post(
        reverse("web:claim-transition", args=[claim.pk]),
        {"action": "take", "expected_version": review.version, "note": "On it: two sources."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content[:500]
    review.refresh_from_db()
    assert (review.state, review.assignee_id, review.note) == (
        State.IN_PROGRESS,
        reviewer.pk,
        "On it: two sources.",
    )


def test_an_input_the_action_does_not_take_is_refused_not_dropped(
    claim: Any, reviewer: Any
) -> None:
    """`take` takes no verdict: the desk says so (as the API does) and nothing changes."""
    client = Client()
    client.force_login(reviewer)
    before = Review.objects.values().get(claim=claim)
    response = client.post(
        reverse("web:claim-transition", args=[claim.pk]),
        {"action": "take", "expected_version": before["version"], "verdict": "false"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "take does not take a verdict." in response.content.decode()
    assert Review.objects.values().get(claim=claim) == before
