"""Main text and metadata of fetched pages: annotations.extraction (pure, no database), and
`manage.py extract_article`."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from annotations.extraction import Problem, extract, extract_pdf

NOW = datetime(2026, 1, 1, tzinfo=UTC)

PARAGRAPHS = [
    "The city council voted on Tuesday to raise the budget for public libraries by twelve "
    "percent, the largest increase in a decade, after a long debate about opening hours.",
    "Supporters said the money would keep branches open on Sundays and pay for new staff. "
    "Opponents argued that the city had other priorities, including road repairs and "
    "housing, and that the libraries had not shown how many visitors they had lost.",
    "The mayor, who had promised the increase during her campaign, said the vote showed "
    "that residents valued places where anyone can read, study or simply stay warm. "
    "She added that the council would review the results in two years.",
    "The library service will publish its first report on visitor numbers in the spring, "
    "and the council has asked for figures on every branch, not only the central one.",
]


def article_html(
    *,
    head: str = "",
    body_top: str = "",
    paragraphs: list[str] = PARAGRAPHS,
    lang: str = "en",
    charset: str = "utf-8",
) -> str:
    ps = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    nav = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(8))
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="{charset}"><title>Libraries get more money - The Gazette</title>
{head}</head>
<body><header><nav><ul>{nav}</ul></nav></header>
<main><article><h1>Libraries get more money</h1>{body_top}
{ps}
</article></main>
<footer><p>Copyright The Gazette. All rights reserved.</p></footer></body></html>"""


def jsonld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


NEWS = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": "Council raises library budget",
    "author": [{"@type": "Person", "name": "Ada Lovelace"}, {"name": "Grace Hopper"}],
    "datePublished": "2025-03-04T09:30:00+01:00",
    "dateModified": "2025-03-05T10:00:00Z",
    "publisher": {"@type": "NewsMediaOrganization", "name": "The Gazette"},
    "inLanguage": "en-GB",
}


def test_json_ld_news_article_gives_the_metadata_and_the_main_text() -> None:
    e = extract(article_html(head=jsonld(NEWS)).encode(), content_type="text/html", now=NOW)
    assert e.problem == ""
    assert e.title == "Council raises library budget"
    assert e.byline == "Ada Lovelace, Grace Hopper"
    assert e.published_at == datetime(2025, 3, 4, 8, 30, tzinfo=UTC)
    assert e.modified_at == datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
    assert e.publisher == "The Gazette"
    assert e.language == "en-GB"
    assert e.source == "html"
    assert e.text == "\n\n".join(PARAGRAPHS)  # no nav, no footer, no headline


def test_json_ld_in_a_graph_is_found() -> None:
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebSite"}, NEWS]}
    e = extract(article_html(head=jsonld(graph)), now=NOW)
    assert e.title == "Council raises library budget"
    assert e.byline == "Ada Lovelace, Grace Hopper"


def test_opengraph_and_meta_tags_when_there_is_no_json_ld() -> None:
    head = (
        '<meta property="og:title" content="Libraries get more money">'
        '<meta property="og:type" content="article">'
        '<meta property="og:site_name" content="The Gazette">'
        '<meta name="author" content="By Ada Lovelace">'
        '<meta property="article:published_time" content="2024-11-02T08:00:00Z">'
        '<meta property="article:modified_time" content="2024-11-03">'
    )
    e = extract(article_html(head=head, lang="fr-fr"), now=NOW)
    assert e.title == "Libraries get more money"
    assert e.publisher == "The Gazette"
    assert e.byline == "Ada Lovelace"
    assert e.published_at == datetime(2024, 11, 2, 8, 0, tzinfo=UTC)
    assert e.modified_at == datetime(2024, 11, 3, tzinfo=UTC)
    assert e.language == "fr-FR"


def test_htmldate_finds_a_date_the_markup_does_not_declare() -> None:
    top = '<p class="date">Published <time datetime="2023-06-15">15 June 2023</time></p>'
    e = extract(article_html(body_top=top), now=NOW)
    assert e.published_at == datetime(2023, 6, 15, tzinfo=UTC)


