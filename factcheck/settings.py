"""factcheck settings: every environment differs only by environment variables.

See `.env.example` for the full list. Without any variable set, the project runs on the
embedded default: SQLite under `var/` and Celery on kombu's filesystem transport.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env")  # optional; a missing file is ignored
# The embedded default's files (SQLite, filesystem broker, beat schedule, file cache, static).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else "insecure-dev-key-" + "x" * 40)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "axes",
    "csp",
    "factcheck",
    "annotations",
    "reviews",
]

MIDDLEWARE = [
    # First: under /api/, DEBUG's HTML error pages become the API's JSON errors.
    "factcheck.handlers.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every response from a view (see CONTENT_SECURITY_POLICY).
    "csp.middleware.CSPMiddleware",
    # ETag from the rendered body on GET/HEAD, 304 on If-None-Match (a response that sets its
    # own ETag, like a review's version, keeps it).
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Idempotency-Key on API POSTs: retries replay the first answer (factcheck.idempotency).
    "factcheck.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into factcheck.lockout's answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"
ASGI_APPLICATION = "factcheck.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "factcheck" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'factcheck.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has three processes writing: wait for locks instead of failing,
    # take the write lock at BEGIN, and let readers work beside the writer (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, idempotency keys, per-host probes) -----------------------------------
# django-redis rather than Django's own RedisCache: with IGNORE_EXCEPTIONS a Redis outage
# reads as cache misses (throttling fails open, the API keeps answering) where Django's
# backend raises on every call; django-environ's CACHE_URL=redis://... names it too. The
# ignored errors are logged as warnings, at most one a minute (LOGGING).
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif env.str("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": env.str("REDIS_URL"),
            "KEY_PREFIX": "factcheck",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    # Short socket timeouts: a request never waits long on a Redis that is away.
    _cache_options = CACHES["default"].setdefault("OPTIONS", {})
    _cache_options.setdefault("SOCKET_CONNECT_TIMEOUT", 0.5)
    _cache_options.setdefault("SOCKET_TIMEOUT", 1.0)
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "factcheck.cache"

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses a login for a locked-out username + address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Proxies (CIDRs) whose X-Forwarded-For is believed; the client is the right-most address in
# it that is not one of them (factcheck.clientip). Empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _cidr in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_cidr, strict=False)
    except ValueError as _error:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_error}") from _error
# Failed logins (web, admin, browsable API) for one username from one address before that
# pair is locked out, and for how long; a success resets the count (factcheck.lockout).
# Unlock early with `manage.py axes_reset_username USERNAME` or `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "factcheck.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "factcheck.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The audit history keeps each change's reason (a transition and its note) in full.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:queue"
LOGOUT_REDIRECT_URL = "login"
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
# Evidence snapshots (WARC files; docs/snapshots.md): FileSystemStorage under VAR_DIR by
# default. An S3-compatible bucket is SNAPSHOT_STORAGE_BACKEND=storages.backends.s3.S3Storage
# with `pip install .[s3]` (django-storages, boto3), AWS_STORAGE_BUCKET_NAME, and for a bucket
# outside AWS (MinIO, Ceph, R2...) AWS_S3_ENDPOINT_URL; credentials come from boto3's own chain
# (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment, or an instance role). Files
# are private: the API streams them to editors, never links to the bucket.
SNAPSHOT_STORAGE_BACKEND = env.str(
    "SNAPSHOT_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
)
_snapshot_storage_options: dict[str, object] = {}
if SNAPSHOT_STORAGE_BACKEND.endswith("FileSystemStorage"):
    _snapshot_storage_options = {"location": str(VAR_DIR / "snapshots"), "base_url": None}
elif SNAPSHOT_STORAGE_BACKEND.startswith("storages.backends.s3"):
    _snapshot_storage_options = {
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME", default=""),
        "location": env.str("SNAPSHOT_STORAGE_PREFIX", default="snapshots"),
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    for _option, _variable in (
        ("endpoint_url", "AWS_S3_ENDPOINT_URL"),
        ("region_name", "AWS_S3_REGION_NAME"),
    ):
        if env.str(_variable, default=""):
            _snapshot_storage_options[_option] = env.str(_variable)
    if not _snapshot_storage_options["bucket_name"]:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SNAPSHOT_STORAGE_BACKEND is S3: set AWS_STORAGE_BUCKET_NAME.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "snapshots": {"BACKEND": SNAPSHOT_STORAGE_BACKEND, "OPTIONS": _snapshot_storage_options},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (production values unless DEBUG) ------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp) -----------------------------------------------------
# Every page loads scripts and styles only from this site's static files: no inline <script>,
# no on...= handlers, no eval (htmx runs with allowEval off), no inline <style> or style=.
# Data for scripts travels in `json_script` blocks (type="application/json", never executed).
# Images may also be data: URIs (Swagger UI's icons are data: SVGs in its stylesheet).
# Exceptions, each as narrow as it goes: style-src-attr allows the one style= attribute of
# django-simple-history's admin history list by its hash, and DRF's browsable API pages get
# inline styles (never scripts) from factcheck.renderers.BrowsableAPIRenderer.


def _style_attr_hash(css: str) -> str:
    """A CSP source allowing exactly this inline style text (style= needs 'unsafe-hashes')."""
    import base64
    import hashlib

    return f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"


# Where browsers POST violation reports (optional). A plain variable, not a setting: django-csp
# 4 refuses settings named like its old CSP_* ones.
csp_report_uri = env.str("CSP_REPORT_URI", default="")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-hashes'", _style_attr_hash("border-top: 0")],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        **({"report-uri": [csp_report_uri]} if csp_report_uri else {}),
    },
}

# --- Email (notifications) --------------------------------------------------------------------
# Sent by the worker (reviews.tasks.send_notification_email), one email per notification.
# SMTP: EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the EMAIL_HOST* below.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="factcheck@localhost")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# The filebased backend's directory (one .log file per connection).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Role-scoped client tokens (fct_...), the only token scheme.
        "factcheck.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["factcheck.permissions.HasRole"],
    # JSON, and DRF's HTML pages under the site's CSP (inline styles allowed there only).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "factcheck.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "factcheck.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "factcheck.schema.AutoSchema",
    # Per token (or user, or address for anonymous reads), counted in the default cache:
    # Redis when REDIS_URL is set, so every web process shares the count. 429 + Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["factcheck.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="300/min"),
        "token": env.str("API_THROTTLE_TOKEN", default="1200/min"),
        "bulk": env.str("API_THROTTLE_BULK", default="120/min"),
    },
    "EXCEPTION_HANDLER": "factcheck.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        # DRF's, with a nesting limit (JSON_MAX_DEPTH): deep nesting is a 400, not a 500.
        "factcheck.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "factcheck API",
    "DESCRIPTION": "Articles, claims, evidence, verification reviews and link health.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from the package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Error bodies, 304/429 answers, Idempotency-Key and the auth schemes on every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "factcheck.schema.postprocess",
    ],
}
# Failed token authentications from one client address within the window before every token
# request from it is a 429 (checked before the key is looked up; factcheck.lockout).
API_TOKEN_FAILURE_LIMIT = env.int("API_TOKEN_FAILURE_LIMIT", default=20)
API_TOKEN_FAILURE_WINDOW_SECONDS = env.int("API_TOKEN_FAILURE_WINDOW_SECONDS", default=300)
# Requests bigger than this are refused before parsing (413-like 400 from Django).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# Arrays and objects in a JSON body (or an NDJSON line) may nest this deep; deeper is a 400.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=64)
ARTICLE_MAX_TEXT_CHARS = env.int("ARTICLE_MAX_TEXT_CHARS", default=1_000_000)
# Articles one POST /api/v1/articles/bulk/ may carry.
API_BULK_MAX_ITEMS = env.int("API_BULK_MAX_ITEMS", default=500)
# Claims one POST /api/v1/claims/bulk/ (or the queue's bulk bar) acts on.
CLAIM_BULK_MAX_IDS = env.int("CLAIM_BULK_MAX_IDS", default=200)
# Threads (each with its own database connection) storing one bulk upload's articles.
API_BULK_THREADS = env.int("API_BULK_THREADS", default=4)
# How long an Idempotency-Key is remembered, and how long a first request may run before a
# retry with the same key may take over (it died without answering).
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
IDEMPOTENCY_LEASE_SECONDS = env.int("IDEMPOTENCY_LEASE_SECONDS", default=300)
# Webhook deliveries: per-attempt timeout, attempts before giving up (backoff with jitter,
# capped at CELERY_MAX_COUNTDOWN), the User-Agent they carry.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_BACKOFF_SECONDS = env.float("WEBHOOK_BACKOFF_SECONDS", default=10.0)
WEBHOOK_USER_AGENT = env.str("WEBHOOK_USER_AGENT", default="factcheck-webhooks/1.0")

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
# The longest countdown any task is given (autoretry backoff is capped at 300 s, deferred
# link checks wait seconds).
CELERY_MAX_COUNTDOWN = 300
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # Longer than the hard time limit plus the longest countdown a task is given, so a
        # task that is still running (or waiting for its countdown) is never redelivered to a
        # second worker. Redelivery after a crash waits this long; acks_late covers it.
        "visibility_timeout": max(
            env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
            CELERY_TASK_TIME_LIMIT + CELERY_MAX_COUNTDOWN + 60,
        ),
        "socket_timeout": 30,
        # Short: a web request publishing to a broker that is away waits at most
        # (publish retries + 1) x 2 connects x this long (see the publish retry policy).
        "socket_connect_timeout": 1.0,
        "retry_on_timeout": True,
        "health_check_interval": 25,
    }
    # Read by Celery where a Redis result backend is used: keep the two in step.
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = dict(CELERY_BROKER_TRANSPORT_OPTIONS)
else:
    CELERY_BROKER_URL = "filesystem://localhost//"
    # kombu's filesystem transport needs its folders to exist before the first message.
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    # Remote control works by broadcast queues, which this transport would keep as files
    # that nobody reads (`celery inspect` needs Redis).
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# One quick retry, then give up: a request must not hang on a dead broker. What failed to be
# enqueued stays due in the database and is picked up later (factcheck.broker).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep reconnecting for as long as the broker is away (a Redis restart must not end a worker).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY = True
# Tasks running when the broker connection drops finish their work (recording is idempotent);
# their messages stay unacked in Redis and come back after the visibility timeout.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "enqueue-due-links": {
        "task": "annotations.linkhealth.tasks.enqueue_due_links",
        "schedule": env.float("LINKCHECK_BEAT_SECONDS", default=60.0),
    },
    "sweep-uncaptured-evidence": {
        "task": "annotations.linkhealth.tasks.sweep_uncaptured_evidence",
        "schedule": 3600.0,
    },
    "sweep-unverified-evidence": {
        "task": "annotations.linkhealth.tasks.sweep_unverified_evidence",
        "schedule": 86400.0,
    },
    "prune-link-checks": {
        "task": "annotations.linkhealth.tasks.prune_link_checks",
        "schedule": 86400.0,
    },
    "prune-removed-snapshots": {
        "task": "annotations.tasks.prune_removed_snapshots",
        "schedule": 86400.0,
    },
    "purge-idempotency-keys": {
        "task": "factcheck.tasks.purge_idempotency_keys",
        "schedule": 3600.0,
    },
    # Webhook deliveries, emails and notices a broker outage left unsent (reviews.redelivery).
    "resend-undelivered": {
        "task": "reviews.tasks.resend_undelivered",
        "schedule": env.float("RESEND_SWEEP_SECONDS", default=600.0),
    },
    # Assignees hear of what is due tomorrow and what is overdue (reviews.deadlines).
    "notify-due-reviews": {
        "task": "reviews.tasks.notify_due_reviews",
        "schedule": crontab(hour=env.int("DEADLINE_NOTIFY_HOUR", default=7), minute=0),
    },
}
# What a broker outage left unsent is enqueued again once this late (a message still waiting
# in a busy queue is not doubled), emails and notices only within the window; per kind a run.
RESEND_GRACE_SECONDS = env.int("RESEND_GRACE_SECONDS", default=900)
RESEND_WINDOW_HOURS = env.int("RESEND_WINDOW_HOURS", default=48)
RESEND_BATCH = env.int("RESEND_BATCH", default=500)
# Reviews per transaction of that job, and batches per kind in one run.
DEADLINE_NOTIFY_BATCH = env.int("DEADLINE_NOTIFY_BATCH", default=500)
DEADLINE_NOTIFY_MAX_BATCHES = env.int("DEADLINE_NOTIFY_MAX_BATCHES", default=100)
# The beat's crontab hours are the desk's local time.
CELERY_TIMEZONE = TIME_ZONE

# --- Link health ----------------------------------------------------------------------------
# CIDRs exempted from the private/loopback/link-local block list (local testing only).
LINKCHECK_ALLOWED_NETWORKS = env.list("LINKCHECK_ALLOWED_NETWORKS", default=[])
# When set, the only destinations the checker may ever connect to.
LINKCHECK_EGRESS_ALLOWLIST = env.list("LINKCHECK_EGRESS_ALLOWLIST", default=[])
LINKCHECK_ALLOWED_PORTS = env.list(
    "LINKCHECK_ALLOWED_PORTS", cast=int, default=[80, 443, 8080, 8443]
)
LINKCHECK_CONNECT_TIMEOUT = env.float("LINKCHECK_CONNECT_TIMEOUT", default=5.0)
LINKCHECK_READ_TIMEOUT = env.float("LINKCHECK_READ_TIMEOUT", default=10.0)
LINKCHECK_TOTAL_TIMEOUT = env.float("LINKCHECK_TOTAL_TIMEOUT", default=20.0)
LINKCHECK_MAX_REDIRECTS = env.int("LINKCHECK_MAX_REDIRECTS", default=10)
LINKCHECK_MAX_BODY_BYTES = env.int("LINKCHECK_MAX_BODY_BYTES", default=256 * 1024)
LINKCHECK_USER_AGENT = env.str(
    "LINKCHECK_USER_AGENT", default="factcheck-linkcheck/1.0 (evidence link health checker)"
)
# Links one beat enqueues at most, and links per batch task (of many hosts, fetched
# concurrently in one worker process).
LINKCHECK_BATCH_SIZE = env.int("LINKCHECK_BATCH_SIZE", default=2000)
LINKCHECK_TASK_BATCH_SIZE = env.int("LINKCHECK_TASK_BATCH_SIZE", default=250)
# Longer than a task's hard time limit: a lease outlives the check that took it.
LINKCHECK_LEASE_SECONDS = env.int("LINKCHECK_LEASE_SECONDS", default=300)
# Shared limits (Redis): checks in flight per host and overall, across every worker and
# machine; how long a check waits for its host before being re-queued; the circuit breaker.
LINKCHECK_REDIS_URL = env.str("LINKCHECK_REDIS_URL", default=REDIS_URL)
LINKCHECK_PER_HOST_LIMIT = env.int("LINKCHECK_PER_HOST_LIMIT", default=2)
LINKCHECK_GLOBAL_LIMIT = env.int("LINKCHECK_GLOBAL_LIMIT", default=50)
LINKCHECK_HOST_WAIT_SECONDS = env.float("LINKCHECK_HOST_WAIT_SECONDS", default=2.0)
# A slot whose holder stopped renewing it (a killed worker) is free again after this long.
LINKCHECK_HOST_SLOT_TTL_SECONDS = env.float("LINKCHECK_HOST_SLOT_TTL_SECONDS", default=6.0)
LINKCHECK_DEFER_COUNTDOWN = env.float("LINKCHECK_DEFER_COUNTDOWN", default=5.0)
LINKCHECK_BREAKER_THRESHOLD = env.int("LINKCHECK_BREAKER_THRESHOLD", default=5)
LINKCHECK_BREAKER_COOLDOWN_SECONDS = env.float("LINKCHECK_BREAKER_COOLDOWN_SECONDS", default=60.0)
LINKCHECK_BREAKER_MAX_COOLDOWN_SECONDS = env.float(
    "LINKCHECK_BREAKER_MAX_COOLDOWN_SECONDS", default=3600.0
)
# A task delivered more often than this (it kept killing its worker) is given up.
LINKCHECK_MAX_DELIVERIES = env.int("LINKCHECK_MAX_DELIVERIES", default=3)
# Each host's answer for a random missing path (soft-404 detection) is reused this long.
LINKCHECK_SOFT404_PROBE_TTL = env.int("LINKCHECK_SOFT404_PROBE_TTL", default=6 * 3600)
# Wayback-style availability API asked for the snapshot closest to when evidence was
# attached (empty: no look-ups). Fetched through the same guarded fetcher.
LINKCHECK_ARCHIVE_AVAILABILITY_URL = env.str(
    "LINKCHECK_ARCHIVE_AVAILABILITY_URL", default="https://archive.org/wayback/available"
)
# Archive now (annotations.linkhealth.archive): a Save-Page-Now-style service asked to archive
# new evidence once its snapshot is taken; empty (the default): never asked. The evidence URL
# is appended to ARCHIVE_NOW_URL as it is (the Wayback Machine's https://web.archive.org/save/),
# or replaces `{url}` in it, percent-encoded. The archived copy's URL is where the answer's
# redirects end, or its Content-Location; it is kept as the evidence's archive_url when that is
# empty. The service is fetched through the guarded egress layer like any page. A service that
# fails (5xx, 429, timeout) is asked again ARCHIVE_NOW_RETRIES times, backing off from
# ARCHIVE_NOW_RETRY_SECONDS.
ARCHIVE_NOW_URL = env.str("ARCHIVE_NOW_URL", default="")
ARCHIVE_NOW_TIMEOUT = env.float("ARCHIVE_NOW_TIMEOUT", default=60.0)
ARCHIVE_NOW_RETRIES = env.int("ARCHIVE_NOW_RETRIES", default=5)
ARCHIVE_NOW_RETRY_SECONDS = env.float("ARCHIVE_NOW_RETRY_SECONDS", default=60.0)
LINK_STALE_AFTER_DAYS = env.int("LINK_STALE_AFTER_DAYS", default=30)
LINKCHECK_RECENT_CHECKS_SHOWN = 5
# Retention (annotations.linkhealth.retention, `manage.py prune_link_checks`, a daily beat
# job): every change of health is kept, plus each link's last KEEP_LAST checks and everything
# younger than MIN_AGE_DAYS; older checks are rolled up into per-day counts per health.
LINKCHECK_RETENTION_KEEP_LAST = env.int("LINKCHECK_RETENTION_KEEP_LAST", default=20)
LINKCHECK_RETENTION_MIN_AGE_DAYS = env.int("LINKCHECK_RETENTION_MIN_AGE_DAYS", default=14)
LINKCHECK_RETENTION_BATCH_LINKS = env.int("LINKCHECK_RETENTION_BATCH_LINKS", default=500)

# --- Evidence snapshots (annotations.snapshots) -------------------------------------------------
# The page as cited, captured when evidence is attached: body cap (a bigger page is kept up to
# the cap and marked truncated), and how long the snapshot of removed evidence is kept.
EVIDENCE_SNAPSHOT_MAX_BYTES = env.int("EVIDENCE_SNAPSHOT_MAX_BYTES", default=5 * 1024 * 1024)
EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS = env.int("EVIDENCE_SNAPSHOT_KEEP_REMOVED_DAYS", default=90)
# Snapshots deleted per transaction by `manage.py prune_snapshots` and its daily beat job.
EVIDENCE_SNAPSHOT_PRUNE_BATCH = env.int("EVIDENCE_SNAPSHOT_PRUNE_BATCH", default=200)

# --- Articles from the web (annotations.services.article_fetch) -----------------------------
# An article submitted by URL alone is fetched through the egress layer (the link checker's
# guard, allow-list, ports, per-host limits). A page above MAX_BYTES is refused (too_large).
# The request waits REQUEST_BUDGET_SECONDS for the fetch and extraction (then 201); past it the
# article is answered 202 `fetching` and a worker fetches it with TIMEOUT_SECONDS.
ARTICLE_FETCH_MAX_BYTES = env.int("ARTICLE_FETCH_MAX_BYTES", default=10 * 1024 * 1024)
ARTICLE_FETCH_REQUEST_BUDGET_SECONDS = env.float(
    "ARTICLE_FETCH_REQUEST_BUDGET_SECONDS", default=10.0
)
ARTICLE_FETCH_TIMEOUT_SECONDS = env.float("ARTICLE_FETCH_TIMEOUT_SECONDS", default=30.0)
# A worker's first fetch that fails for a passing reason (timeout, reset, 5xx, host busy) is
# tried this many more times, with backoff, before the article is `failed`.
ARTICLE_FETCH_RETRIES = env.int("ARTICLE_FETCH_RETRIES", default=4)
ARTICLE_FETCH_USER_AGENT = env.str(
    "ARTICLE_FETCH_USER_AGENT",
    default="factcheck-articles/1.0 (fact-checking desk; article reader)",
)


def _duration(text: str) -> float:
    """Seconds of `90s`, `15m`, `6h`, `3d` or `2w` (a bare number: seconds)."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


