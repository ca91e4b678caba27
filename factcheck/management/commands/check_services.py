"""Are the database and Redis of the current settings up? (``make test`` asks first.)"""

from __future__ import annotations

from typing import Any

import psycopg
import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Check that PostgreSQL (when used) and Redis (when REDIS_URL is set) answer."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = []
        db = settings.DATABASES["default"]
        if db["ENGINE"] == "django.db.backends.postgresql":
            host, port = db.get("HOST") or "localhost", db.get("PORT") or 5432
            try:
                # The server, not the database: the test run creates its own database.
                psycopg.connect(
                    host=host,
                    port=port,
                    user=db.get("USER") or None,
                    password=db.get("PASSWORD") or None,
                    dbname="postgres",
                    connect_timeout=5,
                ).close()
            except psycopg.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                problems.append(
                    f"PostgreSQL is not accepting connections at {host}:{port}: {first}"
                )
        if settings.REDIS_URL:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=3, socket_timeout=3
            )
            try:
                client.ping()
            except redis.RedisError as exc:
                where = client.connection_pool.connection_kwargs
                problems.append(
                    f"Redis does not answer PING at {where.get('host')}:{where.get('port')}: {exc}"
                )
            finally:
                client.close()
        if problems:
            raise CommandError(
                "\n".join(problems) + "\nThe tests need PostgreSQL (user postgres, trust auth) "
                "and Redis. Start them (.ci/run does in CI), or point DATABASE_URL / REDIS_URL "
                "at running ones."
            )
        self.stdout.write("PostgreSQL and Redis are reachable.")
