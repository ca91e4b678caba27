"""New article text: a new revision, and every claim re-anchored, flagged or orphaned."""

import pytest
from django.core import mail
from django.urls import reverse

from annotations.models import Article, ArticleRevision, Claim
from reviews.models import Review
from reviews.workflow import State
from tests.api.conftest import publish
from tests.factories import ARTICLE_TEXT, article_create, claim_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]

URL = "https://news.example.org/2024/kursk"


def resubmit(client, text, url=URL, **extra):
    body = {"url": url, "title": "T", "text": text, **extra}
    return client.post("/api/v1/articles/", body, format="json")


def by_id(response):
    return {c["id"]: c for c in response.data["claims"]}


def test_moved_claim_is_anchored_in_the_new_revision(client_for, submitter, claim):
    new_text = "Updated 5 November.\n\n" + ARTICLE_TEXT
    response = resubmit(client_for(submitter), new_text)
    assert response.status_code == 200, response.data
    assert response.data["status"] == "revised"
    assert response.data["current_revision"] == 2
    moved = by_id(response)[str(claim.pk)]
    shift = len("Updated 5 November.\n\n")
    assert (moved["start"], moved["end"]) == (claim.start + shift, claim.end + shift)
    assert moved["exact"] == claim.exact
    assert moved["anchor_state"] == "anchored" and moved["anchor_score"] == 1.0
    assert moved["revision"] == 2
    assert new_text[moved["start"] : moved["end"]] == moved["exact"]
    # Nothing was overwritten: both texts are kept.
    texts = list(ArticleRevision.objects.order_by("number").values_list("text", flat=True))
    assert texts == [ARTICLE_TEXT, new_text]
    review = Review.objects.get(claim=claim)
    assert not review.needs_rereview  # the words did not change, only their place


def test_re_anchoring_is_recorded_in_the_claims_history(client_for, submitter, claim):
    resubmit(client_for(submitter), "Updated.\n\n" + ARTICLE_TEXT)
    latest = Claim.history.filter(id=claim.pk).order_by("-history_date", "-history_id").first()
    assert latest.history_type == "~"
    assert latest.history_user == submitter
    assert latest.start == claim.start + len("Updated.\n\n")
    assert "revision 2" in latest.history_change_reason
    assert Claim.history.filter(id=claim.pk).count() == 2  # created, re-anchored


def test_changed_words_are_reanchored_and_flagged_for_rereview(client_for, submitter, claim):
    new_text = ARTICLE_TEXT.replace("training 10,000 soldiers", "training 12,000 soldiers")
    response = resubmit(client_for(submitter), new_text)
    moved = by_id(response)[str(claim.pk)]
    assert moved["anchor_state"] == "reanchored"
    assert 0 < moved["anchor_score"] < 1
    assert moved["exact"] == "North Korea is training 12,000 soldiers"
    review = Review.objects.get(claim=claim)
    assert review.state == State.UNASSIGNED  # any state is flagged, not only published
    assert review.needs_rereview
    assert "10,000" in review.rereview_reason and "12,000" in review.rereview_reason
    assert moved["review"]["needs_rereview"] is True
    assert review.history.first().history_type == "~"


def test_whitespace_only_change_is_not_a_change_of_words(client_for, submitter, claim):
    new_text = ARTICLE_TEXT.replace("North Korea is training", "North Korea  is training")
    response = resubmit(client_for(submitter), new_text)
    moved = by_id(response)[str(claim.pk)]
    assert moved["exact"] == "North Korea  is training 10,000 soldiers"
    assert not Review.objects.get(claim=claim).needs_rereview