def _watch_intervals(value: list[str]) -> list[tuple[float, float]]:
    """`AGE:INTERVAL` pairs, e.g. `1d:1h` (an article younger than a day is fetched hourly)."""
    pairs = []
    for item in value:
        age, _, interval = item.partition(":")
        pairs.append((_duration(age), _duration(interval)))
    return sorted(pairs)


# The watch: articles whose text came from their URL are fetched again, often while young
# (age from published_at, else from when they were submitted), then rarely. INTERVALS: by age;
# LATE_INTERVAL: beyond the last age; STOP_AFTER (empty: never): no more fetches past this age.
# A beat job enqueues up to BATCH_SIZE due articles every BEAT_SECONDS, TASK_BATCH_SIZE to a
# task, each leased for LEASE_SECONDS; fetches share the link checks' per-host limits.
ARTICLE_WATCH_ENABLED = env.bool("ARTICLE_WATCH_ENABLED", default=True)
ARTICLE_WATCH_INTERVALS = _watch_intervals(
    env.list("ARTICLE_WATCH_INTERVALS", default=["1d:1h", "3d:3h", "7d:12h", "30d:1d", "90d:7d"])
)
ARTICLE_WATCH_LATE_INTERVAL = _duration(env.str("ARTICLE_WATCH_LATE_INTERVAL", default="30d"))
_stop_after = env.str("ARTICLE_WATCH_STOP_AFTER", default="")
ARTICLE_WATCH_STOP_AFTER = _duration(_stop_after) if _stop_after else None
ARTICLE_WATCH_BEAT_SECONDS = env.float("ARTICLE_WATCH_BEAT_SECONDS", default=300.0)
ARTICLE_WATCH_BATCH_SIZE = env.int("ARTICLE_WATCH_BATCH_SIZE", default=500)
ARTICLE_WATCH_TASK_BATCH_SIZE = env.int("ARTICLE_WATCH_TASK_BATCH_SIZE", default=25)
ARTICLE_WATCH_LEASE_SECONDS = env.int("ARTICLE_WATCH_LEASE_SECONDS", default=600)
if ARTICLE_WATCH_ENABLED:
    CELERY_BEAT_SCHEDULE["enqueue-due-articles"] = {
        "task": "annotations.tasks.enqueue_due_articles",
        "schedule": ARTICLE_WATCH_BEAT_SECONDS,
    }

