"""Client tokens: who may create, see and revoke which, and what a token may never do."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from factcheck.models import ApiToken, IdempotencyKey
from factcheck.roles import user_roles
from factcheck.tokens import strongest_role, token_create

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple[Any, ...]]:
    """Every token row as it stands (a refusal must leave this unchanged)."""
    return list(
        ApiToken.objects.order_by("pk").values_list(
            "pk", "user__username", "role", "name", "revoked_at"
        )
    )


@pytest.fixture
def people(
    reviewer: Any, editor: Any, editor2: Any, submitter: Any, outsider: Any, admin_user: Any
):
    return {
        "rita": reviewer,
        "edna": editor,
        "ed": editor2,
        "sam": submitter,
        "olga": outsider,
        "admin": admin_user,
    }


@pytest.fixture
def existing(people: dict[str, Any]) -> dict[str, ApiToken]:
    """One token each for the users with a role (olga has none)."""
    roles = {"rita": "reviewer", "edna": "editor", "ed": "editor", "sam": "submitter"}
    roles["admin"] = "editor"
    return {
        name: token_create(user=people[name], name=f"{name}'s", role=role, by=None)[0]
        for name, role in roles.items()
    }


@pytest.fixture
def actor(people: dict[str, Any], existing: dict[str, ApiToken]):
    """A client for an actor: `rita` (signed in: a session), `rita-token` (a token with her
    widest role), `anon`."""

    def make(name: str) -> tuple[APIClient, Any]:
        client = APIClient()
        if name == "anon":
            return client, None
        username, _, how = name.partition("-")
        user = people[username]
        if how == "token":
            role = strongest_role(user_roles(user))
            assert role is not None
            _, key = token_create(user=user, name=f"{username} client", role=role, by=None)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        else:
            client.force_login(user)
        return client, user

    return make


# (actor, whose token: a username, "self", or "default" for no `user` field, role, status)
CREATE = [
    # The two-person rule: a reviewer must not mint an editor token for an editor.
    ("rita", "ed", "editor", 403),
    ("rita", "ed", "reviewer", 403),
    ("rita", "self", "editor", 400),
    ("rita", "self", "reviewer", 201),
    ("rita", "default", "submitter", 201),
    ("edna", "ed", "editor", 403),
    ("edna", "rita", "reviewer", 403),
    ("edna", "self", "editor", 201),
    ("edna", "default", "reviewer", 201),
    ("sam", "self", "reviewer", 400),
    ("sam", "default", "submitter", 201),
    ("sam", "ed", "submitter", 403),
    ("olga", "self", "submitter", 403),
    ("olga", "default", "submitter", 403),
    ("admin", "ed", "editor", 201),
    ("admin", "sam", "editor", 400),
    ("admin", "default", "editor", 201),
    # A request made with a token never creates one, not even its own user's, not even a
    # superuser's token.
    ("edna-token", "self", "editor", 403),
    ("edna-token", "default", "submitter", 403),
    ("edna-token", "ed", "editor", 403),
    ("admin-token", "ed", "editor", 403),
    ("admin-token", "default", "editor", 403),
    ("anon", "ed", "submitter", 401),
]


@pytest.mark.parametrize(("who", "whose", "role", "status"), CREATE)
def test_who_may_create_a_token_for_whom(
    actor: Any, people: dict[str, Any], who: str, whose: str, role: str, status: int
) -> None:
    client, user = actor(who)
    body = {"name": "CMS", "role": role}
    if whose != "default":
        body["user"] = user.username if whose == "self" else people[whose].username
    before = snapshot()
    response = client.post("/api/v1/tokens/", body, format="json")
    assert response.status_code == status, response.content
    if status != 201:
        assert snapshot() == before
        assert "key" not in response.json()
        return
    owner = user if whose in ("self", "default") else people[whose]
    created = ApiToken.objects.get(pk=response.json()["id"])
    assert (created.user, created.role, created.created_by) == (owner, role, user)
    assert len(snapshot()) == len(before) + 1


def test_staff_status_gives_no_power_over_other_users_tokens(
    reviewer: Any, editor2: Any, existing: dict[str, ApiToken]
) -> None:
    """A reviewer who can open the admin still cannot mint an editor token for an editor (and
    then approve their own verdict with it), nor see or revoke one."""
    reviewer.is_staff = True
    reviewer.save()
    client = APIClient()
    client.force_login(reviewer)
    before = snapshot()
    minted = client.post(
        "/api/v1/tokens/", {"user": editor2.username, "name": "x", "role": "editor"}, format="json"
    )
    assert minted.status_code == 403
    assert minted.json() == {
        "detail": "Only a superuser may create tokens for another user.",
        "code": "permission_denied",
    }
    assert client.get(f"/api/v1/tokens/{existing['ed'].pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{existing['ed'].pk}/").status_code == 404
    assert {t["user"] for t in client.get("/api/v1/tokens/").json()["results"]} == {"rita"}
    assert snapshot() == before


# (actor, users whose tokens it lists; the status of GET and DELETE on ed's token)
VISIBILITY = [
    ("rita", {"rita"}, 404, 404),
    ("edna", {"edna"}, 404, 404),
    ("sam", {"sam"}, 404, 404),
    ("olga", None, 403, 403),
    ("admin", {"rita", "edna", "ed", "sam", "admin"}, 200, 204),
    # Through a token: its own user's tokens only (a superuser's too), and no revoking.
    ("edna-token", {"edna"}, 404, 403),
    ("admin-token", {"admin"}, 404, 403),
    ("anon", None, 401, 401),
]


@pytest.mark.parametrize(("who", "listed", "get_status", "delete_status"), VISIBILITY)
def test_who_sees_and_revokes_which_tokens(
    actor: Any,
    existing: dict[str, ApiToken],
    who: str,
    listed: set[str] | None,
    get_status: int,
    delete_status: int,
) -> None:
    client, _ = actor(who)
    listing = client.get("/api/v1/tokens/")
    if listed is None:
        assert listing.status_code == get_status
    else:
        assert listing.status_code == 200
        assert {t["user"] for t in listing.json()["results"]} == listed
        assert all("key" not in t for t in listing.json()["results"])
        # Filtering by another user finds nothing for those who may not see theirs.
        by_ed = client.get("/api/v1/tokens/?user=ed").json()["results"]
        assert bool(by_ed) == ("ed" in listed)

    victim = existing["ed"]
    assert client.get(f"/api/v1/tokens/{victim.pk}/").status_code == get_status
    before = snapshot()
    assert client.delete(f"/api/v1/tokens/{victim.pk}/").status_code == delete_status
    victim.refresh_from_db()
    if delete_status == 204:
        assert victim.revoked_at is not None
    else:
        assert victim.revoked_at is None
        assert snapshot() == before


def test_a_user_revokes_their_own_token_from_a_session_only(
    actor: Any, existing: dict[str, ApiToken]
) -> None:
    own = existing["rita"]
    token_client, _ = actor("rita-token")
    before = snapshot()
    assert token_client.delete(f"/api/v1/tokens/{own.pk}/").status_code == 403
    assert snapshot() == before
    # Reading her own through a token is fine.
    assert token_client.get(f"/api/v1/tokens/{own.pk}/").json()["active"] is True
    session, _ = actor("rita")
    assert session.delete(f"/api/v1/tokens/{own.pk}/").status_code == 204
    own.refresh_from_db()
    assert own.revoked_at is not None
    # Revoking twice keeps the first time.
    revoked_at = own.revoked_at
    assert session.delete(f"/api/v1/tokens/{own.pk}/").status_code == 204
    own.refresh_from_db()
    assert own.revoked_at == revoked_at


def test_superuser_session_creates_lists_and_revokes(
    admin_user: Any, editor: Any, submitter: Any
) -> None:
    admin = APIClient()
    admin.force_login(admin_user)
    created = admin.post(
        "/api/v1/tokens/",
        {"user": editor.username, "name": "CMS", "role": "reviewer"},
        format="json",
    )
    assert created.status_code == 201, created.data
    key = created.data["key"]
    assert key.startswith("fct_")
    assert created.data["prefix"] == key[:12]
    stored = ApiToken.objects.get()
    assert key not in (stored.key_hash, stored.prefix, stored.name)  # only its hash is stored
    listed = admin.get("/api/v1/tokens/")
    assert [t["name"] for t in listed.data["results"]] == ["CMS"]
    assert "key" not in listed.data["results"][0]
    assert admin.get(f"/api/v1/tokens/?user={editor.username}&active=true").data["results"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/claims/").status_code == 200
    token_id = created.data["id"]
    assert admin.delete(f"/api/v1/tokens/{token_id}/").status_code == 204
    assert client.get("/api/v1/claims/").status_code == 401
    assert admin.get(f"/api/v1/tokens/{token_id}/").data["active"] is False


def test_a_role_the_user_does_not_hold_is_refused(admin_user: Any, submitter: Any) -> None:
    admin = APIClient()
    admin.force_login(admin_user)
    response = admin.post(
        "/api/v1/tokens/",
        {"user": submitter.username, "name": "x", "role": "editor"},
        format="json",
    )
    assert response.status_code == 400
    assert response.data["role"] == ["sam does not hold the editor role."]
    assert not ApiToken.objects.exists()


def test_token_creation_takes_no_idempotency_key(editor: Any) -> None:
    """A replayable answer would mean storing the key: a keyed create is refused instead."""
    client = APIClient()
    client.force_login(editor)
    body = {"name": "CMS", "role": "editor"}
    refused = client.post("/api/v1/tokens/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert refused.status_code == 400
    assert refused.json()["code"] == "idempotency_key_not_allowed"
    assert not ApiToken.objects.exists()
    assert not IdempotencyKey.objects.exists()
    created = client.post("/api/v1/tokens/", body, format="json")
    assert created.status_code == 201
    key = created.json()["key"]
    # The key is nowhere in the database: not in a token row, not in an idempotency row.
    assert not IdempotencyKey.objects.exists()
    row = ApiToken.objects.values().get()
    assert all(key not in str(value) for value in row.values())
    # Other POSTs still take a key.
    keyed = client.post(
        "/api/v1/articles/",
        {"title": "t", "text": "Some text."},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert keyed.status_code == 201
    assert IdempotencyKey.objects.filter(key="k-2").exists()


def test_schema_offers_no_idempotency_key_on_token_creation(admin_user: Any) -> None:
    client = APIClient()
    client.force_login(admin_user)
    schema = client.get("/api/schema/?format=json").json()
    token_post = schema["paths"]["/api/v1/tokens/"]["post"]
    assert "Idempotency-Key" not in {p["name"] for p in token_post.get("parameters", [])}
    article_post = schema["paths"]["/api/v1/articles/"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in article_post["parameters"]}
    assert "apiToken" in schema["components"]["securitySchemes"]
    assert "tokenAuth" not in schema["components"]["securitySchemes"]


def test_drf_plain_tokens_are_gone(settings: Any, editor: Any) -> None:
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    assert all(
        "authtoken" not in name and name.rsplit(".", 1)[-1] != "TokenAuthentication"
        for name in settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "a" * 40)  # a DRF-style key
    response = client.get("/api/v1/claims/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_create_token_command_prints_a_working_key_once(reviewer: Any, editor: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", editor.username, "--name", "cms", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert key.startswith("fct_") and "\n" not in key
    token = ApiToken.objects.get()
    # The widest role the user holds, named as asked, made by nobody (the command line).
    assert (token.user, token.role, token.name, token.created_by) == (editor, "editor", "cms", None)
    assert key not in err.getvalue() and token.prefix in key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/claims/").status_code == 200

    out = io.StringIO()
    call_command("create_token", editor.username, "--role", "submitter", stdout=out, stderr=err)
    assert ApiToken.objects.filter(user=editor, role="submitter").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "No user 'nobody'."),
        (["rita", "--role", "editor"], "rita does not hold the editor role."),
        (["olga"], "olga holds no role (reviewer, editor or submitter)."),
        (["rita", "--name", " "], "Name the token (which client uses it)."),
    ],
)
def test_create_token_command_refusals(
    reviewer: Any, outsider: Any, args: list[str], message: str
) -> None:
    out = io.StringIO()
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("create_token", *args, stdout=out, stderr=io.StringIO())
    assert out.getvalue() == ""
    assert not ApiToken.objects.exists()


def test_demo_users_are_not_staff_except_the_admin() -> None:
    from django.contrib.auth import get_user_model

    call_command("create_demo_users", stdout=io.StringIO())
    staff = dict(get_user_model().objects.values_list("username", "is_staff"))
    assert staff == {
        "demo-reviewer": False,
        "demo-editor": False,
        "demo-editor2": False,
        "demo-submitter": False,
        "demo-admin": True,
    }


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