def test_paragraph_breaks_and_line_breaks_are_kept() -> None:
    paragraphs = [
        *PARAGRAPHS[:2],
        "Opening hours from April:<br>Monday to Friday, 9 to 20.<br>Sunday, 10 to 16.",
        PARAGRAPHS[2],
    ]
    e = extract(article_html(paragraphs=paragraphs), now=NOW)
    assert e.text.split("\n\n") == [
        PARAGRAPHS[0],
        PARAGRAPHS[1],
        "Opening hours from April:\nMonday to Friday, 9 to 20.\nSunday, 10 to 16.",
        PARAGRAPHS[2],
    ]


def test_the_same_bytes_always_give_the_same_text() -> None:
    page = article_html(head=jsonld(NEWS)).encode()
    first = extract(page, now=NOW)
    other = extract(article_html(paragraphs=PARAGRAPHS[::-1]).encode(), now=NOW)
    again = extract(page, now=NOW)
    assert first == again
    assert other.text != first.text


def test_json_ld_that_lies_is_ignored_not_stored() -> None:
    lie = dict(NEWS, headline="Breaking " * 1250, datePublished="1900-01-01T00:00:00Z")
    lie["dateModified"] = "2999-01-01"
    head = jsonld(lie) + '<meta property="og:title" content="Libraries get more money">'
    e = extract(article_html(head=head), now=NOW)
    assert e.problem == ""
    assert e.title == "Libraries get more money"
    assert e.published_at is None
    assert e.modified_at is None
    assert e.byline == "Ada Lovelace, Grace Hopper"  # what was plausible stays
    assert any("headline" in w for w in e.warnings)
    assert any("datePublished" in w for w in e.warnings)


def test_a_body_only_in_json_ld_is_used_when_the_page_has_no_text() -> None:
    body = " ".join(PARAGRAPHS)
    page = f"""<html><head><title>Libraries</title>{jsonld(dict(NEWS, articleBody=body))}
<meta name="description" content="{body[:200]}"></head>
<body><div id="app"></div><noscript>{body[:200]}</noscript></body></html>"""
    e = extract(page, now=NOW)
    assert e.problem == ""
    assert e.source == "json-ld"
    assert e.text == body


def test_an_article_body_with_markup_is_not_plausible() -> None:
    body = "<p>" + "</p><p>".join(PARAGRAPHS) + "</p>"
    page = (
        f"<html><head>{jsonld(dict(NEWS, articleBody=body))}</head><body><div></div></body></html>"
    )
    e = extract(page, now=NOW)
    assert e.problem == Problem.NO_TEXT
    assert e.text == ""
    assert e.title == "Council raises library budget"


def test_a_front_page_is_no_article() -> None:
    teasers = "".join(
        f'<div class="teaser"><h2><a href="/news/{i}">Story number {i} about the city '
        f"council and its budget</a></h2></div>"
        for i in range(40)
    )
    page = f"""<html lang="en"><head><title>The Gazette - news</title>
<meta property="og:type" content="website"></head><body><main>{teasers}</main></body></html>"""
    e = extract(page, now=NOW)
    assert e.problem == Problem.NO_ARTICLE
    assert e.text == ""
    assert e.message


def test_an_empty_page_has_no_main_text() -> None:
    e = extract(b"<html><head><title>x</title></head><body></body></html>", now=NOW)
    assert (e.problem, e.text) == (Problem.NO_TEXT, "")


def test_a_login_wall_is_named() -> None:
    page = """<html><head><title>Sign in - The Gazette</title></head><body>
<form action="/login"><p>Sign in to continue reading this article.</p>
<input name="user"><input type="password" name="pw"><button>Log in</button></form>
</body></html>"""
    e = extract(page, now=NOW)
    assert (e.problem, e.text) == (Problem.LOGIN_WALL, "")


def test_a_consent_wall_is_named() -> None:
    page = """<html><head><title>Before you continue</title></head><body><div class="cmp">
<p>We use cookies and similar technologies to show personalised ads and measure traffic.
You can accept all cookies or manage options in the privacy settings at any time.</p>
<button>Accept all</button><button>Manage options</button></div></body></html>"""
    e = extract(page, now=NOW)
    assert (e.problem, e.text) == (Problem.CONSENT_WALL, "")


def test_a_paywalled_stub_keeps_its_teaser_under_a_problem() -> None:
    stub = dict(NEWS, isAccessibleForFree=False)
    page = article_html(
        head=jsonld(stub),
        paragraphs=[PARAGRAPHS[0], "Subscribe to continue reading. Already a subscriber? Log in."],
    )
    e = extract(page, now=NOW)
    assert e.problem == Problem.PAYWALL
    assert e.text.startswith(PARAGRAPHS[0])
    assert e.title == "Council raises library budget"


