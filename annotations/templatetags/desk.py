"""Small presentation helpers for the desk's templates."""

from __future__ import annotations

from typing import Any

from django import template

from factcheck import urlnorm
from factcheck.roles import ALL_ROLES, user_roles
from reviews.notifications import notification_unread_count

register = template.Library()


@register.simple_tag
def roles_label(user: Any) -> str:
    """The user's roles as words, in a fixed order ("editor, reviewer")."""
    roles = user_roles(user)
    if getattr(user, "is_superuser", False):
        return "admin"
    return ", ".join(r for r in sorted(ALL_ROLES) if r in roles) or "no role"


@register.simple_tag
def unread_notifications(user: Any) -> int:
    """How many notifications the user has not read (the header's count)."""
    return notification_unread_count(user=user)


@register.filter
def label(value: str) -> str:
    return (value or "").replace("_", " ")


@register.filter
def verdict_symbol(kind: str) -> str:
    """✓, ~ or ✗ for a published verdict's kind, so a verdict never shows by colour alone."""
    from annotations.web.present import VERDICT_SYMBOL

    return VERDICT_SYMBOL.get(kind, "")


@register.filter
def url_host(url: str) -> str:
    """The host a browser opens for `url` (WHATWG parsing, IDNA 2008), '' when invalid.
    Shown beside a link, it names where the link really goes, whatever the row stored."""
    return urlnorm.url_host(url or "")


@register.filter
def get_count(counts: dict[str, int], key: str) -> int:
    return counts.get(key, 0)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping[key]`, or None (a template has no subscript)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def ld_json_script(value: Any) -> str:
    """`<script type="application/ld+json">` for crawlers, escaped like `json_script`."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils.safestring import mark_safe

    data = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{data}</script>')  # noqa: S308
