#!/usr/bin/env python3
"""Benchmark the whole revision request: POST /api/v1/articles/ with new text for a known url.

In one run, against a throw-away database:

1. submits a 100,000-character article (the generator of ``bench/reanchor.py``) through the
   API and marks 1,000 claims on it (ORM bulk inserts, with their reviews; a tenth of the
   reviews published, so re-review notifications run too);
2. times POSTing the lightly edited text with the same url through the Django test client,
   in process: parsing, ``article_submit`` (new revision, re-anchoring, history rows,
   re-review flags), commit hooks and the response with all 1,000 claims;
3. times the same request on an identical fresh article with a naive re-anchor swapped in
   (first ``str.find`` of each quote, one ``claim.save()`` and one ``review_flag_rereview``
   per claim: the obvious implementation) as the baseline.

Prints ``seconds`` (wall time of the best of ``--repeat`` requests), ``claims_per_second``,
the anchored/reanchored/orphaned fractions, the placement accuracy against the generator's
ground truth, the request's query count, its CPU time in this process (a figure the
machine's load disturbs less than wall time) and ``ratio_to_naive`` = naive seconds / seconds
(above 1: faster than the baseline; the same convention as ``bench/reanchor.py``).

Database: the test settings (``tests.settings``), so ``DATABASE_URL`` picks it, PostgreSQL by
default (``postgres://postgres@127.0.0.1:5432/factcheck``). The benchmark creates its own
database ``bench_<name>`` beside it and drops it at the end, so it never touches the real one
or a concurrent test run's. ``--sqlite`` runs on an in-memory SQLite database instead.

Run from the repository root:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/factcheck .venv/bin/python bench/revision_request.py
    .venv/bin/python bench/revision_request.py --sqlite
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

N_PUBLISHED_EVERY = 10  # every 10th review is published


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--claims", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs each; the best is reported")
    ap.add_argument("--sqlite", action="store_true", help="in-memory SQLite, not DATABASE_URL")
    ap.add_argument("--profile", action="store_true", help="cProfile one request and stop")
    return ap.parse_args()


def setup_django(*, sqlite: bool) -> tuple[Any, str]:
    if sqlite:
        os.environ["DATABASE_URL"] = "sqlite://:memory:"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # locmem email, testserver host
    old_name = settings.DATABASES["default"]["NAME"]
    if not sqlite:
        settings.DATABASES["default"]["TEST"]["NAME"] = f"bench_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return connection, old_name


def make_texts(seed: int, n_claims: int) -> tuple[str, str, list[tuple[int, int]], list[Any]]:
    import reanchor as gen  # bench/reanchor.py: the article, claims and edits generator

    rng = random.Random(seed)
    writer = gen.Writer(rng)
    old_text, sentences = gen.make_article(rng, writer)
    claims = gen.make_claims(rng, old_text, sentences, n_claims)
    edits = gen.make_edits(rng, writer, old_text, sentences, claims)
    new_text = gen.apply_edits(old_text, edits)
    return old_text, new_text, claims, gen.ground_truth(claims, edits)


def make_article(client: Any, *, url: str, text: str, spans: list[tuple[int, int]], by: Any):
    from annotations.anchoring import Span
    from annotations.models import Article, Claim
    from reviews.models import Review
    from reviews.workflow import State

    response = client.post(
        "/api/v1/articles/", {"url": url, "title": "Bench", "text": text}, format="json"
    )
    assert response.status_code == 201, response.content[:500]
    article = Article.objects.get(pk=response.data["id"])
    revision = article.revisions.get()
    claims = []
    for start, end in spans:
        span = Span.at(text, start, end)
        claims.append(
            Claim(
                article=article,
                revision=revision,
                start=span.start,
                end=span.end,
                exact=span.exact,
                prefix=span.prefix,
                suffix=span.suffix,
                created_by=by,
            )
        )
    Claim.objects.bulk_create(claims)
    Review.objects.bulk_create(
        Review(claim=claim, state=State.PUBLISHED, verdict="false", rationale="Bench.")
        if i % N_PUBLISHED_EVERY == 0
        else Review(claim=claim)
        for i, claim in enumerate(claims)
    )
    return article, claims


def naive_claims_reanchor(*, article: Any, revision: Any, old_text: str) -> None:
    """The obvious implementation: first occurrence of the quote, one save per claim."""
    from annotations.anchoring import Span
    from annotations.models import AnchorState, Claim
    from reviews.services import review_flag_rereview

    claims = list(article.claims.exclude(anchor_state=AnchorState.ORPHANED))
    # Out of the span-unique index first (as the real service does), so that a claim moving
    # onto a span another claim still holds does not turn the baseline into a 409.
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(anchor_state=AnchorState.ORPHANED)
    taken: set[tuple[int, int]] = set()
    for claim in claims:
        p = revision.text.find(claim.exact)
        span = (p, p + len(claim.exact))
        claim.revision = revision
        if p < 0 or span in taken:
            claim.anchor_state, claim.anchor_score = AnchorState.ORPHANED, 0.0
        else:
            taken.add(span)
            moved = p != claim.start
            new = Span.at(revision.text, *span)
            claim.start, claim.end, claim.prefix, claim.suffix = span + (new.prefix, new.suffix)
            claim.anchor_state = AnchorState.REANCHORED if moved else AnchorState.ANCHORED
            claim.anchor_score = 0.9 if moved else 1.0
        claim.save()
        if claim.anchor_state == AnchorState.ORPHANED:
            review_flag_rereview(claim_id=claim.pk, reason="claim orphaned by a new revision")


CPU: list[float] = []  # this process's CPU seconds per timed request (the database's not)


def timed_post(client: Any, *, url: str, text: str) -> float:
    c0, t0 = time.process_time(), time.perf_counter()
    response = client.post(
        "/api/v1/articles/", {"url": url, "title": "Bench", "text": text}, format="json"
    )
    seconds = time.perf_counter() - t0
    CPU.append(time.process_time() - c0)
    assert response.status_code == 200, response.content[:500]
    assert response.data["status"] == "revised", response.data["status"]
    assert len(response.data["claims"]) > 0
    return seconds


def main() -> None:
    args = parse_args()
    connection, old_name = setup_django(sqlite=args.sqlite)
    try:
        run(args, connection)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args: argparse.Namespace, connection: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from annotations.services import articles
    from factcheck.tokens import token_create

    old_text, new_text, spans, truth = make_texts(args.seed, args.claims)
    user = get_user_model().objects.create_user("bench-editor", "bench@example.org", "pw")
    user.groups.add(Group.objects.get(name="editor"))
    client = APIClient()
    _, key = token_create(user=user, name="bench", role="editor", by=None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    if args.profile:
        import cProfile
        import pstats

        url = "https://bench.example.org/profile"
        make_article(client, url=url, text=old_text, spans=spans, by=user)
        with cProfile.Profile() as prof:
            timed_post(client, url=url, text=new_text)
        pstats.Stats(prof).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(40)
        return

    best = best_naive = float("inf")
    fast_cpu: list[float] = []
    last_article = last_claims = None
    real_reanchor = articles.claims_reanchor
    for i in range(max(1, args.repeat)):
        url = f"https://bench.example.org/fast/{i}"
        last_article, last_claims = make_article(
            client, url=url, text=old_text, spans=spans, by=user
        )
        best = min(best, timed_post(client, url=url, text=new_text))
        fast_cpu.append(CPU[-1])

        url = f"https://bench.example.org/naive/{i}"
        make_article(client, url=url, text=old_text, spans=spans, by=user)
        articles.claims_reanchor = naive_claims_reanchor  # type: ignore[assignment]
        try:
            best_naive = min(best_naive, timed_post(client, url=url, text=new_text))
        finally:
            articles.claims_reanchor = real_reanchor

    # Outcome of the last fast run, against the generator's ground truth.
    from annotations.models import Claim

    rows = {c.pk: c for c in Claim.objects.filter(article=last_article)}
    n = len(spans)
    states = Counter(c.anchor_state for c in rows.values())
    placed = [rows[c.pk] for c in last_claims]
    survived = [(c, t) for c, t in zip(placed, truth, strict=True) if t is not None]
    deleted = [c for c, t in zip(placed, truth, strict=True) if t is None]
    accuracy = sum(
        c.anchor_state != "orphaned" and (c.start, c.end) == t for c, t in survived
    ) / max(1, len(survived))
    deleted_orphaned = sum(c.anchor_state == "orphaned" for c in deleted) / max(1, len(deleted))
    flagged = last_article.claims.filter(review__needs_rereview=True).count()
    history_rows = Claim.history.filter(id__in=rows, history_type="~").count()

    # One more run for the query count (capturing queries slows the request a little).
    url = "https://bench.example.org/queries"
    make_article(client, url=url, text=old_text, spans=spans, by=user)
    with CaptureQueriesContext(connection) as queries:
        timed_post(client, url=url, text=new_text)

    print(
        f"database={connection.vendor} text_chars={len(old_text)} "
        f"new_text_chars={len(new_text)} claims={n}"
    )
    print(
        "request: "
        + " ".join(f"{k}={states[k] / n:.3f}" for k in ("anchored", "reanchored", "orphaned"))
        + f" accuracy={accuracy:.4f} deleted_orphaned={deleted_orphaned:.3f}"
        + f" flagged_for_rereview={flagged} history_rows={history_rows}"
        + f" queries={len(queries)}"
    )
    print(f"naive_seconds={best_naive:.4f} naive_claims_per_second={n / best_naive:.0f}")
    # Wall time depends on the machine's load; the request's CPU time in this process much less.
    print(f"python_cpu_seconds={min(fast_cpu):.4f} load_average={os.getloadavg()[0]:.2f}")
    print(f"seconds={best:.4f}")
    print(f"claims_per_second={n / best:.0f}")
    for k in ("anchored", "reanchored", "orphaned"):
        print(f"{k}={states[k] / n:.4f}")
    print(f"ratio_to_naive={best_naive / best:.4f}")


if __name__ == "__main__":
    main()