def test_images_and_binary_data_are_not_html() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    assert extract(png).problem == Problem.NOT_HTML
    assert extract(b"<html>", content_type="image/jpeg").problem == Problem.NOT_HTML
    assert extract(bytes(range(256)) * 8).problem == Problem.NOT_HTML
    assert extract(gzip.compress(article_html().encode())).problem == Problem.NOT_HTML


def test_a_page_above_the_cap_is_refused_before_parsing() -> None:
    big = article_html(paragraphs=PARAGRAPHS * 20_000).encode()
    assert len(big) > 10 * 1024 * 1024
    e = extract(big)
    assert (e.problem, e.text) == (Problem.TOO_LARGE, "")
    assert f"{len(big):,}" in e.message
    small_cap = extract(article_html().encode(), max_bytes=1000)
    assert small_cap.problem == Problem.TOO_LARGE


def test_a_big_page_under_the_cap_is_extracted() -> None:
    page = article_html(paragraphs=PARAGRAPHS * 2000).encode()  # about 1.5 MB
    e = extract(page, now=NOW)
    assert e.problem == ""
    assert e.text.count("\n\n") >= 7999


def test_a_declared_charset_is_honoured() -> None:
    page = article_html(
        paragraphs=[*PARAGRAPHS, "Le café coûte deux euros."], charset="windows-1252"
    )
    e = extract(page.encode("cp1252"), now=NOW)
    assert e.text.endswith("Le café coûte deux euros.")
    assert e.encoding == "cp1252"
    koi = article_html(paragraphs=[*PARAGRAPHS, "Библиотеки получат больше денег."])
    e = extract(koi.encode("koi8-r"), content_type="text/html; charset=KOI8-R", now=NOW)
    assert e.text.endswith("Библиотеки получат больше денег.")


def test_an_encoding_lie_falls_back_sanely() -> None:
    # Declared latin-1, really UTF-8: the UTF-8 reading wins.
    page = article_html(paragraphs=[*PARAGRAPHS, "Le café coûte deux euros."], charset="iso-8859-1")
    e = extract(page.encode("utf-8"), content_type="text/html; charset=iso-8859-1", now=NOW)
    assert e.text.endswith("Le café coûte deux euros.")
    # Declared UTF-8, really windows-1252: decoded by a guess, never an exception.
    lie = article_html(paragraphs=[*PARAGRAPHS, "Le café coûte deux euros."])
    e = extract(lie.encode("cp1252"), now=NOW)
    assert e.text.endswith("Le café coûte deux euros.")
    # Bytes valid in no encoding: replaced, said, and still deterministic.
    broken = article_html().encode() + b"<p>" + bytes(range(0x80, 0x100)) * 4 + b"</p>"
    first, again = extract(broken, now=NOW), extract(broken, now=NOW)
    assert first == again
    assert first.problem == ""
    assert "\x00" not in first.text


def make_pdf(lines: list[str], *, title: str = "Labour force survey") -> bytes:
    """A one-page PDF with a text layer, built by hand (offsets in the xref are exact)."""
    ops = "BT /F1 11 Tf 72 760 Td 14 TL " + " ".join(
        "({}) '".format(line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)"))
        for line in lines
    )
    stream = ops + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        f"<< /Title ({title}) /Author (Statistics Office) /CreationDate (D:20240301120000Z) >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return out


PDF_LINES = [
    "Unemployment fell to 4.1 percent in the fourth quarter of 2023,",
    "down from 4.5 percent a year earlier, according to the survey.",
    "The number of people in work rose by 120,000 over the same period,",
    "with most of the increase in part-time jobs in the service sector.",
]


def test_a_pdf_gives_its_text_and_document_info() -> None:
    data = make_pdf(PDF_LINES)
    for e in (extract(data), extract(data, content_type="application/pdf"), extract_pdf(data)):
        assert e.problem == ""
        assert e.source == "pdf"
        assert e.text == "\n".join(PDF_LINES)
        assert e.title == "Labour force survey"
        assert e.byline == "Statistics Office"
        assert e.published_at == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert extract_pdf(data) == extract_pdf(data)


