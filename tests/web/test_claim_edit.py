"""The claim panel's "Edit details" form sends the claim version it rendered."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotations.models import Article, Claim
from reviews.workflow import State

pytestmark = pytest.mark.django_db


def hx(client: Any, method: str, url: str, data: dict | None = None) -> Any:
    return getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true")


def rendered_version(panel: str) -> int:
    form = panel[panel.index("Edit details") :]
    return int(re.search(r'name="expected_version" value="(\d+)"', form).group(1))


def test_edit_saves_with_the_rendered_version_and_refuses_a_stale_one(
    seeded: Article, login: Any
) -> None:
    claim = seeded.claims.filter(review__state=State.IN_PROGRESS).first()
    editor = login(get_user_model().objects.get(username="demo-editor"))
    panel = hx(editor, "get", reverse("web:claim", args=[claim.pk])).content.decode()
    seen = rendered_version(panel)
    assert seen == claim.version
    update = reverse("web:claim-update", args=[claim.pk])
    saved = hx(editor, "post", update, {"expected_version": seen, "summary": "Troop numbers"})
    assert saved.status_code == 200
    assert b"Claim details saved." in saved.content
    assert rendered_version(saved.content.decode()) == seen + 1

    before = Claim.objects.values("summary", "claimant", "version").get(pk=claim.pk)
    other = login(get_user_model().objects.get(username="demo-editor2"))
    stale = hx(other, "post", update, {"expected_version": seen, "summary": "Overwritten"})
    assert stale.status_code == 412
    assert "This claim was changed by demo-editor" in stale.content.decode()
    assert Claim.objects.values("summary", "claimant", "version").get(pk=claim.pk) == before
