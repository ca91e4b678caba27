from __future__ import annotations

from typing import Any

from factcheck.models import ApiToken


def test_staff_create_list_and_revoke(
    client_for: Any, admin_user: Any, editor: Any, submitter: Any
) -> None:
    admin = client_for(admin_user)
    created = admin.post(
        "/api/v1/tokens/",
        {"user": editor.username, "name": "CMS", "role": "reviewer"},
        format="json",
    )
    assert created.status_code == 201, created.data
    key = created.data["key"]
    assert key.startswith("fct_")
    assert created.data["prefix"] == key[:12]
    assert ApiToken.objects.get().key_hash != key  # only its hash is stored
    listed = admin.get("/api/v1/tokens/")
    assert [t["name"] for t in listed.data["results"]] == ["CMS"]
    assert "key" not in listed.data["results"][0]
    assert admin.get(f"/api/v1/tokens/?user={editor.username}&active=true").data["results"]

    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/claims/").status_code == 200
    token_id = created.data["id"]
    assert admin.delete(f"/api/v1/tokens/{token_id}/").status_code == 204
    assert admin.delete(f"/api/v1/tokens/{token_id}/").status_code == 204
    assert client.get("/api/v1/claims/").status_code == 401
    assert admin.get(f"/api/v1/tokens/{token_id}/").data["active"] is False


def test_only_staff_manage_tokens(client_for: Any, editor: Any) -> None:
    assert client_for(editor).get("/api/v1/tokens/").status_code == 403
    assert client_for(None).get("/api/v1/tokens/").status_code == 401


def test_a_role_the_user_does_not_hold_is_refused(
    client_for: Any, admin_user: Any, submitter: Any
) -> None:
    response = client_for(admin_user).post(
        "/api/v1/tokens/",
        {"user": submitter.username, "name": "x", "role": "editor"},
        format="json",
    )
    assert response.status_code == 400
    assert response.data["role"] == ["sam does not hold the editor role."]


def test_the_token_role_narrows_the_user(token_client: Any, editor: Any, claim: Any) -> None:
    as_submitter = token_client(editor, "submitter")
    # An editor's submitter token may submit articles and read...
    assert as_submitter.get(f"/api/v1/claims/{claim.pk}/").status_code == 200
    submitted = as_submitter.post(
        "/api/v1/articles/", {"title": "t", "text": "Some text."}, format="json"
    )
    assert submitted.status_code == 201
    # ...but not act as an editor.
    refused = as_submitter.post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"url": "https://example.org/x", "stance": "supports"},
        format="json",
    )
    assert refused.status_code == 403
    as_editor = token_client(editor, "editor")
    allowed = as_editor.post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"url": "https://example.org/x", "stance": "supports"},
        format="json",
    )
    assert allowed.status_code == 201
