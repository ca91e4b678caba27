"""Repeated failed logins lock out one username from one client address (django-axes)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

# The three sign-in forms: the desk, the admin, the browsable API.
LOGINS = ["/accounts/login/", "/admin/login/", "/api/auth/login/"]
PASSWORD = "pw"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXIES = []


@pytest.fixture
def staff_editor(make_user: Any) -> Any:
    # Staff, so that a right password also signs in to /admin/.
    return make_user("edna", "editor", is_staff=True)


def attempt(path: str, username: str, password: str, **extra: Any) -> Any:
    return Client().post(path, {"username": username, "password": password}, **extra)


def signed_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def fail(path: str, username: str, times: int, **extra: Any) -> list[int]:
    return [attempt(path, username, "wrong", **extra).status_code for _ in range(times)]


@pytest.mark.parametrize("path", LOGINS)
def test_failures_lock_the_username_from_that_address(path: str, staff_editor: Any) -> None:
    from axes.models import AccessAttempt

    # Wrong passwords are the form again (200) until the limit, then the lockout (429).
    assert fail(path, "edna", 3) == [200, 200, 429]
    locked = attempt(path, "edna", PASSWORD)
    assert locked.status_code == 429
    assert not signed_in(locked)
    assert int(locked["Retry-After"]) == 15 * 60
    assert locked["Content-Type"].startswith("text/html")
    page = locked.content.decode()
    assert "Too many failed sign-ins" in page
    assert "Try again in 15 minutes" in page
    attempts = AccessAttempt.objects.get()
    assert (attempts.username, attempts.ip_address, attempts.failures_since_start) == (
        "edna",
        "127.0.0.1",
        4,
    )
    # Another address, or another username from the same address, is not locked.
    assert signed_in(attempt(path, "edna", PASSWORD, REMOTE_ADDR="203.0.113.9"))


def test_a_client_asking_for_json_gets_json(staff_editor: Any) -> None:
    fail("/api/auth/login/", "edna", 3, HTTP_ACCEPT="application/json")
    locked = attempt("/api/auth/login/", "edna", PASSWORD, HTTP_ACCEPT="application/json")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert "Too many failed sign-ins" in locked.json()["detail"]
    assert locked["Retry-After"] == str(15 * 60)


def test_other_usernames_from_the_same_address_are_not_locked(
    staff_editor: Any, make_user: Any
) -> None:
    make_user("ed", "editor")
    fail("/accounts/login/", "edna", 3)
    assert signed_in(attempt("/accounts/login/", "ed", PASSWORD))


def test_a_success_before_the_limit_resets_the_count(staff_editor: Any) -> None:
    assert fail("/accounts/login/", "edna", 2) == [200, 200]
    assert signed_in(attempt("/accounts/login/", "edna", PASSWORD))
    assert fail("/accounts/login/", "edna", 2) == [200, 200]
    assert signed_in(attempt("/accounts/login/", "edna", PASSWORD))


def test_rotating_x_forwarded_for_does_not_reset_the_lockout(staff_editor: Any) -> None:
    statuses = [
        attempt(
            "/accounts/login/", "edna", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert (
        attempt(
            "/accounts/login/", "edna", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200"
        ).status_code
        == 429
    )


def test_behind_a_trusted_proxy_the_forwarded_client_is_locked(
    settings: Any, staff_editor: Any
) -> None:
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    # The client forges the left part of the header; the proxy appends what it saw.
    statuses = [
        attempt(
            "/accounts/login/",
            "edna",
            "wrong",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.7",
            **proxy,
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]
    # Another client behind the same proxy is someone else.
    other = attempt(
        "/accounts/login/", "edna", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy
    )
    assert signed_in(other)


def test_an_administrator_unlocks_a_username(staff_editor: Any) -> None:
    fail("/accounts/login/", "edna", 3)
    assert attempt("/accounts/login/", "edna", PASSWORD).status_code == 429
    out = io.StringIO()
    call_command("axes_reset_username", "edna", stdout=out)
    assert signed_in(attempt("/accounts/login/", "edna", PASSWORD))


def test_a_lockout_ends_after_the_cooloff(staff_editor: Any) -> None:
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    fail("/accounts/login/", "edna", 3)
    assert attempt("/accounts/login/", "edna", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert signed_in(attempt("/accounts/login/", "edna", PASSWORD))
