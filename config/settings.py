"""Fourfold settings, read from the environment.

Every value a deployment changes comes from an environment variable (or a `.env` file
beside manage.py). A value that cannot be used stops start-up with a message that
names the variable, instead of running with a surprise.
"""

import datetime
import os
from pathlib import Path

import structlog
from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvValidationError
from marshmallow.validate import OneOf, Range, Regexp

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# Every variable is read once, and all are checked before any is used to stop start-up:
# a bad value reads as None here, and stop_if_unusable() at the end of this file names
# every bad value in one message (environs' deferred validation, and PROBLEMS for rules of
# our own).
env = Env(eager=False)
env.read_env(BASE_DIR / ".env", recurse=False)
PROBLEMS: list[str] = []


def _read_settings() -> dict:
    """The variables the rest of this file builds on."""
    with env.prefixed("DJANGO_"):
        values = {
            "DEBUG": env.bool("DEBUG", default=False),
            "SECRET_KEY": env.str("SECRET_KEY", default=""),
            "ALLOWED_HOSTS": env.list("ALLOWED_HOSTS", default=[]),
            "CSRF_TRUSTED_ORIGINS": env.list("CSRF_TRUSTED_ORIGINS", default=[]),
            "SECURE_SSL_REDIRECT": env.bool("SECURE_SSL_REDIRECT", default=None),
            "BEHIND_PROXY": env.bool("BEHIND_PROXY", default=False),
            "LOG_FORMAT": env.str(
                "LOG_FORMAT", default="", validate=OneOf(["", "json", "console"])
            ),
            "DEFAULT_FROM_EMAIL": env.str("DEFAULT_FROM_EMAIL", default="fourfold@localhost"),
        }
    values["DATABASE"] = env.dj_db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
    values["CELERY_BROKER_URL"] = env.str("CELERY_BROKER_URL", default="filesystem://")
    values["PULL_RETRY_BACKOFF"] = env.int("FOURFOLD_PULL_RETRY_BACKOFF", default=30)
    values["PULL_MAX_RETRIES"] = env.int("FOURFOLD_PULL_MAX_RETRIES", default=5)
    base_url = env.url(
        "FOURFOLD_BASE_URL", default="http://127.0.0.1:8000", schemes=["http", "https"]
    )  # a ParseResult when set (its str() is its repr), the default as written
    if base_url is not None and not isinstance(base_url, str):
        base_url = base_url.geturl()
    values["BASE_URL"] = (base_url or "").rstrip("/")
    # Uploaded customer tables and exposure histories; every web process and worker must
    # see the same folder (a shared volume when they run on different machines).
    values["MEDIA_ROOT"] = env.path("FOURFOLD_MEDIA_ROOT", default=VAR_DIR / "media")
    values["EMAIL_URL"] = env.dj_email_url("EMAIL_URL", default="console://") or {}
    if values["EMAIL_URL"] and "EMAIL_BACKEND" not in values["EMAIL_URL"]:
        PROBLEMS.append(
            "EMAIL_URL has an unknown scheme; use console://, smtp://, submission:// "
            "(TLS on 587) or file://"
        )
    return values


_values = _read_settings()

DEBUG: bool = _values["DEBUG"]

SECRET_KEY = _values["SECRET_KEY"]
if not SECRET_KEY:
    if not DEBUG:
        PROBLEMS.append(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string (python -c "
            "'import secrets; print(secrets.token_urlsafe(50))'), or set DJANGO_DEBUG=true "
            "for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 (DEBUG only)
elif not DEBUG and len(SECRET_KEY) < 50:
    PROBLEMS.append("DJANGO_SECRET_KEY is shorter than 50 characters.")

ALLOWED_HOSTS = _values["ALLOWED_HOSTS"] or (["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    PROBLEMS.append(
        "DJANGO_ALLOWED_HOSTS is empty. List the host names this server answers to, "
        "separated by commas (e.g. fourfold.example.com)."
    )
CSRF_TRUSTED_ORIGINS = _values["CSRF_TRUSTED_ORIGINS"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials.apps.SimpleAppConfig",
    "django_celery_beat",
    "django_celery_results",
    "django_structlog",
    "simple_history",
    "health_check",  # its status page's template
    "axes",
    "csp",
    "programs",
    "assessments",
    "segments",
    "kpis",
    "initiatives",
    "blueprints",
    "results",
    "progress",
    "cycles",
    "backups",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body: the push API's own body limit and JSON refusals.
    "results.api.ApiRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the session and the user: a signed-in person's own language wins over the browser's.
    "programs.languages.ProfileLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers for locked-out logins
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "programs.context_processors.navigation",
                "programs.context_processors.number_separators",
            ],
            # Partials are a builtin so that Django 6's own {% partialdef %} is a drop-in;
            # `|person` names who changed something, or says they are no longer here.
            "builtins": [
                "template_partials.templatetags.partials",
                "programs.templatetags.people",
            ],
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
        },
    },
]

