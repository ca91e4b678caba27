from __future__ import annotations

from typing import Any

from tests.factories import article_create, claim_create


def test_fields_keep_payloads_small(client_for: Any, submitter: Any, claim: Any) -> None:
    client = client_for(submitter)
    listed = client.get("/api/v1/articles/?fields=id,title")
    assert listed.status_code == 200
    assert [set(a) for a in listed.data["results"]] == [{"id", "title"}]
    claims = client.get("/api/v1/claims/", {"fields": "id,exact,review"})
    assert set(claims.data["results"][0]) == {"id", "exact", "review"}
    detail = client.get(f"/api/v1/articles/{claim.article_id}/?fields=id,claims")
    assert set(detail.data) == {"id", "claims"}
    # Nested claims stay whole.
    assert "evidence" in detail.data["claims"][0]
    links = client.get("/api/v1/links/?fields=url,health")
    assert links.status_code == 200


def test_unknown_fields_are_400(client_for: Any, submitter: Any, claim: Any) -> None:
    response = client_for(submitter).get("/api/v1/articles/?fields=id,nope")
    assert response.status_code == 400
    assert "nope" in response.data["fields"][0]
    bad_expand = client_for(submitter).get("/api/v1/claims/?expand=article")
    assert bad_expand.status_code == 400
    assert bad_expand.data["expand"] == ["Cannot expand article. Expandable: nothing."]


def test_expand_claims_on_the_article_list(
    client_for: Any, submitter: Any, editor: Any, reviewer: Any, claim: Any
) -> None:
    other = article_create(by=editor, url="https://news.example.org/other", text="One two three.")
    claim_create(article=other, by=reviewer, exact="two")
    client = client_for(submitter)
    plain = client.get("/api/v1/articles/")
    assert all("claims" not in a for a in plain.data["results"])
    expanded = client.get("/api/v1/articles/?expand=claims&fields=id,claims")
    assert expanded.status_code == 200
    by_id = {a["id"]: a["claims"] for a in expanded.data["results"]}
    assert [c["exact"] for c in by_id[str(other.pk)]] == ["two"]
    assert [c["id"] for c in by_id[str(claim.article_id)]] == [str(claim.pk)]
    assert by_id[str(other.pk)][0]["utf16_start"] == 4


def test_etag_and_304(client_for: Any, submitter: Any, claim: Any) -> None:
    client = client_for(submitter)
    first = client.get(f"/api/v1/articles/{claim.article_id}/")
    etag = first["ETag"]
    assert etag
    again = client.get(f"/api/v1/articles/{claim.article_id}/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    listed = client.get("/api/v1/claims/")
    assert client.get("/api/v1/claims/", HTTP_IF_NONE_MATCH=listed["ETag"]).status_code == 304
    # A change makes a new ETag.
    editor = client_for(claim.created_by)
    edited = editor.patch(
        f"/api/v1/claims/{claim.pk}/",
        {"summary": "New summary"},
        format="json",
        HTTP_IF_MATCH=editor.get(f"/api/v1/claims/{claim.pk}/")["ETag"],
    )
    assert edited.status_code == 200
    changed = client.get(f"/api/v1/articles/{claim.article_id}/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200


def test_review_etag_stays_its_version(client_for: Any, submitter: Any, claim: Any) -> None:
    review = client_for(submitter).get(f"/api/v1/claims/{claim.pk}/review/")
    assert review["ETag"] == f'"{review.data["version"]}"'


def test_error_bodies_have_detail_and_code(client_for: Any, submitter: Any) -> None:
    missing = client_for(submitter).get("/api/v1/articles/00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No such article.", "code": "not_found"}
    anonymous = client_for(None).get("/api/v1/articles/")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    bad_token = client_for(None)
    bad_token.credentials(HTTP_AUTHORIZATION="Token fct_nope")
    refused = bad_token.get("/api/v1/articles/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
