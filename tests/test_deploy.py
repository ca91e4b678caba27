import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="factcheck.settings",
        DEBUG="0",
        SECRET_KEY="k3y-" + "z9Q!x" * 12,
        ALLOWED_HOSTS="factcheck.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/factcheck",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage(
        "check", DJANGO_SETTINGS_MODULE="factcheck.settings", DEBUG="0", SECRET_KEY=""
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_bad_trusted_proxy_network_stops_the_start():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="factcheck.settings",
        DEBUG="1",
        TRUSTED_PROXIES="10.0.0.0/8,proxy.internal",
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.internal' does not appear to be an IPv4 or IPv6 network" in (
        result.stderr
    )
