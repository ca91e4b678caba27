from __future__ import annotations

from typing import Any


def test_429_with_retry_after_per_token(
    client_for: Any, token_client: Any, submitter: Any, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "anon": "2/min", "bulk": "1/min"},
    }
    first = token_client(submitter, "submitter")
    second = token_client(submitter, "submitter")
    statuses = [first.get("/api/v1/articles/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = first.get("/api/v1/articles/")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"
    # Another token of the same user has its own bucket.
    assert second.get("/api/v1/articles/").status_code == 200
    # Anonymous readers of the public feed are counted by address.
    anon = client_for(None)
    assert [anon.get("/api/v1/claimreviews/").status_code for _ in range(3)] == [200, 200, 429]
    # Bulk uploads have their own, smaller rate.
    bulk = token_client(submitter, "submitter")
    body = [{"title": "t", "text": "x"}]
    assert bulk.post("/api/v1/articles/bulk/", body, format="json").status_code == 200
    assert bulk.post("/api/v1/articles/bulk/", body, format="json").status_code == 429