def test_a_broken_or_empty_pdf_is_named() -> None:
    assert extract(b"%PDF-1.4\n garbage").problem == Problem.BAD_PDF
    assert extract_pdf(make_pdf(["", ""])).problem == Problem.NO_TEXT
    assert extract_pdf(make_pdf(PDF_LINES), max_bytes=100).problem == Problem.TOO_LARGE


# ---------------------------------------------------------------------------------------------
# manage.py extract_article
# ---------------------------------------------------------------------------------------------

FIELDS = {"path", "title", "byline", "published_at", "publisher", "language", "text"}


def run_command(*args: str) -> list[dict[str, object]]:
    out = StringIO()
    call_command("extract_article", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_command_prints_one_json_line_per_file(tmp_path) -> None:
    plain = tmp_path / "a.html"
    plain.write_text(article_html(head=jsonld(NEWS)), encoding="utf-8")
    packed = tmp_path / "b.html.gz"
    packed.write_bytes(gzip.compress(article_html(lang="de").encode()))
    lines = run_command(str(plain), str(packed))
    assert len(lines) == 2
    first, second = lines
    assert set(first) == FIELDS | {"problem", "message"}
    assert first["path"] == str(plain)
    assert first["title"] == "Council raises library budget"
    assert first["byline"] == "Ada Lovelace, Grace Hopper"
    assert first["published_at"] == "2025-03-04T09:30:00+01:00"
    assert first["publisher"] == "The Gazette"
    assert first["language"] == "en-GB"
    assert first["text"] == "\n\n".join(PARAGRAPHS)
    assert first["problem"] == ""
    assert second["path"] == str(packed)
    assert second["language"] == "de"
    assert second["text"] == "\n\n".join(PARAGRAPHS)


def test_the_command_names_bad_files_and_goes_on(tmp_path) -> None:
    missing = tmp_path / "missing.html"
    corrupt = tmp_path / "corrupt.html.gz"
    corrupt.write_bytes(b"not gzip at all")
    big = tmp_path / "big.html"
    big.write_text(article_html(paragraphs=PARAGRAPHS * 50), encoding="utf-8")
    image = tmp_path / "photo.html"
    image.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    good = tmp_path / "good.html"
    good.write_text(article_html(), encoding="utf-8")
    lines = run_command(
        "--max-bytes", "20000", str(missing), str(corrupt), str(big), str(image), str(good)
    )
    problems = [(line["path"], line["problem"], line["text"]) for line in lines]
    assert problems == [
        (str(missing), "unreadable", ""),
        (str(corrupt), "unreadable", ""),
        (str(big), Problem.TOO_LARGE, ""),
        (str(image), Problem.NOT_HTML, ""),
        (str(good), "", "\n\n".join(PARAGRAPHS)),
    ]
    assert all(line["message"] for line in lines[:4])


def test_a_gzip_bomb_is_not_inflated_past_the_cap(tmp_path) -> None:
    bomb = tmp_path / "bomb.html.gz"
    bomb.write_bytes(gzip.compress(b"<p>" + b"a" * 50_000_000, compresslevel=9))
    assert bomb.stat().st_size < 200_000
    (line,) = run_command("--max-bytes", "1000000", str(bomb))
    assert (line["problem"], line["text"]) == (Problem.TOO_LARGE, "")


@pytest.mark.parametrize("content_type", [None, "text/html", "application/xhtml+xml"])
def test_html_content_types_are_extracted(content_type: str | None) -> None:
    e = extract(article_html().encode(), content_type=content_type, now=NOW)
    assert e.text == "\n\n".join(PARAGRAPHS)


def test_a_short_page_beside_a_cookie_banner_is_no_consent_wall() -> None:
    page = """<html><head><title>Quarterly release</title></head><body>
    <div class="cookie-banner">We use cookies to improve this site. <button>Accept all</button>
    <a href="/cookies">Manage preferences</a></div>
    <main><article><h1>Unemployment, third quarter</h1>
    <p>The unemployment rate among people aged 16 to 24 was 12% in the third quarter,
    according to the Labour Force Survey published by the office on 14 November.</p>
    <p>The number of people in employment rose to 9.4 million, the highest figure since the
    series began, while vacancies fell for the ninth consecutive period.</p></article></main>
    </body></html>"""
    result = extract(page.encode(), content_type="text/html; charset=utf-8")
    assert result.problem == ""
    assert "was 12% in the third quarter" in result.text
    assert "Accept all" not in result.text
