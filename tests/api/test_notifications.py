"""GET /api/v1/notifications/, POST .../read/, GET/PATCH .../settings/: own only."""

from __future__ import annotations

from typing import Any

import pytest

from reviews.models import Notification, NotificationSettings
from reviews.notifications import notify

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"


@pytest.fixture
def inbox(claim: Any, reviewer: Any, reviewer2: Any, editor: Any) -> dict[str, list[int]]:
    """Three notifications for rita, one for rob."""
    mine = [
        notify(recipients=[reviewer], kind=kind, claim=claim, actor=editor, message=f"m {kind}")[
            0
        ].pk
        for kind in ("assigned", "returned", "mentioned")
    ]
    theirs = [
        notify(recipients=[reviewer2], kind="comment", claim=claim, actor=editor, message="c")[0].pk
    ]
    return {"mine": mine, "theirs": theirs}


def read_state() -> list[tuple[int, Any]]:
    return list(Notification.objects.order_by("pk").values_list("pk", "read_at"))


def test_the_list_is_yours_newest_first_with_a_link_to_the_claim(
    client_for: Any, inbox: dict[str, list[int]], claim: Any, reviewer: Any, settings: Any
) -> None:
    settings.FACTCHECK_DESK_URL = "https://desk.example.org"
    response = client_for(reviewer).get(URL)
    assert response.status_code == 200
    results = response.data["results"]
    assert [n["id"] for n in results] == list(reversed(inbox["mine"]))
    first = results[0]
    assert set(first) == {"id", "kind", "claim", "message", "url", "created_at", "read"}
    assert first["kind"] == "mentioned"
    assert first["claim"] == str(claim.pk)
    assert first["read"] is False
    assert first["url"] == (
        f"https://desk.example.org/articles/{claim.article_id}/?claim={claim.pk}"
    )


def test_mark_some_read_then_unread_only(
    client_for: Any, inbox: dict[str, list[int]], reviewer: Any
) -> None:
    rita = client_for(reviewer)
    one = inbox["mine"][0]
    response = rita.post(f"{URL}read/", {"ids": [one]}, format="json")
    assert response.status_code == 200
    assert response.data == {"marked": 1, "unread": 2}
    assert rita.get(f"{URL}{one}/").data["read"] is True
    unread = rita.get(URL, {"unread": "true"}).data["results"]
    assert sorted(n["id"] for n in unread) == sorted(inbox["mine"][1:])
    # Marking again is no change.
    assert rita.post(f"{URL}read/", {"ids": [one]}, format="json").data["marked"] == 0


def test_mark_all_read(client_for: Any, inbox: dict[str, list[int]], reviewer: Any) -> None:
    response = client_for(reviewer).post(f"{URL}read/", {"all": True}, format="json")
    assert response.data == {"marked": 3, "unread": 0}
    # Only yours: rob's stays unread.
    assert Notification.objects.get(pk=inbox["theirs"][0]).read_at is None


def test_another_users_notification_is_a_404_and_nothing_is_marked(
    client_for: Any, inbox: dict[str, list[int]], reviewer: Any
) -> None:
    rita = client_for(reviewer)
    theirs = inbox["theirs"][0]
    before = read_state()
    assert rita.get(f"{URL}{theirs}/").status_code == 404
    response = rita.post(f"{URL}read/", {"ids": [inbox["mine"][0], theirs]}, format="json")
    assert response.status_code == 404
    assert response.data["ids"] == [theirs]
    missing = rita.post(f"{URL}read/", {"ids": [987654]}, format="json")
    assert missing.status_code == 404
    assert read_state() == before


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"all": False}, {"ids": [1], "all": True}, {"ids": ["x"]}, {"idz": [1]}],
    ids=["empty", "no-ids", "all-false", "both", "not-int", "unknown-field"],
)
def test_a_read_request_that_says_neither_or_both_is_a_400(
    client_for: Any, inbox: dict[str, list[int]], reviewer: Any, body: dict[str, Any]
) -> None:
    before = read_state()
    response = client_for(reviewer).post(f"{URL}read/", body, format="json")
    assert response.status_code == 400, response.data
    assert read_state() == before


def test_a_bad_unread_filter_is_a_400(client_for: Any, reviewer: Any) -> None:
    response = client_for(reviewer).get(URL, {"unread": "maybe"})
    assert response.status_code == 400
    assert "unread" in response.data


def test_anonymous_and_roleless_callers_are_refused(
    client_for: Any, inbox: dict[str, list[int]], outsider: Any
) -> None:
    before = read_state()
    assert client_for(None).get(URL).status_code == 401
    assert client_for(None).post(f"{URL}read/", {"all": True}, format="json").status_code == 401
    assert client_for(outsider).get(URL).status_code == 403
    assert read_state() == before


def test_email_settings_default_on_and_can_be_turned_off(
    client_for: Any, reviewer: Any, submitter: Any
) -> None:
    rita = client_for(reviewer)
    assert rita.get(f"{URL}settings/").data == {"email": True}
    response = rita.patch(f"{URL}settings/", {"email": False}, format="json")
    assert response.status_code == 200
    assert response.data == {"email": False}
    assert NotificationSettings.objects.get(user=reviewer).email is False
    bad = rita.patch(f"{URL}settings/", {"email": "sometimes"}, format="json")
    assert bad.status_code == 400
    assert NotificationSettings.objects.get(user=reviewer).email is False
    # Each user their own.
    assert client_for(submitter).get(f"{URL}settings/").data == {"email": True}


def test_the_list_takes_a_fixed_number_of_queries(
    client_for: Any,
    claim: Any,
    reviewer: Any,
    editor: Any,
    django_assert_max_num_queries: Any,
) -> None:
    rita = client_for(reviewer)
    for i in range(30):
        notify(recipients=[reviewer], kind="comment", claim=claim, actor=editor, message=f"{i}")
    with django_assert_max_num_queries(6):
        response = rita.get(URL)
    assert len(response.data["results"]) == 30
