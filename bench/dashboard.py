"""Dashboard speed: the executive dashboard over three years of daily results.

Seeds in PostgreSQL one organization (an executive member, 5 segments) and a program whose
open cycle began 90 days ago, with 100 KPIs under 10 goals (units and directions varied)
and an ROI target measured by a conversion KPI. Measurements, COPYed straight into
kpis_measurement (then VACUUM ANALYZEd, as autovacuum would):
  - all traffic (no segment, no variant) for every KPI on each of 1,095 days ending yesterday;
  - each of the 5 segments on the last 880 of those days;
  - for 5 conversion-rate KPIs, personalized and control rows with numerators and
    denominators on the last 90 days, so that lift is computed;
  100 x 1,095 + 100 x 5 x 880 + 5 x 2 x 90 = 550,400 rows.
Then, in one run, it prints:
  1. the time of the precompute job, progress.snapshots.progress_refresh, over the cycle;
  2. min, median and p90 of 20 requests (after one warm-up) and the query count of one request,
     as the executive (django.test.Client), of the dashboard, the dashboard filtered to a
     segment, the dashboard's chart fragment, a KPI page (a KPI with lift) and its chart;
  3. the database's own time: EXPLAIN ANALYZE of the dashboard's snapshot query and of every
     read of one dashboard request, the summed time of that request's queries as Django
     measures them, and EXPLAIN ANALYZE of the refresh's aggregations (series_by_kpi);
  4. the dashboard's query count again on a second program with 5 KPIs of the same shape.
The executive has visited before (a DashboardVisit with an earlier visit), so every
dashboard request also builds "what changed since your last visit", as a returning
executive's would.

Aims (issue 8): dashboard median under 150 ms on a 2-core machine, within 3x the database's
own time for the underlying aggregation (read here as EXPLAIN ANALYZE of series_by_kpi, the
aggregation of every KPI's results that the snapshots precompute), and a query count that
does not grow with the number of KPIs. It also prints the page against its own queries'
time, which shows where the rest goes (Python and templates).

Run: .venv/bin/python bench/dashboard.py [--kpis N] [--days N] [--segment-days N]
[--repeat N] (a quick smoke run: --kpis 10 --days 60), on an otherwise idle machine: the
times are wall-clock. Runs with the production settings (DJANGO_DEBUG off); Django's test
utilities record each query's time; INFO logs are silenced while it runs.
Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/fourfold_bench), which it
creates and migrates if needed. Everything it makes is deleted at the end.
"""

import argparse
import datetime
import io
import json
import logging
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fourfold_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production settings (DEBUG off, as users run it); query times are still recorded by
# CaptureQueriesContext. Static files are served from the finders (no collectstatic).
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_LOG_FORMAT", "console")

SEGMENTS = 5
GOALS = 10
LIFT_KPIS = 5
LIFT_DAYS = 90  # the cycle began this many days ago; the arms cover the same days
REPEAT = 20

# name, unit, direction, baseline, target: the KPIs cycle through these shapes.
SHAPES = [
    ("Conversion rate", "percent", "higher", 2.5, 3.0),
    ("Average order value", "currency", "higher", 60.0, 66.0),
    ("Orders", "count", "higher", 1000.0, 1150.0),
    ("Bounce rate", "percent", "lower", 45.0, 40.0),
    ("Return ratio", "ratio", "lower", 0.12, 0.10),
    ("Time to checkout", "duration", "lower", 240.0, 200.0),
]


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


@dataclass
class Seeded:
    program: object
    cycle: object
    kpis: list
    rows: int


