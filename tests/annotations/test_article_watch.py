"""The watch: articles that came from their URL are fetched again on a schedule (and on
request); a changed main text is a new revision and claims re-anchor, boilerplate changes and
broken pages store nothing. Real HTTP on 127.0.0.1, real PostgreSQL and Redis, a real worker
for the beat's path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from annotations.models import Article, ArticleRevision, Claim
from annotations.services import article_fetch
from annotations.services.articles import article_submit
from reviews.models import RereviewReason, Review
from tests.annotations.pages import Pages, news_page
from tests.annotations.test_extraction import PARAGRAPHS
from tests.api.conftest import publish
from tests.factories import article_create, claim_create
from tests.helpers import wait_for

EDITED = [PARAGRAPHS[0].replace("twelve percent", "eleven percent"), *PARAGRAPHS[1:]]


@pytest.fixture
def pages(settings: Any) -> Iterator[Pages]:
    site = Pages()
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.LINKCHECK_ALLOWED_PORTS = [site.port]
    yield site
    site.close()


def fetched(pages: Pages, by: Any, path: str = "/story") -> Article:
    url = pages.page(path, news_page())
    return article_submit(by=by, url=url).article


def refetch(article: Article, *, owner: str = "test", by_id: int | None = None) -> Any:
    return article_fetch.articles_refetch_batch(article_ids=[article.pk], owner=owner, by_id=by_id)


@pytest.mark.usefixtures("celery_eager")
def test_a_changed_text_is_a_new_revision_its_claims_reanchor_and_published_ones_are_flagged(
    db, pages, editor, reviewer, client_for
):
    article = fetched(pages, editor)
    claim = claim_create(
        article=article,
        by=reviewer,
        exact="raise the budget for public libraries by twelve percent",
    )
    publish(claim, reviewer=reviewer, editor=editor)
    # The publisher edits the story after publication: one number changes, a line is added.
    pages.page("/story", news_page([*EDITED, "Correction: an earlier version misstated the rise."]))
    outcome = refetch(article)
    assert outcome.revised == [article.pk]
    article.refresh_from_db()
    assert article.current_revision == 2
    revision = article.revisions.get(number=2)
    assert (revision.origin, revision.created_by) == ("fetched", None)  # the watch, no person
    assert "eleven percent" in article.text and "Correction:" in article.text
    claim.refresh_from_db()
    assert claim.revision_id == revision.pk
    assert claim.exact == "raise the budget for public libraries by eleven percent"
    review = Review.objects.get(claim=claim)
    assert review.needs_rereview
    assert RereviewReason.objects.filter(review=review, code="wording_changed").exists()
    # The queue's filter: claims whose article was revised after their first publication.
    listed = client_for(reviewer).get("/api/v1/claims/?edited_after_publication=true")
    assert [c["id"] for c in listed.data["results"]] == [str(claim.pk)]
    others = client_for(reviewer).get("/api/v1/claims/?edited_after_publication=false")
    assert others.data["results"] == []
    desk = Client()
    desk.force_login(reviewer)
    queue = desk.get("/?tab=all&edited=on")
    assert claim.exact[:40] in queue.content.decode()


@pytest.mark.usefixtures("celery_eager")
def test_a_claim_published_after_the_last_revision_is_not_edited_after_publication(
    db, pages, editor, reviewer, client_for
):
    article = fetched(pages, editor)
    pages.page("/story", news_page(EDITED))
    refetch(article)
    claim = claim_create(article=article, by=reviewer, exact="eleven percent")
    publish(claim, reviewer=reviewer, editor=editor)
    listed = client_for(reviewer).get("/api/v1/claims/?edited_after_publication=true")
    assert listed.data["results"] == []


def test_boilerplate_changes_and_the_same_page_store_nothing(db, pages, editor):
    article = fetched(pages, editor)
    first_fetched = article.last_fetched_at
    pages.page("/story", news_page(nav="Most read today: the weather, the match, the fair."))
    assert refetch(article).unchanged == [article.pk]
    pages.page("/story", news_page())
    assert refetch(article).unchanged == [article.pk]
    article.refresh_from_db()
    assert article.current_revision == 1
    assert ArticleRevision.objects.filter(article=article).count() == 1
    assert article.last_fetched_at > first_fetched
    assert article.next_fetch_at > timezone.now()


@pytest.mark.parametrize(
    ("page", "code"),
    [
        ({"body": "<h1>Gone</h1>", "status": 404}, "not_found"),
        ({"body": b"\x89PNG\r\n\x1a\n" + bytes(64), "content_type": "image/png"}, "not_html"),
        (
            {
                "body": news_page(
                    [PARAGRAPHS[0], "Subscribe to continue reading. Already a subscriber? Log in."],
                    isAccessibleForFree=False,
                )
            },
            "paywall",
        ),
    ],
    ids=["404", "image", "paywall"],
)
def test_a_page_that_breaks_keeps_the_text_and_says_why(db, pages, editor, page, code):
    article = fetched(pages, editor)
    text = article.text
    pages.page("/story", **page)
    outcome = refetch(article)
    assert outcome.failed == {article.pk: code}
    article.refresh_from_db()
    assert (article.fetch_state, article.fetch_error, article.text) == ("ready", code, text)
    assert article.fetch_message
    assert ArticleRevision.objects.filter(article=article).count() == 1
    # Fixed again: the error goes, still no revision (the same text).
    pages.page("/story", news_page())
    assert refetch(article).unchanged == [article.pk]
    article.refresh_from_db()
    assert article.fetch_error == ""


def test_an_article_leased_by_another_worker_is_not_fetched(db, pages, editor):
    article = fetched(pages, editor)
    Article.objects.filter(pk=article.pk).update(
        fetch_lease_until=timezone.now() + timedelta(minutes=5), fetch_lease_owner="other"
    )
    gets = pages.gets("/story")
    outcome = refetch(article, owner="me")
    assert outcome.skipped == [article.pk]
    assert pages.gets("/story") == gets


def test_the_schedule_is_often_while_young_then_rarely(db, editor, settings):
    settings.ARTICLE_WATCH_INTERVALS = [(86400.0, 3600.0), (7 * 86400.0, 86400.0)]
    settings.ARTICLE_WATCH_LATE_INTERVAL = 30 * 86400.0
    settings.ARTICLE_WATCH_STOP_AFTER = 365 * 86400.0
    now = timezone.now()
    article = Article(
        url="https://example.org/a", text_source="fetched", fetch_state="ready", created_at=now
    )

    def due_in(age: timedelta) -> float | None:
        article.published_at = now - age
        at = article_fetch.watch_next_at(article, now=now)
        return None if at is None else (at - now).total_seconds()

    assert 0.9 * 3600 <= due_in(timedelta(hours=2)) <= 1.1 * 3600
    assert 0.9 * 86400 <= due_in(timedelta(days=3)) <= 1.1 * 86400
    assert 0.9 * 30 * 86400 <= due_in(timedelta(days=60)) <= 1.1 * 30 * 86400
    assert due_in(timedelta(days=400)) is None
    # A text that was submitted, not fetched, is not watched.
    article.text_source = "submitted"
    assert due_in(timedelta(hours=2)) is None


def test_the_beat_enqueues_bounded_batches_once(
    db, editor, queued_tasks, django_capture_on_commit_callbacks, settings
):
    settings.ARTICLE_WATCH_TASK_BATCH_SIZE = 10
    past = timezone.now() - timedelta(minutes=1)
    articles = [
        article_create(by=editor, url=f"https://example.org/{i}", text=f"Text number {i}.")
        for i in range(3)
    ]
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(
        text_source="fetched", next_fetch_at=past
    )
    # A submitted text is not watched, whatever its next_fetch_at says.
    submitted = article_create(by=editor, url="https://example.org/pasted", text="Pasted.")
    Article.objects.filter(pk=submitted.pk).update(next_fetch_at=past)
    with django_capture_on_commit_callbacks(execute=True):
        first = article_fetch.articles_enqueue_due(limit=2)
    with django_capture_on_commit_callbacks(execute=True):
        second = article_fetch.articles_enqueue_due(limit=2)
    with django_capture_on_commit_callbacks(execute=True):
        third = article_fetch.articles_enqueue_due(limit=2)
    assert (len(first), len(second), third) == (2, 1, [])
    assert {str(pk) for pk in first + second} == {str(a.pk) for a in articles}
    tasks = [t for t in queued_tasks() if t[0] == "annotations.tasks.refetch_articles"]
    assert sorted(len(args[0]) for _, args in tasks) == [1, 2]


def test_the_refetch_endpoint_enqueues_for_reviewers_only(
    db, editor, reviewer, submitter, client_for, queued_tasks, django_capture_on_commit_callbacks
):
    article = article_create(by=editor, url="https://example.org/story", text="Pasted text.")
    no_url = article_create(by=editor, text="No address at all.")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer).post(f"/api/v1/articles/{article.pk}/refetch/")
    assert response.status_code == 202, response.data
    assert response.data["id"] == str(article.pk)
    assert [args for name, args in queued_tasks() if name.endswith("refetch_articles")] == [
        [[str(article.pk)]]
    ]
    refused = client_for(submitter).post(f"/api/v1/articles/{article.pk}/refetch/")
    assert refused.status_code == 403
    conflict = client_for(reviewer).post(f"/api/v1/articles/{no_url.pk}/refetch/")
    assert conflict.status_code == 409
    assert conflict.data["code"] == "no_url"
    assert len(queued_tasks()) == 1


def test_the_reader_has_a_refetch_button_for_reviewers(
    db, pages, editor, reviewer, submitter, queued_tasks, django_capture_on_commit_callbacks
):
    article = fetched(pages, editor)
    desk = Client()
    desk.force_login(reviewer)
    page = desk.get(f"/articles/{article.pk}/").content.decode()
    assert f'action="/articles/{article.pk}/refetch/"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(f"/articles/{article.pk}/refetch/")
    assert response.status_code == 302
    assert [name for name, _ in queued_tasks()] == ["annotations.tasks.refetch_articles"]
    viewer = Client()
    viewer.force_login(submitter)
    assert "refetch/" not in viewer.get(f"/articles/{article.pk}/").content.decode()


@pytest.mark.worker
def test_a_worker_fetches_a_due_article_and_stores_the_stealth_edit(start_worker, pages, make_user):
    editor = make_user("edna", "editor")
    reviewer = make_user("wendy", "reviewer")
    article = fetched(pages, editor)
    claim = claim_create(article=article, by=reviewer, exact="public libraries")
    Article.objects.filter(pk=article.pk).update(
        next_fetch_at=timezone.now() - timedelta(seconds=1)
    )
    pages.page("/story", news_page(["Updated: " + EDITED[0], *EDITED[1:]]))
    worker = start_worker(
        extra_env={
            "LINKCHECK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "LINKCHECK_ALLOWED_PORTS": str(pages.port),
        }
    )
    assert article_fetch.articles_enqueue_due() == [article.pk]
    revision = wait_for(
        lambda: ArticleRevision.objects.filter(article=article, number=2).first(),
        timeout=30,
        what=lambda: f"revision 2; the worker said:\n{worker.output()[-3000:]}",
    )
    assert revision.origin == "fetched"
    assert revision.text.startswith("Updated: The city council")
    claim = Claim.objects.get(pk=claim.pk)
    assert (claim.revision_id, claim.exact) == (revision.pk, "public libraries")
    assert revision.text[claim.start : claim.end] == "public libraries"
    article.refresh_from_db()
    assert article.fetch_lease_owner == "" and article.next_fetch_at > timezone.now()
