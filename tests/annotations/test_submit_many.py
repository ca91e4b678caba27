"""articles_submit_many: items stored by several threads, each on its own connection."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from annotations.models import Article
from annotations.services import articles


def _item(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "url": f"https://news.example.org/many/{i}",
        "title": f"T{i}",
        "text": f"Text {i}.",
    } | extra


@pytest.mark.django_db(transaction=True)
def test_items_are_stored_by_several_threads_and_answered_in_order(
    settings: Any, submitter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.API_BULK_THREADS = 3
    threads: set[int] = set()
    submit = articles.article_submit

    def recording(**kwargs: Any) -> Any:
        threads.add(threading.get_ident())
        return submit(**kwargs)

    monkeypatch.setattr(articles, "article_submit", recording)
    items = [_item(i) for i in range(60)]
    items[7] = _item(7, text="   ")  # no text: refused, the others still stored
    items[30] = _item(2)  # same URL and text as item 2: unchanged

    outcomes = articles.articles_submit_many(by=submitter, items=items)

    assert len(threads) == 3
    assert threading.get_ident() not in threads
    assert len(outcomes) == 60
    assert isinstance(outcomes[7], articles.SubmitRefused)
    assert outcomes[7].errors["code"] and "text" in outcomes[7].errors
    assert outcomes[30].status == "unchanged"  # type: ignore[union-attr]
    assert outcomes[30].article.pk == outcomes[2].article.pk  # type: ignore[union-attr]
    stored = [o for i, o in enumerate(outcomes) if i not in (7, 30)]
    assert [o.status for o in stored] == ["created"] * 58  # type: ignore[union-attr]
    assert [o.article.title for o in stored] == [  # type: ignore[union-attr]
        f"T{i}" for i in range(60) if i not in (7, 30)
    ]
    assert Article.objects.count() == 58


@pytest.mark.django_db
def test_inside_a_transaction_one_thread_stores_all(settings: Any, submitter: Any) -> None:
    settings.API_BULK_THREADS = 3
    outcomes = articles.articles_submit_many(by=submitter, items=[_item(i) for i in range(40)])
    assert [o.status for o in outcomes] == ["created"] * 40  # type: ignore[union-attr]
    assert Article.objects.count() == 40
