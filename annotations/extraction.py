"""Main text and metadata of a fetched page: pure functions, bytes in, an ``Extraction`` out.

One module for every page the desk reads from the web: articles submitted by URL and the
snapshots of evidence. No ORM and no Django, so the benchmark and the workers call it alike.

* Decoding: a byte-order mark, else strict UTF-8 (a declared single-byte charset on a page
  that is valid UTF-8 is the usual encoding lie), else the charset of ``content_type`` or of
  the page's ``<meta>``, else charset-normalizer's guess. Never raises on bytes.
* Main text: trafilatura (comments left out), rendered by ``_render`` with a blank line
  between paragraphs and ``\\n`` inside one (``<br>``, list items, table rows), normalized
  like every article text (``anchoring.normalize_text``). A headline repeated at the top of
  the body is dropped (it is the ``title``). When the page yields no main text, a plausible
  JSON-LD ``articleBody`` (plain text, long enough, found in the page itself) stands in.
* Metadata: JSON-LD ``NewsArticle``/``Article`` (and their kin), then OpenGraph and meta tags,
  then htmldate for dates. Values that cannot be true are dropped, not stored: a headline
  longer than ``MAX_TITLE``, a date before ``MIN_YEAR`` or more than a day in the future.
* Deterministic: the same bytes always give the same ``Extraction`` (nothing depends on the
  clock except the "not in the future" check, which takes ``now``).
* Refusals carry a ``problem`` (a stable code) and a ``message`` for a person, and an empty
  ``text``: too large, not HTML (an image, binary), a login or consent wall, a page with no
  article, a PDF without text. A paywalled stub keeps the teaser it shows in ``text`` (the
  publisher's own words, but not the article). Callers never store a revision from an
  Extraction whose ``problem`` is set.

PDFs (statistics offices publish them) go through ``extract_pdf`` (pypdf); ``extract`` sends
a PDF there by its content type or its magic bytes.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from annotations.anchoring import normalize_text

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Extraction",
    "Problem",
    "extract",
    "extract_html",
    "extract_pdf",
]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""Pages above this are refused (``Problem.TOO_LARGE``), never parsed."""
MAX_TITLE = 500
MAX_BYLINE = 300
MAX_PUBLISHER = 200
MAX_LANGUAGE = 35
MIN_YEAR = 1991
"""The first web page; a publication date before it is a lie of the page's markup."""
MIN_WORDS = 25
"""Fewer words of main text than this is no article."""
WALL_WORDS = 150
"""A page this short that asks for a password, consent or a subscription is a wall."""
PDF_MAX_PAGES = 2000


class Problem:
    """Codes of ``Extraction.problem`` (stable: callers and the API switch on them)."""

    TOO_LARGE = "too_large"
    NOT_HTML = "not_html"
    LOGIN_WALL = "login_wall"
    CONSENT_WALL = "consent_wall"
    PAYWALL = "paywall"
    NO_ARTICLE = "no_article"
    NO_TEXT = "no_main_text"
    BAD_PDF = "bad_pdf"


@dataclass(frozen=True)
class Extraction:
    """What a page says it is and the text claims will point into.

    ``text`` is NFC with ``\\n`` line ends, paragraphs separated by a blank line; it is empty
    when ``problem`` is set, except for ``Problem.PAYWALL`` (the teaser). ``source`` tells where the text came from: ``html`` (the
    page's main content), ``json-ld`` (its ``articleBody``) or ``pdf``.
    """

    text: str = ""
    title: str = ""
    byline: str = ""
    published_at: datetime | None = None
    modified_at: datetime | None = None
    publisher: str = ""
    language: str = ""
    problem: str = ""
    message: str = ""
    source: str = ""
    encoding: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problem


def _refused(problem: str, message: str, base: Extraction | None = None) -> Extraction:
    return replace(base or Extraction(), text="", source="", problem=problem, message=message)