def seed_program(
    *, organization, user, segments, name: str, n_kpis: int, days: int, segment_days: int, today
) -> Seeded:
    """A program of `n_kpis` KPIs with its measurements (COPY) and an ROI target."""
    from decimal import Decimal

    from django.db import connection, transaction

    from kpis.services import goal_save, kpi_save, roi_target_save
    from programs.services import program_create

    program = program_create(
        organization=organization,
        name=name,
        starts_on=today - datetime.timedelta(days=LIFT_DAYS),
        ends_on=today + datetime.timedelta(days=91),
        by=user,
    )
    cycle = program.cycles.get()
    goals = [
        goal_save(
            cycle=cycle, by=user, title=f"Goal {g + 1}", segments=[segments[g % len(segments)]]
        )
        for g in range(min(GOALS, n_kpis))
    ]
    kpis = []
    for n in range(n_kpis):
        label, unit, direction, baseline, target = SHAPES[n % len(SHAPES)]
        kpis.append(
            kpi_save(
                goal=goals[n % len(goals)],
                by=user,
                name=f"{label} {n + 1}",
                unit=unit,
                currency_code="EUR" if unit == "currency" else "",
                direction=direction,
                baseline=Decimal(str(baseline)),
                baseline_date=cycle.starts_on,
                target=Decimal(str(target)),
                target_date=cycle.ends_on,
            )
        )
    conversion = [k for k in kpis if k.name.startswith("Conversion rate")][:LIFT_KPIS]
    lift_ids = {k.pk for k in conversion}
    roi_target_save(
        cycle=cycle,
        by=user,
        one_off_investment=Decimal(50_000),
        running_cost_per_month=Decimal(4_000),
        expected_return_per_month=Decimal(12_000),
        attribution_kpi=conversion[0] if conversion else None,
        value_per_conversion=Decimal(25),
    )

    rng = random.Random(n_kpis)
    now = datetime.datetime.now(datetime.UTC).isoformat()
    first = today - datetime.timedelta(days=days)  # the last day is yesterday
    lines = io.StringIO()
    rows = 0
    for n, kpi in enumerate(kpis):
        _label, _unit, _direction, baseline, target = SHAPES[n % len(SHAPES)]
        pace = rng.uniform(0.0, 1.4)  # how far towards its target the KPI is going
        factors = [rng.uniform(0.8, 1.2) for _ in segments]
        rate = kpi.pk in lift_ids
        for d in range(days):
            day = first + datetime.timedelta(days=d)
            since_start = (day - cycle.starts_on).days
            if since_start < 0:  # from 5% worse three years ago to the baseline
                drift = baseline * (1 - 0.05 * -since_start / max(days, 1))
                if baseline > target:
                    drift = baseline * (1 + 0.05 * -since_start / max(days, 1))
            else:
                drift = baseline + pace * (target - baseline) * since_start / 181
            value = drift * (1 + rng.gauss(0, 0.02))
            num = den = "\\N"
            if rate:
                visits = rng.randint(18_000, 22_000)
                num, den = str(round(visits * value / 100)), str(visits)
            lines.write(f"{kpi.pk}\tday\t{day}\t\\N\t\t{value:.6f}\t{num}\t{den}\t\\N\t{now}\n")
            rows += 1
            if d >= days - segment_days:
                for segment, factor in zip(segments, factors, strict=True):
                    v = value * factor * (1 + rng.gauss(0, 0.03))
                    lines.write(
                        f"{kpi.pk}\tday\t{day}\t{segment.pk}\t\t{v:.6f}\t\\N\t\\N\t\\N\t{now}\n"
                    )
                    rows += 1
            if rate and d >= days - LIFT_DAYS:
                for variant, lift in (("personalized", 1.08), ("control", 1.0)):
                    visits = rng.randint(9_000, 11_000)
                    conversions = round(visits * value * lift / 100 * (1 + rng.gauss(0, 0.03)))
                    lines.write(
                        f"{kpi.pk}\tday\t{day}\t\\N\t{variant}\t{100 * conversions / visits:.6f}"
                        f"\t{conversions}\t{visits}\t\\N\t{now}\n"
                    )
                    rows += 1
    columns = (
        "kpi_id, period_kind, period_start, segment_id, variant, value, numerator, "
        "denominator, source_id, loaded_at"
    )
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY kpis_measurement ({columns}) FROM STDIN") as copy,
    ):
        copy.write(lines.getvalue().encode())
    with connection.cursor() as cursor:
        # What autovacuum does after a large load; it also clears the rows of earlier runs.
        cursor.execute("VACUUM ANALYZE kpis_measurement")
    return Seeded(program=program, cycle=cycle, kpis=kpis, rows=rows)


@dataclass
class Figures:
    min_ms: float
    median_ms: float
    p90_ms: float
    queries: int
    db_logged_ms: float  # the sum of Django's per-query "time" (each rounded to 1 ms)
    db_timed_ms: float  # the same queries timed to the microsecond around execute
    captured: list


