"""Limits shared by every worker process and machine, kept in Redis (no ORM, no Django).

- `RedisHostGate`: a per-host and a global concurrency limit. Each is a sorted set of holders
  scored by when they took their slot; a slot not released within `token_ttl` (a worker killed
  mid-request) expires by itself. Acquire and release are Lua scripts, so check-and-take is
  atomic across processes; timestamps come from the Redis server clock, so machines with
  skewed clocks agree.
- A circuit breaker per origin (scheme, host, port), checked in the same acquire script: an
  origin whose checks failed `threshold` times in a row is left alone for a cool-down that
  doubles with each trip. Per origin, not per host: a closed port cited many times pauses
  that port only, never the rest of the site. Only the checks of links feed it (not the
  soft-404 probes, not archive look-ups).
- `delivery_count`: how many times a task id was delivered, so a task that kills its worker
  every time is given up instead of looping forever.
The link checker keeps its soft-404 probes under the same prefix (`linkhealth.probes`), through
`SharedLimits.client`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aredis

PREFIX = "linkcheck"

# KEYS: host holders, global holders, host breaker, host queue, host queue heartbeats, host
# wake list.
# ARGV: host limit, global limit, token, token ttl (ms), queue (1: join the host's queue when
# turned away), waiter ttl (ms). Returns 1 (taken), 0 (not now), or -N (breaker open for N
# more ms).
#
# Waiters are served first come, first served: a caller takes a free slot only when every
# live waiter ahead of it could take one too, so a process that keeps coming back (a holder
# queueing again after a long hold, a second lane looking for a spare slot) cannot starve
# one that has been waiting. A waiter that stops polling (its process died, or it gave up
# and left) drops out of the queue after the waiter ttl.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local open_until = tonumber(redis.call('HGET', KEYS[3], 'open_until') or '0')
if open_until > now then return -(open_until - now) end
local ttl = tonumber(ARGV[4])
local wttl = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl)
local gone = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now - wttl)
if #gone > 0 then
  redis.call('ZREM', KEYS[4], unpack(gone))
  redis.call('ZREM', KEYS[5], unpack(gone))
end
local ahead = redis.call('ZRANK', KEYS[4], ARGV[3])
if not ahead then ahead = redis.call('ZCARD', KEYS[4]) end
if redis.call('ZCARD', KEYS[1]) + ahead < tonumber(ARGV[1])
   and redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('ZADD', KEYS[2], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  redis.call('PEXPIRE', KEYS[2], ttl * 2)
  redis.call('ZREM', KEYS[4], ARGV[3])
  redis.call('ZREM', KEYS[5], ARGV[3])
  return 1
end
if ARGV[5] == '1' then
  if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
    -- A slot is free but a waiter ahead is due it: wake the waiters so that one takes it.
    redis.call('RPUSH', KEYS[6], '1')
    redis.call('LTRIM', KEYS[6], -4, -1)
    redis.call('PEXPIRE', KEYS[6], wttl)
  end
  redis.call('ZADD', KEYS[4], 'NX', now, ARGV[3])
  redis.call('ZADD', KEYS[5], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[4], wttl * 2)
  redis.call('PEXPIRE', KEYS[5], wttl * 2)
end
return 0
"""

# KEYS: host queue, host queue heartbeats; ARGV: token. A waiter that gives up leaves.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

# KEYS: holder sets; ARGV: tokens (same order). Holders still working renew their slots.
_REFRESH = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now, ARGV[i])
end
return 1
"""

# KEYS: host holders, global holders, host queue, host wake list; ARGV: token, waiter ttl.
# Waiters block on the wake list (BLPOP) between attempts: a released slot wakes one at once
# instead of idling until its next poll.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[3]) > 0 then
  redis.call('RPUSH', KEYS[4], '1')
  redis.call('LTRIM', KEYS[4], -4, -1)
  redis.call('PEXPIRE', KEYS[4], tonumber(ARGV[2]))
end
return 1
"""

# KEYS: host breaker. ARGV: failed (0/1), threshold, base cool-down (ms), max cool-down (ms).
# Returns the ms the breaker is now open for (0 when closed).
_OUTCOME = """
if ARGV[1] == '0' then
  redis.call('DEL', KEYS[1])
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('PEXPIRE', KEYS[1], 7 * 24 * 3600 * 1000)
if failures < tonumber(ARGV[2]) then return 0 end
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if open_until > now then return open_until - now end
local trips = redis.call('HINCRBY', KEYS[1], 'trips', 1)
local cool = math.min(tonumber(ARGV[3]) * 2 ^ (trips - 1), tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 'open_until', now + cool)
return cool
"""