# ---------------------------------------------------------------------------------------------
# Entry point: sniffing and size
# ---------------------------------------------------------------------------------------------

_HTML_TYPES = {"text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain"}
_MAGIC = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP image, audio or video)"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x00\x00\x00", "a binary file (video or font)"),
]


def _media_type(content_type: str | None) -> tuple[str, str]:
    """(media type, charset) of a Content-Type header; empty strings where absent."""
    if not content_type:
        return "", ""
    media, _, params = content_type.partition(";")
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", params, re.I)
    return media.strip().lower(), (m.group(1) if m else "")


def extract(
    data: bytes | str,
    *,
    url: str | None = None,
    content_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    now: datetime | None = None,
) -> Extraction:
    """Extract a fetched page: HTML, or a PDF (by ``content_type`` or by its magic bytes).

    ``content_type`` is the response's Content-Type header (its charset is honoured);
    ``url`` the page's final URL, used only as a hint for trafilatura. Never raises on content.
    """
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        return _refused(
            Problem.TOO_LARGE,
            f"The page is {size:,} bytes; pages above {max_bytes:,} bytes are not extracted.",
        )
    media, charset = _media_type(content_type)
    head = data[:16].lstrip() if isinstance(data, bytes) else b""
    if media == "application/pdf" or head.startswith(b"%PDF-"):
        if isinstance(data, str):
            return _refused(Problem.BAD_PDF, "A PDF must be given as bytes.")
        return extract_pdf(data, max_bytes=max_bytes)
    if media and media not in _HTML_TYPES and not media.endswith("+xml"):
        return _refused(Problem.NOT_HTML, f"The page is {media}, not HTML.")
    if isinstance(data, bytes):
        for magic, what in _MAGIC:
            if head.startswith(magic):
                return _refused(Problem.NOT_HTML, f"The page is {what}, not HTML.")
        if b"\x00" in data[:1024] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return _refused(Problem.NOT_HTML, "The page is binary data, not HTML.")
    return extract_html(data, url=url, charset=charset, now=now)


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""",
    re.I,
)
_BOMS = [
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
]


def _codec(name: str) -> str | None:
    import codecs

    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def decode_html(data: bytes, *, charset: str = "") -> tuple[str, str]:
    """(text, encoding used) of HTML bytes; never raises (undecodable bytes become U+FFFD)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, "replace"), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = []
    if charset:
        declared.append(charset)
    m = _META_CHARSET.search(data[:4096])
    if m:
        declared.append(m.group(1).decode("ascii", "replace"))
    for name in declared:
        enc = _codec(name) or ""
        # ISO-8859-1 and ASCII labels mean windows-1252 on the web (WHATWG Encoding).
        if enc in ("latin_1", "ascii", "iso8859-1"):
            enc = "cp1252"
        if enc and enc != "utf-8":
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                continue
    enc = _guess_encoding(data)
    return data.decode(enc, "replace"), enc


# The web's legacy encodings (WHATWG Encoding), windows-1252 first: it is by far the most
# common, and mostly-ASCII pages give a detector too little to tell its neighbours apart.
_WEB_ENCODINGS = [
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "iso8859_2", "iso8859_15", "koi8_r", "koi8_u", "gb18030", "big5", "shift_jis", "euc_jp",
    "euc_kr", "cp866", "mac_cyrillic",
]  # fmt: skip


