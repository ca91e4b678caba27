"""factcheck.urlnorm: URLs read as a browser reads them (WHATWG), hosts as IDNA 2008."""

import pytest

from factcheck.urlnorm import InvalidURL, browser_url, canonical_url, url_host


def test_a_backslash_is_a_slash_as_in_a_browser() -> None:
    # urllib reads "evil.example\" as userinfo and www.reuters.com as the host; a browser
    # opens evil.example with the path /@www.reuters.com/.
    url = "https://evil.example\\@www.reuters.com/"
    assert browser_url(url) == "https://evil.example/@www.reuters.com/"
    assert canonical_url(url) == "https://evil.example/@www.reuters.com/"
    assert url_host(url) == "evil.example"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # IDNA 2008 / UTS 46 (non-transitional): ß stays ß; IDNA 2003 made it "strasse".
        ("https://straße.de/", "https://xn--strae-oqa.de/"),
        ("https://Bücher.example/a", "https://xn--bcher-kva.example/a"),
        ("https://xn--strae-oqa.de/", "https://xn--strae-oqa.de/"),
        # Fullwidth letters and dots fold to ASCII as a browser folds them.
        ("https://ＥＸＡＭＰＬＥ．ｃｏｍ/", "https://example.com/"),
        # IPv4 in any of the spellings a browser accepts is the dotted address it connects to.
        ("http://0x7f.1:8080/x", "http://127.0.0.1:8080/x"),
        ("http://[::1]:80/", "http://[::1]/"),
    ],
)
def test_hosts_are_the_ascii_host_a_browser_connects_to(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    "url",
    [
        "https://💩.la/",  # emoji: not IDNA 2008 (browsers map it; registries refuse it)
        "https://xn--ls8h.la/",  # the same, as punycode
        "https://xn--a.example/",  # punycode that decodes to a control character
        "https://a_b.example/",  # underscore
        "https://-a.example/",
        "https://a..example/",
        "https://" + "a" * 64 + ".example/",
        "https://exa mple.org/",
        "https://a\u200db.example/",  # a joiner outside its context
    ],
)
def test_invalid_host_names_are_refused_with_a_message(url: str) -> None:
    with pytest.raises(InvalidURL) as raised:
        canonical_url(url)
    assert str(raised.value)
    assert url_host(url) == ""


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a\tb",
        "https://exam\nple.org/",
        "https://example.org/\r\nX-Injected: 1",
        "https://example.org/a\x00b",
    ],
)
def test_inner_tab_newline_and_controls_are_refused(url: str) -> None:
    # A browser silently drops them, so what is shown would differ from what is opened.
    with pytest.raises(InvalidURL, match="control characters"):
        canonical_url(url)


def test_leading_and_trailing_controls_and_spaces_are_stripped() -> None:
    assert canonical_url("\x01 \thttps://example.org/a \n\x1f") == "https://example.org/a"


def test_canonical_form() -> None:
    url = "HTTPS://User:Pw@News.Example.org.:443/a/./b/../c?utm_source=x&id=7&fbclid=y#top"
    assert canonical_url(url) == "https://User:Pw@news.example.org/a/c?id=7"
    assert canonical_url("https://example.org?") == "https://example.org/"
    assert canonical_url("http://example.org:8080") == "http://example.org:8080/"
    # The browser's serialization keeps the fragment and the parameters.
    assert browser_url("https://Example.org/a b?q=ü#x") == "https://example.org/a%20b?q=%C3%BC#x"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/", "Only http and https"),
        ("javascript:alert(1)", "Only http and https"),
        ("example.org/page", "Only http and https"),
        ("https://example.org:99999/", "not a valid URL"),
        ("", "Enter a URL"),
        ("https://example.org/" + "a" * 4096, "at most 4096"),
    ],
)
def test_other_refusals(url: str, message: str) -> None:
    with pytest.raises(InvalidURL, match=message):
        canonical_url(url)


def test_the_normalized_length_must_fit_its_column() -> None:
    # 500 characters typed, 3,000 once percent-encoded.
    url = "https://example.org/" + "é" * 500
    assert len(url) < 2048
    with pytest.raises(InvalidURL, match="once normalized.*limit is 2,048"):
        canonical_url(url, max_length=2048)
    assert len(canonical_url(url)) == len("https://example.org/") + 3000
