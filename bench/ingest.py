"""Loading speed: the product's import path against PostgreSQL's own COPY.

Generates 1,000,000 measurement rows as CSV, then in one run:
  1. loads them through Fourfold's import path (read CSV, check every row, COPY into a
     staging table and merge on the natural key), as an upload does;
  2. COPYs the same rows into a plain table of the same shape;
and prints rows per second of each and their ratio. Aim: the product at least half as
fast as COPY.

Run: .venv/bin/python bench/ingest.py [--rows N]
Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/fourfold_bench), which it
creates and migrates if needed. Everything it makes is dropped at the end.
"""

import argparse
import datetime
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fourfold_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_LOG_FORMAT", "console")


def ensure_database() -> None:
    import psycopg
    from environs import Env

    url = Env().dj_db_url("DATABASE_URL")
    with psycopg.connect(
        host=url["HOST"],
        port=url["PORT"] or 5432,
        user=url["USER"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [url["NAME"]]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{url["NAME"]}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    ensure_database()

    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection, transaction

    from kpis.services import goal_save, kpi_save
    from programs.models import Organization
    from programs.services import program_create
    from results import ingest
    from results.loading import measurements_load

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(name="Bench", slug=f"bench-{time.time_ns()}")
    program = program_create(organization=organization, name="Bench", by=None)
    cycle = program.cycles.get()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(username=f"bench-{time.time_ns()}")
    goal = goal_save(cycle=cycle, by=user, title="Bench")
    kpis = [
        kpi_save(
            goal=goal,
            by=user,
            name=f"KPI {n}",
            unit="count",
            direction="higher",
            baseline=Decimal(1),
            baseline_date=cycle.starts_on,
            target=Decimal(2),
            target_date=cycle.ends_on,
        )
        for n in range(100)
    ]
    days = args.rows // len(kpis) + 1
    first = datetime.date.today() - datetime.timedelta(days=days + 1)
    lines = ["kpi,period,value"]
    for n in range(args.rows):
        kpi = kpis[n % len(kpis)]
        day = first + datetime.timedelta(days=n // len(kpis))
        lines.append(f"{kpi.name},{day.isoformat()},{(n * 7919) % 10000 / 100:.2f}")
    data = ("\n".join(lines) + "\n").encode()
    print(f"rows: {args.rows:,}  CSV: {len(data) / 1e6:.1f} MB  KPIs: {len(kpis)}")

    mapping = {"kpi": "kpi", "period": "period", "value": "value"}
    lookup = {k.name.lower(): ingest.KpiInfo(k.pk, k.unit) for k in kpis}
    started = time.perf_counter()
    _header, rows = ingest.read_csv(data)
    checked = ingest.check_rows(
        rows, mapping, kpis=lookup, segments={}, today=datetime.date.today()
    )
    checked_at = time.perf_counter()
    assert checked.ok, checked.errors[:3]
    with transaction.atomic():
        counts = measurements_load(records=checked.records, source_id=None)
    product = time.perf_counter() - started
    print(
        f"product path: {args.rows / product:,.0f} rows/s  ({product:.1f} s: read and check "
        f"{checked_at - started:.1f} s, load {product - (checked_at - started):.1f} s; "
        f"{counts.inserted:,} inserted)"
    )

    started = time.perf_counter()
    _header, rows = ingest.read_csv(data)
    again = ingest.check_rows(rows, mapping, kpis=lookup, segments={}, today=datetime.date.today())
    with transaction.atomic():
        repeat = measurements_load(records=again.records, source_id=None)
    reload = time.perf_counter() - started
    print(
        f"loading the same file again (merge path): {args.rows / reload:,.0f} rows/s "
        f"({reload:.1f} s; {repeat.unchanged:,} unchanged)"
    )

    text = io.StringIO()
    for r in checked.records:
        text.write(f"{r.kpi_id}\tday\t{r.period_start.isoformat()}\t\\N\t\t{r.value}\t\\N\t\\N\n")
    payload = text.getvalue().encode()
    columns = (
        "kpi_id, period_kind, period_start, segment_id, variant, value, numerator, denominator"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(
            "CREATE TABLE bench_copy (kpi_id bigint, period_kind varchar(5), period_start date, "
            "segment_id bigint, variant varchar(12), value numeric, numerator numeric, "
            "denominator numeric)"
        )
        started = time.perf_counter()
        with cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
            copy.write(payload)
        copied = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
        # The same table as the product's: its unique key, check and foreign keys.
        cursor.execute("CREATE TABLE bench_copy (LIKE kpis_measurement INCLUDING ALL)")
        cursor.execute(
            "ALTER TABLE bench_copy ADD FOREIGN KEY (kpi_id) REFERENCES kpis_kpi (id) "
            "DEFERRABLE INITIALLY DEFERRED, ADD FOREIGN KEY (segment_id) REFERENCES "
            "kpis_segment (id) DEFERRABLE INITIALLY DEFERRED"
        )
        with transaction.atomic():
            started = time.perf_counter()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            with cursor.copy(f"COPY bench_copy ({columns}, loaded_at) FROM STDIN") as copy:
                now = "2026-01-01 00:00:00+00"
                copy.write(
                    b"".join(line + f"\t{now}".encode() + b"\n" for line in payload.splitlines())
                )
            same_shape = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    print(f"plain COPY:   {args.rows / copied:,.0f} rows/s  ({copied:.1f} s) into a bare table")
    print(
        f"same-shape COPY: {args.rows / same_shape:,.0f} rows/s  ({same_shape:.1f} s) into a copy "
        "of the measurements table (unique key, foreign keys)"
    )
    print(
        f"ratio: the product path runs at {copied / product:.0%} of plain COPY's speed and "
        f"{same_shape / product:.0%} of same-shape COPY's (aim: 50%)"
    )

    with transaction.atomic():
        from results.models import Measurement

        Measurement.objects.filter(kpi__goal__cycle__program=program).delete()
        organization.delete()
        user.delete()


if __name__ == "__main__":
    main()
