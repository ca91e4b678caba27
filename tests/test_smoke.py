import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def test_schema_and_docs_are_served(client, reviewer):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/articles/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from the installed package, never a CDN.
    assert b"cdn.jsdelivr" not in docs.content


# --- make run: bootstrap, then web + worker + beat + demo site under honcho ------------------
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _embedded_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """make run's embedded default, with every file under tmp_path instead of the checkout's var/."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG")
        and k not in ("PORT", "HOST", "WORKER_CONCURRENCY", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    env.update(VAR_DIR=str(tmp_path / "var"), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    env.update(extra)
    return env


class Output:
    """Lines of a child's output, collected by a thread; wait_for() waits for one to appear."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, deadline: float) -> re.Match[str]:
        with self._changed:
            while True:
                for line in self.lines:
                    if match := re.search(pattern, line):
                        return match
                left = deadline - time.monotonic()
                assert left > 0, f"no line matching {pattern!r} in time:\n{self.text()[-4000:]}"
                self._changed.wait(timeout=left)


def _get(url: str) -> int | None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None  # not listening yet


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_run_serves_with_worker_and_beat_and_ctrl_c_stops_them_all(tmp_path):
    port, demo_port = _free_port(), _free_port()
    env = _embedded_env(tmp_path, PYTHONUNBUFFERED="1", NO_COLOR="1")
    # Its own session: a Ctrl-C in a terminal reaches make and honcho (the foreground group);
    # honcho's children run in sessions of their own.
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}", f"DEMO_SITE_PORT={demo_port}"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    out = Output(make.stdout)
    pids: dict[str, int] = {}
    try:
        deadline = time.monotonic() + 240
        out.wait_for(r"demo-reviewer\s+reviewer\s+password: factcheck-demo", deadline)
        out.wait_for(
            rf"Database  SQLite {re.escape(str(tmp_path))}/var/factcheck\.sqlite3", deadline
        )
        out.wait_for(r"Demo site article: 1 created, 3 claim\(s\) marked", deadline)
        for name in ("web", "worker", "beat", "demo"):
            pids[name] = int(out.wait_for(rf"{name}\.1 started \(pid=(\d+)\)", deadline)[1])
        out.wait_for(r"worker\.1 .*celery@\S+ ready\.", deadline)
        out.wait_for(r"beat\.1 .*beat: Starting", deadline)
        out.wait_for(r"web\.1 .*Starting development server at http://127\.0\.0\.1:", deadline)
        # runserver prints that line just before it binds: poll the port until it answers.
        while (status := _get(f"http://127.0.0.1:{port}/accounts/login/")) is None:
            assert time.monotonic() < deadline and make.poll() is None, out.text()[-4000:]
            time.sleep(0.1)
        assert status == 200
        assert (tmp_path / "var" / "broker" / "queue").is_dir()
        # The demo news site whose article the watch finds edited.
        out.wait_for(rf"demo\.1 .*Demo site on http://127\.0\.0\.1:{demo_port}/", deadline)
        assert _get(f"http://127.0.0.1:{demo_port}/") == 200
    finally:
        os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        try:
            make.wait(timeout=60)
        finally:
            if make.poll() is None:
                os.killpg(make.pid, signal.SIGKILL)
    assert "SIGINT received" in out.text()
    # honcho sends SIGTERM to each process group and SIGKILL after 5 s: nothing survives.
    deadline = time.monotonic() + 30
    while alive := [name for name, pid in pids.items() if _group_alive(pid)]:
        assert time.monotonic() < deadline, f"still running after Ctrl-C: {alive}"
        time.sleep(0.1)  # polling the process table for the condition, with a deadline
    assert _get(f"http://127.0.0.1:{port}/accounts/login/") is None
    assert _get(f"http://127.0.0.1:{demo_port}/") is None
