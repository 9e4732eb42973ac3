"""Writes of question 2. Every number is checked by kpis.rules before it is stored."""

import datetime
from decimal import Decimal

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpis import rules, selectors
from kpis.models import Goal, Kpi, KpiPeriodTarget, RoiTarget, StrategicAnswer, TargetGrain
from programs.models import Cycle, Organization
from programs.services import ensure_cycle_open

log = structlog.get_logger(__name__)


# --- Attributes and segments (of the organization) ------------------------------------


# --- Goals and KPIs (of a cycle) ------------------------------------------------------


@transaction.atomic
def goal_save(
    *,
    cycle: Cycle,
    by: AbstractBaseUser,
    goal: Goal | None = None,
    title: str,
    why: str = "",
    line: str = "top",
    horizon: str = "short",
    owner: AbstractBaseUser | None = None,
    segments=(),
) -> Goal:
    ensure_cycle_open(cycle)
    _same_organization(cycle, segments)
    goal = goal or Goal(cycle=cycle)
    goal.title, goal.why, goal.line, goal.horizon, goal.owner = (
        title.strip(),
        why,
        line,
        horizon,
        owner,
    )
    goal.full_clean()
    goal.save()
    goal.segments.set(segments)
    log.info("goal_saved", goal=goal.pk, by=by.pk)
    return goal


def goal_delete(*, goal: Goal, by: AbstractBaseUser) -> None:
    ensure_cycle_open(goal.cycle)
    log.info("goal_deleted", goal=goal.pk, by=by.pk)
    goal.delete()


def _same_organization(cycle: Cycle, segments) -> None:
    if any(s.organization_id != cycle.program.organization_id for s in segments):
        raise ValidationError({"segments": _("A segment of another organization was chosen.")})


KPI_FIELDS = (
    "name",
    "definition",
    "unit",
    "currency_code",
    "direction",
    "baseline",
    "baseline_date",
    "target",
    "target_date",
    "driver",
    "personalized_share",
    "alert_threshold",
)


@transaction.atomic
def kpi_save(
    *,
    goal: Goal,
    by: AbstractBaseUser,
    kpi: Kpi | None = None,
    segments=(),
    library_key: str = "",
    **values,
) -> Kpi:
    """Create or change a KPI. A change of target or baseline is kept in its history."""
    ensure_cycle_open(goal.cycle)
    _same_organization(goal.cycle, segments)
    driver = values.get("driver")
    if driver is not None and driver.program_id != goal.cycle.program_id:
        raise ValidationError({"driver": _("This driver belongs to another program.")})
    kpi = kpi or Kpi(goal=goal, library_key=library_key)
    for name in KPI_FIELDS:
        if name in values:
            setattr(kpi, name, values[name])
    kpi.name = kpi.name.strip()
    kpi.currency_code = (kpi.currency_code or "").strip().upper() if kpi.unit == "currency" else ""
    errors = rules.kpi_errors(
        unit=kpi.unit,
        direction=kpi.direction,
        baseline=kpi.baseline,
        target=kpi.target,
        baseline_date=kpi.baseline_date,
        target_date=kpi.target_date,
        currency_code=kpi.currency_code,
    )
    if errors:
        raise ValidationError(errors)
    kpi.updated_by = by
    kpi.full_clean(validate_constraints=False)
    kpi._history_user = by
    kpi.save()
    kpi.segments.set(segments)
    log.info("kpi_saved", kpi=kpi.pk, by=by.pk)
    return kpi


def kpi_delete(*, kpi: Kpi, by: AbstractBaseUser) -> None:
    ensure_cycle_open(kpi.goal.cycle)
    kpi._history_user = by
    log.info("kpi_deleted", kpi=kpi.pk, by=by.pk)
    kpi.delete()


