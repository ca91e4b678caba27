from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory, article_create, claim_create
from tests.servers import LocalSite


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    def make(username: str, role: str | None = None, **kwargs: Any) -> Any:
        return UserFactory(username=username, role=role, **kwargs)

    return make


@pytest.fixture
def reviewer(make_user: Callable[..., Any]) -> Any:
    return make_user("rita", "reviewer")


@pytest.fixture
def reviewer2(make_user: Callable[..., Any]) -> Any:
    return make_user("rob", "reviewer")


@pytest.fixture
def editor(make_user: Callable[..., Any]) -> Any:
    return make_user("edna", "editor")


@pytest.fixture
def editor2(make_user: Callable[..., Any]) -> Any:
    return make_user("ed", "editor")


@pytest.fixture
def submitter(make_user: Callable[..., Any]) -> Any:
    return make_user("sam", "submitter")


@pytest.fixture
def outsider(make_user: Callable[..., Any]) -> Any:
    return make_user("olga")


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    """An API client with a role-scoped token of the user, as a newsroom client would be.

    The token has the widest role the user holds (a superuser's acts as an editor: a token
    never carries superuser powers). A user with no role gets a token that authenticates
    and can do nothing, like one whose owner lost their role (made directly: token_create
    refuses a role the user does not hold).
    """

    def make(user: Any) -> APIClient:
        import hashlib
        import secrets

        from django.utils import timezone

        from factcheck.models import ApiToken
        from factcheck.roles import user_roles
        from factcheck.tokens import KEY_PREFIX, strongest_role, token_create

        client = APIClient()
        if user is not None:
            # A fresh copy: user_roles caches on the object, which the test keeps using.
            role = strongest_role(user_roles(type(user).objects.get(pk=user.pk)))
            if role is not None:
                _, key = token_create(user=user, name="test client", role=role, by=None)
            else:
                key = KEY_PREFIX + secrets.token_urlsafe(30)
                ApiToken.objects.create(
                    user=user,
                    name="test client",
                    role="submitter",
                    prefix=key[:12],
                    key_hash=hashlib.sha256(key.encode()).hexdigest(),
                )
            # As if used a moment ago: its first request writes no last_used_at (which the
            # query-count tests would otherwise see once).
            ApiToken.objects.filter(key_hash=hashlib.sha256(key.encode()).hexdigest()).update(
                last_used_at=timezone.now()
            )
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def article(editor: Any) -> Any:
    return article_create(by=editor, url="https://news.example.org/2024/kursk")


@pytest.fixture
def claim(article: Any, reviewer: Any) -> Any:
    return claim_create(
        article=article, by=reviewer, exact="North Korea is training 10,000 soldiers"
    )


@pytest.fixture
def local_site(settings: Any) -> Iterator[LocalSite]:
    """A page server on 127.0.0.1 that also records POSTs (see tests/servers.py)."""
    site = LocalSite()
    # Open exactly this loopback server to the guarded client; everything else stays refused.
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.LINKCHECK_ALLOWED_PORTS = [site.port]
    yield site
    site.close()


@pytest.fixture
def receiver(local_site: LocalSite) -> LocalSite:
    """A webhook receiver: the local site, answering POSTs with the statuses queued."""
    return local_site


class WorkerProcess:
    """A real `celery worker` process, on the test Redis and the test database."""

    def __init__(
        self, *, extra_env: dict[str, str], concurrency: int = 1, pool: str = "prefork"
    ) -> None:
        import os
        import subprocess
        import sys
        from pathlib import Path

        from django.conf import settings
        from django.db import connection

        db = connection.settings_dict
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DATABASE_URL": (f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"),
                "REDIS_URL": settings.REDIS_URL,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra_env)
        root = Path(__file__).resolve().parent.parent
        self.log_path = root / "var" / f"worker-{os.getpid()}-{id(self)}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "w+b")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "factcheck",
                "worker",
                "--loglevel",
                "INFO",
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "--without-mingle",
                "--without-gossip",
                "--hostname",
                f"test-{id(self)}@%h",
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"worker never printed {text!r}:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.log_path.unlink(missing_ok=True)


@pytest.fixture
def redis_clean(settings: Any) -> Iterator[None]:
    """The test broker database, emptied so no message from another test is picked up."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture
def queued_tasks(redis_clean: None, settings: Any) -> Callable[[], list[tuple[str, list[Any]]]]:
    """The task messages waiting in the test broker now, as (task name, positional args).

    Read from the Redis lists kombu keeps per queue (priority steps included), so a test sees
    that a message was really published, serialized as a worker would receive it.
    """
    import base64
    import json

    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)

    def read() -> list[tuple[str, list[Any]]]:
        found = []
        for key in sorted(client.keys("*")):
            if client.type(key) != b"list":
                continue
            for raw in client.lrange(key, 0, -1):
                message = json.loads(raw)
                args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
                found.append((message["headers"]["task"], args))
        return found

    return read


@pytest.fixture
def start_worker(
    transactional_db: Any, redis_clean: None
) -> Iterator[Callable[..., WorkerProcess]]:
    workers: list[WorkerProcess] = []

    def start(**kwargs: Any) -> WorkerProcess:
        worker = WorkerProcess(**kwargs)
        workers.append(worker)
        worker.wait_for("ready.")
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Run tasks in-process, for tests about what a task does rather than how it is queued."""
    from factcheck.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
