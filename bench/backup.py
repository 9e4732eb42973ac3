"""Backup and restore of a large program: how long, how big, how much memory.

Seeds in PostgreSQL the program of bench/dashboard.py (100 KPIs under 10 goals, three
years of daily results, five segments on the last 880 days, personalized and control arms
on five conversion KPIs: 550,400 measurements) with its progress computed, then:
  1. exports it (backups.backup.program_export_text, as Download backup does) and
     prints the time, the file's size and the process's peak memory;
  2. restores the file into a second organization with the same people (program_import,
     one transaction) and prints the time and the rows written;
  3. exports the restored program and checks that it is the same file.
The aim: a program of this size backs up and restores in minutes on this 2-core machine,
so a nightly backup or a move between installations is a routine job; the page's 100 MB
upload limit tells whether the web page or the command is the way for it.

Run: .venv/bin/python bench/backup.py [--kpis N] [--days N] [--segment-days N] (a quick
smoke run: --kpis 10 --days 60). Uses DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/fourfold_bench_backup), which it creates and migrates
if needed. Everything it makes is deleted at the end.
"""

import argparse
import json
import logging
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fourfold_bench_backup")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_LOG_FORMAT", "console")

from dashboard import SEGMENTS, ensure_database, seed_program  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kpis", type=int, default=100)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--segment-days", type=int, default=880)
    args = parser.parse_args()
    ensure_database()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from backups import backup
    from programs.models import Organization, Role
    from programs.services import membership_add
    from progress.snapshots import progress_refresh
    from segments.services import segment_save

    call_command("migrate", verbosity=0)
    logging.disable(logging.INFO)
    today = timezone.localdate()
    stamp = time.time_ns()
    user = get_user_model().objects.create(
        username=f"bench-{stamp}", email=f"bench-{stamp}@example.com"
    )
    source = Organization.objects.create(name="Bench backup", slug=f"bench-{stamp}")
    target = Organization.objects.create(name="Bench restore", slug=f"bench-{stamp}-restore")
    try:
        for organization in (source, target):
            membership_add(organization=organization, user=user, role=Role.ADMIN)
        segments = [
            segment_save(organization=source, by=user, name=f"Segment {s + 1}")
            for s in range(SEGMENTS)
        ]
        started = time.perf_counter()
        seeded = seed_program(
            organization=source,
            user=user,
            segments=segments,
            name="Bench backup",
            n_kpis=args.kpis,
            days=args.days,
            segment_days=min(args.segment_days, args.days),
            today=today,
        )
        progress_refresh(cycle=seeded.cycle, today=today)
        print(
            f"seeded: {args.kpis} KPIs, {seeded.rows:,} measurements in "
            f"{time.perf_counter() - started:.1f} s (peak memory so far {peak_mb():,.0f} MB)"
        )

        started = time.perf_counter()
        text = backup.program_export_text(program=seeded.program)
        exported = time.perf_counter() - started
        size = len(text.encode())
        print(
            f"export: {exported:.1f} s; {size / 1e6:,.1f} MB ({size / seeded.rows:,.0f} bytes "
            f"per measurement); peak memory {peak_mb():,.0f} MB"
        )

        started = time.perf_counter()
        restored = backup.program_import(organization=target, data=text)
        imported = time.perf_counter() - started
        rows = sum(restored.counts.values())
        print(
            f"restore: {imported:.1f} s for {rows:,} rows ({rows / imported:,.0f} rows/s), one "
            f"transaction, progress recomputed; peak memory {peak_mb():,.0f} MB"
        )

        again = backup.program_export(program=restored.program)
        first = json.loads(text)
        same = all(again[k] == first[k] for k in ("people", "models"))
        print(f"exported again: {'the same file' if same else 'DIFFERENT'}")
        if not same:
            sys.exit(1)
    finally:
        for organization in (source, target):
            organization.programs.all().delete()  # cascades to everything under them
            organization.delete()
        user.delete()


if __name__ == "__main__":
    main()
