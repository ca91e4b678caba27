from __future__ import annotations

import json
from typing import Any

from reviews.exports import FEVER_LABELS
from tests.factories import claim_create


def lines(response: Any) -> list[dict[str, Any]]:
    """The records of a complete export (its last line says so and counts them)."""
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    *records, end = [json.loads(line) for line in body.splitlines()]
    assert end == {"end_of_export": True, "lines": len(records)}
    return records


def test_fever_labels_cover_every_verdict() -> None:
    from reviews.workflow import Verdict

    assert set(FEVER_LABELS) == set(Verdict.values)


def test_fever_export(
    client_for: Any, submitter: Any, published_claims: Any, reviewer: Any, article: Any
) -> None:
    verdicts = ("true", "mostly_false", "unproven", "mostly_true", "false", "mixed", "misleading")
    claims = published_claims(7, verdicts)
    claim_create(
        article=article, by=reviewer, exact="Zelensky has claimed"
    )  # not published: left out
    response = client_for(submitter).get("/api/v1/exports/fever.jsonl")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    rows = lines(response)
    assert [r["id"] for r in rows] == [str(c.pk) for c in claims]
    assert [r["label"] for r in rows] == [
        "SUPPORTS",
        "REFUTES",
        "NOT ENOUGH INFO",
        "SUPPORTS",
        "REFUTES",
        "NOT ENOUGH INFO",
        "NOT ENOUGH INFO",
    ]
    assert rows[2]["verifiable"] == "NOT VERIFIABLE"
    assert rows[0]["verifiable"] == "VERIFIABLE"
    assert rows[0]["claim"] == "North Korea is training"
    assert rows[0]["evidence"][0]["stance"] == "refutes"
    assert rows[0]["article"]["url"] == "https://news.example.org/p/0"


def test_fever_export_since_and_errors(
    client_for: Any, submitter: Any, published_claims: Any
) -> None:
    published_claims(2)
    client = client_for(submitter)
    assert lines(client.get("/api/v1/exports/fever.jsonl?since=2999-01-01T00:00:00Z")) == []
    assert len(lines(client.get("/api/v1/exports/fever.jsonl?since=2000-01-01"))) == 2
    bad = client.get("/api/v1/exports/fever.jsonl?since=yesterday")
    assert bad.status_code == 400
    assert bad.json()["since"] == ["since must be an ISO 8601 date-time."]
    assert client_for(None).get("/api/v1/exports/fever.jsonl").status_code == 401


def test_fever_export_ends_with_its_count_after_more_than_a_chunk(
    client_for: Any, submitter: Any, published_claims: Any, monkeypatch: Any
) -> None:
    """Read in chunks on a server-side cursor: every record arrives, then the count."""
    from reviews import exports

    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    claims = published_claims(5)
    response = client_for(submitter).get("/api/v1/exports/fever.jsonl")
    body = b"".join(response.streaming_content).decode().splitlines()
    assert len(body) == 6
    assert json.loads(body[-1]) == {"end_of_export": True, "lines": 5}
    assert [json.loads(line)["id"] for line in body[:-1]] == [str(c.pk) for c in claims]


def test_a_check_reopened_for_a_correction_stays_in_the_export_as_published(
    client_for: Any, submitter: Any, published_claims: Any, reviewer: Any, editor2: Any
) -> None:
    """Each line is the claim's live publication, like the public page and the feed."""
    from reviews.models import Review
    from reviews.services import claim_edit
    from tests.reviews.conftest import move

    (claim,) = published_claims(1)

    def exported() -> list[tuple[str, str, str, str]]:
        rows = lines(client_for(submitter).get("/api/v1/exports/fever.jsonl"))
        return [(r["id"], r["verdict"], r["rationale"], r["claim"]) for r in rows]

    published = [(str(claim.pk), "false", "Checked against the records.", claim.exact)]
    assert exported() == published
    move(claim, editor2, "reopen", note="New figures")
    claim_edit(claim=claim, by=reviewer, summary="Rewritten while reopened")
    move(claim, reviewer, "submit", verdict="mostly_false", rationale="Revised.")
    assert Review.objects.get(claim=claim).state == "in_review"
    assert exported() == published
    move(claim, editor2, "approve", note="The ministry revised its figures.")
    assert exported() == [(str(claim.pk), "mostly_false", "Revised.", "Rewritten while reopened")]