DATABASES = {"default": _values["DATABASE"] or {}}  # (empty only if unusable: start-up stops)
if DATABASES["default"].get("ENGINE") == "django.db.backends.postgresql":
    # Reused connections are ~5x the throughput of a connection per request here.
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite, the embedded default, shared by the web server and the worker: a transaction
    # takes the write lock when it begins and waits for it (a deferred one that reads first
    # fails at once with "database is locked" when the other process wrote meanwhile), and
    # WAL lets pages read while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # SQLite cannot declare "NULLS NOT DISTINCT" keys. Loads of
    # results there go through the ORM path, which finds existing rows itself, and
    # snapshot refreshes replace their rows in one transaction.
    SILENCED_SYSTEM_CHECKS = ["models.W047"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# Each language is named in itself: a person who does not read the current one finds theirs.
LANGUAGES = [("en", "English"), ("da", "Dansk"), ("sl", "Slovenščina"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates the short way each language writes them (28 Aug 2026, 28. aug. 2026, 28 aug 2026).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "config.staticfiles.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = _values["MEDIA_ROOT"]

# EMAIL_URL (e.g. submission://user:password@smtp.example.com:587) sets EMAIL_BACKEND,
# EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS, ...
globals().update(_values["EMAIL_URL"])  # EMAIL_BACKEND, EMAIL_HOST, …
DEFAULT_FROM_EMAIL = _values["DEFAULT_FROM_EMAIL"]
# Where e-mails sent by background jobs (alerts, digests) link to.
FOURFOLD_BASE_URL = _values["BASE_URL"]

# --- Security -------------------------------------------------------------------------
_RATE = Regexp(
    r"^\s*\d+\s*/\s*(second|minute|hour|day)\s*$",
    error="write a number of requests per second, minute, hour or day, e.g. 60/minute",
)
with env.prefixed("DJANGO_"):
    # How many proxies of yours (load balancer, nginx, ...) each append to
    # X-Forwarded-For; read only with DJANGO_BEHIND_PROXY.
    _proxy_count = env.int("PROXY_COUNT", default=1, validate=Range(min=1))
# Per client address (logins: this form and the admin's together; the push API) and
# per API token (pushes), in fixed windows (programs/ratelimit.py).
FOURFOLD_LOGIN_RATE = env.str("FOURFOLD_LOGIN_RATE", default="20/minute", validate=_RATE)
FOURFOLD_API_RATE = env.str("FOURFOLD_API_RATE", default="600/minute", validate=_RATE)
FOURFOLD_PUSH_RATE = env.str("FOURFOLD_PUSH_RATE", default="60/minute", validate=_RATE)
# /health/ and /health/worker/ name each check and its error only to staff users,
# unless this is on; everyone else gets "up" or "down" (and the status code).
FOURFOLD_HEALTH_DETAILS_PUBLIC = env.bool("FOURFOLD_HEALTH_DETAILS_PUBLIC", default=False)

# The client's address (programs.ratelimit.client_ip): REMOTE_ADDR, or behind the proxy the
# X-Forwarded-For entry its outermost trusted proxy appended. 0: the header is ignored, so
# a forged one cannot dodge a lock-out or a limit.
FOURFOLD_PROXY_COUNT = _proxy_count if _values["BEHIND_PROXY"] else 0

# Login attempts are counted per username and address (django-axes): after five wrong
# passwords that pair is locked out for fifteen minutes; a successful login resets it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The same address as the rate limits. (Axes' own route, django-ipware, is only here as
# django-structlog's dependency and guesses from headers when no proxy count is given.)
AXES_CLIENT_IP_CALLABLE = "programs.ratelimit.client_ip"
# Content-Security-Policy: scripts only from this site (htmx, Plotly and ours are files in
# static/; pages have no inline script), nothing from another origin. Inline styles stay
# allowed: Plotly and htmx set them on the elements they draw.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
# The language a browser chose in the top bar (programs.views.language_set), for a year.
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = (
        True if _values["SECURE_SSL_REDIRECT"] is None else _values["SECURE_SSL_REDIRECT"]
    )
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if _values["BEHIND_PROXY"]:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# --- Cache ----------------------------------------------------------------------------
# "default" holds the dashboard's rendered cards, keyed by snapshot (which never changes):
# each process keeping its own is correct. "ratelimit" holds the request counters, which
# every web process and host must share: Redis when FOURFOLD_CACHE_URL names one (both
# caches then live there), else a table of the database (`manage.py createcachetable`
# makes it; `make run` does; the test database gets it when it is created).
# (Parsed only when set: an empty value is no cache URL, not a bad one.)
_cache_url = (
    env.dj_cache_url("FOURFOLD_CACHE_URL") if os.environ.get("FOURFOLD_CACHE_URL") else None
)
if _cache_url:
    CACHES = {
        "default": _cache_url,
        "ratelimit": {**_cache_url, "KEY_PREFIX": "ratelimit"},
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "fourfold_cache",
            # Counters live a minute or so; a cull must not drop live ones.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }

# --- Celery ---------------------------------------------------------------------------
# Without CELERY_BROKER_URL the broker is kombu's filesystem transport: queues are files
# under var/celery, so `make run` needs no broker server. Run exactly one worker on it.
CELERY_BROKER_URL = _values["CELERY_BROKER_URL"]
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
else:
    # Longer than the longest task or countdown, or Redis re-delivers a running task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Logging --------------------------------------------------------------------------
# One line per request and per task, with request_id / task_id and user_id bound by
# django-structlog. JSON in production (for a log shipper), readable columns when DEBUG.
DJANGO_STRUCTLOG_CELERY_ENABLED = True
LOG_FORMAT = _values["LOG_FORMAT"] or ("console" if DEBUG else "json")

structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    cache_logger_on_first_use=True,
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processor": structlog.processors.JSONRenderer(),
        },
        "console": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processor": structlog.dev.ConsoleRenderer(colors=False),
        },
    },
    "handlers": {
        "default": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["default"], "level": "INFO"},
    "loggers": {
        # django-structlog logs each request once; Django's own request log would repeat it.
        "django.server": {"level": "WARNING"},
        "django_structlog": {"level": "INFO"},
    },
}