def _guess_encoding(data: bytes) -> str:
    """charset-normalizer's least chaotic reading among the web's encodings (ties go to the
    more common encoding); UTF-8 with replacement when none fits."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[:262_144], cp_isolation=_WEB_ENCODINGS))
    if not matches:
        return "utf-8"
    least = min(m.chaos for m in matches)
    close = [_codec(m.encoding) or "" for m in matches if m.chaos <= least + 0.01]
    web = [_codec(name) for name in _WEB_ENCODINGS]
    ranked = sorted((c for c in close if c in web), key=web.index)
    return ranked[0] if ranked else close[0] or "utf-8"


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


def extract_html(
    data: bytes | str,
    *,
    url: str | None = None,
    charset: str = "",
    now: datetime | None = None,
) -> Extraction:
    """Main text and metadata of an HTML page (see the module docstring)."""
    from trafilatura.utils import load_html

    if isinstance(data, bytes):
        html, encoding = decode_html(data, charset=charset)
    else:
        html, encoding = data, ""
    html = html.replace("\x00", "")
    html = _SURROGATES.sub("\ufffd", html)
    warnings: list[str] = []
    if html.count("\ufffd") > max(20, len(html) // 200):
        warnings.append("The page's bytes are not valid in any one encoding; some were replaced.")
    tree = load_html(html) if html.strip() else None
    if tree is None:
        return _refused(Problem.NOT_HTML, "The page is not HTML (it could not be parsed).")
    meta = _metadata(tree, now=now or datetime.now(UTC), warnings=warnings)
    base = Extraction(encoding=encoding, **meta.fields(), warnings=tuple(warnings))
    signals = _wall_signals(tree, meta)
    anchors = _anchor_texts(tree)

    # The JSON-LD was read above; trafilatura must not fall back on an implausible articleBody.
    for script in tree.xpath("//script[@type='application/ld+json']"):
        script.drop_tree()
    text = _main_text(tree, url=url)
    text = _drop_repeated_headline(text, meta.titles)
    source = "html"
    body = meta.article_body
    if body and _body_stands_in(body, text):
        text, source = body, "json-ld"
    words = _words(text)

    if words < WALL_WORDS and signals.login:
        return _refused(Problem.LOGIN_WALL, "The page asks to sign in before the article.", base)
    # A cookie banner beside a short page is no wall: the wall is when what is left of the
    # page is the banner itself (or nothing).
    if (
        words < WALL_WORDS
        and signals.consent
        and (words < MIN_WORDS or _CONSENT_WORDS.search(text))
    ):
        return _refused(
            Problem.CONSENT_WALL, "The page is a cookie or consent wall, not the article.", base
        )
    if words < MIN_WORDS:
        return _refused(Problem.NO_TEXT, "No main text was found on the page.", base)
    if not meta.is_article and _link_share(text, anchors) > 0.5:
        return _refused(
            Problem.NO_ARTICLE, "The page is a list of links (a front or section page).", base
        )
    try:
        text = normalize_text(text)
    except ValueError:  # cannot happen after the cleaning above; refuse rather than store it
        return _refused(Problem.NO_TEXT, "The page's text could not be normalized.", base)
    if words < WALL_WORDS and signals.paywall:
        return replace(
            base,
            text=text,
            source=source,
            problem=Problem.PAYWALL,
            message="The page shows only the start of a paywalled article.",
        )
    return replace(base, text=text, source=source)


_SURROGATES = re.compile(r"[\ud800-\udfff]")
_WORD = re.compile(r"\w+")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _main_text(tree: Any, *, url: str | None) -> str:
    from trafilatura import bare_extraction

    # Comments are readers', not the article's; deduplication off (its cache is global state,
    # and the same page must give the same text however many were extracted before it).
    doc = bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        with_metadata=False,
    )
    body = getattr(doc, "body", None)
    if body is None:
        return ""
    return _render(body)


# trafilatura's internal tree: p, head, quote, list/item, table/row/cell, code, lb, hi, ref ...
_BLOCKS = {"p", "head", "quote", "list", "table", "code", "div", "section", "article", "main"}


def _render(body: Any) -> str:
    """Paragraphs of trafilatura's body joined by a blank line; a list's items, a table's rows
    and ``<lb/>`` each end a line inside their paragraph."""
    paragraphs: list[str] = []
    inline: list[str] = []

    def flush() -> None:
        para = _clean_block("".join(inline))
        if para:
            paragraphs.append(para)
        inline.clear()

    def walk_inline(el: Any, out: list[str]) -> None:
        if el.text:
            out.append(el.text)
        for child in el:
            tag = child.tag
            if tag == "lb":
                out.append("\n")
            elif tag == "list":
                out.append("\n")
                out.append(_render_list(child))
                out.append("\n")
            elif tag in _BLOCKS:
                out.append("\n")
                walk_inline(child, out)
                out.append("\n")
            else:
                walk_inline(child, out)
            if child.tail:
                out.append(child.tail)

    def _render_list(el: Any) -> str:
        lines = []
        for item in el:
            if item.tag != "item":
                continue
            buf: list[str] = []
            walk_inline(item, buf)
            line = _clean_block("".join(buf))
            if line:
                lines.append(line)
        return "\n".join(lines)

    def _render_table(el: Any) -> str:
        rows = []
        for row in el.iter("row"):
            cells = []
            for cell in row:
                buf: list[str] = []
                walk_inline(cell, buf)
                text = _SPACES.sub(" ", "".join(buf)).strip()
                if text:
                    cells.append(text)
            if cells:
                rows.append(" | ".join(cells))
        return "\n".join(rows)

    def walk_block(el: Any) -> None:
        if el.text and el.text.strip():
            inline.append(el.text)
        for child in el:
            tag = child.tag
            if tag == "list":
                flush()
                inline.append(_render_list(child))
                flush()
            elif tag == "table":
                flush()
                inline.append(_render_table(child))
                flush()
            elif tag in _BLOCKS:
                flush()
                if tag in ("div", "section", "article", "main") or (
                    tag == "quote" and any(c.tag in _BLOCKS for c in child)
                ):
                    walk_block(child)
                else:
                    walk_inline(child, inline)
                flush()
            elif tag == "lb":
                inline.append("\n")
            else:
                walk_inline(child, inline)
            if child.tail and child.tail.strip():
                inline.append(child.tail)
        flush()

    walk_block(body)
    return "\n\n".join(paragraphs)


_SPACES = re.compile(r"[^\S\n]+")


def _clean_block(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _fold(text: str) -> str:
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def _drop_repeated_headline(text: str, titles: list[str]) -> str:
    """The body without its first paragraph when that is the headline (kept in ``title``)."""
    first, _, rest = text.partition("\n\n")
    if rest and _fold(first) in {_fold(t) for t in titles if t}:
        return rest
    return text


def _anchor_texts(tree: Any, limit: int = 5000) -> set[str]:
    """The folded text of the page's links of three words or more (headlines, teasers)."""
    out: set[str] = set()
    for a in tree.iter("a"):
        folded = _fold(a.text_content())
        if folded.count(" ") >= 2:
            out.add(folded)
            if len(out) >= limit:
                break
    return out


