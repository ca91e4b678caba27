#!/usr/bin/env python3
"""Benchmark claim search at 500,000 claims against 10,000: the queue page with a search and
`GET /api/v1/claims/?search=`, and EXPLAIN of the search query (the GIN index `claim_search`).

Creates a throw-away test database (``test_<name>`` of ``DATABASE_URL``, PostgreSQL), inserts
10,000 claims (with their articles, revisions and reviews) by `INSERT ... SELECT
generate_series` inside the database (the search triggers fill `search_vector` as they would
for any write), times the requests (Django test client, an editor signed in, median of N),
then grows the same database to 500,000 claims, ANALYZEs and times them again.

What is searched: a claimant's surname. Claimants are drawn so that each surname is said by
~50 claims whatever the size (a bigger archive has more people in it, not more claims per
person): the realistic search of a desk ("Okonkwo"), whose matches do not grow with the
archive. Also printed, not part of the goal: a word common to 1 in 40 claims, whose matches
(and so the ranking work) grow with the archive.

Prints `ratio_500k_to_10k=R` for each request (goal: at most 3) and the worst of them.
Run from the repository root:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/factcheck_bench python bench/search.py``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ["LINKCHECK_EGRESS_ALLOWLIST"] = "127.0.0.0/8"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

CLAIMS_PER_ARTICLE = 20
CLAIMS_PER_SURNAME = 50
WORDS = [
    "budget",
    "minister",
    "unemployment",
    "inflation",
    "river",
    "flooded",
    "bridge",
    "election",
    "votes",
    "turnout",
    "hospital",
    "vaccine",
    "schools",
    "teachers",
    "taxes",
    "border",
    "troops",
    "casualties",
    "exports",
    "wheat",
    "prices",
    "fuel",
    "subsidy",
    "pension",
    "growth",
    "deficit",
    "housing",
    "rent",
    "police",
    "crime",
    "report",
    "census",
    "migrants",
    "drought",
    "harvest",
    "rainfall",
    "emissions",
    "coal",
    "solar",
    "wind",
    "grid",
    "outage",
    "railway",
    "airport",
    "debt",
]
FIRST = ["Chidi", "Ana", "José", "María", "Zoë", "Łukasz", "Søren", "Nguyễn", "Amélie", "Gabriel"]
COMMON = "inflation"  # one word in 40: its matches grow with the archive


def surname(k: int) -> str:
    # Fixed width: no surname is a prefix of another (search matches word prefixes).
    return f"Okon{k:07d}"


def insert(start: int, stop: int, editor_id: int) -> None:
    """Claims start..stop-1 (and their articles, revisions, reviews), inside the database."""
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    first = "ARRAY[" + ",".join(f"'{w}'" for w in FIRST) + "]"
    a0, a1 = start // CLAIMS_PER_ARTICLE, stop // CLAIMS_PER_ARTICLE
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO annotations_article (id, url, title, byline, publisher, language, text,
              content_hash, current_revision, created_at, updated_at, created_by_id,
              fetch_error, fetch_lease_owner, fetch_message, fetch_state, text_source)
            SELECT md5('article' || a)::uuid, NULL,
              'Report ' || a || ' on ' || ({words})[1 + mod(a, {len(WORDS)})] || ' in Bogotá',
              '', '', 'en', repeat('Lorem ipsum dolor sit amet. ', 90), md5('t' || a), 1,
              now() - (a || ' minutes')::interval, now(), %s, '', '', '', 'ready', 'submitted'
            FROM generate_series(%s, %s - 1) AS a
            """,
            [editor_id, a0, a1],
        )
        cursor.execute(
            """
            INSERT INTO annotations_articlerevision (number, text, content_hash, created_at,
              article_id, created_by_id, origin)
            SELECT 1, repeat('Lorem ipsum dolor sit amet. ', 90), md5('t' || a), now(),
              md5('article' || a)::uuid, %s, 'submitted'
            FROM generate_series(%s, %s - 1) AS a
            """,
            [editor_id, a0, a1],
        )
        cursor.execute(
            f"""
            INSERT INTO annotations_claim (id, start, "end", exact, prefix, suffix, claimant,
              summary, tags, anchor_state, anchor_score, created_at, updated_at, article_id,
              created_by_id, revision_id, version, has_stale_evidence)
            SELECT md5('claim' || i)::uuid, q.start, q.start + length(q.exact), q.exact, '', '',
              ({first})[1 + mod(i, {len(FIRST)})] || ' ' || 'Okon' || lpad((i / {CLAIMS_PER_SURNAME})::text, 7, '0'),
              CASE WHEN mod(i, 3) = 0 THEN 'The ' || ({words})[1 + mod(i * 7, {len(WORDS)})] || ' claim restated' ELSE '' END,
              jsonb_build_array(({words})[1 + mod(i * 11, {len(WORDS)})]),
              'anchored', 1.0, now() - (i || ' seconds')::interval, now(),
              md5('article' || (i / {CLAIMS_PER_ARTICLE}))::uuid, %s, r.id, 1, false
            FROM generate_series(%s, %s - 1) AS i
            CROSS JOIN LATERAL (SELECT mod(i, {CLAIMS_PER_ARTICLE}) * 100 AS start,
              'Claim ' || i || ': ' || ({words})[1 + mod(i * 3, {len(WORDS)})] || ' ' ||
              ({words})[1 + mod(i * 5, {len(WORDS)})] || ' rose by ' || mod(i, 97) || ' percent' ||
              CASE WHEN mod(i, 40) = 0 THEN ' amid {COMMON}' ELSE '' END AS exact) AS q
            JOIN annotations_articlerevision r
              ON r.article_id = md5('article' || (i / {CLAIMS_PER_ARTICLE}))::uuid
            """,
            [editor_id, start, stop],
        )
        cursor.execute(
            """
            INSERT INTO reviews_review (state, verdict, rationale, note, needs_rereview,
              rereview_reason, version, created_at, updated_at, claim_id, notice, priority,
              assignee_id, due_at)
            SELECT CASE WHEN mod(i, 4) = 0 THEN 'in_progress' ELSE 'unassigned' END, '', '', '',
              false, '', 1, now(), now() - (i || ' seconds')::interval,
              md5('claim' || i)::uuid, '', mod(i, 4),
              CASE WHEN mod(i, 4) = 0 THEN %s END,
              CASE WHEN mod(i, 5) = 0 THEN now() + ((mod(i, 30) - 10) || ' days')::interval END
            FROM generate_series(%s, %s - 1) AS i
            """,
            [editor_id, start, stop],
        )
        cursor.execute("ANALYZE")


