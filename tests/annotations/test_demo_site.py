"""The demo news site of `make run` and its seeded article: a stealth edit without the internet."""

from __future__ import annotations

import io
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from annotations.demosite import DemoSite, demo_server, demo_story
from annotations.models import AnchorState, Article, TextSource
from annotations.services.article_fetch import articles_refetch_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(settings: Any) -> Iterator[tuple[DemoSite, str]]:
    demo = DemoSite(story=demo_story(), edit_after=None)
    server = demo_server("127.0.0.1", 0, demo)
    port = server.server_address[1]
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.LINKCHECK_ALLOWED_PORTS = [port]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield demo, f"http://127.0.0.1:{port}/"
    server.shutdown()
    server.server_close()


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - 127.0.0.1 only
        return response.read().decode()


def test_the_site_serves_the_first_version_until_the_edit(site: tuple[DemoSite, str]) -> None:
    demo, base = site
    path = demo.story["path"]
    assert "4.2 million euros" in get(base + path.lstrip("/"))
    assert "Make the stealth edit now" in get(base)
    request = urllib.request.Request(base + "edit/", method="POST", data=b"")
    assert "Restore the first version" in urllib.request.urlopen(request, timeout=5).read().decode()  # noqa: S310
    edited = get(base + path.lstrip("/"))
    assert "6.8 million euros" in edited and "4.2 million" not in edited


def test_the_site_edits_itself_after_a_while() -> None:
    demo = DemoSite(story=demo_story(), edit_after=0)
    assert demo.current() == len(demo.story["versions"]) - 1
    later = DemoSite(story=demo_story(), edit_after=3600)
    assert later.current() == 0


def test_the_seeded_demo_article_is_watched_and_its_edit_is_a_revision(
    site: tuple[DemoSite, str], django_capture_on_commit_callbacks: Any
) -> None:
    demo, base = site
    call_command("create_demo_users", stdout=io.StringIO())
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=False):
        call_command("load_seeds", demo_site=base, stdout=out)
        call_command("load_seeds", demo_site=base, stdout=io.StringIO())  # safe again
    assert "Demo site article: 1 created, 3 claim(s) marked" in out.getvalue()
    assert Article.objects.count() == 2  # the seed article and the demo one
    article = Article.objects.get(url=base + demo.story["path"].lstrip("/"))
    assert article.text_source == TextSource.FETCHED
    assert article.next_fetch_at is not None
    assert article.title == demo.story["article"]["title"]
    assert article.publisher == "The Riverside Courier" and article.byline == "Mara Lindqvist"
    assert article.revisions.get().origin == TextSource.FETCHED
    published = article.claims.get(exact="The barrier will cost 4.2 million euros")
    assert published.review.state == "published"

    # The page as first published: the watch stores nothing (the "most read" list changes
    # with every request; that is furniture).
    first = articles_refetch_batch(article_ids=[article.pk], owner="test")
    assert first.unchanged == [article.pk]
    demo.set_version(1)
    with django_capture_on_commit_callbacks(execute=False):
        edited = articles_refetch_batch(article_ids=[article.pk], owner="test")
    assert edited.revised == [article.pk]
    article.refresh_from_db()
    assert article.current_revision == 2
    assert "6.8 million euros" in article.text
    second = article.revisions.get(number=2)
    assert second.origin == TextSource.FETCHED and second.created_by is None
    published.refresh_from_db()
    assert published.exact == "The barrier will cost 6.8 million euros"
    assert published.anchor_state == AnchorState.REANCHORED
    assert published.review.needs_rereview