def _link_share(text: str, anchors: set[str]) -> float:
    """Share of the text's words on lines that are the text of one of the page's links: high
    on a front page (a list of headlines), low in an article."""
    total = _words(text) or 1
    linked = sum(_words(line) for line in text.split("\n") if _fold(line) in anchors)
    return linked / total


def _body_stands_in(body: str, text: str) -> bool:
    """Whether a JSON-LD articleBody replaces the page's main text: it must be plain text and
    no teaser itself, and the page must show nothing, or a start of it less than half as long
    (the rest rendered by script or behind a wall the JSON-LD is written for)."""
    if re.search(r"</?[a-zA-Z][^>]*>", body):
        return False
    words = _words(body)
    if words < MIN_WORDS or body.rstrip().endswith(("...", "\u2026")):
        return False
    shown = _words(text)
    if shown < MIN_WORDS:
        return True
    opening = " ".join(_fold(text).split()[:8])
    return shown < words / 2 and opening in _fold(body)


# ---------------------------------------------------------------------------------------------
# Walls and listings
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Signals:
    login: bool
    consent: bool
    paywall: bool


_CONSENT_WORDS = re.compile(
    r"\b(cookies?|consent|gdpr|privacy (?:settings|choices|preferences)|accept all"
    r"|manage (?:options|preferences)|personali[sz]ed (?:ads|advertising))\b",
    re.I,
)
_LOGIN_WORDS = re.compile(r"\b(sign[ -]?in|log[ -]?in|password|anmelden|connexion)\b", re.I)
_PAYWALL_WORDS = re.compile(
    r"\b(subscribe|subscription|subscribers? only|already a subscriber|premium"
    r"|to continue reading|abonn\w+)\b",
    re.I,
)


