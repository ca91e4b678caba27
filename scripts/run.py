#!/usr/bin/env python3
"""Run factcheck with one command: web server, Celery worker and Celery beat side by side.

Standard library only. Run it with the project's virtualenv Python (``make run`` does)::

    .venv/bin/python scripts/run.py                  # migrate, demo users, seeds, then serve
    .venv/bin/python scripts/run.py --port 8001
    .venv/bin/python scripts/run.py manage ARGS...   # manage.py with the same defaults
    .venv/bin/python scripts/run.py check-services   # are PostgreSQL and Redis up for tests?

Embedded defaults, each applied only when neither the environment nor ``.env`` sets it:
``DEBUG=1``, ``LINKCHECK_EGRESS_ALLOWLIST=127.0.0.0/8`` (the link checker stays on this
machine; set it to an empty value to let it reach the internet) and
``FACTCHECK_ORGANIZATION_URL=http://localhost:$PORT/``. Without ``DATABASE_URL`` and
``REDIS_URL`` the settings use SQLite and kombu's filesystem broker under ``var/``.

Ctrl-C or SIGTERM stops all three processes (SIGTERM, wait ``--stop-timeout`` seconds, then
SIGKILL); a second Ctrl-C kills at once. If one process dies, the others are stopped and the
exit code is non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")
PY = sys.executable
TRUTHY = {"true", "on", "ok", "y", "yes", "1"}  # what django-environ's env.bool accepts

_print_lock = threading.Lock()
_COLORS = {"setup": "2", "web": "32", "worker": "36", "beat": "35", "run": "1"}


# --- output ------------------------------------------------------------------------------
def say(name: str, text: str) -> None:
    """Print one line prefixed with the process name (coloured on a terminal)."""
    prefix = f"{name:<6} | "
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        prefix = f"\033[{_COLORS.get(name, '0')}m{prefix}\033[0m"
    with _print_lock:
        try:
            sys.stdout.write(prefix + text.rstrip("\r\n") + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            pass


def pump(name: str, stream: object) -> None:
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        say(name, raw.decode("utf-8", errors="replace"))
    stream.close()  # type: ignore[attr-defined]


# --- configuration -----------------------------------------------------------------------
def dotenv(path: Path = ROOT / ".env") -> dict[str, str]:
    """What .env assigns (factcheck/settings.py reads it too; the real environment wins)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.removeprefix("export ").strip()] = value
    return values


def setting(name: str, default: str) -> str:
    """A run.py option from the environment, else .env, else the default."""
    return os.environ.get(name) or dotenv().get(name) or default


def embedded_env(port: int) -> dict[str, str]:
    """The environment for every child: the caller's, plus the embedded defaults."""
    env = dict(os.environ)
    user_set = set(env) | set(dotenv())
    defaults = {
        "DEBUG": "1",
        # Keep the link checker on this machine unless told otherwise (empty = internet).
        "LINKCHECK_EGRESS_ALLOWLIST": "127.0.0.0/8",
        "FACTCHECK_ORGANIZATION_URL": f"http://localhost:{port}/",
    }
    for key, value in defaults.items():
        if key not in user_set:
            env[key] = value
    env.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    env["PYTHONUNBUFFERED"] = "1"
    return env


PROBE = """
import json, re, django
django.setup()
from django.conf import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "debug": s.DEBUG,
    "db_engine": db["ENGINE"].rsplit(".", 1)[-1],
    "db_name": str(db.get("NAME", "")),
    "db_host": str(db.get("HOST", "") or ""),
    "broker": s.CELERY_BROKER_URL.split("://", 1)[0],
    "broker_url": re.sub(r"//[^@/]*@", "//***@", s.CELERY_BROKER_URL),
    "broker_dir": str(getattr(s, "BROKER_DIR", "")),
    "var_dir": str(s.VAR_DIR),
    "beat_schedule": s.CELERY_BEAT_SCHEDULE_FILENAME,
    "allowed_hosts": list(s.ALLOWED_HOSTS),
    "ssl_redirect": s.SECURE_SSL_REDIRECT,
    "egress": list(s.LINKCHECK_EGRESS_ALLOWLIST),
}))
"""


