"""Secrets carried in URLs, masked wherever a URL is logged or shown in error text.

A URL may carry a credential: userinfo (`https://user:pass@host/`, `redis://:pass@host`) or
a query parameter such as `?token=`, `?api_key=`, `&X-Amz-Signature=`. Those URLs reach
log lines, stored error messages (a link check's, a webhook delivery's) and Django's error
reports; `mask_url_secrets` rewrites any text so that such values read `***`.

Used by: the logging filter on every handler (`MaskUrlSecretsFilter`), the exception
reporter and its filter (`factcheck.handlers`: DEBUG pages and error e-mails), link-check
and webhook error messages. Hand-written: Django's
SafeExceptionReporterFilter hides settings by *name* only and never looks inside values.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

# Parameter names that carry a secret: these words alone, or at the end of a longer name
# after "_", "-" or "." (client_secret, refresh_token, X-Amz-Signature, api-key).
_SECRET_WORDS = (
    "token|key|secret|password|passwd|pwd|sig|signature|credential|credentials|auth"
    "|apikey|api_key|access_token|session|sessionid"
)
_SECRET_NAME = re.compile(rf"(?:[\w.~%-]*[_.-])?(?:{_SECRET_WORDS})", re.IGNORECASE)
# userinfo of any URL: "scheme://" then everything up to the "@" before the host.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@\\\[\]]*@")
# name=value after "?", "&" or ";" (or at the very start: a bare query string).
_PARAM = re.compile(r"(^|[?&;])([^=&#;?/:\s\"'<>]+)=([^&#;\s\"'<>]*)")


def is_secret_name(name: str) -> bool:
    """Whether a query parameter (or form field) of this name carries a secret."""
    return bool(_SECRET_NAME.fullmatch(name))


def _param(match: re.Match[str]) -> str:
    lead, name, value = match.groups()
    if value and is_secret_name(name):
        return f"{lead}{name}={MASK}"
    return match.group(0)


def mask_url_secrets(text: str) -> str:
    """`text` with the userinfo of every URL and the values of secret-named parameters
    replaced by `***`. Works on a URL, a query string or any message holding URLs."""
    if not text or not isinstance(text, str):
        return text
    if "@" in text:
        text = _USERINFO.sub(rf"\1{MASK}@", text)
    if "=" in text:
        text = _PARAM.sub(_param, text)
    return text


class MaskUrlSecretsFilter(logging.Filter):
    """A logging filter: the record's message (and traceback) with URL secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is the formatter's to report
            return True
        masked = mask_url_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_url_secrets(logging.Formatter().formatException(record.exc_info))
        return True
