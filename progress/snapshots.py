"""Precomputed progress: each KPI's status, trend and lift as of the last refresh.

The dashboards read KpiSnapshot rows instead of aggregating years of daily results per
request. A refresh recomputes a whole cycle in a fixed number of queries; it runs as a
Celery job after every load of results, every night (expected progress moves with the
date), and when a page finds a snapshot missing or older than its KPI: the page then says
its figures are being updated, and the worker refreshes them (a GET never writes).
A refresh also records each KPI whose status changed or whose trend crossed its alert
threshold (StatusChange), which the alert e-mails and "what changed" read.
"""

import datetime

import structlog
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpis.models import Kpi, KpiPeriodTarget
from kpis.selectors import kpi_calendar
from programs import calendars
from programs.jobs import enqueue_on_commit
from programs.models import Cycle
from progress import periods
from progress.models import KpiSnapshot, StatusChange
from progress.pace import Point, progress
from progress.selectors import UNCOMPUTABLE, kpi_plan, lifts_isolated, series_by_kpi
from progress.tasks import refresh_cycle, send_status_alerts
from results.models import Pull

log = structlog.get_logger(__name__)

TRAIL_DAYS = 91
YEAR_DAYS = 365
SMOOTHING = 7


def trail(series: list[Point], days: int = TRAIL_DAYS, step: int = 1) -> list[float]:
    """The 7-point rolling mean over the last `days` points, every `step`-th of them and
    ending with the latest: a line that reads better than daily noise, from which a
    shorter period is a slice."""
    values = [p.value for p in series[-(days + SMOOTHING - 1) :]]
    windows = [values[max(0, i - SMOOTHING + 1) : i + 1] for i in range(len(values))]
    means = [round(sum(w) / len(w), 6) for w in windows][-days:]
    return means[::-1][::step][::-1]


KEPT_GRAINS = (calendars.MONTH, calendars.QUARTER)


def kept_periods(series, plan, calendar, unit: str, today: datetime.date) -> dict:
    """The KPI's months and quarters as a snapshot keeps them (plain JSON)."""
    if not series:
        return {}
    kept = {"plain": calendar.is_plain, "summed": periods.summed(unit)}
    for grain in KEPT_GRAINS:
        values = periods.by_period(
            series=series, plan=plan, calendar=calendar, grain=grain, unit=unit, today=today
        )
        kept[grain] = [
            {
                "start": v.period.start.isoformat(),
                "end": v.period.end.isoformat(),
                "year": v.period.year,
                "number": v.period.number,
                "actual": v.actual,
                "expected": v.expected,
                "partial": v.partial,
            }
            for v in values[-KEPT_PERIODS:]
        ]
    return kept


KEPT_PERIODS = 24


@transaction.atomic
def progress_refresh(
    *, cycle: Cycle, today: datetime.date | None = None, wait: bool = True
) -> list[StatusChange]:
    """Recompute every snapshot of the cycle's KPIs and record what changed. Safe to run
    twice and concurrently: refreshes of one cycle take turns on the cycle's row. With
    `wait=False` it does nothing while another refresh of the cycle runs, rather than queue
    behind it."""
    locked = Cycle.objects.select_for_update(skip_locked=not wait).filter(pk=cycle.pk).first()
    if locked is None:
        return []
    cycle = locked  # and as it is now
    if not cycle.is_open:
        if KpiSnapshot.objects.filter(kpi__goal__cycle=cycle).exists():
            return []  # a closed cycle's progress stays as it was when it closed
        today = timezone.localtime(cycle.closed_at).date()
    today = today or timezone.localdate()
    now = timezone.now()
    kpis = list(Kpi.objects.filter(goal__cycle=cycle).select_related("driver").order_by("pk"))
    organization = cycle.program.organization
    period_targets: dict[int, list] = {}
    for t in KpiPeriodTarget.objects.filter(kpi__goal__cycle=cycle):
        period_targets.setdefault(t.kpi_id, []).append(t)
    overall = series_by_kpi(kpis=kpis)
    since = today - datetime.timedelta(days=YEAR_DAYS + 2 * SMOOTHING)
    by_segment = series_by_kpi(kpis=kpis, segmented=True, since=since)
    lifts, problems = lifts_isolated(kpis=kpis, cycle_start=cycle.starts_on)
    before = {s.kpi_id: s for s in KpiSnapshot.objects.filter(kpi__in=kpis, segment__isnull=True)}

    fresh, changes = [], []
    for kpi in kpis:
        series = overall[kpi.pk]
        plan = kpi_plan(kpi, period_targets.get(kpi.pk, ()))
        calendar = kpi_calendar(kpi=kpi, organization=organization)
        try:
            result = progress(plan, series, today)
            in_periods = kept_periods(series, plan, calendar, kpi.unit, today)
        except UNCOMPUTABLE:
            log.exception("kpi_progress_failed", kpi=kpi.pk)
            result, in_periods = progress(plan, [], today), {}
            problems[kpi.pk] = str(
                _("Its progress cannot be computed from its results; the log has the reason.")
            )
        lift = lifts.get(kpi.pk)
        fresh.append(
            KpiSnapshot(
                kpi=kpi,
                segment=None,
                problem=problems.get(kpi.pk, ""),
                status=result.status,
                actual=result.actual,
                actual_day=result.actual_day,
                trend=result.trend,
                progress_pct=result.progress_pct,
                expected_pct=result.expected_pct,
                pace=result.pace,
                projected_day=result.projected_day,
                trail=trail(series),
                trail_year=trail(series, YEAR_DAYS, step=7),
                lift=lift.as_json() if lift else None,
                periods=in_periods,
                computed_at=now,
            )
        )
        old = before.get(kpi.pk)
        if old is not None and cycle.is_open:  # a closed cycle's course is history
            crossed = kpi.is_breached(result.trend) and not kpi.is_breached(old.trend)
            if old.status != result.status or crossed:
                changes.append(
                    StatusChange(
                        kpi=kpi,
                        before=old.status,
                        after=result.status,
                        trend=result.trend,
                        threshold_crossed=crossed,
                        changed_at=now,
                    )
                )
    for (kpi_id, segment_id), series in by_segment.items():
        if not series:
            continue
        latest = series[-1]
        recent = series[-SMOOTHING:]
        fresh.append(
            KpiSnapshot(
                kpi_id=kpi_id,
                segment_id=segment_id,
                status="",  # targets are for all traffic; a segment shows its values only
                actual=latest.value,
                actual_day=latest.day,
                trend=sum(p.value for p in recent) / len(recent),
                trail=trail(series),
                trail_year=trail(series, YEAR_DAYS, step=7),
                computed_at=now,
            )
        )
    KpiSnapshot.objects.filter(kpi__in=kpis).delete()
    KpiSnapshot.objects.bulk_create(fresh)
    StatusChange.objects.bulk_create(changes)
    log.info("progress_refreshed", cycle=cycle.pk, kpis=len(kpis), changes=len(changes))
    if any(c.worsened or c.threshold_crossed for c in changes):
        # E-mail from the worker: a refresh never waits on SMTP.
        enqueue_on_commit(
            send_status_alerts,
            change_ids=[c.pk for c in changes],
            on_failure=lambda error: log.warning("alerts_not_queued", error=str(error)),
        )
    return changes