def _hostname(key: str) -> str:
    """The hostname of an origin key (`scheme://host:port`); a bare hostname as it is."""
    if "://" not in key:
        return key
    host, _, _port = key.split("://", 1)[1].rpartition(":")
    return host.strip("[]")


def _host_key(host: str) -> str:
    return f"{PREFIX}:host:{host}"


def breaker_key(origin: str) -> str:
    """The Redis hash of an origin's circuit breaker (an `origin_key`)."""
    return f"{PREFIX}:breaker:{origin}"


def _queue_keys(host: str) -> list[str]:
    return [f"{PREFIX}:queue:{host}", f"{PREFIX}:queue-seen:{host}"]


def _wake_key(host: str) -> str:
    return f"{PREFIX}:wake:{host}"


GLOBAL_KEY = f"{PREFIX}:global"


def keys_pattern() -> str:
    """A SCAN pattern for every key kept here (slots, queues, breakers, probes, deliveries)."""
    return f"{PREFIX}:*"


@dataclass(frozen=True)
class LimitConfig:
    per_host: int = 2
    global_limit: int = 50
    # A slot not renewed for this long belongs to a dead worker and is taken back. Live
    # holders renew theirs every third of it, so it can be short.
    token_ttl_seconds: float = 6.0
    # How long one URL waits for a slot before it is deferred (re-queued for later).
    max_wait_seconds: float = 2.0
    # How long a holder checks one URL after another on the same slot before it gives the
    # slot back and queues again (so a process waiting for that host gets its turn, and an
    # opened breaker is seen). Default: a quarter of max_wait_seconds.
    max_hold_seconds: float | None = None
    # A waiter that has not polled for this long has left the host's queue.
    waiter_ttl_seconds: float = 1.0
    breaker_threshold: int = 5
    breaker_cooldown_seconds: float = 60.0
    breaker_max_cooldown_seconds: float = 3600.0


def async_client(url: str) -> aredis.Redis:
    """The gate's Redis client; bound to the event loop that first uses it."""
    return aredis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


