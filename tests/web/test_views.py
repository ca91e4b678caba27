"""The desk's pages through Django's test client: auth, queue, reader, panel, forms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from annotations.models import Article, Claim, Evidence, Link
from reviews.workflow import State
from tests.factories import article_create, claim_create

pytestmark = pytest.mark.django_db


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def utf16(text: str, codepoint_offset: int) -> int:
    """What a browser counts: UTF-16 code units before a code point offset."""
    return len(text[:codepoint_offset].encode("utf-16-le")) // 2


def hx(client: Client, method: str, url: str, data: dict | None = None) -> Any:
    call = getattr(client, method)
    return call(url, data or {}, HTTP_HX_REQUEST="true")


# --- Sign in, roles, 403, CSRF ----------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in_and_back(seeded: Article) -> None:
    client = Client()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")
    page = client.get("/accounts/login/")
    assert b"Sign in to the desk" in page.content
    done = client.post(
        "/accounts/login/", {"username": "demo-editor", "password": "factcheck-demo"}
    )
    assert done.status_code == 302 and done["Location"] == "/"
    queue = client.get("/")
    assert b"demo-editor" in queue.content
    assert b'class="role-badge"' in queue.content and b">editor</span>" in queue.content
    out = client.post("/accounts/logout/")
    assert out.status_code == 302 and client.get("/").status_code == 302


def test_wrong_password_says_so(seeded: Article) -> None:
    page = Client().post("/accounts/login/", {"username": "demo-editor", "password": "nope"})
    assert b"Your username and password didn't match." in page.content


def test_user_without_a_role_gets_a_clear_403(outsider: Any, login: Any) -> None:
    response = login(outsider).get("/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>You can't do that here</h1>" in body
    assert "no role on the desk" in body


def test_submitter_cannot_mark_claims(seeded: Article, login: Any) -> None:
    client = login(user("demo-submitter"))
    page = client.get(reverse("web:article", args=[seeded.pk]))
    assert page.status_code == 200 and b"mark-form" not in page.content
    response = hx(client, "post", reverse("web:claim-create", args=[seeded.pk]), {"exact": "NATO"})
    assert response.status_code == 403
    assert b"Only reviewers and editors" in response.content


def test_csrf_is_enforced_with_a_clear_page(seeded: Article) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("demo-reviewer"))
    response = client.post(reverse("web:claim-create", args=[seeded.pk]), {"exact": "Monday"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    page = client.get(reverse("web:article", args=[seeded.pk]))
    token = page.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\''.encode() in page.content


# --- Queue ------------------------------------------------------------------------------------


def test_queue_buckets_with_counts(seeded: Article, login: Any) -> None:
    reviewer = login(user("demo-reviewer"))
    page = reviewer.get("/")
    tabs = dict(page.context["tabs"] and [(b.key, n) for b, n in page.context["tabs"]])
    assert tabs == {"mine": 2, "unassigned": 1, "rereview": 0, "stale": 0, "all": 5}
    assert [c.review.state for c, _ in page.context["rows"]] == ["in_progress", "in_review"]
    editor_tabs = [b.key for b, _ in login(user("demo-editor")).get("/").context["tabs"]]
    assert "in_review" in editor_tabs  # editors approve: their queue has it


def test_queue_filters_live_in_the_url(seeded: Article, login: Any) -> None:
    client = login(user("demo-editor"))
    page = client.get("/", {"tab": "all", "q": "10,000"})
    assert [c.exact for c, _ in page.context["rows"]] == [
        "North Korea is training 10,000 soldiers to support Russia"
    ]
    page = client.get("/", {"tab": "all", "verdict": "true"})
    assert [c.review.state for c, _ in page.context["rows"]] == ["published"]
    page = client.get("/", {"tab": "all", "tag": "kursk"})
    assert len(page.context["rows"]) == 1
    # The tab links keep the filters.
    assert b"?tab=unassigned&amp;tag=kursk" in page.content and b"??" not in page.content
    # htmx asks for the results only.
    fragment = client.get(
        "/", {"tab": "all", "q": "Kursk"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results"
    )
    assert fragment.content.lstrip().startswith(b'<section id="queue-results"')


def test_queue_paginates(reviewer: Any, editor: Any, login: Any) -> None:
    text = " ".join(f"Sentence number {i} says something." for i in range(60))
    article = article_create(by=editor, text=text)
    for i in range(30):
        claim_create(article=article, by=reviewer, exact=f"Sentence number {i} says")
    client = login(reviewer)
    first = client.get("/", {"tab": "unassigned"})
    assert len(first.context["rows"]) == 25
    assert b"Page 1 of 2" in first.content
    second = client.get("/", {"tab": "unassigned", "page": 2})
    assert len(second.context["rows"]) == 5


# --- Reader -----------------------------------------------------------------------------------


def test_reader_nests_highlights_and_lists_orphans(editor: Any, reviewer: Any, login: Any) -> None:
    url = "https://news.example.org/nesting"
    text = "Rutte said more than 600,000 Russian soldiers were hurt. Another sentence here."
    article = article_create(by=editor, text=text, url=url)
    outer = claim_create(article=article, by=reviewer, exact="more than 600,000 Russian soldiers")
    inner = claim_create(article=article, by=reviewer, exact="600,000")
    gone = claim_create(article=article, by=reviewer, exact="Another sentence here.")
    from annotations.services.articles import article_submit

    article_submit(by=editor, title="T", url=url, text=text.replace(" Another sentence here.", ""))
    page = login(reviewer).get(reverse("web:article", args=[article.pk]))
    html = page.content.decode()
    assert re.search(
        rf'data-claim="{outer.pk}"[^>]*data-depth="0"[^>]*>more than <mark[^>]*data-claim="{inner.pk}"[^>]*data-depth="1"',
        html,
    )
    orphaned = html[html.index('id="orphaned-title"') :]
    assert "Another sentence here." in orphaned
    assert f'data-claim="{gone.pk}"' not in html  # not highlighted: it is not in the text
    assert "Legend" in html and "dotted underline" in html


def test_reader_opens_the_claim_of_the_url(seeded: Article, login: Any) -> None:
    claim = seeded.claims.get(review__state=State.IN_REVIEW)
    page = login(user("demo-editor")).get(
        reverse("web:article", args=[seeded.pk]), {"claim": claim.pk}
    )
    html = page.content.decode()
    assert f'data-open-claim="{claim.pk}"' in html
    assert 'data-action="approve"' in html and 'data-action="return"' in html


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("Le café 😀 coûte 3 € — « très cher » selon 👩‍👩‍👧 la famille Müller.", "très cher"),
        ("🇺🇦 Zelensky: «600 000 soldats» 💥 selon l'OTAN, naïvement.", "600 000 soldats"),
        ("Ça a coûté 1 234,56 € à Zoë 😀😀😀 et à Chloé.", "à Chloé"),
    ],
)
def test_mark_claim_converts_browser_utf16_offsets(
    text: str, quote: str, editor: Any, reviewer: Any, login: Any
) -> None:
    article = article_create(by=editor, text=text)
    start = text.index(quote)
    end = start + len(quote)
    client = login(reviewer)
    response = hx(
        client,
        "post",
        reverse("web:claim-create", args=[article.pk]),
        {
            "utf16_start": utf16(text, start),
            "utf16_end": utf16(text, end),
            "exact": quote,
            "claimant": "Someone",
        },
    )
    assert response.status_code == 201, response.content[:500]
    claim = Claim.objects.get(article=article)
    assert (claim.start, claim.end, claim.exact) == (start, end, quote)
    assert response["HX-Push-Url"].endswith(f"?claim={claim.pk}")
    assert f'data-open-claim="{claim.pk}"' in response.content.decode()


def test_mark_claim_refuses_offsets_that_miss_the_quote(seeded: Article, login: Any) -> None:
    client = login(user("demo-reviewer"))
    response = hx(
        client,
        "post",
        reverse("web:claim-create", args=[seeded.pk]),
        {"utf16_start": 0, "utf16_end": 4, "exact": "Rutte"},
    )
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#mark-error"
    assert b"does not match" in response.content
    # Without JavaScript, the same form posts and redirects with the message.
    plain = client.post(reverse("web:claim-create", args=[seeded.pk]), {"exact": "Monday that"})
    assert plain.status_code == 302
    assert Claim.objects.filter(exact="Monday that").exists()


def test_duplicate_claim_is_a_conflict(seeded: Article, login: Any) -> None:
    claim = seeded.claims.first()
    response = hx(
        login(user("demo-reviewer")),
        "post",
        reverse("web:claim-create", args=[seeded.pk]),
        {"exact": claim.exact},
    )
    assert response.status_code == 409
    assert b"A claim already marks characters" in response.content


# --- Claim panel ------------------------------------------------------------------------------


def panel_url(claim: Claim) -> str:
    return reverse("web:claim", args=[claim.pk])


def transition_url(claim: Claim) -> str:
    return reverse("web:claim-transition", args=[claim.pk])


def test_panel_shows_only_the_actions_valid_now(seeded: Article, login: Any) -> None:
    in_review = seeded.claims.get(review__state=State.IN_REVIEW)
    reviewer_panel = hx(login(user("demo-reviewer")), "get", panel_url(in_review)).content.decode()
    assert "data-action=" not in reviewer_panel
    assert "No review action is open to you" in reviewer_panel
    editor_panel = hx(login(user("demo-editor")), "get", panel_url(in_review)).content.decode()
    assert set(re.findall(r'data-action="(\w+)"', editor_panel)) == {"approve", "return"}
    unassigned = seeded.claims.get(review__state=State.UNASSIGNED)
    panel = hx(login(user("demo-reviewer")), "get", panel_url(unassigned)).content.decode()
    assert set(re.findall(r'data-action="(\w+)"', panel)) == {"take"}
    # Without htmx the panel's address is the reader with the claim open.
    assert (
        login(user("demo-reviewer"))
        .get(panel_url(unassigned))["Location"]
        .endswith(f"?claim={unassigned.pk}")
    )


def test_take_add_evidence_submit_approve(seeded: Article, login: Any) -> None:
    claim = seeded.claims.get(review__state=State.UNASSIGNED)
    reviewer = login(user("demo-reviewer"))
    response = hx(
        reviewer, "post", transition_url(claim), {"action": "take", "expected_version": 1}
    )
    assert response.status_code == 200 and b"You took this claim." in response.content
    assert json.loads(response["HX-Trigger"])["claim-updated"]["kind"] == "working"
    response = hx(
        reviewer,
        "post",
        reverse("web:evidence-add", args=[claim.pk]),
        {
            "url": "https://www.reuters.com/world/nk-troops/",
            "stance": "supports",
            "title": "Reuters",
        },
    )
    assert response.status_code == 200 and b"Reuters" in response.content
    claim.review.refresh_from_db()
    response = hx(
        reviewer,
        "post",
        transition_url(claim),
        {
            "action": "submit",
            "expected_version": claim.review.version,
            "verdict": "true",
            "rationale": "Confirmed by three governments.",
        },
    )
    assert response.status_code == 200, response.content[:800]
    claim.review.refresh_from_db()
    assert claim.review.state == State.IN_REVIEW
    response = hx(
        login(user("demo-editor")),
        "post",
        transition_url(claim),
        {"action": "approve", "expected_version": claim.review.version},
    )
    assert response.status_code == 200 and b"Approved and published." in response.content
    assert b"Published view" in response.content
    history = response.content.decode()[response.content.decode().index("History") :]
    assert "approve: in_review -&gt; published" in history
    assert "demo-editor" in history and "demo-reviewer" in history


def test_stale_version_shows_who_changed_it(seeded: Article, login: Any) -> None:
    claim = seeded.claims.get(review__state=State.IN_REVIEW)
    stale = claim.review.version
    editor2 = login(user("demo-editor2"))
    hx(
        editor2,
        "post",
        transition_url(claim),
        {"action": "return", "expected_version": stale, "note": "Which estimate?"},
    )
    response = hx(
        login(user("demo-editor")),
        "post",
        transition_url(claim),
        {"action": "approve", "expected_version": stale},
    )
    assert response.status_code == 412
    body = response.content.decode()
    assert "This claim was changed by demo-editor2" in body
    assert "Reload" in body
    claim.review.refresh_from_db()
    assert claim.review.state == State.RETURNED


def test_invalid_input_is_shown_in_the_panel(seeded: Article, login: Any) -> None:
    claim = seeded.claims.get(review__state=State.IN_PROGRESS)
    response = hx(
        login(user("demo-reviewer")),
        "post",
        transition_url(claim),
        {"action": "submit", "expected_version": claim.review.version, "verdict": "true"},
    )
    assert response.status_code == 400
    assert b"rationale is required" in response.content.lower()
    response = hx(
        login(user("demo-reviewer")),
        "post",
        reverse("web:evidence-add", args=[claim.pk]),
        {"url": "not a url", "stance": "supports"},
    )
    assert response.status_code == 400 and b'class="field-error"' in response.content


def test_evidence_health_badges_and_recheck(
    seeded: Article,
    login: Any,
    queued_tasks: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    claim = seeded.claims.get(review__state=State.IN_REVIEW)
    ev = claim.evidence.select_related("link").first()
    Link.objects.filter(pk=ev.link_id).update(
        health="redirected",
        final_url="https://www.nato.int/new-home/",
        next_check_at=timezone.now() + timedelta(days=1),
    )
    other = claim.evidence.exclude(pk=ev.pk).first()
    Evidence.objects.filter(pk=other.pk).update(
        changed=True, archive_url="https://web.archive.org/x"
    )
    client = login(user("demo-reviewer"))
    body = hx(client, "get", panel_url(claim)).content.decode()
    assert "Moved to" in body and "https://www.nato.int/new-home/" in body
    assert ">changed</span>" in body and "Archived copy" in body
    assert "never checked" in body
    assert queued_tasks() == []
    with django_capture_on_commit_callbacks(execute=True):
        asked = timezone.now()
        response = hx(client, "post", reverse("web:evidence-recheck", args=[ev.pk]))
    assert response.status_code == 200
    assert b"Recheck requested" in response.content
    # Due now, and a check of exactly this link is on the broker's queue.
    link = Link.objects.get(pk=ev.link_id)
    assert asked <= link.next_check_at <= timezone.now()
    assert queued_tasks() == [("annotations.linkhealth.tasks.check_link", [ev.link_id])]
    assert response.content.decode().lstrip().startswith(f'<li class="evidence" id="ev-{ev.pk}"')


# --- Other pages ------------------------------------------------------------------------------


def test_submit_article_form(seeded: Article, login: Any) -> None:
    client = login(user("demo-submitter"))
    assert client.get(reverse("web:article-submit")).status_code == 200
    response = client.post(
        reverse("web:article-submit"),
        {
            "title": "A new one",
            "url": "https://example.org/new",
            "format": "html",
            "body": "<p>Hello <b>world</b></p><script>alert(1)</script>",
        },
        follow=True,
    )
    article = Article.objects.get(title="A new one")
    assert response.redirect_chain[-1][0] == reverse("web:article", args=[article.pk])
    assert b"Article added." in response.content
    assert "alert" not in article.text and "Hello world" in article.text
    empty = client.post(
        reverse("web:article-submit"), {"title": "x", "format": "text", "body": " "}
    )
    assert empty.status_code == 400 and b"field-error" in empty.content


def test_stale_sources_dashboard(seeded: Article, login: Any) -> None:
    from django.utils import timezone

    from annotations.linkhealth.staleness import evidence_staleness_refresh
    from annotations.models import LinkCheck

    published = seeded.claims.get(review__state=State.PUBLISHED)
    link = published.evidence.get(url="https://www.nis.go.kr/").link
    Link.objects.filter(pk=link.pk).update(health="dead", last_checked_at=timezone.now())
    LinkCheck.objects.create(link=link, checked_at=timezone.now(), health="dead", status_code=404)
    evidence_staleness_refresh(link_ids=[link.pk])
    page = login(user("demo-editor")).get(reverse("web:stale"))
    html = page.content.decode()
    assert [g.title for g in page.context["by_host"]] == ["www.nis.go.kr"]
    assert [g.key for g in page.context["by_claim"]] == [str(published.pk)]
    assert '<svg class="chart"' in html and "<title" in html
    assert ">dead</span>" in html


def test_published_view_embeds_claimreview(seeded: Article) -> None:
    published = seeded.claims.get(review__state=State.PUBLISHED)
    page = Client().get(reverse("web:published", args=[published.pk]))
    assert page.status_code == 200
    match = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', page.content.decode(), re.S
    )
    data = json.loads(match.group(1))
    assert data["@type"] == "ClaimReview"
    assert data["reviewRating"]["alternateName"] == "True"
    assert data["url"].endswith(reverse("web:published", args=[published.pk]))
    unpublished = seeded.claims.get(review__state=State.IN_REVIEW)
    assert Client().get(reverse("web:published", args=[unpublished.pk])).status_code == 404


# --- Speed: queries do not grow with claims ----------------------------------------------------


def make_article_with_claims(*, by: Any, reviewer: Any, n: int) -> Article:
    """n sentence claims, a third of them with a nested claim on their figure."""
    sentences = [f"Claim {i} states that {i * 7} units were counted." for i in range(n)]
    text = " ".join(sentences)
    article = article_create(by=by, text=text)
    position = 0
    for i, sentence in enumerate(sentences):
        claim_create(article=article, by=reviewer, exact=sentence)
        if i % 3 == 0:
            figure = f"{i * 7} units"
            start = position + sentence.index(figure)
            claim_create(
                article=article, by=reviewer, exact=figure, start=start, end=start + len(figure)
            )
        position += len(sentence) + 1
    return article


def test_reader_queries_do_not_grow_with_claims(
    editor: Any, reviewer: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    small = make_article_with_claims(by=editor, reviewer=reviewer, n=3)
    big = make_article_with_claims(by=editor, reviewer=reviewer, n=150)
    assert big.claims.count() >= 200
    client = login(reviewer)
    client.get("/")  # warm the session
    for article in (small, big):
        with django_assert_max_num_queries(8):
            page = client.get(reverse("web:article", args=[article.pk]))
        assert page.status_code == 200
    assert page.content.count(b"<mark") >= 200
