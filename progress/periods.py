"""A KPI's measured series in the periods of its calendar, as plain arithmetic (no Django).

Each period's actual is what the KPI's unit says a period is: the total of its values for a
count (orders, sign-ups), and the mean for everything else (a rate, an order value, a
duration): weighted by the denominators when every value has one, so a week's conversion
rate is its conversions over its visits, not the mean of seven daily rates. The expected
value follows the same rule over the same days, from the plan (per-period targets or the
straight line), so the two can be compared period by period.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from programs.calendars import Calendar, Period
from progress.pace import Plan, Point, expected_value

SUMMED_UNITS = frozenset({"count"})


def summed(unit: str) -> bool:
    """Whether a period of this unit is the total of its values (else their mean)."""
    return unit in SUMMED_UNITS


@dataclass(frozen=True)
class PeriodValue:
    period: Period
    actual: float | None  # None: no measurement in the period
    expected: float | None  # None: a total with no measurement to count it over
    points: int
    partial: bool  # the period has not ended by `today`


def by_period(
    *,
    series: Sequence[Point],
    plan: Plan,
    calendar: Calendar,
    grain: str,
    unit: str,
    today: datetime.date,
) -> list[PeriodValue]:
    """The series in the calendar's periods of `grain`, from the baseline date (or the
    first measurement, if earlier) to the later of today and the last measurement, but
    not past the target date's period."""
    first = min([plan.baseline_date, *(p.day for p in series[:1])])
    last = max(
        [min(today, plan.target_date), *(p.day for p in series[-1:])],
    )
    periods = calendar.periods(first, last, grain)
    values, i = [], 0
    points = sorted(series, key=lambda p: p.day)
    total = summed(unit)
    for period in periods:
        inside = []
        while i < len(points) and points[i].day <= period.end:
            if points[i].day >= period.start:
                inside.append(points[i])
            i += 1
        values.append(
            PeriodValue(
                period=period,
                actual=_actual(inside, total),
                expected=_expected(plan, period, inside, total),
                points=len(inside),
                partial=period.end >= today,
            )
        )
    return values


def _actual(points: list[Point], total: bool) -> float | None:
    if not points:
        return None
    if total:
        return sum(p.value for p in points)
    weights = [p.weight for p in points]
    if all(w for w in weights):
        return sum(p.value * w for p, w in zip(points, weights, strict=True)) / sum(weights)
    return sum(p.value for p in points) / len(points)


def _expected(plan: Plan, period: Period, points: list[Point], total: bool) -> float | None:
    if total:
        return sum(expected_value(plan, p.day) for p in points) if points else None
    days = [period.start + datetime.timedelta(days=d) for d in range(period.days)]
    return sum(expected_value(plan, d) for d in days) / len(days)
