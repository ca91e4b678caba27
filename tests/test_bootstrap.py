"""manage.py bootstrap, load_seeds on an unprepared database, and check_services."""

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from annotations.models import Article, Claim

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG")
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
    )


def embedded(tmp_path: Path) -> dict[str, str]:
    """The embedded default (SQLite, filesystem broker), with its files under tmp_path."""
    return {"DEBUG": "1", "VAR_DIR": str(tmp_path / "var")}


@pytest.mark.django_db
def test_load_seeds_without_the_demo_users_says_what_to_run_and_writes_nothing():
    assert not get_user_model().objects.filter(username__startswith="demo-").exists()
    with pytest.raises(CommandError) as excinfo:
        call_command("load_seeds", stdout=io.StringIO())
    message = str(excinfo.value)
    assert "'demo-reviewer'" in message
    assert "manage.py create_demo_users" in message
    assert "manage.py bootstrap" in message
    assert Article.objects.count() == 0
    assert Claim.objects.count() == 0


def test_load_seeds_on_an_unmigrated_database_says_migrate_first(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    result = run_manage("load_seeds", DATABASE_URL=f"sqlite:///{database}", **embedded(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "CommandError: The database has unapplied migrations." in result.stderr
    assert "`manage.py migrate`" in result.stderr
    assert "`manage.py bootstrap`" in result.stderr
    with sqlite3.connect(database) as conn:
        tables = conn.execute("select name from sqlite_master where type = 'table'").fetchall()
    assert tables == []


def test_bootstrap_migrates_creates_the_demo_users_and_seeds_once(tmp_path):
    env = embedded(tmp_path)
    first = run_manage("bootstrap", "--base-url", "http://localhost:8123/", **env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Seeds loaded: 1 article(s), 5 claim(s), 6 evidence link(s) created" in first.stdout
    for username in ("demo-reviewer", "demo-editor", "demo-editor2", "demo-submitter"):
        assert f"{username}" in first.stdout
    assert "demo-admin      admin      password: factcheck-demo" in first.stdout
    assert "App       http://localhost:8123/" in first.stdout
    assert f"Database  SQLite {tmp_path}/var/factcheck.sqlite3" in first.stdout
    assert f"Broker    filesystem {tmp_path}/var/broker" in first.stdout

    second = run_manage("bootstrap", **env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "No migrations to apply." in second.stdout
    assert (
        "Seeds loaded: 0 article(s), 0 claim(s), 0 evidence link(s) created; 5 claim(s) already present."
        in (second.stdout)
    )
    with sqlite3.connect(tmp_path / "var" / "factcheck.sqlite3") as conn:
        users = conn.execute("select username from auth_user order by username").fetchall()
        articles = conn.execute("select count(*) from annotations_article").fetchone()
    assert [u for (u,) in users] == [
        "demo-admin",
        "demo-editor",
        "demo-editor2",
        "demo-reviewer",
        "demo-submitter",
    ]
    assert articles == (1,)


def test_check_services_passes_when_postgres_and_redis_answer():
    result = run_manage(
        "check_services",
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PostgreSQL and Redis are reachable." in result.stdout


def test_check_services_names_each_service_that_is_down():
    import socket

    ports = []
    for _ in range(2):  # ports nothing listens on: bound, then closed
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    result = run_manage(
        "check_services",
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{ports[0]}/factcheck",
        REDIS_URL=f"redis://127.0.0.1:{ports[1]}/15",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"PostgreSQL is not accepting connections at 127.0.0.1:{ports[0]}" in result.stderr
    assert f"Redis does not answer PING at 127.0.0.1:{ports[1]}" in result.stderr