@transaction.atomic
def kpi_period_targets_save(
    *,
    kpi: Kpi,
    organization: Organization,
    grain: str,
    targets: dict[datetime.date, Decimal | None],
    by: AbstractBaseUser,
) -> int:
    """Set the KPI's per-period targets in `grain` (week, month or quarter of its calendar),
    keyed by each period's first day; periods left empty have none, and targets of another
    grain or calendar are removed. Each change is kept in the targets' history. Returns how
    many targets the KPI has."""
    ensure_cycle_open(kpi.goal.cycle)
    if grain not in TargetGrain.values:
        raise ValidationError({"grain": _("Choose weeks, months or quarters.")})
    calendar = selectors.kpi_calendar(kpi=kpi, organization=organization)
    periods = {p.start: p for p in selectors.plan_periods(kpi=kpi, calendar=calendar, grain=grain)}
    if len(periods) > selectors.MAX_PERIOD_TARGETS:
        raise ValidationError(
            {"grain": _("This plan has too many of these periods to give each a target.")}
        )
    errors = {}
    for start, value in targets.items():
        if value is None:
            continue
        if start not in periods:
            errors[start.isoformat()] = _("This is not a period of the KPI's plan.")
            continue
        problem = rules.kpi_errors(
            unit=kpi.unit,
            direction=kpi.direction,
            baseline=None,
            target=value,
            baseline_date=None,
            target_date=None,
            currency_code=kpi.currency_code,
        ).get("target")
        if problem:
            errors[start.isoformat()] = problem
    if errors:
        raise ValidationError(errors)
    wanted = {start: value for start, value in targets.items() if value is not None}
    for kept in kpi.period_targets.all():
        period = periods.get(kept.starts_on)
        same_days = kept.grain == grain and period and period.end == kept.ends_on
        if not same_days or kept.starts_on not in wanted:
            kept._history_user = by
            kept.delete()
        elif kept.target != wanted[kept.starts_on]:
            kept.target = wanted.pop(kept.starts_on)
            kept._history_user = by
            kept.save(update_fields=["target"])
        else:
            wanted.pop(kept.starts_on)
    for start, value in sorted(wanted.items()):
        target = KpiPeriodTarget(
            kpi=kpi, grain=grain, starts_on=start, ends_on=periods[start].end, target=value
        )
        target.full_clean()
        target._history_user = by
        target.save()
    Kpi.objects.filter(pk=kpi.pk).update(updated_at=timezone.now())  # its progress is stale
    log.info("kpi_period_targets_saved", kpi=kpi.pk, grain=grain, by=by.pk)
    return kpi.period_targets.count()


# --- ROI and strategy -----------------------------------------------------------------


def roi_target_save(*, cycle: Cycle, by: AbstractBaseUser, **values) -> RoiTarget:
    ensure_cycle_open(cycle)
    roi = RoiTarget.objects.filter(cycle=cycle).first() or RoiTarget(cycle=cycle)
    for name, value in values.items():
        setattr(roi, name, value)
    roi.currency_code = roi.currency_code.strip().upper()
    roi.updated_by = by
    roi.full_clean()
    roi._history_user = by
    roi.save()
    log.info("roi_target_saved", cycle=cycle.pk, by=by.pk)
    return roi


@transaction.atomic
def strategic_answer_save(
    *, cycle: Cycle, question: str, answer: str, confidence: str, by: AbstractBaseUser
) -> StrategicAnswer:
    ensure_cycle_open(cycle)
    row, _created = StrategicAnswer.objects.get_or_create(cycle=cycle, question=question)
    row.answer, row.confidence, row.updated_by = answer, confidence, by
    row.full_clean(validate_constraints=False)
    row._history_user = by
    row.save()
    return row


@transaction.atomic
def goals_carry_forward(
    *,
    old_cycle: Cycle,
    new_cycle: Cycle,
    continuing: list[tuple[Kpi, Decimal, Decimal]],
    by: AbstractBaseUser,
) -> dict[int, Kpi]:
    """Question 2 into the next cycle: every goal with its segments; the KPIs that go on
    (`continuing`: each with its new baseline, its latest actual, and its decided target),
    dated by the new cycle; the ROI target, attributed to the KPI that went on; and the
    strategic answers. Returns old KPI id -> new KPI."""
    by_goal: dict[int, list] = {}
    for kpi, baseline, target in continuing:
        by_goal.setdefault(kpi.goal_id, []).append((kpi, baseline, target))
    kpi_map = {}
    for old in Goal.objects.filter(cycle=old_cycle).prefetch_related("segments").order_by("pk"):
        goal = Goal.objects.get(pk=old.pk)
        goal.pk, goal.cycle = None, new_cycle
        goal.save()
        goal.segments.set(old.segments.all())
        for kpi, baseline, target in by_goal.get(old.pk, []):
            kpi_map[kpi.pk] = _kpi_carry(kpi, goal, new_cycle, baseline, target, by)
    roi = RoiTarget.objects.filter(cycle=old_cycle).first()
    if roi is not None:
        attribution = roi.attribution_kpi_id
        roi.pk, roi.cycle, roi.updated_by = None, new_cycle, by
        roi.attribution_kpi = kpi_map.get(attribution)
        roi._history_user = by
        roi.save()
    for answer in StrategicAnswer.objects.filter(cycle=old_cycle):
        answer.pk, answer.cycle, answer.updated_by = None, new_cycle, by
        answer._history_user = by
        answer.save()
    log.info("goals_carried", cycle=new_cycle.pk, kpis=len(kpi_map), by=by.pk)
    return kpi_map


def _kpi_carry(kpi: Kpi, goal: Goal, new: Cycle, baseline: Decimal, target: Decimal, by) -> Kpi:
    """A copy of `kpi` under `goal`: its latest actual as baseline, the decided target."""
    copy = Kpi.objects.get(pk=kpi.pk)
    copy.pk, copy.goal = None, goal
    copy.baseline, copy.baseline_date = baseline, new.starts_on
    copy.target, copy.target_date = target, new.ends_on
    copy.updated_by = by
    copy._history_user = by
    copy.full_clean(validate_constraints=False)
    copy.save()
    copy.segments.set(kpi.segments.all())
    log.info("kpi_carried", kpi=copy.pk, source=kpi.pk)
    return copy