def probe_settings(env: dict[str, str]) -> dict[str, object]:
    """Ask Django for the effective settings (so .env and every default count)."""
    out = subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [PY, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        say("run", "Could not load the Django settings:")
        for line in out.stderr.strip().splitlines()[-8:]:
            say("run", "  " + line)
        if "SECRET_KEY" in out.stderr:
            say("run", "Set SECRET_KEY (or DEBUG=1) in the environment or in .env.")
        sys.exit(2)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- setup steps -------------------------------------------------------------------------
def manage_step(env: dict[str, str], *args: str, capture: bool = False) -> list[str]:
    """Run one manage.py command, streaming its output under the 'setup' prefix."""
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
        [PY, MANAGE, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for raw in iter(proc.stdout.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip()
        lines.append(line)
        say("setup", line)
    if proc.wait() != 0:
        say("run", f"manage.py {' '.join(args)} failed (exit code {proc.returncode}).")
        sys.exit(proc.returncode or 1)
    return lines if capture else []


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(host: str, port: int, timeout: float, alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


# --- children ----------------------------------------------------------------------------
class Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.argv = argv
        # runserver exits cleanly on SIGINT (KeyboardInterrupt); gunicorn and Celery shut
        # down gracefully (warm shutdown) on SIGTERM.
        self.stop_signal = signal.SIGINT if "runserver" in argv else signal.SIGTERM
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own interpreter
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Own session: a terminal Ctrl-C reaches only this script, which then stops the
            # children in order; killpg() can also reach their own children.
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.reader = threading.Thread(target=pump, args=(name, self.proc.stdout), daemon=True)
        self.reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int, group: bool = False) -> None:
        try:
            if group:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def group_alive(self) -> bool:
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if this script dies without cleaning up (kill -9)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def child_commands(
    cfg: dict[str, object], host: str, port: int, concurrency: int
) -> list[tuple[str, list[str]]]:
    if cfg["debug"]:
        web = [PY, MANAGE, "runserver", f"{host}:{port}", "--noreload"]
    else:
        web = [PY, "-m", "gunicorn", "factcheck.wsgi:application", "--bind", f"{host}:{port}"]
        web += ["--access-logfile", "-", "--graceful-timeout", "10", "--no-control-socket"]
    worker = [PY, "-m", "celery", "-A", "factcheck", "worker", "-l", "info"]
    worker += ["--concurrency", str(concurrency), "--without-mingle", "--without-gossip"]
    if cfg["broker"] == "filesystem":
        # The filesystem broker polls files: no monitoring events (heartbeats would be
        # written every 2 s for any consumer that ever bound to celeryev), and no remote
        # control (its broadcast queues are files too). Redis keeps both.
        worker += ["--without-heartbeat", "worker_enable_remote_control=False"]
    beat = [PY, "-m", "celery", "-A", "factcheck", "beat", "-l", "info"]
    beat += ["-s", str(cfg["beat_schedule"])]
    return [("web", web), ("worker", worker), ("beat", beat)]


def banner(cfg: dict[str, object], host: str, port: int, logins: list[str]) -> None:
    base = f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:{port}"
    if cfg["db_engine"] == "sqlite3":
        db = f"SQLite {cfg['db_name']}"
    else:
        db = f"{cfg['db_engine']} {cfg['db_name']}@{cfg['db_host']}"
    broker = (
        f"filesystem {cfg['broker_dir']}" if cfg["broker"] == "filesystem" else cfg["broker_url"]
    )
    egress = ",".join(cfg["egress"]) or "(none: any public address)"  # type: ignore[arg-type]
    lines = [
        "=" * 72,
        f"factcheck is running (DEBUG {'on' if cfg['debug'] else 'off'})",
        f"  App       {base}/",
        f"  Admin     {base}/admin/",
        f"  API       {base}/api/v1/",
        f"  API docs  {base}/api/docs/",
        f"  Database  {db}",
        f"  Broker    {broker}",
        f"  Link checker may reach only: {egress}",
    ]
    if logins:
        lines.append("  Demo logins (the desk and /api/auth/login/; /admin/ is demo-admin's):")
        lines += ["    " + line.strip() for line in logins if "password:" in line]
        lines.append(
            "  API token: .venv/bin/python scripts/run.py manage create_token demo-reviewer"
        )
    lines += ["  Ctrl-C stops web, worker and beat.", "=" * 72]
    for line in lines:
        say("run", line)


# --- main loop ---------------------------------------------------------------------------
class Supervisor:
    def __init__(self, stop_timeout: float) -> None:
        self.children: list[Child] = []
        self.stop_timeout = stop_timeout
        self.requested: int | None = None  # signal number once a stop is asked for
        self.force = False

    def on_signal(self, signum: int, _frame: object) -> None:
        if self.requested is not None:
            self.force = True
        self.requested = signum

    def stop_all(self) -> None:
        for child in self.children:
            if child.alive():
                child.signal(child.stop_signal)
        deadline = time.monotonic() + self.stop_timeout
        while any(c.alive() for c in self.children):
            if self.force or time.monotonic() > deadline:
                for child in self.children:
                    if child.alive():
                        say("run", f"{child.name} did not stop in time: killing it.")
                        child.signal(signal.SIGKILL, group=True)
                break
            time.sleep(0.1)
        for child in self.children:
            child.proc.wait()
            # Whatever the child left behind in its session (pool processes) goes too.
            if child.group_alive():
                child.signal(signal.SIGKILL, group=True)
            child.reader.join(timeout=2)

    def start(self, commands: list[tuple[str, list[str]]], env: dict[str, str]) -> None:
        for name, argv in commands:
            self.children.append(Child(name, argv, env))
            say("run", f"started {name} (pid {self.children[-1].pid})")

    def watch(self) -> int:
        failed: Child | None = None
        while self.requested is None and failed is None:
            for child in self.children:
                if not child.alive():
                    failed = child
                    break
            else:
                time.sleep(0.2)
        if failed is not None:
            code = failed.proc.returncode
            say("run", f"{failed.name} exited (code {code}); stopping the others.")
        else:
            name = signal.Signals(self.requested).name  # type: ignore[arg-type]
            say("run", f"{name} received; stopping web, worker and beat.")
        self.stop_all()
        for child in self.children:
            say("run", f"{child.name} stopped (code {child.proc.returncode})")
        if failed is None:
            return 0
        code = failed.proc.returncode
        return 128 - code if code < 0 else (code or 1)


def serve(args: argparse.Namespace) -> int:
    env = embedded_env(args.port)
    if not port_free(args.host, args.port):
        say("run", f"Port {args.port} on {args.host} is in use. Try: PORT={args.port + 1} make run")
        return 2
    cfg = probe_settings(env)
    say(
        "run",
        f"DEBUG={'1' if cfg['debug'] else '0'}  database={cfg['db_engine']}  "
        f"broker={cfg['broker']}  var={cfg['var_dir']}",
    )
    if not cfg["debug"]:
        hosts = cfg["allowed_hosts"]
        if not hosts:
            say("run", "Warning: DEBUG is off and ALLOWED_HOSTS is empty: every request gets 400.")
        if cfg["ssl_redirect"]:
            say("run", "Warning: SECURE_SSL_REDIRECT is on: plain-HTTP requests go to https://.")
    Path(str(cfg["var_dir"])).mkdir(parents=True, exist_ok=True)
    Path(str(cfg["beat_schedule"])).parent.mkdir(parents=True, exist_ok=True)

    manage_step(env, "migrate", "--noinput")
    logins: list[str] = []
    if not args.no_demo:
        logins = manage_step(env, "create_demo_users", capture=True)
        manage_step(env, "load_seeds")
    if not cfg["debug"]:
        # runserver serves static files itself in DEBUG; gunicorn + WhiteNoise need them
        # collected (the manifest storage refuses to start without).
        manage_step(env, "collectstatic", "--noinput", "-v", "0")

    sup = Supervisor(stop_timeout=args.stop_timeout)
    signal.signal(signal.SIGINT, sup.on_signal)
    signal.signal(signal.SIGTERM, sup.on_signal)
    signal.signal(signal.SIGHUP, sup.on_signal)
    sup.start(child_commands(cfg, args.host, args.port, args.concurrency), env)
    web = sup.children[0]
    if wait_for_port(args.host, args.port, 60, lambda: web.alive() and sup.requested is None):
        banner(cfg, args.host, args.port, logins)
    return sup.watch()


def manage(argv: list[str], port: int) -> int:
    """manage.py with the embedded defaults (DEBUG=1, loopback-only link checker, ...)."""
    env = embedded_env(port)
    os.chdir(ROOT)
    os.execve(PY, [PY, MANAGE, *argv], env)  # noqa: S606 - our own interpreter
    return 0  # pragma: no cover


# --- test services -----------------------------------------------------------------------
def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def check_services() -> int:
    """Fail fast, with a clear message, when the test suite's services are not up.

    Mirrors tests/settings.py: DATABASE_URL and REDIS_URL, or their local defaults.
    """
    db = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck"))
    redis = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    problems = []
    if db.scheme.startswith("postgres"):
        host, port = db.hostname or "127.0.0.1", db.port or 5432
        if shutil.which("pg_isready"):
            ok = (
                subprocess.run(  # noqa: S603
                    ["pg_isready", "-q", "-h", host, "-p", str(port), "-t", "5"],  # noqa: S607
                    check=False,
                ).returncode
                == 0
            )
        else:
            ok = _reachable(host, port)
        if not ok:
            problems.append(f"PostgreSQL is not accepting connections at {host}:{port}")
    if redis.scheme in ("redis", "rediss"):
        host, port = redis.hostname or "127.0.0.1", redis.port or 6379
        if shutil.which("redis-cli"):
            out = subprocess.run(  # noqa: S603
                ["redis-cli", "-h", host, "-p", str(port), "ping"],  # noqa: S607
                capture_output=True,
                text=True,
                check=False,
                timeout=10,
            )
            ok = out.returncode == 0 and "PONG" in out.stdout
        else:
            ok = _reachable(host, port)
        if not ok:
            problems.append(f"Redis does not answer PING at {host}:{port}")
    if problems:
        for problem in problems:
            print(f"make test: {problem}.", file=sys.stderr)
        print(
            "The tests need PostgreSQL (user postgres, trust auth) and Redis. Start them "
            "(.ci/run does in CI), or point DATABASE_URL / REDIS_URL at running ones.",
            file=sys.stderr,
        )
        return 1
    print("PostgreSQL and Redis are reachable.")
    return 0


def main(argv: list[str]) -> int:
    port_default = int(setting("PORT", "8000"))
    if argv[:1] == ["manage"]:
        return manage(argv[1:], port_default)
    if argv[:1] == ["check-services"]:
        return check_services()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=setting("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=port_default)
    parser.add_argument("--concurrency", type=int, default=int(setting("WORKER_CONCURRENCY", "2")))
    parser.add_argument("--stop-timeout", type=float, default=20.0, help="seconds (default 20)")
    parser.add_argument(
        "--no-demo", action="store_true", help="skip create_demo_users and load_seeds"
    )
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
