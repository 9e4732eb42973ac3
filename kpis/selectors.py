"""Reads of question 2, shaped for its pages, in a fixed number of queries."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from assessments.models import ReportingCalendar
from kpis.models import (
    Goal,
    Kpi,
    KpiPeriodTarget,
    RoiTarget,
    StrategicAnswer,
    StrategicQuestion,
    TargetGrain,
)
from programs import calendar_text, calendars
from programs.calendars import Calendar, Period
from programs.completeness import Completeness
from programs.models import Cycle, Organization


def goals_with_kpis(*, cycle: Cycle) -> list[Goal]:
    """Goals with `.kpi_list` (each with segments and driver) and their segments."""
    return list(
        cycle.goals.select_related("owner").prefetch_related(
            "segments",
            Prefetch(
                "kpis",
                queryset=Kpi.objects.select_related("driver").prefetch_related("segments"),
                to_attr="kpi_list",
            ),
        )
    )


def kpi_of(*, program, pk: int) -> Kpi:
    """One KPI of the program (any of its cycles), or 404."""
    return get_object_or_404(
        Kpi.objects.select_related("goal__cycle", "driver"), pk=pk, goal__cycle__program=program
    )


# --- the KPI's calendar and its per-period targets ---------------------------------------

MAX_PERIOD_TARGETS = 160  # about three years of weeks: more fields than anyone fills in


def kpi_calendar(*, kpi: Kpi, organization: Organization) -> Calendar:
    """The calendar the KPI's periods are cut in: its driver's reporting calendar, which is
    the organization's fiscal one or the plain calendar (also for a KPI without a driver)."""
    if kpi.driver is not None and kpi.driver.calendar == ReportingCalendar.FISCAL:
        return organization.fiscal
    return calendars.PLAIN


@dataclass(frozen=True)
class PeriodTargetRow:
    period: Period
    label: str
    span: str
    target: Decimal | None

    @property
    def field(self) -> str:
        """The form field that holds its target."""
        return f"period-{self.period.start.isoformat()}"


@dataclass(frozen=True)
class PeriodTargets:
    """A KPI's per-period targets in one grain of its calendar: one row for every period
    of its plan (baseline date to target date), and the kept targets that are no period
    of it (the calendar changed since they were set), which saving replaces."""

    calendar: Calendar
    calendar_text: str
    grain: str
    rows: list[PeriodTargetRow]
    elsewhere: list[KpiPeriodTarget]
    too_many: bool


def plan_periods(*, kpi: Kpi, calendar: Calendar, grain: str) -> list[Period]:
    return calendar.periods(kpi.baseline_date, kpi.target_date, grain)


def period_targets(
    *, kpi: Kpi, organization: Organization, grain: str | None = None
) -> PeriodTargets:
    """The KPI's per-period targets in `grain`, by default the grain they were set in."""
    kept = list(kpi.period_targets.all())
    grain = grain if grain in TargetGrain.values else (kept[0].grain if kept else "month")
    calendar = kpi_calendar(kpi=kpi, organization=organization)
    periods = plan_periods(kpi=kpi, calendar=calendar, grain=grain)
    by_days = {(t.starts_on, t.ends_on): t for t in kept if t.grain == grain}
    rows = [
        PeriodTargetRow(
            period=p,
            label=calendar_text.period_label(p, calendar),
            span=calendar_text.period_span(p),
            target=by_days[(p.start, p.end)].target if (p.start, p.end) in by_days else None,
        )
        for p in periods[:MAX_PERIOD_TARGETS]
    ]
    shown = {(r.period.start, r.period.end) for r in rows}
    return PeriodTargets(
        calendar=calendar,
        calendar_text=calendar_text.name(calendar),
        grain=grain,
        rows=rows,
        elsewhere=[t for t in kept if t.grain != grain or (t.starts_on, t.ends_on) not in shown],
        too_many=len(periods) > MAX_PERIOD_TARGETS,
    )


@dataclass(frozen=True)
class PeriodTargetChange:
    """One saved change of a per-period target: set, changed or removed."""

    when: datetime.datetime
    who: object  # the user, or None
    period: str
    old: Decimal | None
    new: Decimal | None


def period_target_history(
    *, kpi: Kpi, organization: Organization, limit: int = 50
) -> list[PeriodTargetChange]:
    """The latest changes of the KPI's per-period targets, newest first, in two queries."""
    calendar = kpi_calendar(kpi=kpi, organization=organization)
    records = list(
        KpiPeriodTarget.history.filter(kpi_id=kpi.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    changes, before = [], {}
    for r in records:
        old = before.get(r.id)
        before[r.id] = r.target if r.history_type != "-" else None
        if r.history_type == "~" and old == r.target:
            continue
        period = calendar.period_of(r.starts_on, r.grain)
        label = (
            calendar_text.period_label(period, calendar)
            if (period.start, period.end) == (r.starts_on, r.ends_on)
            else calendar_text.period_span(Period(r.grain, r.starts_on, r.ends_on, 0, 0))
        )
        changes.append(
            PeriodTargetChange(
                when=r.history_date,
                who=r.history_user,
                period=label,
                old=old if r.history_type != "+" else None,
                new=r.target if r.history_type != "-" else None,
            )
        )
    changes.sort(key=lambda c: c.when, reverse=True)
    return changes[:limit]


def roi_target(*, cycle: Cycle) -> RoiTarget | None:
    return RoiTarget.objects.filter(cycle=cycle).select_related("attribution_kpi").first()


@dataclass
class StrategicRow:
    question: StrategicQuestion
    answer: StrategicAnswer | None


def strategic_rows(*, cycle: Cycle) -> list[StrategicRow]:
    answers = {a.question: a for a in cycle.strategic_answers.select_related("updated_by")}
    return [StrategicRow(question=q, answer=answers.get(q.value)) for q in StrategicQuestion]


_UNKNOWN = object()


def completeness(*, cycle: Cycle, goals=None, roi=_UNKNOWN, rows=None) -> Completeness:
    """Goals set, every goal with a KPI, the ROI target, the eight strategic answers."""
    goals = goals_with_kpis(cycle=cycle) if goals is None else goals
    roi = roi_target(cycle=cycle) if roi is _UNKNOWN else roi
    rows = strategic_rows(cycle=cycle) if rows is None else rows
    missing = []
    if not goals:
        missing.append(_("Set at least one goal"))
    without = [g.title for g in goals if not g.kpi_list]
    if without:
        missing.append(_("Give every goal a KPI (%(goals)s)") % {"goals": ", ".join(without)})
    elif not goals:
        missing.append(_("Give every goal a KPI"))
    if roi is None:
        missing.append(_("Set the ROI target"))
    unanswered = [r for r in rows if not (r.answer and r.answer.is_answered)]
    missing += [_("Answer: %(question)s") % {"question": r.question.label} for r in unanswered]
    total = 3 + len(rows)
    return Completeness(done=total - len(missing), total=total, missing=tuple(missing))
