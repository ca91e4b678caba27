"""Test settings: the real stack (PostgreSQL, Redis) and a checker that never leaves loopback."""

import os
import tempfile

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "t" * 48)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Nothing but loopback may ever be fetched from a test run.
os.environ.setdefault("LINKCHECK_EGRESS_ALLOWLIST", "127.0.0.0/8")

from factcheck.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-process tests read django.core.mail.outbox; a worker process is a separate one, so its
# tests choose the filebased backend (EMAIL_FILE_PATH) through TEST_EMAIL_BACKEND.
EMAIL_BACKEND = os.environ.get(
    "TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
)
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Failed token authentications are counted per address in the shared Redis, which outlives
# each test: the suite's many deliberate 401s must not add up to a 429 in a later test. The
# tests of the counter set their own limit.
API_TOKEN_FAILURE_LIMIT = 100_000
# Evidence snapshots of a test run go to a directory of their own, never the project's var/.
STORAGES["snapshots"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": tempfile.mkdtemp(prefix="factcheck-test-snapshots-")},
}