def _visible_text(tree: Any, limit: int = 20_000) -> str:
    parts = []
    n = 0
    for t in tree.xpath("//body//text()[not(ancestor::script or ancestor::style)]"):
        s = str(t).strip()
        if s:
            parts.append(s)
            n += len(s)
            if n > limit:
                break
    return " ".join(parts)


def _wall_signals(tree: Any, meta: _Meta) -> _Signals:
    visible = _visible_text(tree)
    title = meta.title_tag
    login = bool(tree.xpath("//input[@type='password']")) or bool(
        _LOGIN_WORDS.search(title) and _words(visible) < 300
    )
    consent = len(_CONSENT_WORDS.findall(visible)) >= 2 or bool(_CONSENT_WORDS.search(title))
    paywall = meta.paywalled or len(_PAYWALL_WORDS.findall(visible)) >= 2
    return _Signals(login=login, consent=consent, paywall=paywall)


# ---------------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------------

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "askpublicnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "report",
    "scholarlyarticle",
    "techarticle",
    "medicalscholarlyarticle",
}


@dataclass
class _Meta:
    title: str = ""
    byline: str = ""
    published_at: datetime | None = None
    modified_at: datetime | None = None
    publisher: str = ""
    language: str = ""
    article_body: str = ""
    is_article: bool = False
    paywalled: bool = False
    og_type: str = ""
    title_tag: str = ""
    titles: list[str] = field(default_factory=list)

    def fields(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "byline": self.byline,
            "published_at": self.published_at,
            "modified_at": self.modified_at,
            "publisher": self.publisher,
            "language": self.language,
        }


def _jsonld_objects(tree: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD, depth-first in document order (``@graph``,
    lists and nested values included)."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        raw = (script.text or "").strip()
        if not raw or len(raw) > 2_000_000:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            # A common slip: raw newlines or a trailing comma; try once without them.
            try:
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")))
            except ValueError:
                continue
        stack: list[Any] = [data]
        seen = 0
        while stack and seen < 10_000:
            item = stack.pop(0)
            seen += 1
            if isinstance(item, list):
                stack[0:0] = item
            elif isinstance(item, dict):
                yield item
                stack.extend(v for v in item.values() if isinstance(v, dict | list))


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    values = t if isinstance(t, list) else [t]
    return {v.rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)}


def _names(value: Any, limit: int = 20) -> list[str]:
    """Names in a schema.org person/organization value: a string, an object, or a list."""
    out: list[str] = []
    values = value if isinstance(value, list) else [value]
    for v in values[:limit]:
        if isinstance(v, dict):
            v = v.get("name")
            if isinstance(v, list):
                v = v[0] if v else None
        if isinstance(v, str):
            name = _one_line(v)
            if name and not _looks_like_url(name):
                out.append(name)
    return out


