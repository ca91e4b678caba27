"""UTF-16 offsets at the API: what a browser's JavaScript counts, in and out."""

import unicodedata

import pytest

from annotations.models import Claim
from tests.factories import article_create

pytestmark = pytest.mark.django_db

# Astral characters (emoji, a flag, a ZWJ family, rare CJK), BMP CJK and combining marks.
TEXT = (
    "Intro 😀 paragraph with a flag 🇺🇦 and a family 👨‍👩‍👧.\n\n"
    "吉野家 and 𠮷野家 are spelled differently; the second uses U+20BB7.\n\n"
    "The q\u0307 and s\u0323\u0307 carry combining marks; Zo\u00eb and Zoe\u0308 differ in form only.\n\n"
    "Minister 🙂 said unemployment fell to 4.1% 📉 in March."
)


def utf16(text: str, cp: int) -> int:
    """A UTF-16 offset as JavaScript computes it."""
    return len(text[:cp].encode("utf-16-le")) // 2


@pytest.fixture
def intl(editor):
    return article_create(by=editor, text=TEXT, url="https://news.example.org/intl")


def mark(client, article, **body):
    return client.post(f"/api/v1/articles/{article.pk}/claims/", body, format="json")


def test_the_stored_text_is_nfc(intl):
    assert intl.text == unicodedata.normalize("NFC", TEXT)
    assert "Zoë and Zoë" in intl.text  # the decomposed ë was composed


@pytest.mark.parametrize(
    "quote",
    [
        "unemployment fell to 4.1% 📉 in March",
        "𠮷野家",
        "flag 🇺🇦",
        "family 👨‍👩‍👧",
        "q\u0307 and s\u0323\u0307",  # q + dot stays two code points; the s composes
        "吉野家",
    ],
)
def test_utf16_offsets_in_and_out(client_for, reviewer, intl, quote):
    text = intl.text
    quote = unicodedata.normalize("NFC", quote)
    cp_start = text.index(quote)
    cp_end = cp_start + len(quote)
    u_start, u_end = utf16(text, cp_start), utf16(text, cp_end)
    response = mark(client_for(reviewer), intl, utf16_start=u_start, utf16_end=u_end)
    assert response.status_code == 201, response.data
    data = response.data
    assert data["exact"] == quote
    assert (data["start"], data["end"]) == (cp_start, cp_end)
    assert (data["utf16_start"], data["utf16_end"]) == (u_start, u_end)
    # JavaScript's text.substring(utf16_start, utf16_end) is the quote.
    units = text.encode("utf-16-le")
    assert units[2 * u_start : 2 * u_end].decode("utf-16-le") == quote


def test_quote_marked_by_code_points_reports_utf16_too(client_for, reviewer, intl):
    response = mark(client_for(reviewer), intl, exact="said unemployment")
    assert response.status_code == 201, response.data
    cp = intl.text.index("said unemployment")
    assert response.data["start"] == cp
    # Eight astral characters come before it (😀, two regional indicators, 👨 👩 👧, 𠮷, 🙂):
    # each is one code point and two UTF-16 units.
    astral_before = sum(1 for ch in intl.text[:cp] if ord(ch) > 0xFFFF)
    assert astral_before == 8
    assert response.data["utf16_start"] == cp + astral_before == utf16(intl.text, cp)


def test_decomposed_quote_matches_the_composed_text(client_for, reviewer, intl):
    decomposed = "Zoe\u0308 and Zoe\u0308 differ"
    response = mark(client_for(reviewer), intl, exact=decomposed)
    assert response.status_code == 201, response.data
    assert response.data["exact"] == unicodedata.normalize("NFC", decomposed)
    assert response.data["end"] - response.data["start"] == len("Zoë and Zoë differ")


def test_utf16_offset_inside_a_surrogate_pair_is_a_400(client_for, reviewer, intl):
    emoji = intl.text.index("😀")
    inside = utf16(intl.text, emoji) + 1
    response = mark(client_for(reviewer), intl, utf16_start=inside, utf16_end=inside + 5)
    assert response.status_code == 400
    assert "surrogate pair" in response.data["utf16_start"][0]
    response = mark(client_for(reviewer), intl, utf16_start=0, utf16_end=inside)
    assert response.status_code == 400
    assert "utf16_end" in response.data
    assert Claim.objects.count() == 0