# A load's own refresh job lands within seconds; a page queues a refresh for a load only
# when the job is later than this (the worker was down or busy), so pages under a stream of
# pushes do not each queue the job's work again.
LOAD_GRACE = datetime.timedelta(minutes=2)


def snapshots_stale(*, cycle: Cycle, today: datetime.date) -> bool:
    """Whether the cycle's snapshots miss a KPI, predate a KPI's last edit, were computed
    before today (expected progress moves with the date), or miss a load of results that
    finished more than LOAD_GRACE ago. Two queries."""
    row = Kpi.objects.filter(goal__cycle=cycle).aggregate(
        kpis=Count("pk", distinct=True),
        snapped=Count("snapshots", filter=Q(snapshots__segment__isnull=True), distinct=True),
        oldest=Min("snapshots__computed_at"),
        edited_after=Count(
            "pk",
            filter=Q(updated_at__gt=F("snapshots__computed_at")),
            distinct=True,
        ),
    )
    if row["kpis"] == 0:
        return False
    if row["snapped"] < row["kpis"] or row["edited_after"]:
        return True
    if timezone.localdate(row["oldest"]) < today:
        return True
    # Results arrive only through pulls (uploads, pushes and pulls alike), so a pull that
    # finished after the refresh means newer numbers, even if its refresh job is late.
    return Pull.objects.filter(
        source__program_id=cycle.program_id,
        finished_at__gt=row["oldest"],
        finished_at__lt=timezone.now() - LOAD_GRACE,
    ).exists()


def _refresh_key(cycle_id: int) -> str:
    return f"progress-refresh-queued:{cycle_id}"


def snapshots_refresh_if_stale(*, cycle: Cycle, today: datetime.date) -> bool:
    """Queue the cycle's refresh if its snapshots are stale (a closed cycle's: if it has
    none), and say so: True while a refresh is on its way to figures the page shows. A page
    only reads; the worker writes. One refresh is queued per cycle however many pages ask
    until it has run (the cache remembers it, for LOAD_GRACE at most should the job be
    lost), and a refresh the broker refused is asked again by the next page."""
    if cycle.is_open:
        stale = snapshots_stale(cycle=cycle, today=today)
    else:
        stale = (
            Kpi.objects.filter(goal__cycle=cycle).exists()
            and not KpiSnapshot.objects.filter(kpi__goal__cycle=cycle).exists()
        )
    if not stale:
        return False
    key = _refresh_key(cycle.pk)
    if cache.add(key, True, timeout=LOAD_GRACE.total_seconds()):

        def not_queued(error: Exception) -> None:
            cache.delete(key)
            log.warning("progress_refresh_not_queued", cycle=cycle.pk, error=str(error))

        enqueue_on_commit(refresh_cycle, cycle_id=cycle.pk, on_failure=not_queued)
    # Still to run: a worker runs it soon (where tasks run at once, it already has; where
    # the broker refused it, nothing is on its way and the page does not promise it).
    return cache.get(key) is not None


def page_refresh_run(*, cycle_id: int) -> None:
    """The refresh a page queued (progress.tasks.refresh_cycle): an open cycle's snapshots
    as of today, a closed one's as of its closing day; then pages may queue the next."""
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if cycle is not None:
        progress_refresh(cycle=cycle)
    cache.delete(_refresh_key(cycle_id))
