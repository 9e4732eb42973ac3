"""Settings for the test suite: the real settings, with test-only defaults.

Tests run against PostgreSQL (DATABASE_URL) and, where a test starts a worker, Redis.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-" + "x" * 50)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fourfold")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
# Uploaded tables of this run, apart from the demo's var/media.
os.environ.setdefault("FOURFOLD_MEDIA_ROOT", tempfile.mkdtemp(prefix="fourfold-media-"))
# Under pytest-xdist each process (gw0, gw1, …) has its own Redis database, so that a worker
# one test starts never takes another process' tasks, and its own folder of uploaded files
# (rows of both test databases have the same ids). The database suffix is per process
# already: pytest-django names it test_<name>_gw0, …. A worker process a test starts
# inherits what was moved, and the mark that it was.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and not os.environ.get("FOURFOLD_TEST_PROCESS_APART"):
    _broker, _, _db = os.environ["CELERY_BROKER_URL"].rpartition("/")
    if _db.isdigit():
        os.environ["CELERY_BROKER_URL"] = f"{_broker}/{int(_db) - 1 - int(_worker[2:])}"
    os.environ["FOURFOLD_MEDIA_ROOT"] = os.path.join(os.environ["FOURFOLD_MEDIA_ROOT"], _worker)
    os.environ["FOURFOLD_TEST_PROCESS_APART"] = "1"

from config.settings import *  # noqa: E402, F403 (after the environment above)

# Hashing passwords slowly protects users, not test fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Serve static files straight from the finders (no collectstatic before tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Threads and in-process workers must not keep connections that block dropping the
# test database at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
LOGGING["loggers"]["django_structlog"]["level"] = "WARNING"  # noqa: F405
FOURFOLD_PULL_RETRY_BACKOFF = 1
FOURFOLD_PULL_MAX_RETRIES = 3
FOURFOLD_PULL_DEADLINE = 3
# tests/test_health.py reads the checks' names and errors anonymously; the default (only
# staff see them) is tested in tests/security/test_health_access.py.
FOURFOLD_HEALTH_DETAILS_PUBLIC = True