def test_utf16_and_codepoint_offsets_that_disagree_are_a_400(client_for, reviewer, intl):
    cp = intl.text.index("said unemployment")
    response = mark(
        client_for(reviewer), intl, start=cp, end=cp + 4, utf16_start=cp, utf16_end=cp + 4
    )
    assert response.status_code == 400  # cp is not the UTF-16 offset here: 8 astral before
    assert "utf16_start" in response.data
    agreeing = mark(
        client_for(reviewer),
        intl,
        start=cp,
        end=cp + 4,
        utf16_start=utf16(intl.text, cp),
        utf16_end=utf16(intl.text, cp + 4),
        exact="said",
    )
    assert agreeing.status_code == 201, agreeing.data


def test_utf16_offsets_with_a_quote(client_for, reviewer, intl):
    cp = intl.text.index("𠮷野家")
    response = mark(
        client_for(reviewer),
        intl,
        utf16_start=utf16(intl.text, cp),
        utf16_end=utf16(intl.text, cp + 3),
        exact="𠮷野家",
    )
    assert response.status_code == 201, response.data
    wrong = mark(
        client_for(reviewer),
        intl,
        utf16_start=utf16(intl.text, cp),
        utf16_end=utf16(intl.text, cp + 3),
        exact="吉野家",
    )
    assert wrong.status_code == 400
    assert "𠮷野家" in wrong.data["exact"][0]  # says what the text there is


def test_every_read_returns_utf16_offsets(client_for, reviewer, intl):
    client = client_for(reviewer)
    created = mark(client, intl, exact="unemployment fell").data
    expected = (utf16(intl.text, created["start"]), utf16(intl.text, created["end"]))
    detail = client.get(f"/api/v1/claims/{created['id']}/").data
    listed = client.get("/api/v1/claims/").data["results"][0]
    article = client.get(f"/api/v1/articles/{intl.pk}/").data["claims"][0]
    for data in (created, detail, listed, article):
        assert (data["utf16_start"], data["utf16_end"]) == expected


def test_utf16_offsets_follow_a_revision(client_for, reviewer, submitter, intl):
    client = client_for(reviewer)
    created = mark(client, intl, exact="unemployment fell").data
    new_text = "🎉🎉 Update: " + intl.text
    revised = client_for(submitter).post(
        "/api/v1/articles/", {"url": intl.url, "title": "T", "text": new_text}, format="json"
    )
    assert revised.status_code == 200, revised.data
    claim = revised.data["claims"][0]
    assert claim["id"] == created["id"]
    assert claim["start"] == created["start"] + len("🎉🎉 Update: ")
    assert claim["utf16_start"] == created["utf16_start"] + len("🎉🎉 Update: ") + 2
    assert claim["utf16_start"] == utf16(new_text, claim["start"])


def test_an_orphaned_claim_counts_utf16_in_its_own_revision(client_for, reviewer, submitter, intl):
    # Its offsets point into the revision it was marked on, not the article's current text:
    # every read (one claim, the list, the article, the expanded article list) says the same.
    client = client_for(reviewer)
    created = mark(client, intl, exact="unemployment fell").data
    new_text = "🎉🎉 " + intl.text.replace(
        "Minister 🙂 said unemployment fell to 4.1% 📉", "Nobody"
    )
    revised = client_for(submitter).post(
        "/api/v1/articles/", {"url": intl.url, "title": "T", "text": new_text}, format="json"
    )
    assert revised.status_code == 200, revised.data
    expected = (utf16(TEXT, created["start"]), utf16(TEXT, created["end"]))
    detail = client.get(f"/api/v1/claims/{created['id']}/").data
    listed = client.get("/api/v1/claims/").data["results"][0]
    article = client.get(f"/api/v1/articles/{intl.pk}/").data["claims"][0]
    expanded = client.get("/api/v1/articles/?expand=claims").data["results"][0]["claims"][0]
    for data in (revised.data["claims"][0], detail, listed, article, expanded):
        assert data["id"] == created["id"]
        assert data["anchor_state"] == "orphaned"
        assert data["revision"] == 1
        assert (data["utf16_start"], data["utf16_end"]) == expected