def test_published_review_owners_are_told(
    client_for, submitter, reviewer, claim, editor, django_capture_on_commit_callbacks
):
    publish(claim, reviewer=reviewer, editor=editor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        resubmit(client_for(submitter), ARTICLE_TEXT.replace("10,000", "11,000"))
    assert Review.objects.get(claim=claim).needs_rereview
    # Named by what readers see: the published verdict on the words it was checked on.
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[editor.email].startswith(
        "[factcheck] False on “North Korea is training 10,000 soldiers” needs re-review: "
        "revision 2 changed the quoted words: “North Korea is training 10,000"
    )


def test_deleted_passage_orphans_the_claim_which_stays_listed(
    client_for, submitter, reviewer, claim
):
    new_text = ARTICLE_TEXT[: ARTICLE_TEXT.index("\n\nZelensky")]
    response = resubmit(client_for(submitter), new_text)
    assert response.status_code == 200
    orphan = by_id(response)[str(claim.pk)]
    assert orphan["anchor_state"] == "orphaned" and orphan["anchor_score"] == 0
    # The last quote is kept, with offsets into the revision it was last anchored in.
    assert orphan["exact"] == claim.exact
    assert orphan["revision"] == 1
    assert ARTICLE_TEXT[orphan["start"] : orphan["end"]] == claim.exact
    assert Review.objects.get(claim=claim).needs_rereview
    listed = client_for(reviewer).get("/api/v1/claims/?anchor_state=orphaned")
    assert [c["id"] for c in listed.data["results"]] == [str(claim.pk)]
    assert client_for(reviewer).get("/api/v1/claims/?anchor_state=anchored").data["results"] == []
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_an_orphan_comes_back_when_its_passage_does(client_for, submitter, claim):
    client = client_for(submitter)
    resubmit(client, ARTICLE_TEXT[: ARTICLE_TEXT.index("\n\nZelensky")])
    resubmit(client, "Third version.\n\n" + ARTICLE_TEXT)
    claim.refresh_from_db()
    assert claim.anchor_state == "reanchored"
    assert claim.revision.number == 3
    assert claim.start == ARTICLE_TEXT.index(claim.exact) + len("Third version.\n\n")


def test_orphan_stays_orphaned_through_unrelated_revisions(client_for, submitter, claim):
    client = client_for(submitter)
    short = ARTICLE_TEXT[: ARTICLE_TEXT.index("\n\nZelensky")]
    resubmit(client, short)
    resubmit(client, short + "\n\nA correction was appended.")
    claim.refresh_from_db()
    assert claim.anchor_state == "orphaned"
    assert claim.revision.number == 1


def test_two_claims_landing_on_one_span_keep_one_and_orphan_the_other(
    client_for, submitter, reviewer, article
):
    text = article.text
    # Two claims that differ only by a word the new revision removes.
    a = claim_create(article=article, by=reviewer, exact="North Korean troops were sent")
    b = claim_create(article=article, by=reviewer, exact="North Korean troops were sent to")
    response = resubmit(client_for(submitter), text.replace("were sent to", "were sent"))
    assert response.status_code == 200, response.data
    states = {c["id"]: c["anchor_state"] for c in response.data["claims"]}
    assert states[str(a.pk)] == "anchored"
    assert states[str(b.pk)] == "orphaned"


def test_claims_trading_places_do_not_collide(client_for, submitter, reviewer, editor):
    first, second = "Alpha says the bridge is closed.", "Omega says the tunnel is closed."
    article = article_create(by=editor, text=f"{first}\n\n{second}", url=URL)
    a = claim_create(article=article, by=reviewer, exact="the bridge is closed")
    b = claim_create(article=article, by=reviewer, exact="the tunnel is closed")
    swapped = f"{second}\n\n{first}"
    response = resubmit(client_for(submitter), swapped)
    assert response.status_code == 200, response.data
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.start, a.end) == (swapped.index(a.exact), swapped.index(a.exact) + len(a.exact))
    assert (b.start, b.end) == (swapped.index(b.exact), swapped.index(b.exact) + len(b.exact))
    # The spans traded exactly: each moved onto the other's old offsets.
    assert (a.start, b.start) == (first.index("the") + len(second) + 2, second.index("the"))
    assert {a.anchor_state, b.anchor_state} <= {"anchored", "reanchored"}


def test_nested_and_overlapping_claims_re_anchor_independently(client_for, submitter, reviewer):
    client = client_for(reviewer)
    article = article_create(by=reviewer, url=URL)
    outer = "North Korea is training 10,000 soldiers to support Russia"
    spans = [outer, "North Korea is", "10,000 soldiers", "training 10,000", "soldiers to support"]
    ids = []
    for quote in spans:
        response = client.post(
            f"/api/v1/articles/{article.pk}/claims/", {"exact": quote}, format="json"
        )
        assert response.status_code == 201, response.data
        ids.append(response.data["id"])
    new_text = "Breaking.\n\n" + ARTICLE_TEXT
    response = resubmit(client_for(submitter), new_text)
    claims = by_id(response)
    for claim_id, quote in zip(ids, spans, strict=True):
        c = claims[claim_id]
        assert c["anchor_state"] == "anchored"
        assert new_text[c["start"] : c["end"]] == quote


def test_same_text_again_is_no_revision(client_for, submitter, claim):
    client = client_for(submitter)
    crlf = ARTICLE_TEXT.replace("\n", "\r\n")
    for text in (ARTICLE_TEXT, crlf):
        response = resubmit(client, text)
        assert response.data["status"] == "unchanged"
    assert ArticleRevision.objects.count() == 1
    assert Claim.history.filter(id=claim.pk).count() == 1


def test_revision_request_query_count_does_not_grow_with_claims(
    client_for, submitter, reviewer, editor, django_assert_max_num_queries
):
    import re

    def article_with_claims(url, n):
        article = article_create(by=editor, url=url)
        for word in list(re.finditer(r"\w{4,}", article.text))[:n]:
            claim_create(article=article, by=reviewer, exact=word.group(), start=word.start())
        return article

    client = client_for(submitter)
    counts = []
    for url, n in (("https://example.org/few", 3), ("https://example.org/many", 25)):
        article_with_claims(url, n)
        # Changes words of claims in both articles ("NATO" is the first claim of each).
        edited = ARTICLE_TEXT.replace("NATO", "Nato").replace("600,000", "610,000")
        with django_assert_max_num_queries(60) as queries:
            response = resubmit(client, edited, url=url)
        assert response.data["status"] == "revised"
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1], counts