def _one_line(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    from html import unescape

    return " ".join(unescape(value).split())


def _looks_like_url(value: str) -> bool:
    return bool(re.match(r"(https?:)?//|www\.", value, re.I))


def _fit(value: str, limit: int) -> str:
    """A plausible value, or "" when it is too long to be what it says it is."""
    value = _one_line(value)
    return value if 0 < len(value) <= limit else ""


def _join_names(names: list[str]) -> str:
    seen: list[str] = []
    for n in names:
        if n.casefold() not in (s.casefold() for s in seen):
            seen.append(n)
    out = ""
    for n in seen:
        candidate = f"{out}, {n}" if out else n
        if len(candidate) > MAX_BYLINE:
            break
        out = candidate
    return out


def _parse_date(value: Any, *, now: datetime) -> datetime | None:
    """An aware datetime from an ISO 8601 string (UTC when it names no zone), or None when it
    does not parse or cannot be a publication date (before MIN_YEAR, more than a day ahead)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > 40:
        return None
    value = re.sub(r"Z$", "+00:00", value)
    value = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", value)
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        m = re.match(r"(\d{4})-(\d\d)-(\d\d)", value)
        if not m:
            return None
        try:
            parsed = datetime.combine(date(*map(int, m.groups())), datetime.min.time())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.year < MIN_YEAR or parsed > now + timedelta(days=1):
        return None
    return parsed


def _language(value: Any) -> str:
    """A BCP 47-looking tag ("en", "pt-BR"), or ""."""
    if not isinstance(value, str):
        return ""
    tag = value.strip().replace("_", "-")
    if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", tag) and len(tag) <= MAX_LANGUAGE:
        primary, _, rest = tag.partition("-")
        return primary.lower() + (
            f"-{rest.upper()}" if len(rest) == 2 else f"-{rest}" if rest else ""
        )
    return ""


def _metadata(tree: Any, *, now: datetime, warnings: list[str]) -> _Meta:
    meta = _Meta()
    metas: dict[str, str] = {}
    for el in tree.xpath("//meta[@content]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key and key not in metas:
            metas[key] = el.get("content") or ""
        equiv = (el.get("http-equiv") or "").lower()
        if equiv == "content-language" and "http-equiv:content-language" not in metas:
            metas["http-equiv:content-language"] = el.get("content") or ""
    title_el = tree.find(".//title")
    meta.title_tag = _one_line(title_el.text_content() if title_el is not None else "")
    meta.og_type = metas.get("og:type", "").strip().lower()

    article: dict[str, Any] | None = None
    publishers: list[str] = []
    for obj in _jsonld_objects(tree):
        types = _types(obj)
        if types & _ARTICLE_TYPES and article is None:
            article = obj
        if types & {"newsmediaorganization", "organization"} and not publishers:
            publishers = _names(obj)
    if article is not None:
        meta.is_article = True
        headline = article.get("headline") or article.get("name")
        meta.title = _fit(headline, MAX_TITLE) if isinstance(headline, str) else ""
        if isinstance(headline, str) and headline and not meta.title:
            warnings.append("The JSON-LD headline is implausible and was ignored.")
        meta.byline = _join_names(_names(article.get("author")))
        meta.publisher = _fit(", ".join(_names(article.get("publisher"))[:1]), MAX_PUBLISHER)
        for key, attr in (("datePublished", "published_at"), ("dateModified", "modified_at")):
            raw = article.get(key)
            parsed = _parse_date(raw, now=now)
            if raw and parsed is None:
                warnings.append(f"The JSON-LD {key} is implausible and was ignored.")
            setattr(meta, attr, parsed)
        meta.language = _language(article.get("inLanguage"))
        body = article.get("articleBody")
        if isinstance(body, str):
            meta.article_body = body.strip()
        free = article.get("isAccessibleForFree")
        meta.paywalled = free is False or (isinstance(free, str) and free.lower() == "false")
    if meta.og_type == "article":
        meta.is_article = True

    meta.titles = [
        meta.title,
        _one_line(metas.get("og:title", "")),
        _one_line(metas.get("twitter:title", "")),
        meta.title_tag,
        *(_one_line(h.text_content()) for h in tree.iter("h1")),
    ]
    meta.title = meta.title or _fit(metas.get("og:title", ""), MAX_TITLE)
    meta.title = meta.title or _fit(metas.get("twitter:title", ""), MAX_TITLE)
    meta.title = meta.title or _fit(meta.title_tag, MAX_TITLE)
    if not meta.byline:
        names = [
            _one_line(metas.get(k, ""))
            for k in ("author", "article:author", "dc.creator", "byl", "parsely-author")
        ]
        meta.byline = _join_names(
            [re.sub(r"^by\s+", "", n, flags=re.I) for n in names if n and not _looks_like_url(n)]
        )
    meta.publisher = (
        meta.publisher
        or _fit(", ".join(publishers[:1]), MAX_PUBLISHER)
        or _fit(metas.get("og:site_name", ""), MAX_PUBLISHER)
        or _fit(metas.get("application-name", ""), MAX_PUBLISHER)
    )
    if meta.published_at is None:
        for key in (
            "article:published_time",
            "datepublished",
            "og:published_time",
            "pubdate",
            "publishdate",
            "date",
            "dc.date",
            "dc.date.issued",
            "dcterms.created",
            "sailthru.date",
            "parsely-pub-date",
        ):
            meta.published_at = _parse_date(metas.get(key), now=now)
            if meta.published_at:
                break
    if meta.modified_at is None:
        for key in ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified"):
            meta.modified_at = _parse_date(metas.get(key), now=now)
            if meta.modified_at:
                break
    if meta.published_at is None:
        meta.published_at = _htmldate(tree, now=now)
    root_lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    meta.language = (
        meta.language
        or _language(root_lang)
        or _language(metas.get("http-equiv:content-language"))
        or _language(metas.get("og:locale"))
    )
    return meta


def _htmldate(tree: Any, *, now: datetime) -> datetime | None:
    """The fallback publication date: htmldate's fast search on the page (no clock beyond
    ``now``: its own "max date" is set from it, so the result is repeatable)."""
    from copy import deepcopy

    from htmldate import find_date

    try:
        found = find_date(
            deepcopy(tree),
            extensive_search=False,
            original_date=True,
            outputformat="%Y-%m-%d",
            min_date=f"{MIN_YEAR}-01-01",
            max_date=(now + timedelta(days=1)).strftime("%Y-%m-%d"),
        )
    except Exception:  # htmldate is a heuristic; a failure of it is only a missing date
        return None
    return _parse_date(found, now=now) if found else None


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------


def extract_pdf(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Extraction:
    """Text and document info of a PDF: pages separated by a blank line, in page order."""
    if len(data) > max_bytes:
        return _refused(
            Problem.TOO_LARGE,
            f"The PDF is {len(data):,} bytes; files above {max_bytes:,} bytes are not extracted.",
        )
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return _refused(Problem.BAD_PDF, "The PDF is encrypted.")
        pages = []
        for page in reader.pages[:PDF_MAX_PAGES]:
            pages.append(_clean_pdf_page(page.extract_text() or ""))
        info = reader.metadata
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        return _refused(Problem.BAD_PDF, f"The PDF could not be read ({type(exc).__name__}).")
    text = "\n\n".join(p for p in pages if p)
    text = _SURROGATES.sub("\ufffd", text.replace("\x00", ""))
    base = Extraction(source="pdf")
    if info is not None:
        base = replace(
            base,
            title=_fit(str(info.title or ""), MAX_TITLE),
            byline=_fit(str(info.author or ""), MAX_BYLINE),
            published_at=_pdf_date(info),
        )
    if _words(text) < MIN_WORDS:
        return _refused(Problem.NO_TEXT, "The PDF has no text layer (a scan?).", base)
    return replace(base, text=normalize_text(text))


def _clean_pdf_page(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _pdf_date(info: Any) -> datetime | None:
    try:
        created = info.creation_date
    except (ValueError, TypeError):
        return None
    if not isinstance(created, datetime):
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return created if created.year >= MIN_YEAR else None