class RedisHostGate:
    """`fetcher.HostGate` on Redis. Create it inside the event loop that will use it.

    When a host is full the caller waits up to `max_wait_seconds` (polling, never holding a
    worker process hostage); then `acquire` returns None and the URL is deferred. A host
    whose breaker is open is deferred at once; `open_for[host]` tells for how long.

    Waiters are served in the order they came (a queue per host in Redis). A slot may serve
    several URLs of its host in turn (`keep`) for up to `max_hold_seconds`; then its holder
    releases it and queues again, behind any process that was waiting for that host.
    """

    def __init__(self, url: str, config: LimitConfig, client: aredis.Redis | None = None) -> None:
        # A shared `client` (its pool's connections kept across batches) stays open on aclose.
        self._own_client = client is None
        self.client = client or async_client(url)
        self.config = config
        self._acquire = self.client.register_script(_ACQUIRE)
        self._release = self.client.register_script(_RELEASE)
        self._refresh = self.client.register_script(_REFRESH)
        self._leave = self.client.register_script(_LEAVE)
        self.open_for: dict[str, float] = {}
        # Hosts that stayed full for a whole wait: the rest of this batch's URLs on them are
        # deferred at once instead of each waiting in turn.
        self.saturated: dict[str, float] = {}
        self._held: dict[str, str] = {}  # token -> host
        self._refresher: asyncio.Task[None] | None = None
        hold = config.max_hold_seconds
        self.max_hold = config.max_wait_seconds / 4 if hold is None else hold

    def keep(self, host: str, token: str, held_for: float) -> bool:
        """Whether the holder of `token` may check one more URL of `host` on it."""
        return held_for < self.max_hold

    # `host` below is an origin key (`fetcher.origin_key`): slots and queues are per
    # hostname, the breaker per origin. A bare hostname works too (its breaker is its own).

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.config.token_ttl_seconds / 3)
            held = list(self._held.items())
            if not held:
                continue
            keys, args = [], []
            for token, host in held:
                keys += [_host_key(_hostname(host)), GLOBAL_KEY]
                args += [token, token]
            with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, OSError):
                await self._refresh(keys=keys, args=args)

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> int:
        # Redis restarting (or a failover) must not fail a whole batch: retry for a while.
        delay = 0.1
        deadline = time.monotonic() + 30
        while True:
            try:
                return int(await script(keys=keys, args=args))
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def acquire(self, host: str) -> str | None:
        return await self._take(host, wait=True)

    async def try_acquire(self, host: str) -> str | None:
        """One attempt, no waiting and no place in the queue: for a caller that already
        holds a slot on `host`. It gets a slot only when no waiter wants it."""
        return await self._take(host, wait=False)

    async def _take(self, host: str, *, wait: bool) -> str | None:
        since = self.saturated.get(host)
        if since is not None and time.monotonic() - since < self.config.max_wait_seconds * 5:
            return None
        if self._refresher is None:
            self._refresher = asyncio.create_task(self._keep_alive())
        token = secrets.token_hex(8)
        name = _hostname(host)
        wake = _wake_key(name)
        keys = [_host_key(name), GLOBAL_KEY, breaker_key(host), *_queue_keys(name), wake]
        args = [
            self.config.per_host,
            self.config.global_limit,
            token,
            int(self.config.token_ttl_seconds * 1000),
            1 if wait else 0,
            int(self.config.waiter_ttl_seconds * 1000),
        ]
        deadline = time.monotonic() + self.config.max_wait_seconds
        pause = 0.005
        queued = False
        try:
            while True:
                taken = await self._call(self._acquire, keys, args)
                if taken == 1:
                    queued = False
                    self._held[token] = host
                    return token
                if taken < 0:
                    self.open_for[host] = -taken / 1000
                    return None
                if not wait:
                    return None
                queued = True
                if time.monotonic() >= deadline:
                    self.saturated[host] = time.monotonic()
                    return None
                # Wait for a release (or the next poll: they stay well inside the waiter
                # ttl, so a live waiter keeps its place).
                await self._wait_for_wake(wake, pause * random.uniform(0.5, 1.5))
                pause = min(pause * 1.5, 0.05, self.config.waiter_ttl_seconds / 4)
        finally:
            if queued:  # gave up or was cancelled: make way for the next waiter
                with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, OSError):
                    await self._leave(keys=_queue_keys(name), args=[token])

    async def _wait_for_wake(self, key: str, seconds: float) -> None:
        try:
            await self.client.blpop([key], timeout=max(seconds, 0.001))
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            await asyncio.sleep(seconds)  # the next attempt retries through _call

    async def release(self, host: str, token: str) -> None:
        self._held.pop(token, None)
        name = _hostname(host)
        keys = [_host_key(name), GLOBAL_KEY, _queue_keys(name)[0], _wake_key(name)]
        # On a Redis outage the slot expires after token_ttl by itself.
        with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, OSError):
            await self._release(keys=keys, args=[token, int(self.config.waiter_ttl_seconds * 1000)])

    async def aclose(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self._own_client:
            await self.client.aclose()


class SharedLimits:
    """The synchronous side: breaker outcomes, delivery counts."""

    def __init__(self, url: str, config: LimitConfig) -> None:
        self.url = url
        self.config = config
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._outcome = self.client.register_script(_OUTCOME)

    def _retrying(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        delay = 0.1
        deadline = time.monotonic() + 30
        while True:
            try:
                return fn(*args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def record_origin_outcome(self, origin: str, *, failed: bool) -> float:
        """Feed the origin's breaker; returns the seconds it is now open for (0: closed)."""
        ms = self._retrying(
            self._outcome,
            keys=[breaker_key(origin)],
            args=[
                1 if failed else 0,
                self.config.breaker_threshold,
                int(self.config.breaker_cooldown_seconds * 1000),
                int(self.config.breaker_max_cooldown_seconds * 1000),
            ],
        )
        return int(ms) / 1000

    def breaker_open_for(self, origin: str) -> float:
        """Seconds the origin's breaker stays open (0 when closed)."""
        raw = self._retrying(self.client.hget, breaker_key(origin), "open_until")
        if not raw:
            return 0.0
        now_s, now_us = self._retrying(self.client.time)
        return max(0.0, int(raw) / 1000 - (now_s + now_us / 1e6))

    def delivery_count(self, task_id: str) -> int:
        """Count one more delivery of `task_id` and return the total so far."""
        key = f"{PREFIX}:deliveries:{task_id}"
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, 7 * 24 * 3600)
        return int(self._retrying(pipe.execute)[0])