# --- Publishing -----------------------------------------------------------------------------
FACTCHECK_ORGANIZATION_NAME = env.str("FACTCHECK_ORGANIZATION_NAME", default="factcheck desk")
FACTCHECK_ORGANIZATION_URL = env.str("FACTCHECK_ORGANIZATION_URL", default="http://localhost:8000/")
# Where the desk answers: notifications (in the API and by email) link to the claim there.
FACTCHECK_DESK_URL = env.str("FACTCHECK_DESK_URL", default=FACTCHECK_ORGANIZATION_URL)

# --- Logging --------------------------------------------------------------------------------
# Error reports (DEBUG pages, error e-mails) hide secret settings by name, as Django does,
# and the secrets URLs carry anywhere in them (factcheck.handlers).
DEFAULT_EXCEPTION_REPORTER = "factcheck.handlers.SafeExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "factcheck.handlers.SafeReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Redis away: one warning a minute from the cache and from enqueueing, not one a request.
    "filters": {
        "once_a_minute": {
            "()": "factcheck.logfilters.RateLimitFilter",
            "seconds": 60,
            "as_warning": True,
        },
        # Credentials in logged URLs (userinfo, ?token=...) read "***" (factcheck.urlmask).
        "mask_url_secrets": {"()": "factcheck.urlmask.MaskUrlSecretsFilter"},
    },
    "loggers": {
        "factcheck.cache": {"filters": ["once_a_minute"]},
        "factcheck.broker": {"filters": ["once_a_minute"]},
        "factcheck.egress.limits": {"filters": ["once_a_minute"]},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_url_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