def timed(client: Client, url: str, runs: int) -> float:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def explain(term: str) -> str:
    from annotations.models import Claim
    from annotations.search import claims_search

    query = claims_search(Claim.objects.all(), term).order_by("-search_rank", "-created_at")[:50]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/search.py measures PostgreSQL's search: set DATABASE_URL=postgres://...")

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        editor = get_user_model().objects.create_user("bench-editor", password="pw")
        editor.groups.add(Group.objects.get(name="editor"))
        client = Client()
        client.force_login(editor)
        name = surname(3)
        requests = {
            "queue_search": f"/?tab=all&q={name}",
            "api_search": f"/api/v1/claims/?search={name}",
            "api_search_accented": "/api/v1/claims/?search=zoe+" + name,
            "api_search_common_word": f"/api/v1/claims/?search={COMMON}",
        }
        results: dict[int, dict[str, float]] = {}
        done = 0
        for size in (args.small, args.large):
            began = time.perf_counter()
            insert(done, size, editor.pk)
            done = size
            print(f"claims={size} built_in_s={time.perf_counter() - began:.1f}")
            results[size] = {key: timed(client, url, args.runs) for key, url in requests.items()}
            for key, seconds in results[size].items():
                print(f"  {key}: median_ms={seconds * 1000:.1f}")
        print(f"EXPLAIN ANALYZE of the search for {name!r} at {args.large} claims:")
        plan = explain(name)
        print("\n".join("  " + line for line in plan.splitlines()))
        print(f"gin_index_used={'claim_search' in plan}")
        worst = 0.0
        for key in requests:
            ratio = results[args.large][key] / results[args.small][key]
            goal = "" if key == "api_search_common_word" else " (goal <= 3)"
            print(f"ratio_500k_to_10k_{key}={ratio:.2f}{goal}")
            if key != "api_search_common_word":
                worst = max(worst, ratio)
        print(f"ratio_500k_to_10k={worst:.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
