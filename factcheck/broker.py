"""Enqueueing tasks so that a broker outage never fails the write that asked for them.

Every service that enqueues work does it through `enqueue_on_commit` (or `enqueue` outside
a transaction). When the broker cannot be reached the error is logged (rate-limited, see
LOGGING) and swallowed: the rows the service committed already say what is due (a link's
`next_check_at`, a pending webhook delivery, an unsent email), so nothing is lost that a
periodic job or a later request would not pick up again (`reviews.redelivery` for
deliveries, emails and re-review notices). The publish retry policy in settings
(CELERY_TASK_PUBLISH_RETRY_POLICY) keeps a dead broker from holding the request for long.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import redis
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    BrokerError,
    redis.ConnectionError,
    redis.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def enqueue(task: Any, *args: Any, countdown: float | None = None, **kwargs: Any) -> bool:
    """Send `task(*args, **kwargs)` now. False when the broker could not be reached."""
    try:
        if countdown is None:
            task.delay(*args, **kwargs)
        else:
            task.apply_async(args=args, kwargs=kwargs, countdown=countdown)
    except BROKER_ERRORS as exc:
        logger.warning(
            "broker unavailable, %s not enqueued (its work stays due): %s",
            getattr(task, "name", task),
            f"{type(exc).__name__}: {exc}",
        )
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Send `task(*args, **kwargs)` once the current transaction commits (at once outside
    one); see `enqueue`."""
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))
