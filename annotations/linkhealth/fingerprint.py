"""Content fingerprints: did the page an evidence link points to change?

A fingerprint is a 64-bit SimHash (16 hex digits) over word 3-grams of the page's main text.
Boilerplate (scripts, styles, navigation, header, footer, asides) and digit-heavy tokens
(dates, times, counters, prices of rotating ads) are dropped first, so a page that only shows
a new timestamp keeps its fingerprint while an edited article moves it.

The page is parsed with lxml (libxml2's HTML parser, ~10x faster than html.parser for the
same text); where lxml is not installed the stdlib html.parser walks it the same way. No Django.
"""

from __future__ import annotations

import functools
import hashlib
import re
from html.parser import HTMLParser

try:
    from lxml import etree as _etree
except ImportError:  # pragma: no cover - lxml is a dependency; this keeps a bare stdlib working
    _etree = None

FINGERPRINT_BITS = 64
# Shorter than this, a "main" element is probably a teaser box; use the whole page instead.
_MIN_MAIN_TOKENS = 40
_SHINGLE = 3

# Elements whose text is never the page's content.
_DROP_ALWAYS = frozenset({"script", "style", "noscript", "template", "svg", "iframe"})
# Page furniture: dropped unless that leaves nothing.
_DROP_CHROME = frozenset({"nav", "header", "footer", "aside", "form", "menu", "dialog"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_MAIN = frozenset({"main", "article"})
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title_parts: list[str] = []
        self.all_parts: list[str] = []  # everything but _DROP_ALWAYS
        self.content_parts: list[str] = []  # minus page chrome
        self.main_parts: list[str] = []  # inside <main>/<article>, minus chrome
        self._stack: list[tuple[str, bool, bool, bool]] = []  # tag, drop, chrome, main
        self._in_title = False

    def _flags(self) -> tuple[bool, bool, bool]:
        if not self._stack:
            return False, False, False
        _tag, drop, chrome, main = self._stack[-1]
        return drop, chrome, main

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _VOID:
            return
        drop, chrome, main = self._flags()
        role = next((v or "" for k, v in attrs if k == "role"), "").lower()
        hidden = any(k == "hidden" or (k == "aria-hidden" and v == "true") for k, v in attrs)
        self._stack.append(
            (
                tag,
                drop or tag in _DROP_ALWAYS or hidden,
                chrome or tag in _DROP_CHROME or role in _CHROME_ROLES,
                main or tag in _MAIN or role == "main",
            )
        )

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # self-closing: no text inside

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        # Pop back to the matching open tag; a stray end tag is ignored. Sloppy HTML with
        # unclosed tags is common, so never trust the stack to be perfectly balanced.
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
            return
        _collect(self, data, self._flags())


def _collect(into: _TextExtractor | _TreeText, data: str, flags: tuple[bool, bool, bool]) -> None:
    """File a run of text under all / content (not page chrome) / main (inside <main>)."""
    drop, chrome, main = flags
    if drop:
        return
    into.all_parts.append(data)
    if not chrome:
        into.content_parts.append(data)
        if main:
            into.main_parts.append(data)


def _charset(body: bytes, content_type: str) -> str:
    match = re.search(r"charset\s*=\s*[\"']?([a-zA-Z0-9_.:-]+)", content_type or "", re.I)
    if match:
        return match.group(1)
    meta = _CHARSET_RE.search(body[:2048])
    if meta:
        return meta.group(1).decode("ascii", "replace")
    return "utf-8"


def decode_text(body: bytes, content_type: str) -> str:
    charset = _charset(body, content_type)
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _is_html(body: bytes, content_type: str) -> bool:
    ct = (content_type or "").split(";", 1)[0].strip().lower()
    if ct in ("text/html", "application/xhtml+xml"):
        return True
    if ct:
        return False
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head


def _is_text(content_type: str) -> bool:
    ct = (content_type or "").split(";", 1)[0].strip().lower()
    return ct.startswith("text/") or ct in ("application/json", "application/xml") or not ct


class _TreeText:
    """The parts `_TextExtractor` collects, gathered from an lxml tree in document order."""

    def __init__(self, text: str) -> None:
        self.title_parts: list[str] = []
        self.all_parts: list[str] = []
        self.content_parts: list[str] = []
        self.main_parts: list[str] = []
        parser = _etree.HTMLParser(
            remove_comments=True, remove_pis=True, no_network=True, default_doctype=False
        )
        root = _etree.fromstring(text, parser)
        if root is None:
            return
        flags: list[tuple[bool, bool, bool]] = [(False, False, False)]
        for event, el in _etree.iterwalk(root, events=("start", "end")):
            tag = el.tag
            if event == "start":
                drop, chrome, main = flags[-1]
                if tag == "title":
                    if el.text:
                        self.title_parts.append(el.text)
                    flags.append((True, chrome, main))  # its text is the title only
                    continue
                if el.attrib:
                    role = (el.get("role") or "").lower()
                    hidden = el.get("hidden") is not None or el.get("aria-hidden") == "true"
                else:
                    role, hidden = "", False
                mine = (
                    drop or tag in _DROP_ALWAYS or hidden,
                    chrome or tag in _DROP_CHROME or role in _CHROME_ROLES,
                    main or tag in _MAIN or role == "main",
                )
                flags.append(mine)
                if el.text:
                    self._add(el.text, mine)
            else:
                flags.pop()
                if el.tail:
                    self._add(el.tail, flags[-1])

    def _add(self, data: str, flags: tuple[bool, bool, bool]) -> None:
        _collect(self, data, flags)


@functools.lru_cache(maxsize=32)
def _parse_html(body: bytes, content_type: str) -> _TextExtractor | _TreeText:
    # Cached: classifying one page asks for its title, main text and fingerprint, and the
    # cached soft-404 probe of a host is compared against many pages. Read-only afterwards.
    text = decode_text(body, content_type)
    if _etree is not None:
        try:
            return _TreeText(text.replace("\x00", ""))
        except (ValueError, _etree.LxmlError):
            pass  # html.parser below is more lenient still
    parser = _TextExtractor()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001, S110 - html.parser is lenient; a fingerprint must not crash
        pass  # keep whatever text was collected before the parser gave up
    return parser


def page_title(body: bytes, content_type: str) -> str:
    """The <title> text of an HTML body ('' when there is none)."""
    if not body or not _is_html(body, content_type):
        return ""
    parser = _parse_html(body, content_type)
    return " ".join("".join(parser.title_parts).split())


def _keep(token: str) -> bool:
    # Digit-heavy tokens are dates, times, view counts, prices: they change without the
    # content changing.
    if token.isalpha():  # the common case, answered in C
        return True
    digits = sum(ch.isdigit() for ch in token)
    return digits * 2 < len(token)


def tokens(text: str) -> list[str]:
    return [t for t in _WORD_RE.findall(text.lower()) if _keep(t)]


@functools.lru_cache(maxsize=32)
def _main_tokens(body: bytes, content_type: str) -> tuple[str, ...]:
    return tuple(tokens(main_text(body, content_type)))


@functools.lru_cache(maxsize=32)
def main_text(body: bytes, content_type: str) -> str:
    """The page's main text with whitespace collapsed (the input of the fingerprint)."""
    if not body:
        return ""
    if _is_html(body, content_type):
        parser = _parse_html(body, content_type)
        for parts in (parser.main_parts, parser.content_parts, parser.all_parts):
            text = " ".join(" ".join(parts).split())
            if parts is parser.main_parts and len(tokens(text)) < _MIN_MAIN_TOKENS:
                continue
            if text:
                return text
        return ""
    if _is_text(content_type):
        return " ".join(decode_text(body, content_type).split())
    return ""


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


# Bit-sliced SimHash: each bit of a feature hash is spread into its own 32-bit lane of one big
# integer, so one multiply-add counts all 64 bits of a feature at once (a Python loop per bit
# cost ~1 ms per page). Lane j of SPREAD[v] is bit j of byte v.
_LANE = 32
_SPREAD = tuple(sum(((v >> j) & 1) << (_LANE * j) for j in range(8)) for v in range(256))
_LANE_MASK = (1 << _LANE) - 1


def _simhash(features: dict[bytes, int]) -> int:
    # Bit b is set when the features having it outweigh those that do not:
    # sum(count where set) - sum(count where clear) > 0, i.e. 2 * set_weight > total.
    acc = 0
    total = 0
    spread = _SPREAD
    for feature, count in features.items():
        h = _hash64(feature).to_bytes(8, "little")
        lanes = 0
        for i in range(8):
            lanes |= spread[h[i]] << (_LANE * 8 * i)
        acc += count * lanes
        total += count
    value = 0
    for bit in range(FINGERPRINT_BITS):
        if 2 * ((acc >> (_LANE * bit)) & _LANE_MASK) > total:
            value |= 1 << bit
    return value


@functools.lru_cache(maxsize=64)
def page_fingerprint(body: bytes, content_type: str) -> str:
    """16 hex digits (64-bit SimHash) of the main content; '' when there is no content."""
    features: dict[bytes, int] = {}
    if _is_html(body, content_type) or _is_text(content_type):
        words = _main_tokens(body, content_type)
        if not words:
            return ""
        if len(words) < _SHINGLE:
            grams = [" ".join(words)]
        else:
            grams = [" ".join(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)]
        for gram in grams:
            key = gram.encode("utf-8")
            features[key] = features.get(key, 0) + 1
    else:
        # Binary documents (PDF, images): 64-byte blocks, so a partly changed file is partly
        # similar rather than simply different.
        if not body:
            return ""
        for i in range(0, len(body), 64):
            key = body[i : i + 64]
            features[key] = features.get(key, 0) + 1
    return f"{_simhash(features):016x}"


def fingerprint_similarity(a: str, b: str) -> float:
    """1.0 for identical content, about 0.5 for unrelated pages, 0.0 if either is unusable."""
    if a == b:
        return 1.0
    try:
        x, y = int(a, 16), int(b, 16)
    except (TypeError, ValueError):
        return 0.0
    if len(a) != 16 or len(b) != 16:
        return 0.0
    return 1.0 - bin(x ^ y).count("1") / FINGERPRINT_BITS


def fingerprint_changed(a: str, b: str, threshold: float = 0.85) -> bool:
    """Whether the content moved enough to matter. An empty side means "unknown": unchanged."""
    if not a or not b:
        return False
    return fingerprint_similarity(a, b) < threshold
