"""How the desk shows states, verdicts and link health: labels and CSS hooks, no rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotations.linkhealth.health import LinkHealth
from annotations.models import STALE_HEALTHS, TextSource
from annotations.querysets import evidence_is_stale
from factcheck.egress.guard import ALLOWLIST_REFUSAL
from reviews.workflow import State, Verdict

VERDICT_GROUP = {
    Verdict.TRUE: "v-true",
    Verdict.MOSTLY_TRUE: "v-true",
    Verdict.MIXED: "v-mixed",
    Verdict.MISLEADING: "v-mixed",
    Verdict.UNPROVEN: "v-mixed",
    Verdict.MOSTLY_FALSE: "v-false",
    Verdict.FALSE: "v-false",
}

STATE_KIND = {
    State.UNASSIGNED: "new",
    State.IN_PROGRESS: "working",
    State.RETURNED: "working",
    State.IN_REVIEW: "in-review",
    State.NOT_CHECKABLE: "nc",
}

# The legend of the reader: (kind, label, how it looks besides its colour).
LEGEND = (
    ("new", "Unassigned", "dotted underline"),
    ("working", "In progress or returned", "dashed underline"),
    ("in-review", "Verdict proposed, in review", "solid underline"),
    ("v-true", "Published: true, mostly true", "double underline, ✓ in the list"),
    ("v-mixed", "Published: mixed, misleading, unproven", "double underline, ~ in the list"),
    ("v-false", "Published: false, mostly false", "double underline, ✗ in the list"),
    ("nc", "Not checkable", "wavy grey underline"),
)

VERDICT_SYMBOL = {"v-true": "✓", "v-mixed": "~", "v-false": "✗"}


@dataclass
class Shown:
    """A model row plus what the page shows about it; reads through to the row."""

    obj: Any
    extra: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        return getattr(self.__dict__["obj"], name)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def claim_kind(review: Any) -> str:
    if review is None:
        return "new"
    if review.state == State.PUBLISHED:
        return VERDICT_GROUP.get(review.verdict, "v-mixed")
    return STATE_KIND.get(review.state, "new")


def claim_label(review: Any) -> str:
    if review is None:
        return "unassigned"
    label = State(review.state).label
    if review.verdict:
        label += f" · verdict: {Verdict(review.verdict).label}"
    return label


@dataclass(frozen=True)
class HealthBadge:
    css: str  # ok | warn | bad | muted
    label: str
    detail: str = ""


_HEALTH_CSS = {
    LinkHealth.OK: "ok",
    LinkHealth.REDIRECTED: "warn",
    LinkHealth.BLOCKED: "warn",
    LinkHealth.ERROR: "warn",
    LinkHealth.BROKEN: "bad",
    LinkHealth.DEAD: "bad",
    LinkHealth.SOFT_404: "bad",
    LinkHealth.UNSAFE: "bad",
    LinkHealth.UNCHECKED: "muted",
}

_HEALTH_DETAIL = {
    LinkHealth.OK: "The page answered normally.",
    LinkHealth.REDIRECTED: "The page moved permanently.",
    LinkHealth.BLOCKED: "The site refused the checker (login, rate limit or bot wall); "
    "not necessarily gone.",
    LinkHealth.ERROR: "Temporary failure (server error or timeout); it will be retried.",
    LinkHealth.BROKEN: "Not found (404/410) or the host does not resolve.",
    LinkHealth.DEAD: "Broken on repeated checks over several days.",
    LinkHealth.SOFT_404: "Answers 200 but shows an error page or the site's home page.",
    LinkHealth.UNSAFE: "Refused before fetching: a private or internal address, an address "
    "outside the egress allow-list, or an odd scheme or port.",
    LinkHealth.UNCHECKED: "Not checked yet.",
}


# An `unsafe` link refused only because the egress allow-list leaves its address out (a
# locked-down deployment, a demo without internet) is no danger: the desk says so, apart from
# a private or internal address (the guard's messages name which; see factcheck.egress.guard).
_NOT_ALLOWED = HealthBadge(
    "muted",
    "outside the allowed networks",
    "Not fetched: the address is outside the allowed networks (egress allow-list, "
    "LINKCHECK_EGRESS_ALLOWLIST). Nothing is known about the page itself.",
)


def _health_badge(link: Any) -> HealthBadge:
    health = link.health
    if health == LinkHealth.UNSAFE:
        reason = link.last_error or ""
        if ALLOWLIST_REFUSAL in reason:
            return _NOT_ALLOWED
        if reason:
            return HealthBadge("bad", "unsafe", f"Refused before fetching: {reason}.")
    return HealthBadge(
        _HEALTH_CSS.get(health, "muted"), LinkHealth(health).label, _HEALTH_DETAIL.get(health, "")
    )


def health_label(link: Any) -> str:
    """The link's health in words, with the reason a refusal or failure gave."""
    badge = _health_badge(link)
    if badge is _NOT_ALLOWED:
        return "not fetched, outside the allowed networks (egress allow-list)"
    if link.health == LinkHealth.UNSAFE and link.last_error:
        return f"unsafe ({link.last_error})"
    if link.health in (LinkHealth.BROKEN, LinkHealth.ERROR, LinkHealth.DEAD) and link.last_error:
        return f"{badge.label} ({link.last_error})"
    return badge.label


def health_badges(evidence: Any) -> list[HealthBadge]:
    """Badges for one evidence row (loaded with its link): health, changed, stale."""
    link = evidence.link
    health = link.health
    badges = [_health_badge(link)]
    if evidence.changed:
        badges.append(
            HealthBadge("bad", "changed", "The page no longer matches what it was when attached.")
        )
    stale_by_age = health not in STALE_HEALTHS and not evidence.changed
    if stale_by_age and evidence_is_stale(evidence):
        badges.append(
            HealthBadge("warn", "stale", "No successful check within the freshness window.")
        )
    return badges


@dataclass(frozen=True)
class RevisionRow:
    """One line of an article's revision history."""

    number: int
    created_at: Any
    by: str  # empty: stored by the watch (a scheduled re-fetch), not by a person
    what: str  # "submitted" | "resubmitted" | "fetched" | "refetched"
    current: bool


def revision_what(revision: Any) -> str:
    """How a revision came in: a text a client sent (the first one submitted, a later one
    resubmitted), or the text extracted from the article's page (fetched, then refetched: by
    the watch or a reviewer's refetch)."""
    first = revision.number == 1
    if revision.origin == TextSource.FETCHED:
        return "fetched" if first else "refetched"
    return "submitted" if first else "resubmitted"


def revision_rows(article: Any, revisions: Any) -> list[RevisionRow]:
    return [
        RevisionRow(
            number=r.number,
            created_at=r.created_at,
            by=r.created_by.get_username() if r.created_by is not None else "",
            what=revision_what(r),
            current=r.number == article.current_revision,
        )
        for r in revisions
    ]
