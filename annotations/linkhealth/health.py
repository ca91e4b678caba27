"""The health of a link: the one enum for the model's choices and the classifier's verdicts.

A `TextChoices` (an enum, not a model), kept out of `annotations.models` so the pure
classifier can use it without importing the ORM models.
"""

from __future__ import annotations

from django.db import models


class LinkHealth(models.TextChoices):
    """The values of the design ("Link health"). `unchecked` is the state before any check:
    the classifier never returns it."""

    UNCHECKED = "unchecked", "unchecked"
    OK = "ok", "ok"
    REDIRECTED = "redirected", "redirected"
    BROKEN = "broken", "broken"
    DEAD = "dead", "dead"
    ERROR = "error", "error"
    BLOCKED = "blocked", "blocked"
    SOFT_404 = "soft_404", "soft 404"
    UNSAFE = "unsafe", "unsafe"


# A link that answered but is gone: the classifier reads a link's recent checks of these
# healths to tell one that stays broken (dead) from one that failed once.
BROKEN_HEALTHS: tuple[LinkHealth, ...] = (LinkHealth.BROKEN, LinkHealth.DEAD)