def measure(client, url: str, repeat: int) -> Figures:
    """One warm-up request, `repeat` timed ones, then one with its queries captured."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return response

    get()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    timed = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append(time.perf_counter() - started)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        get()
    return Figures(
        min_ms=min(times),
        median_ms=statistics.median(times),
        p90_ms=statistics.quantiles(times, n=10, method="inclusive")[-1],
        queries=len(captured.captured_queries),
        db_logged_ms=sum(float(q["time"]) for q in captured.captured_queries) * 1000,
        db_timed_ms=sum(timed) * 1000,
        captured=captured.captured_queries,
    )


def explain_ms(sql: str, runs: int = 3) -> tuple[float, float, int]:
    """Median execution and planning time (ms) of EXPLAIN ANALYZE over `runs` runs, and
    the rows the query returns."""
    from django.db import connection

    execution, planning, rows = [], [], 0
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
            execution.append(plan["Execution Time"])
            planning.append(plan["Planning Time"])
            rows = plan["Plan"]["Actual Rows"]
    return statistics.median(execution), statistics.median(planning), rows


def is_read(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT") and "FOR UPDATE" not in sql.upper()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kpis", type=int, default=100)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--segment-days", type=int, default=880)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args()
    ensure_database()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from kpis.models import Kpi, RoiTarget
    from programs.models import Organization, Role
    from programs.services import membership_add
    from progress.models import DashboardVisit
    from progress.selectors import series_by_kpi
    from progress.snapshots import progress_refresh
    from results.models import Measurement
    from segments.services import segment_save

    call_command("migrate", verbosity=0)
    logging.disable(logging.INFO)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # No collectstatic here: plain static URLs instead of the manifest's hashed names.
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    today = timezone.localdate()
    stamp = time.time_ns()
    organization = Organization.objects.create(name="Bench dashboard", slug=f"bench-{stamp}")
    user = get_user_model().objects.create(username=f"bench-{stamp}")
    made: list[Seeded] = []
    client = Client()
    try:
        membership_add(organization=organization, user=user, role=Role.EXECUTIVE)
        segments = [
            segment_save(organization=organization, by=user, name=f"Segment {s + 1}")
            for s in range(SEGMENTS)
        ]
        days, segment_days = args.days, min(args.segment_days, args.days)
        started = time.perf_counter()
        big = seed_program(
            organization=organization,
            user=user,
            segments=segments,
            name="Bench dashboard",
            n_kpis=args.kpis,
            days=days,
            segment_days=segment_days,
            today=today,
        )
        made.append(big)
        print(
            f"seeded: {args.kpis} KPIs, {days} days (segments on the last {segment_days}), "
            f"{big.rows:,} measurements in {time.perf_counter() - started:.1f} s"
        )

        with CaptureQueriesContext(connection) as refresh_queries:
            started = time.perf_counter()
            progress_refresh(cycle=big.cycle, today=today)
            refresh_s = time.perf_counter() - started
        print(f"progress_refresh: {refresh_s * 1000:,.0f} ms, {len(refresh_queries)} queries")

        kpis = list(Kpi.objects.filter(goal__cycle=big.cycle).order_by("pk"))
        with CaptureQueriesContext(connection) as series_queries:
            started = time.perf_counter()
            series_by_kpi(kpis=kpis)
            series_s = time.perf_counter() - started
        series_sql = next(
            q["sql"] for q in series_queries.captured_queries if "kpis_measurement" in q["sql"]
        )
        series_exec, series_plan, series_rows = explain_ms(series_sql)
        aggregations = []
        for q in refresh_queries.captured_queries:
            if is_read(q["sql"]) and 'FROM "kpis_measurement"' in q["sql"]:
                sql = q["sql"]
                if '"variant" IN' in sql and "MAX(" in sql:
                    label = "lift, last days"
                elif '"variant" IN' in sql:
                    label = "lift, daily sums"
                elif '"segment_id" IS NOT NULL' in sql:
                    label = "series by segment"
                else:
                    label = "series, all traffic"
                aggregations.append((label, float(q["time"]) * 1000, *explain_ms(sql, runs=1)))

        client.force_login(user)
        visit_before = timezone.now() - datetime.timedelta(days=1)
        for seeded in made:
            DashboardVisit.objects.create(
                user=user,
                program=seeded.program,
                seen_at=timezone.now(),
                previous_seen_at=visit_before,
            )
        lift_kpi = next(k for k in kpis if k.name.startswith("Conversion rate"))
        pk = big.program.pk
        dashboard_url = reverse("progress:dashboard", kwargs={"pk": pk})
        pages = {
            "dashboard": dashboard_url,
            "dashboard ?segment=": f"{dashboard_url}?segment={segments[0].pk}",
            "dashboard chart": reverse("progress:dashboard_chart", kwargs={"pk": pk}),
            "KPI page": reverse("kpis:kpi", kwargs={"pk": pk, "kpi_pk": lift_kpi.pk}),
            "KPI chart": reverse("progress:kpi_chart", kwargs={"pk": pk, "kpi_pk": lift_kpi.pk}),
        }
        figures = {name: measure(client, url, args.repeat) for name, url in pages.items()}
        # The first view after a refresh renders every card (later views reuse them).
        from django.core.cache import cache

        cold = []
        for _ in range(5):
            cache.clear()
            started = time.perf_counter()
            client.get(dashboard_url)
            cold.append((time.perf_counter() - started) * 1000)
        cold_ms = statistics.median(cold)

        dashboard = figures["dashboard"]
        snapshot_sql = [
            q["sql"] for q in dashboard.captured if 'FROM "kpis_kpisnapshot"' in q["sql"]
        ]
        snapshot_exec, snapshot_plan, snapshot_rows = explain_ms(snapshot_sql[0])
        reads = [q["sql"] for q in dashboard.captured if is_read(q["sql"])]
        explained = [explain_ms(sql) for sql in reads]
        server_ms = sum(e + p for e, p, _rows in explained)
        slowest = sorted(zip(explained, reads, strict=True), key=lambda x: -x[0][0])[:3]

        small = seed_program(
            organization=organization,
            user=user,
            segments=segments,
            name="Bench dashboard, 5 KPIs",
            n_kpis=5,
            days=days,
            segment_days=segment_days,
            today=today,
        )
        made.append(small)
        progress_refresh(cycle=small.cycle, today=today)
        DashboardVisit.objects.create(
            user=user, program=small.program, seen_at=timezone.now(), previous_seen_at=visit_before
        )
        small_figures = measure(
            client, reverse("progress:dashboard", kwargs={"pk": small.program.pk}), 5
        )

        print()
        print(f"Requests: one warm-up, then {args.repeat} timed; queries of one request.")
        print(
            f"{'page':<22}{'min ms':>8}{'median ms':>10}{'p90 ms':>9}{'queries':>9}"
            f"{'DB ms (logged)':>16}{'DB ms (timed)':>15}"
        )
        for name, f in figures.items():
            print(
                f"{name:<22}{f.min_ms:>8.1f}{f.median_ms:>10.1f}{f.p90_ms:>9.1f}{f.queries:>9}"
                f"{f.db_logged_ms:>16.0f}{f.db_timed_ms:>15.1f}"
            )
        print()
        print("Database's own time (EXPLAIN ANALYZE, median of 3 runs, execution + planning):")
        print(
            f"  dashboard snapshot query:          {snapshot_exec:8.2f} ms + {snapshot_plan:.2f} ms"
            f"  ({snapshot_rows} rows; {len(snapshot_sql)} query on kpis_kpisnapshot per request)"
        )
        print(
            f"  all {len(reads)} reads of one dashboard request: {server_ms:8.2f} ms "
            f"(of {dashboard.queries} queries; writes and FOR UPDATE left out)"
        )
        for (e, p, n), sql in slowest:
            print(f"    {e:7.2f} ms + {p:.2f} ms {n:5} rows  {sql[:100]}")
        print(
            f"  series_by_kpi(kpis=<{len(kpis)}>):     {series_exec:8.1f} ms + {series_plan:.2f} ms"
            f"  ({series_rows:,} rows; the call in Python: {series_s * 1000:,.0f} ms)"
        )
        print("  the refresh's reads of kpis_measurement (Django's logged time; EXPLAIN ANALYZE):")
        for label, logged, e, p, n in aggregations:
            print(f"    {label:<22}{logged:>7.0f} ms logged {e:>8.1f} ms + {p:.2f} ms {n:>9,} rows")

        ratio_logged = dashboard.median_ms / max(dashboard.db_timed_ms, 1e-9)
        ratio_server = dashboard.median_ms / max(server_ms, 1e-9)
        ratio_aggregation = dashboard.median_ms / max(series_exec, 1e-9)
        print()
        print("Summary")
        rows = [
            (f"measurements, {args.kpis} KPIs", f"{big.rows:,}", "~550,000", None),
            ("measurements, 5 KPIs", f"{small.rows:,}", "", None),
            ("progress_refresh (precompute)", f"{refresh_s * 1000:,.0f} ms", "", None),
            (
                "dashboard median / p90",
                f"{dashboard.median_ms:.1f} / {dashboard.p90_ms:.1f} ms",
                "median < 150 ms",
                dashboard.median_ms < 150,
            ),
            (
                "dashboard, first view after refresh",
                f"{cold_ms:.1f} ms (median of 5)",
                "",
                None,
            ),
            (
                "dashboard DB time (queries' sum)",
                f"{dashboard.db_timed_ms:.1f} ms (logged {dashboard.db_logged_ms:.0f})",
                "",
                None,
            ),
            ("dashboard DB time (EXPLAIN sum)", f"{server_ms:.1f} ms", "", None),
            # The aim, as read here: the page against the database's own time for
            # the aggregation it stands for (series_by_kpi over every KPI's results), which
            # the precomputed snapshots spare each request.
            (
                "page median / aggregation DB time",
                f"{ratio_aggregation:.2f}x",
                "<= 3x",
                ratio_aggregation <= 3,
            ),
            # The page against its own (tiny) queries: the rest is Python and templates.
            ("page median / its queries' DB time", f"{ratio_logged:.1f}x", "", None),
            ("page median / its reads (EXPLAIN)", f"{ratio_server:.1f}x", "", None),
            (
                f"dashboard queries, {args.kpis} vs 5 KPIs",
                f"{dashboard.queries} vs {small_figures.queries}",
                "no growth",
                dashboard.queries <= small_figures.queries,
            ),
            (
                "dashboard ?segment= median / p90",
                f"{figures['dashboard ?segment='].median_ms:.1f} / "
                f"{figures['dashboard ?segment='].p90_ms:.1f} ms",
                "",
                None,
            ),
            (
                "dashboard chart median / p90",
                f"{figures['dashboard chart'].median_ms:.1f} / "
                f"{figures['dashboard chart'].p90_ms:.1f} ms",
                "",
                None,
            ),
            (
                "KPI page median / p90",
                f"{figures['KPI page'].median_ms:.1f} / {figures['KPI page'].p90_ms:.1f} ms",
                "",
                None,
            ),
            (
                "KPI chart median / p90",
                f"{figures['KPI chart'].median_ms:.1f} / {figures['KPI chart'].p90_ms:.1f} ms",
                "",
                None,
            ),
            ("snapshot query (EXPLAIN)", f"{snapshot_exec:.2f} ms", "", None),
            ("series_by_kpi query (EXPLAIN)", f"{series_exec:,.1f} ms", "", None),
        ]
        print(f"{'figure':<36}{'value':<30}{'aim':<18}met")
        for name, value, aim, met in rows:
            print(
                f"{name:<36}{value:<30}{aim:<18}{'' if met is None else ('yes' if met else 'NO')}"
            )
    finally:
        client.logout()  # its session
        with transaction.atomic():
            kpi_ids = list(
                Kpi.objects.filter(goal__cycle__program__organization=organization).values_list(
                    "pk", flat=True
                )
            )
            roi_ids = list(
                RoiTarget.objects.filter(cycle__program__organization=organization).values_list(
                    "pk", flat=True
                )
            )
            Measurement.objects.filter(kpi_id__in=kpi_ids).delete()
            organization.delete()
            user.delete()
            Kpi.history.model.objects.filter(id__in=kpi_ids).delete()
            RoiTarget.history.model.objects.filter(id__in=roi_ids).delete()


if __name__ == "__main__":
    main()
