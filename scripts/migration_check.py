"""Migrating from before the apps moved loses nothing (issue 19; ARCHITECTURE.md).

    python scripts/migration_check.py [--base COMMIT]

1. At COMMIT (default: the last commit before the move), a PostgreSQL database is migrated
   and seeded with the demo (`seed_demo`); its row counts, content types, permissions and
   beat entries are noted.
2. This checkout migrates that database to its head, and migrates a second, empty one.
3. Checked: both schemas are the same (`pg_dump --schema-only`); every table keeps its
   rows; every model's content type and every permission keeps its id, none is stale;
   every task beat has stored is one the worker knows; every page of the demo program and
   its organization answers 200 for each of its people.

Prints what it checked and exits 1 on the first difference. Needs DATABASE_URL's server
(default postgres://postgres@127.0.0.1:5432/fourfold), with rights to create databases.
"""

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BASE = "9287f56"  # main before the house was rebuilt (issue 19)

# Run inside a checkout (argv[1]) against DATABASE_URL: what the check compares, as JSON.
NOTE = r"""
import json, sys
import django
django.setup()
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

with connection.cursor() as cursor:
    tables = connection.introspection.table_names(cursor)
    counts = {}
    for table in tables:
        if table != "django_migrations":
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    cursor.execute("SELECT DISTINCT task FROM django_celery_beat_periodictask")
    tasks = sorted(row[0] for row in cursor.fetchall())
models = {f"{m._meta.app_label}.{m._meta.model_name}" for m in apps.get_models()}
print(json.dumps({
    "counts": counts,
    "content_types": {f"{c.app_label}.{c.model}": c.pk for c in ContentType.objects.all()},
    "permissions": sorted(Permission.objects.values_list("pk", "content_type_id", "codename")),
    "tasks": tasks,
    "models": sorted(models),
}))
"""

# Run in this checkout against the migrated database: every page answers 200.
PAGES = r"""
import sys
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
from programs.models import Membership, Program
from tests.pages import organization_pages, program_pages

failed, opened = [], 0
for membership in Membership.objects.select_related("user", "organization"):
    client = Client(raise_request_exception=False)
    client.force_login(membership.user)
    urls = organization_pages(membership.organization)
    for program in Program.objects.filter(organization=membership.organization):
        urls += program_pages(program)
    for url in urls:
        opened += 1
        code = client.get(url).status_code
        if code != 200:
            failed.append(f"{membership.user.username} {url}: {code}")
print("\n".join(failed) or f"{opened} pages answered 200")
sys.exit(1 if failed else 0)
"""


def database_url(name: str) -> str:
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fourfold"))
    return urlunsplit(url._replace(path=f"/{name}"))


def recreate(name: str) -> str:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop(name: str) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(checkout: Path, url: str, *args: str, code: str | None = None) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CELERY_BROKER_URL": "memory://",
        "PYTHONPATH": str(checkout),
    }
    command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(args) or 'check'} failed in {checkout}:\n{done.stdout}{done.stderr}")
    return done.stdout


def schema(url: str) -> list[str]:
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    skip = ("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")
    return [line for line in dump.splitlines() if line.strip() and not line.startswith(skip)]


def fail(what: str) -> None:
    print(f"NOT the same: {what}")
    sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=BASE, help=f"the commit to migrate from ({BASE})")
    base = parser.parse_args().base
    old_db, new_db = "fourfold_migcheck_old", "fourfold_migcheck_new"
    with tempfile.TemporaryDirectory() as tmp:
        checkout = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(checkout), base],
            cwd=ROOT,
            check=True,
        )
        try:
            old = recreate(old_db)
            print(f"{base}: migrate and seed the demo")
            run(checkout, old, "migrate", "--no-input", "-v", "0")
            run(checkout, old, "seed_demo")
            before = json.loads(run(checkout, old, code=NOTE))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT)
    print("head: migrate the seeded database, and an empty one")
    run(ROOT, old, "migrate", "--no-input", "-v", "0")
    new = recreate(new_db)
    run(ROOT, new, "migrate", "--no-input", "-v", "0")

    migrated, fresh = schema(old), schema(new)
    if migrated != fresh:
        diff = difflib.unified_diff(fresh, migrated, "fresh", "migrated", lineterm="", n=1)
        fail("the schemas:\n" + "\n".join(list(diff)[:80]))
    print(f"schema: the same ({len(fresh)} lines of pg_dump --schema-only)")

    after = json.loads(run(ROOT, old, code=NOTE))
    # Every table of the base keeps its rows; a table made since (a new model) starts empty.
    # Content types and permissions grow by the new models' own; they are checked below.
    grown = {"django_content_type", "auth_permission"}
    kept = {t: after["counts"].get(t) for t in before["counts"] if t not in grown}
    added = {t: n for t, n in after["counts"].items() if t not in before["counts"]}
    if kept != {t: n for t, n in before["counts"].items() if t not in grown} or any(added.values()):
        changed = {
            t: (before["counts"].get(t), after["counts"].get(t))
            for t in before["counts"].keys() | after["counts"].keys()
            if before["counts"].get(t) != after["counts"].get(t) and (t in kept or added.get(t))
        }
        fail(f"rows per table (before, after): {changed}")
    rows = sum(before["counts"].values())
    print(
        f"rows: the same in all {len(before['counts'])} tables ({rows:,} rows); "
        f"{len(added)} new since the base, empty ({', '.join(sorted(added)) or 'none'})"
    )

    head = json.loads(
        run(
            ROOT,
            old,
            code="import json, django; django.setup(); from config.celery import app; "
            "from backups.backup import MOVED; app.loader.import_default_modules(); "
            "print(json.dumps({'tasks': sorted(app.tasks), 'moved': MOVED}))",
        )
    )
    moved_from = {new: old for old, new in head["moved"].items()}  # the moves' one list
    for label, pk in after["content_types"].items():
        old_label = moved_from.get(label, label)
        if label not in after["models"]:
            fail(f"content type {label} is stale: no model has it")
        if old_label in before["content_types"] and before["content_types"][old_label] != pk:
            fail(f"content type {label} has id {pk}, was {before['content_types'][old_label]}")
    known = {moved_from.get(label, label) for label in after["content_types"]}
    if not set(before["content_types"]) <= known:
        fail(f"content types lost: {sorted(set(before['content_types']) - known)}")
    new_types = {
        label: pk
        for label, pk in after["content_types"].items()
        if moved_from.get(label, label) not in before["content_types"]
    }
    if any(label in before["models"] for label in new_types):
        fail(f"content types made again for models the base had: {sorted(new_types)}")
    print(
        f"content types: {len(before['content_types'])}, each with its id, none stale; "
        f"new since the base: {', '.join(sorted(new_types)) or 'none'}"
    )
    kept_permissions = [p for p in after["permissions"] if p[1] not in new_types.values()]
    if before["permissions"] != kept_permissions:
        fail("permissions (id, content type, codename)")
    print(
        f"permissions: {len(before['permissions'])}, ids and content types kept; "
        f"{len(after['permissions']) - len(kept_permissions)} new for the new models"
    )

    lost = [task for task in after["tasks"] if task not in head["tasks"]]
    if lost:
        fail(f"beat entries name tasks no worker knows: {lost}")
    print(f"beat: every task its stored entries name is known ({', '.join(after['tasks'])})")

    print("pages:", run(ROOT, old, code=PAGES).strip(), "on the migrated demo")
    drop(old_db)
    drop(new_db)
    print("The migration check passed.")


if __name__ == "__main__":
    main()
