"""Real worker processes on Redis: killed workers, a restarted Redis, limits across workers.

Every link of a batch must end up checked exactly once (one LinkCheck), whatever happens to
the worker or the broker in between.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count
from django.utils import timezone

from annotations.models import Link, LinkCheck
from tests.annotations.linkhealth.test_services import Site
from tests.helpers import broker_idle

pytestmark = [pytest.mark.worker]


def wait_until(predicate: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def slow_site() -> Iterator[Site]:
    srv = Site()
    srv.delay = 0.25
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def worker_env(site: Site, **extra: str) -> dict[str, str]:
    env = {
        "LINKCHECK_ALLOWED_NETWORKS": "127.0.0.1/32",
        "LINKCHECK_ALLOWED_PORTS": str(site.port),
        "LINKCHECK_ARCHIVE_AVAILABILITY_URL": "",
        "LINKCHECK_PER_HOST_LIMIT": "2",
    }
    env.update(extra)
    return env


def make_links(site: Site, n: int, prefix: str = "article") -> list[int]:
    now = timezone.now()
    links = Link.objects.bulk_create(
        [
            Link(url=site.url(f"/{prefix}/{i}"), host="127.0.0.1", next_check_at=now)
            for i in range(n)
        ]
    )
    return [link.pk for link in links]


def assert_each_checked_once(ids: list[int]) -> None:
    counts = dict(
        LinkCheck.objects.filter(link_id__in=ids)
        .values_list("link_id")
        .annotate(n=Count("id"))
        .values_list("link_id", "n")
    )
    assert counts == {i: 1 for i in ids}
    assert set(Link.objects.filter(id__in=ids).values_list("health", flat=True)) == {"ok"}


def pool_children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(x) for x in text.split()]


def test_kill_9_worker_mid_batch_every_link_checked_exactly_once(
    start_worker: Any, slow_site: Site, settings: Any
) -> None:
    from annotations.linkhealth.tasks import check_links_batch

    worker = start_worker(extra_env=worker_env(slow_site), concurrency=1)
    ids = make_links(slow_site, 40)  # 20 rounds of 2 x 0.25 s: ~5 s of work
    check_links_batch.delay(ids)
    assert wait_until(lambda: LinkCheck.objects.count() >= 4, 20), worker.output()[-3000:]
    (child,) = pool_children(worker.proc.pid)
    os.kill(child, signal.SIGKILL)  # the process running the batch, mid-batch
    assert LinkCheck.objects.count() < len(ids)
    # reject_on_worker_lost: the batch is delivered again and finishes what was left.
    assert wait_until(lambda: LinkCheck.objects.count() >= len(ids), 40), worker.output()[-3000:]
    # Nothing more arrives: the redelivered batch was acknowledged, none is left to run.
    assert wait_until(broker_idle(settings.REDIS_URL), 20), worker.output()[-3000:]
    assert_each_checked_once(ids)
    # The task (not only its process) was lost to the kill, which is what redelivers it.
    assert "WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL)" in worker.output()


def test_per_host_limit_holds_across_worker_processes(
    start_worker: Any, slow_site: Site, settings: Any
) -> None:
    from annotations.linkhealth.tasks import check_links_batch

    env = worker_env(slow_site)
    start_worker(extra_env=env, concurrency=2)
    start_worker(extra_env=env, concurrency=1)
    ids = make_links(slow_site, 24)
    for i in range(0, 24, 4):  # six batches of the same host on three processes
        check_links_batch.delay(ids[i : i + 4])
    assert wait_until(lambda: LinkCheck.objects.count() >= len(ids), 60)
    assert wait_until(broker_idle(settings.REDIS_URL), 20)  # every batch acknowledged
    assert_each_checked_once(ids)
    assert slow_site.max_in_flight == 2  # each process alone would allow 2


class PrivateRedis:
    """A redis-server of this test's own, persisting every write (AOF, fsync always)."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_until(self._up, 10), "redis-server did not start"

    def _up(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    yield server
    server.kill()


def test_redis_restart_while_a_batch_runs_loses_nothing(
    start_worker: Any, slow_site: Site, private_redis: PrivateRedis, settings: Any
) -> None:
    from annotations.linkhealth.tasks import check_links_batch
    from factcheck.celery import app

    settings.LINKCHECK_REDIS_URL = private_redis.url
    worker = start_worker(
        extra_env=worker_env(slow_site, REDIS_URL=private_redis.url), concurrency=1
    )
    ids = make_links(slow_site, 32)

    def send(batch: list[int]) -> None:
        with app.connection_for_write(private_redis.url) as conn:
            check_links_batch.apply_async((batch,), connection=conn)

    for i in range(0, 32, 8):  # four batches: one running, three waiting in Redis
        send(ids[i : i + 8])
    assert wait_until(lambda: LinkCheck.objects.count() >= 2, 20), worker.output()[-3000:]
    private_redis.kill()  # mid-batch, with tasks queued
    time.sleep(1.5)
    private_redis.start()
    assert wait_until(lambda: LinkCheck.objects.count() >= len(ids), 60), worker.output()[-3000:]
    # The worker reconnected: new work still gets done.
    more = make_links(slow_site, 2, prefix="article/after")
    send(more)
    assert wait_until(lambda: LinkCheck.objects.filter(link_id__in=more).count() == 2, 30), (
        worker.output()[-3000:]
    )
    assert wait_until(broker_idle(private_redis.url), 20), worker.output()[-3000:]
    assert_each_checked_once(ids + more)


def test_batch_delivered_after_a_newer_check_skips_that_link(
    start_worker: Any, slow_site: Site, settings: Any
) -> None:
    from annotations.linkhealth import batches

    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.LINKCHECK_ALLOWED_PORTS = [slow_site.port]
    settings.LINKCHECK_ARCHIVE_AVAILABILITY_URL = ""
    ids = make_links(slow_site, 3)
    # The beat enqueues one batch; no worker is up yet, the message waits in Redis (as a
    # batch whose worker was killed waits for its redelivery).
    assert sorted(batches.links_enqueue_due()) == sorted(ids)
    # Meanwhile one of its links is checked by someone else.
    batches.links_check_batch(link_ids=[ids[0]], attempt_prefix="elsewhere", shared=False)
    assert LinkCheck.objects.filter(link_id=ids[0]).count() == 1
    worker = start_worker(extra_env=worker_env(slow_site), concurrency=1)
    worker.wait_for("'skipped': 1}")  # the batch task's result, logged when it succeeds
    assert LinkCheck.objects.filter(link_id=ids[0]).count() == 1
    assert set(
        LinkCheck.objects.filter(link_id__in=ids[1:]).values_list("link_id", flat=True)
    ) == set(ids[1:])
    assert_each_checked_once(ids)
