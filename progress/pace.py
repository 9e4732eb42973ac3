"""How a KPI is doing against its target, as plain arithmetic (no Django).

- actual: the latest value, and a smoothed trend (the mean of the last few points);
- progress: how far the trend has come from baseline to target, in percent;
- expected: how far it should have come by today: on a straight line from the baseline
  date to the target date, or by the per-period targets (weeks, months or quarters of the
  KPI's calendar) where there are any;
- projection: where a straight line through the recent points reaches the target, or
  "not at this pace" when it heads away or would take more than five years;
- status, by one rule that never contradicts the projection shown beside it:
  achieved when the trend meets the target; else, when the recent line reaches the target
  (rule "projection"), on track if it does so by the target date, behind if later by at
  most a quarter of the plan (baseline date to target date), at risk if later still;
  else (flat, heading away, one day of results: rule "pace") by pace = progress / expected:
  on track (>= 95%), behind (85-95%), at risk (< 85%). No data without results.
Lower-is-better KPIs work the same way: every difference is taken toward the target.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

SMOOTHING = 7  # points in the trend
PROJECTION_POINTS = 28  # recent points the projection is fitted to
MAX_PROJECTION_DAYS = 5 * 365

ON_TRACK, BEHIND = 0.95, 0.85
LATE_SHARE = 0.25  # a projection later than the target date by this share of the plan: at risk


@dataclass(frozen=True)
class Point:
    day: datetime.date
    value: float
    weight: float | None = None  # a rate's denominator (visits), to weigh it in a period


@dataclass(frozen=True)
class Plan:
    direction: str  # "higher" or "lower"
    baseline: float
    baseline_date: datetime.date
    target: float
    target_date: datetime.date
    # (first day, last day, target) of the periods that have a target of their own
    period_targets: Sequence[tuple[datetime.date, datetime.date, float]] = ()


@dataclass(frozen=True)
class Progress:
    status: str  # "achieved", "on_track", "behind", "at_risk", "no_data"
    actual: float | None
    actual_day: datetime.date | None
    trend: float | None
    progress_pct: float | None
    expected_pct: float
    pace: float | None
    projected_day: datetime.date | None
    projection_slope: float | None  # per day, fitted to the recent points
    rule: str = "pace"  # what decided the status: "projection", "pace" or "target" (achieved)


def expected_value(plan: Plan, day: datetime.date) -> float:
    """Where the KPI should be on `day`: its period's target, else the straight line."""
    for first, last, target in plan.period_targets:
        if first <= day <= last:
            return target
    span = (plan.target_date - plan.baseline_date).days
    share = min(1.0, max(0.0, (day - plan.baseline_date).days / span)) if span > 0 else 1.0
    return plan.baseline + share * (plan.target - plan.baseline)


def _met(plan: Plan, value: float) -> bool:
    return value >= plan.target if plan.direction == "higher" else value <= plan.target


def _fit(points: Sequence[Point]) -> tuple[float, float] | None:
    """Least-squares line (value = a + b * day ordinal); None without two distinct days."""
    if len(points) < 2:
        return None
    xs = [p.day.toordinal() for p in points]
    ys = [p.value for p in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return mean_y - slope * mean_x, slope


def progress(plan: Plan, series: Sequence[Point], today: datetime.date) -> Progress:
    """The KPI's progress on `today` from its measured `series` (any order, gaps allowed)."""
    points = sorted((p for p in series if p.day <= today), key=lambda p: p.day)
    since_baseline = [p for p in points if p.day >= plan.baseline_date] or points[-1:]
    expected = expected_value(plan, today)
    distance = plan.target - plan.baseline
    expected_pct = 100 * (expected - plan.baseline) / distance if distance else 100.0
    if not points:
        return Progress("no_data", None, None, None, None, expected_pct, None, None, None)
    latest = points[-1]
    recent = points[-SMOOTHING:]
    trend = sum(p.value for p in recent) / len(recent)
    progress_pct = 100 * (trend - plan.baseline) / distance if distance else 100.0
    pace = progress_pct / expected_pct if expected_pct > 0 else None

    projected, slope = None, None
    fitted = _fit(since_baseline[-PROJECTION_POINTS:])
    if fitted is not None:
        intercept, slope = fitted
        toward = slope > 0 if plan.direction == "higher" else slope < 0
        now_fit = intercept + slope * latest.day.toordinal()
        if _met(plan, now_fit):
            projected = latest.day
        elif toward:
            days = (plan.target - now_fit) / slope
            if 0 <= days <= MAX_PROJECTION_DAYS:
                projected = latest.day + datetime.timedelta(days=round(days))

    rule = "pace"
    if _met(plan, trend):
        status, rule = "achieved", "target"
    elif projected is not None:
        rule = "projection"
        late = (projected - plan.target_date).days
        allowed = LATE_SHARE * max((plan.target_date - plan.baseline_date).days, 0)
        status = "on_track" if late <= 0 else "behind" if late <= allowed else "at_risk"
    elif pace is None:
        status = "on_track" if progress_pct >= 0 else "at_risk"
    elif pace >= ON_TRACK:
        status = "on_track"
    elif pace >= BEHIND:
        status = "behind"
    else:
        status = "at_risk"
    return Progress(
        status,
        latest.value,
        latest.day,
        trend,
        progress_pct,
        expected_pct,
        pace,
        projected,
        slope,
        rule,
    )
