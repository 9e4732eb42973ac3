"""Precomputed progress: each KPI's status, trend and lift as of the last refresh.

The dashboards read KpiSnapshot rows instead of aggregating years of daily results per
request. A refresh recomputes a whole cycle in a fixed number of queries; it runs as a
Celery job after every load of results, every night (expected progress moves with the
date), and inline when a dashboard finds a snapshot missing or older than its KPI.
A refresh also records each KPI whose status changed or whose trend crossed its alert
threshold (StatusChange), which the alert e-mails and "what changed" read.
"""

import datetime

import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpis.models import Kpi, KpiPeriodTarget
from programs.jobs import enqueue_on_commit
from programs.models import Cycle
from progress.models import KpiSnapshot, StatusChange
from progress.pace import Point, progress
from progress.selectors import UNCOMPUTABLE, kpi_plan, lifts_isolated, series_by_kpi
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


@transaction.atomic
def progress_refresh(
    *, cycle: Cycle, today: datetime.date | None = None, wait: bool = True
) -> list[StatusChange]:
    """Recompute every snapshot of the cycle's KPIs and record what changed. Safe to run
    twice and concurrently: refreshes of one cycle take turns on the cycle's row. With
    `wait=False` (a page) it does nothing while another refresh of the cycle runs; the page
    reads the snapshots as they are rather than queue behind it."""
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
    kpis = list(Kpi.objects.filter(goal__cycle=cycle).order_by("pk"))
    monthly: dict[int, dict] = {}
    for t in KpiPeriodTarget.objects.filter(kpi__goal__cycle=cycle):
        monthly.setdefault(t.kpi_id, {})[t.period] = float(t.target)
    overall = series_by_kpi(kpis=kpis)
    since = today - datetime.timedelta(days=YEAR_DAYS + 2 * SMOOTHING)
    by_segment = series_by_kpi(kpis=kpis, segmented=True, since=since)
    lifts, problems = lifts_isolated(kpis=kpis, cycle_start=cycle.starts_on)
    before = {s.kpi_id: s for s in KpiSnapshot.objects.filter(kpi__in=kpis, segment__isnull=True)}

    fresh, changes = [], []
    for kpi in kpis:
        series = overall[kpi.pk]
        try:
            result = progress(kpi_plan(kpi, monthly.get(kpi.pk)), series, today)
        except UNCOMPUTABLE:
            log.exception("kpi_progress_failed", kpi=kpi.pk)
            result = progress(kpi_plan(kpi, monthly.get(kpi.pk)), [], today)
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
        from progress.tasks import send_status_alerts

        # E-mail from the worker: a page that refreshes inline never waits on SMTP.
        enqueue_on_commit(
            send_status_alerts,
            change_ids=[c.pk for c in changes],
            on_failure=lambda error: log.warning("alerts_not_queued", error=str(error)),
        )
    return changes


# A load's own refresh job lands within seconds; a page recomputes for a load only when the
# job is later than this (the worker is down or busy), so pages under a stream of pushes
# do not each redo the job's work.
LOAD_GRACE = datetime.timedelta(minutes=2)


def snapshots_stale(*, cycle: Cycle, today: datetime.date) -> bool:
    """Whether the cycle's snapshots miss a KPI, predate a KPI's last edit, were computed
    before today (expected progress moves with the date), or miss a load of results that
    finished more than LOAD_GRACE ago. Two queries."""
    from django.db.models import Count, F, Min, Q

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


def snapshots_ensure(*, cycle: Cycle, today: datetime.date) -> None:
    """Refresh the cycle's snapshots here and now if they are stale: pages that read them
    never show numbers older than the results (the job usually got there first). A closed
    cycle's snapshots stay as they were when it closed; computed only if it has none."""
    if not cycle.is_open:
        progress_refresh(cycle=cycle)  # once, as of its closing day; then it stays
        return
    if snapshots_stale(cycle=cycle, today=today):
        progress_refresh(cycle=cycle, today=today, wait=False)
