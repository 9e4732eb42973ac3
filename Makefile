# Fourfold: `make run` serves the demo on http://127.0.0.1:8000 (`PORT=8001 make run` on another
# port), `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
MANAGE := $(BIN)/python manage.py
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/fourfold
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
PORT ?= 8000
ALREADY_RUNNING := Another 'make run' is running in this folder (it holds var/celery/make-run.lock): \
	stop it first, or run from another checkout.

.PHONY: run test install install-dev migrate lint security audit check-deploy clean \
	migration-check

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv

install: $(UV)
	$(UV) sync --frozen --no-dev --inexact --quiet

install-dev: $(UV)
	$(UV) sync --frozen --inexact --quiet

# The embedded default: SQLite in ./db.sqlite3 and Celery on kombu's filesystem
# transport under ./var/celery (one worker with embedded beat, no broker server).
run: export DJANGO_DEBUG ?= true
# Links in e-mails and the demo's own results feed point at the port this server listens on.
run: export FOURFOLD_BASE_URL ?= http://127.0.0.1:$(PORT)
# The demo's "Web analytics feed" is served by this very server on 127.0.0.1: a trial on
# one's own machine lets sources reach it. Production lists its internal hosts itself.
run: export FOURFOLD_SOURCE_ALLOWED_HOSTS ?= 127.0.0.1
run: install
	@[[ "$(PORT)" =~ ^[0-9]+$$ ]] && (( $(PORT) >= 1 && $(PORT) <= 65535 )) || \
		{ echo "PORT must be a port number (1-65535), not '$(PORT)'." >&2; exit 2; }
	@mkdir -p var/celery/queue var/celery/processed var/celery/control
	@flock -n var/celery/make-run.lock true || { echo "$(ALREADY_RUNNING)" >&2; exit 2; }
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) createcachetable  # the rate limits' counters (config/settings.py, "Cache")
	$(MANAGE) seed_demo $(if $(DEMO_LANGUAGE),--language $(DEMO_LANGUAGE))
	@echo
	@echo "  Fourfold runs on http://127.0.0.1:$(PORT)  (Ctrl-C stops the web server and the worker)"
	@echo "  Demo logins (username  password):"
	@sed 's/^/    /' var/demo-credentials.txt
	@echo
# One worker process (with its two pool children) per var/celery: a second `make run` in
# this folder would start a second worker on the same transport, so it is refused.
	@exec 9>var/celery/make-run.lock; \
	flock -n 9 || { echo "$(ALREADY_RUNNING)" >&2; exit 2; }; \
	trap 'kill 0' EXIT; \
	$(BIN)/celery -A config worker -B --concurrency=2 --loglevel=INFO & \
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# The whole suite, against PostgreSQL and (for the worker tests) Redis, in TEST_PROCESSES
# processes (pytest-xdist): each has its own test database and Redis database.
TEST_PROCESSES ?= 2
test: export DATABASE_URL ?= $(TEST_DATABASE_URL)
test: export CELERY_BROKER_URL ?= $(TEST_BROKER_URL)
test: export DJANGO_ALLOW_ASYNC_UNSAFE = true
test: install-dev
	$(BIN)/pytest --durations=25 -n $(TEST_PROCESSES)

# A database migrated from before the apps moved (issue 19) has the schema of a fresh one,
# all its rows, content types and permissions with their ids, and its pages open.
migration-check: export DATABASE_URL ?= $(TEST_DATABASE_URL)
migration-check: install-dev
	$(BIN)/python scripts/migration_check.py

# Static security check of our code: no high-severity finding (bandit). Runs in CI.
security: install-dev
	$(BIN)/bandit -r config programs assessments segments kpis initiatives blueprints results progress cycles backups demo \
		-x "*/migrations/*" --severity-level high -q

# Known vulnerabilities in the locked dependencies (pip-audit). Needs PyPI's JSON API for
# each installed version, which this workplace's package proxy does not serve.
audit: install-dev
	$(BIN)/pip-audit --strict --progress-spinner off

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=true $(MANAGE) makemigrations --check --dry-run
	$(BIN)/lint-imports  # the apps in layers, pure modules pure (pyproject.toml)
	$(BIN)/python scripts/function_imports.py  # no cross-app import inside a function

clean:
	rm -rf var db.sqlite3 db.sqlite3-wal db.sqlite3-shm
