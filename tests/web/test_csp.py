"""Content-Security-Policy: every HTML page sends it, and nothing on the pages needs more.

The policy: scripts and styles from this site's files only (no inline script, handler, eval or
style), no plugins, no <base> elsewhere, forms post here, no framing by any site.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from annotations.models import Article
from reviews.workflow import State
from tests.web.test_browser import drag_select, make_link_history, open_seed_article

# <script> types a browser never executes: data blocks.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
JS_URL = re.compile(r"^\s*javascript:", re.IGNORECASE)
CSP_MESSAGE = re.compile(r"Content[ -]Security[ -]Policy", re.IGNORECASE)


def policy(response: Any) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']}: no Content-Security-Policy header"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_policy(response: Any, *, inline_styles: bool = False) -> None:
    path = response.request["PATH_INFO"]
    csp = policy(response)
    assert csp["script-src"] == ["'self'"], (path, csp["script-src"])
    assert "script-src-attr" not in csp and "script-src-elem" not in csp, path
    assert csp["default-src"] == ["'self'"], path
    assert csp["frame-ancestors"] == ["'none'"], path
    assert csp["base-uri"] == ["'self'"], path
    assert csp["object-src"] == ["'none'"], path
    assert csp["form-action"] == ["'self'"], path
    if inline_styles:
        assert csp["style-src"] == ["'self'", "'unsafe-inline'"], path
        assert "style-src-attr" not in csp, path
    else:
        assert csp["style-src"] == ["'self'"], path
        assert "'unsafe-inline'" not in csp["style-src-attr"], path


def inline_code(html: bytes | str) -> list[str]:
    """What on a page would need 'unsafe-inline' or 'unsafe-eval' in script-src."""
    root = lxml.html.fromstring(html)
    found = []
    for script in root.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        if not script.get("src") and kind not in DATA_SCRIPT_TYPES:
            found.append(f"inline <script>: {(script.text or '')[:60]!r}")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        for name, value in element.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                found.append(f"<{element.tag} {name}=...>")
            elif name.startswith(("hx-on", "data-hx-on")):
                found.append(f"<{element.tag} {name}>: htmx evaluates it")
            elif name in ("hx-vals", "hx-vars", "hx-headers") and value.lstrip().startswith(
                ("js:", "javascript:")
            ):
                found.append(f"<{element.tag} {name}={value[:40]!r}>: htmx evaluates it")
            elif name == "hx-trigger" and "[" in re.sub(r"from:\S+", "", value):
                found.append(f"<{element.tag} hx-trigger={value!r}>: a filter htmx evaluates")
            elif name in ("href", "src", "action", "formaction") and JS_URL.match(value):
                found.append(f"<{element.tag} {name}={value[:40]!r}>")
    return found


def inline_styles(html: bytes | str) -> list[str]:
    root = lxml.html.fromstring(html)
    found = [f"<style>: {(s.text or '')[:60]!r}" for s in root.iter("style")]
    found += [
        f"<{el.tag} style={el.get('style')!r}>"
        for el in root.iter()
        if isinstance(el.tag, str) and el.get("style") is not None
    ]
    return found


def get_html(client: Client, url: str, **headers: Any) -> Any:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith("text/html"), url
    return response


def test_inline_code_finds_what_the_policy_would_block() -> None:
    """The checker itself: each kind of inline code is reported, data blocks are not."""
    page = """<html><head><script>alert(1)</script><script src="/a.js"></script>
      <script type="application/json" id="d">{"a": 1}</script>
      <script type="application/ld+json">{}</script></head>
      <body onload="x()"><a href="javascript:void(0)">a</a><button hx-on:click="x()">b</button>
      <form hx-vals='js:{a: 1}'></form><div hx-trigger="click[ctrlKey]"></div>
      <form hx-trigger="input from:input[name=q]"></form>
      <p style="color: red">c</p></body></html>"""
    found = inline_code(page)
    assert len(found) == 6, found
    assert inline_styles(page) == ["<p style='color: red'>"]


def test_every_desk_page_sends_the_policy_and_needs_no_inline_code(
    seeded: Article, login: Any
) -> None:
    editor = get_user_model().objects.get(username="demo-editor")
    make_link_history(seeded)  # the stale page with its chart and legend swatches
    claim = seeded.claims.get(review__state=State.IN_REVIEW)
    published = seeded.claims.get(review__state=State.PUBLISHED)
    anonymous = Client()
    client = login(editor)
    pages = {
        "login": (anonymous, "/accounts/login/", {}),
        "queue": (client, "/", {}),
        "queue, filtered by htmx": (client, "/?q=troops", {"HX-Request": "true"}),
        "articles": (client, "/articles/", {}),
        "reader": (client, f"/articles/{seeded.pk}/?claim={claim.pk}", {}),
        "claim panel": (client, f"/claims/{claim.pk}/panel/", {"HX-Request": "true"}),
        "submit form": (client, "/articles/new/", {}),
        "stale sources": (client, "/stale/", {}),
        "published claim (public)": (anonymous, f"/claims/{published.pk}/", {}),
        "published claim (desk)": (client, f"/claims/{published.pk}/", {}),
    }
    for name, (who, url, headers) in pages.items():
        response = get_html(who, url, **headers)
        assert_strict_policy(response)
        body = response.content
        assert inline_code(body) == [], name
        # The desk's own templates use classes, never inline styles.
        assert inline_styles(body) == [], name
    # The error pages are the desk's templates too.
    missing = client.get("/articles/00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == 404
    assert_strict_policy(missing)
    assert inline_code(missing.content) == [] and inline_styles(missing.content) == []
    # The public page's ClaimReview markup is a data block, which the policy lets be.
    public = anonymous.get(f"/claims/{published.pk}/")
    assert b'<script type="application/ld+json">' in public.content


def test_admin_and_api_pages_send_the_policy_and_need_no_inline_script(seeded: Article) -> None:
    admin = get_user_model().objects.get(username="demo-admin")
    claim = seeded.claims.get(review__state=State.IN_REVIEW)
    client = Client()
    client.force_login(admin)
    pages = {
        "admin index": "/admin/",
        "admin reviews": "/admin/reviews/review/",
        "admin review": f"/admin/reviews/review/{claim.review.pk}/change/",
        "admin review history": f"/admin/reviews/review/{claim.review.pk}/history/",
        "admin claims": "/admin/annotations/claim/",
        "api docs": "/api/docs/",
    }
    for name, url in pages.items():
        response = get_html(client, url)
        assert_strict_policy(response)
        assert inline_code(response.content) == [], name
    assert_strict_policy(get_html(Client(), "/admin/login/"))

    # Swagger UI's page: no inline style, its init script a same-site-only file.
    docs = get_html(client, "/api/docs/")
    assert inline_styles(docs.content) == []
    script_src = lxml.html.fromstring(docs.content).xpath("//script/@src")[-1]
    assert script_src.startswith("/api/docs/?") and "script" in script_src
    script = client.get(script_src)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content
    # It carries the CSRF token: no other site may include it with <script src>.
    assert script["Cross-Origin-Resource-Policy"] == "same-origin"
    # The docs page itself is no operation of the API.
    assert b"/api/docs/" not in client.get("/api/schema/").content

    # DRF's browsable API: its styles are inline (allowed there only), its scripts are not.
    browsable = get_html(client, "/api/v1/articles/", Accept="text/html")
    assert_strict_policy(browsable, inline_styles=True)
    assert inline_code(browsable.content) == []
    assert b"Log out" in browsable.content
    # DRF's login page is the desk's sign-in page.
    drf_login = get_html(Client(), "/api/auth/login/?next=/api/v1/articles/")
    assert_strict_policy(drf_login)
    assert inline_code(drf_login.content) == [] and inline_styles(drf_login.content) == []
    assert b"Sign in to the desk" in drf_login.content


def test_the_api_login_page_signs_in_and_returns_to_the_api(seeded: Article) -> None:
    client = Client()
    page = client.get("/api/auth/login/?next=/api/v1/articles/")
    action = lxml.html.fromstring(page.content).xpath("//form[.//input[@name='password']]")[0]
    signed_in = client.post(
        action.get("action"),
        {"username": "demo-editor", "password": "factcheck-demo", "next": "/api/v1/articles/"},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/api/v1/articles/"
    api = client.get("/api/v1/articles/", headers={"Accept": "application/json"})
    assert api.status_code == 200


# --- In a real browser -------------------------------------------------------------------------


@pytest.fixture
def csp_violations(browser_page: Any) -> list[str]:
    """Every CSP violation the page reports: the securitypolicyviolation event (recorded by a
    script the browser runs in each document, outside the page's policy) and console errors."""
    page = browser_page
    found: list[str] = []
    page.context.add_init_script(
        """document.addEventListener("securitypolicyviolation", (e) => {
            console.error(`Content Security Policy violation: ${e.violatedDirective} `
                + `blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
        });"""
    )

    def record(message: Any) -> None:
        if message.type == "error" and CSP_MESSAGE.search(message.text):
            found.append(f"{page.url}: {message.text}")

    page.on("console", record)
    return found


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_reader_panel_admin_and_api_docs_run_under_the_policy(
    seeded: Article, browser_page: Any, sign_in: Any, csp_violations: list[str]
) -> None:
    page = browser_page
    make_link_history(seeded)
    sign_in(page, "demo-reviewer")
    assert csp_violations == []
    open_seed_article(page)

    # Mark a claim with the mouse; the panel opens by htmx, a transition swaps it again.
    drag_select(page, "600,000 Russian soldiers")
    page.wait_for_function("!document.getElementById('mark-button').disabled")
    page.get_by_role("button", name="Mark claim").click()
    panel = page.locator("#claim-panel")
    panel.get_by_text("“600,000 Russian soldiers”").wait_for()
    panel.get_by_role("button", name="Take").click()
    panel.get_by_text("You took this claim.").wait_for()
    panel.locator("summary", has_text="Add evidence").click()
    panel.get_by_role("textbox", name="URL", exact=True).wait_for()
    # A highlight click opens another claim's panel.
    other = seeded.claims.get(review__state=State.IN_REVIEW)
    page.locator(f'mark.hl[data-claim="{other.pk}"]').first.click()
    panel.locator(f'[data-open-claim="{other.pk}"]').wait_for()
    # The queue filters by htmx as one types.
    page.get_by_role("link", name="Queue", exact=True).click()
    with page.expect_response(lambda r: "q=troops" in r.url):
        page.get_by_label("Search").fill("troops")
    page.goto("/stale/")
    page.locator("svg.chart").wait_for()
    assert csp_violations == []

    sign_in(page, "demo-admin")
    page.goto("/admin/")
    page.get_by_role("link", name="Reviews").first.wait_for()
    review = other.review
    page.goto(f"/admin/reviews/review/{review.pk}/change/")
    page.locator("#review-workflow").wait_for()
    page.goto(f"/admin/reviews/review/{review.pk}/history/")
    page.locator("#change-history").wait_for()
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title", has_text="factcheck API").wait_for()
    page.locator(".opblock").first.wait_for()
    page.locator(".opblock-summary").first.click()
    page.locator(".opblock-body").first.wait_for()
    page.goto("/api/v1/articles/")
    page.get_by_role("button", name="Log out").wait_for()
    assert csp_violations == []


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_a_violation_would_be_caught(browser_page: Any, csp_violations: list[str]) -> None:
    """The check above sees violations: an inline style added to a page is reported."""
    page = browser_page
    page.goto("/accounts/login/")
    with page.expect_console_message(lambda m: bool(CSP_MESSAGE.search(m.text))):
        page.evaluate(
            """document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>')"""
        )
    assert any("style-src-attr" in v for v in csp_violations), csp_violations
