"""One fetch event loop per process, kept for the life of the process (no ORM, no Django).

A worker process checks batch after batch. Giving each batch a fresh event loop would also
give it a fresh HTTP client and fresh Redis connections: every batch would open a TCP
connection per host and a Redis connection per lane before its first check. The loop here
runs in a daemon thread and keeps one `fetcher.Client` per `FetchConfig` and one async Redis
client per URL, so kept-alive connections serve the batches that follow.

The loop belongs to the process that started it: after a fork (Celery's prefork pool) the
child starts its own on first use. At exit the clients are closed and the loop stopped.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as aredis

from factcheck.egress.fetcher import Client, FetchConfig, make_client
from factcheck.egress.limits import async_client

T = TypeVar("T")


class FetchLoop:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self._clients: dict[FetchConfig, Client] = {}
        self._redis: dict[str, aredis.Redis] = {}
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="linkcheck-fetch", daemon=True
        )
        self.thread.start()

    # Called on the loop: clients are bound to the loop that made them.
    def client(self, config: FetchConfig) -> Client:
        client = self._clients.get(config)
        if client is None or client.session.closed:
            client = self._clients[config] = make_client(config)
        return client

    def redis(self, url: str) -> aredis.Redis:
        client = self._redis.get(url)
        if client is None:
            client = self._redis[url] = async_client(url)
        return client

    def submit(self, work: Callable[[FetchLoop], Awaitable[T]]) -> concurrent.futures.Future[T]:
        """Run `work(self)` on the loop; cancelling the returned future cancels the work."""

        async def run() -> T:
            return await work(self)

        return asyncio.run_coroutine_threadsafe(run(), self.loop)

    async def _aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        redis_clients, self._redis = list(self._redis.values()), {}
        for client in clients:
            await client.aclose()
        for rclient in redis_clients:
            await rclient.aclose()

    def close(self, timeout: float = 5.0) -> None:
        if not self.loop.is_running():
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._aclose(), self.loop).result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)


_current: FetchLoop | None = None
_lock = threading.Lock()


def fetch_loop() -> FetchLoop:
    """This process's fetch loop, started on first use."""
    global _current
    with _lock:
        if _current is None or _current.pid != os.getpid() or not _current.thread.is_alive():
            # A loop inherited through fork has no thread in this process: start anew.
            _current = FetchLoop()
        return _current


@atexit.register
def _close_at_exit() -> None:
    loop: Any = _current
    if loop is not None and loop.pid == os.getpid():
        loop.close()