def test_html_submission_end_to_end(client_for, submitter, reviewer):
    html = (
        "<article><h1>Jobs report</h1>"
        "<p>The minister said unemployment <b>fell</b> to 4.1% in March.</p>"
        "<script>alert('x')</script>"
        "<ul><li>Critics disagree.</li><li>Economists are split.</li></ul></article>"
    )
    client = client_for(submitter)
    created = client.post(
        "/api/v1/articles/",
        {"url": "https://example.org/jobs", "title": "Jobs", "html": html},
        format="json",
    )
    assert created.status_code == 201, created.data
    text = created.data["text"]
    assert text == (
        "Jobs report\n\nThe minister said unemployment fell to 4.1% in March.\n\n"
        "Critics disagree.\nEconomists are split."
    )
    marked = client_for(reviewer).post(
        f"/api/v1/articles/{created.data['id']}/claims/",
        {"exact": "unemployment fell to 4.1%"},
        format="json",
    )
    assert marked.status_code == 201, marked.data
    revised_html = html.replace("<h1>Jobs report</h1>", "<h1>Jobs report</h1><p>Updated.</p>")
    revised = client.post(
        "/api/v1/articles/",
        {"url": "https://example.org/jobs", "title": "Jobs", "html": revised_html},
        format="json",
    )
    assert revised.data["status"] == "revised"
    claim = revised.data["claims"][0]
    assert claim["anchor_state"] == "anchored"
    assert claim["start"] == marked.data["start"] + len("Updated.\n\n")
    assert revised.data["text"][claim["start"] : claim["end"]] == "unemployment fell to 4.1%"
    # The same HTML again is the same text: no revision.
    again = client.post(
        "/api/v1/articles/",
        {"url": "https://example.org/jobs", "title": "Jobs", "html": revised_html},
        format="json",
    )
    assert again.data["status"] == "unchanged"


# --- Admin -----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user("root", "editor", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.admin = admin
    return client


def admin_form(article, **changes):
    data = {
        "url": article.url or "",
        "title": article.title,
        "byline": article.byline,
        "publisher": article.publisher,
        "published_at_0": "",
        "published_at_1": "",
        "language": article.language,
        "text": article.text,
        "revisions-TOTAL_FORMS": "1",
        "revisions-INITIAL_FORMS": "1",
        "revisions-MIN_NUM_FORMS": "0",
        "revisions-MAX_NUM_FORMS": "1000",
    }
    revision = article.revisions.get(number=1)
    data["revisions-0-id"] = str(revision.pk)
    data["revisions-0-article"] = str(article.pk)
    data.update(changes)
    return data


def test_admin_text_edit_is_a_new_revision_and_re_anchors(admin_client, claim):
    article = claim.article
    url = reverse("admin:annotations_article_change", args=[article.pk])
    # A browser's textarea sends CRLF line ends.
    new_text = ("Correction appended.\n\n" + ARTICLE_TEXT).replace("\n", "\r\n")
    response = admin_client.post(url, admin_form(article, text=new_text, title="Kursk"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.title == "Kursk"
    assert article.current_revision == 2
    assert article.text == "Correction appended.\n\n" + ARTICLE_TEXT
    assert list(article.revisions.values_list("number", flat=True)) == [1, 2]
    assert article.revisions.get(number=1).text == ARTICLE_TEXT
    claim.refresh_from_db()
    assert claim.revision.number == 2 and claim.anchor_state == "anchored"
    assert article.text[claim.start : claim.end] == claim.exact
    assert claim.history.first().history_user == admin_client.admin


def test_admin_save_with_the_same_text_adds_no_revision(admin_client, claim):
    article = claim.article
    url = reverse("admin:annotations_article_change", args=[article.pk])
    crlf = article.text.replace("\n", "\r\n")
    response = admin_client.post(url, admin_form(article, text=crlf, publisher="AP"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.publisher == "AP"
    assert article.current_revision == 1
    assert ArticleRevision.objects.filter(article=article).count() == 1


def test_admin_refuses_bad_text_with_a_form_error(admin_client, article, settings):
    url = reverse("admin:annotations_article_change", args=[article.pk])
    settings.ARTICLE_MAX_TEXT_CHARS = 50
    response = admin_client.post(url, admin_form(article, text="x" * 60))
    assert response.status_code == 200
    assert "limit" in str(response.context["adminform"].form.errors["text"])
    response = admin_client.post(url, admin_form(article, text="   "))
    assert response.status_code == 200
    assert "text" in response.context["adminform"].form.errors
    assert Article.objects.get(pk=article.pk).current_revision == 1


def test_admin_add_creates_revision_one(admin_client):
    url = reverse("admin:annotations_article_add")
    data = {
        "url": "",
        "title": "Added",
        "byline": "",
        "publisher": "",
        "published_at_0": "",
        "published_at_1": "",
        "language": "en",
        "text": "Line one.\r\nLine two.",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
        "revisions-MIN_NUM_FORMS": "0",
        "revisions-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get(title="Added")
    assert article.text == "Line one.\nLine two."
    assert article.revisions.get().number == 1