# --- Result pulls ---------------------------------------------------------------------
FOURFOLD_PULL_RETRY_BACKOFF = _values["PULL_RETRY_BACKOFF"]  # seconds, doubling
FOURFOLD_PULL_MAX_RETRIES = _values["PULL_MAX_RETRIES"]
# A source must have answered in full within this many seconds (a slow one that keeps
# sending a trickle would otherwise hold its run, and the source, for as long as it likes).
FOURFOLD_PULL_DEADLINE = env.int("FOURFOLD_PULL_DEADLINE", default=300)
# Hosts and networks inside Fourfold's own network that HTTP and SQL sources may reach (a
# data warehouse on the private network, say), comma-separated names or CIDR networks.
# Everything else internal (loopback, private, link-local, metadata services) is refused.
FOURFOLD_SOURCE_ALLOWED_HOSTS = env.list("FOURFOLD_SOURCE_ALLOWED_HOSTS", default=[])
# The most rows one load (upload, pull or push) reads: a bigger one is refused whole.
FOURFOLD_LOAD_MAX_ROWS = env.int("FOURFOLD_LOAD_MAX_ROWS", default=300_000)
# The largest body the push API reads (its documented 50,000 measurements take about 8 MB,
# 17 MB with the longest KPI and segment names). Only the push API's paths get it
# (results.api.ApiRequestMiddleware): every other request keeps Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
FOURFOLD_PUSH_MAX_MB = env.int("FOURFOLD_PUSH_MAX_MB", default=20, validate=Range(min=1, max=200))
# How much memory a job reading or loading a file may add, and how long an upload waits
# for its column mapping before its file is dropped.
FOURFOLD_JOB_MEMORY_MB = env.int("FOURFOLD_JOB_MEMORY_MB", default=1024)
FOURFOLD_UPLOAD_PREVIEW_HOURS = env.int("FOURFOLD_UPLOAD_PREVIEW_HOURS", default=24)
# A push loads while its request waits; if the web process dies meanwhile, the push source
# is free again after this many seconds.
FOURFOLD_PUSH_LEASE_SECONDS = env.int("FOURFOLD_PUSH_LEASE_SECONDS", default=300)


def stop_if_unusable() -> None:
    """Stop start-up with one message that names every unusable value."""
    try:
        env.seal()
    except EnvValidationError as error:
        PROBLEMS[:0] = [
            f'Environment variable "{name}" invalid: {" ".join(map(str, messages))}'
            for name, messages in error.error_messages.items()
        ]
    if PROBLEMS:
        raise ImproperlyConfigured("Fourfold cannot start: " + " · ".join(PROBLEMS))


stop_if_unusable()
