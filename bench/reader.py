#!/usr/bin/env python3
"""Benchmark the article reader with 200 claims against the same article with none.

Creates a throw-away test database (``test_<name>`` of ``DATABASE_URL``), an article of ~140
sentences with 200 claims (sentences plus nested figures, some of them published), and the
same text as a second article without claims: the baseline is the plain article text through
the same page. It times the server-side render (Django test client, best and median of N),
counts the queries of each page, and, when Debian's Chromium is installed, measures how long
the 200-claim page takes to become interactive in a real browser (navigation start to the
reader module's ready flag) on a local live server.

Run from the repository root:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/factcheck_bench python bench/reader.py``
Nothing leaves 127.0.0.1 (``LINKCHECK_EGRESS_ALLOWLIST=127.0.0.0/8`` is set here too).
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
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop, sync ORM

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def build(claims: int) -> tuple[object, object, object]:
    from annotations.services.articles import article_submit
    from annotations.services.claims import claim_create
    from annotations.services.evidence import evidence_attach
    from reviews.services import review_transition

    user_model = get_user_model()
    editor = user_model.objects.create_user("bench-editor", password="pw")
    editor.groups.add(Group.objects.get(name="editor"))
    editor2 = user_model.objects.create_user("bench-editor2", password="pw")
    editor2.groups.add(Group.objects.get(name="editor"))
    sentences = [
        f"Officials in région {i} said that {i * 7} units 😀 were counted in {2000 + i % 24}."
        for i in range(140)
    ]
    text = "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))
    article = article_submit(by=editor, title="Bench: 200 claims", text=text).article
    plain = article_submit(by=editor, title="Bench: no claims", text=text).article
    made, position = 0, 0
    for i, sentence in enumerate(sentences):
        position = text.index(sentence, position)
        if made < claims:
            claim = claim_create(
                article=article,
                by=editor,
                exact=sentence,
                start=position,
                end=position + len(sentence),
            )
            made += 1
            if i % 10 == 0:  # a few published, with evidence, for every colour
                evidence_attach(
                    claim=claim, by=editor, url=f"http://127.0.0.1:9/s/{i}", stance="supports"
                )
                for actor, action, extra in (
                    (editor, "take", {}),
                    (editor, "submit", {"verdict": "mostly_true", "rationale": "Checked."}),
                    (editor2, "approve", {}),
                ):
                    claim.review.refresh_from_db()
                    review_transition(
                        review_id=claim.review.pk,
                        by=actor,
                        action=action,
                        expected_version=claim.review.version,
                        **extra,
                    )
        figure = f"{i * 7} units"
        at = text.index(figure, position)
        if made < claims:
            claim_create(article=article, by=editor, exact=figure, start=at, end=at + len(figure))
            made += 1
        position += len(sentence)
    return editor, article, plain


def time_render(client: Client, url: str, runs: int) -> tuple[float, float, int, int]:
    client.get(url)  # warm caches and templates
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return min(samples), statistics.median(samples), len(queries), len(response.content)


def time_interactive(url_path: str, session_cookie: str, runs: int) -> float | None:
    if not Path(CHROMIUM).exists():
        return None
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    # The data is committed, so the server thread reads it through its own connection.
    server = LiveServerThread("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    base = f"http://127.0.0.1:{server.port}"
    from playwright.sync_api import sync_playwright

    times = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_cookies([{"name": "sessionid", "value": session_cookie, "url": base}])
            page = context.new_page()
            page.goto(base + url_path)  # warm the static files
            if "data-reader-ready" not in page.content():
                raise RuntimeError(f"the reader did not load: {page.url}")
            for _ in range(runs):
                page.goto(base + url_path)
                page.wait_for_selector("html[data-reader-ready]", state="attached")
                ms = page.evaluate("performance.now()")  # since navigation start
                times.append(ms)
            browser.close()
    finally:
        server.terminate()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        editor, article, plain = build(args.claims)
        client = Client()
        client.force_login(editor)
        n_claims = article.claims.count()
        best, median, queries, size = time_render(client, f"/articles/{article.pk}/", args.runs)
        p_best, p_median, p_queries, p_size = time_render(
            client, f"/articles/{plain.pk}/", args.runs
        )
        print(f"text_chars={len(article.text)} claims={n_claims} runs={args.runs}")
        print(
            f"reader_200: best_ms={best * 1000:.1f} median_ms={median * 1000:.1f} "
            f"queries={queries} bytes={size}"
        )
        print(
            f"plain_text: best_ms={p_best * 1000:.1f} median_ms={p_median * 1000:.1f} "
            f"queries={p_queries} bytes={p_size}"
        )
        interactive = time_interactive(
            f"/articles/{article.pk}/", client.cookies["sessionid"].value, runs=5
        )
        if interactive is None:
            print("interactive_ms=skipped (no /usr/bin/chromium)")
        else:
            print(
                f"interactive_ms={interactive:.0f} (navigation start to reader ready, "
                "Chromium, median of 5)"
            )
        print(f"seconds={median:.4f}")
        print(f"ratio_to_plain_text={median / p_median:.4f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
