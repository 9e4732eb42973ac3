"""Reads of question 2, shaped for its pages, in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from assessments.rules import Completeness
from kpis.models import (
    Goal,
    Kpi,
    RoiTarget,
    Segment,
    SegmentCondition,
    StrategicAnswer,
    StrategicQuestion,
)
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


def roi_target(*, cycle: Cycle) -> RoiTarget | None:
    return RoiTarget.objects.filter(cycle=cycle).first()


@dataclass
class StrategicRow:
    question: StrategicQuestion
    answer: StrategicAnswer | None


def strategic_rows(*, cycle: Cycle) -> list[StrategicRow]:
    answers = {a.question: a for a in cycle.strategic_answers.select_related("updated_by")}
    return [StrategicRow(question=q, answer=answers.get(q.value)) for q in StrategicQuestion]


def segment_list(*, organization: Organization) -> QuerySet[Segment]:
    return organization.segments.prefetch_related(
        Prefetch("conditions", queryset=SegmentCondition.objects.select_related("attribute"))
    )


_UNKNOWN = object()


def completeness(*, cycle: Cycle, goals=None, roi=_UNKNOWN, rows=None) -> Completeness:
    """Goals set, every goal with a KPI, the ROI target, the eight strategic answers."""
    goals = goals_with_kpis(cycle=cycle) if goals is None else goals
    roi = roi_target(cycle=cycle) if roi is _UNKNOWN else roi
    rows = strategic_rows(cycle=cycle) if rows is None else rows
    missing = []
    if not goals:
        missing.append("Set at least one goal")
    without = [g.title for g in goals if not g.kpi_list]
    if not goals or without:
        missing.append("Give every goal a KPI" + (f" ({', '.join(without)})" if without else ""))
    if roi is None:
        missing.append("Set the ROI target")
    unanswered = [r for r in rows if not (r.answer and r.answer.is_answered)]
    missing += [f"Answer: {r.question.label}" for r in unanswered]
    total = 3 + len(rows)
    return Completeness(done=total - len(missing), total=total, missing=tuple(missing))


def series_by_kpi(*, kpis) -> dict[int, list]:
    """Each KPI's measured series for its progress, from one aggregate query grouped by KPI,
    variant and period in the database: the all-traffic rows when a KPI has any, else its
    personalized and control rows combined (by numerator and denominator when every row
    has them, else the mean)."""
    from collections import defaultdict

    from django.db.models import Avg, Count, Q, Sum

    from kpis.models import Measurement
    from kpis.progress import Point

    units = {k.pk: k.unit for k in kpis}
    grouped = (
        Measurement.objects.filter(kpi_id__in=list(units), segment__isnull=True)
        .values("kpi_id", "variant", "period_start")
        .annotate(
            mean=Avg("value"),
            numerator_sum=Sum("numerator"),
            denominator_sum=Sum("denominator"),
            counted=Count("pk", filter=Q(denominator__isnull=False)),
            total=Count("pk"),
        )
        .order_by("kpi_id", "period_start")
    )
    groups = list(grouped)
    has_plain = {g["kpi_id"] for g in groups if g["variant"] == ""}
    # kpi -> day -> [numerators, denominators, means, every row has a denominator]
    cells: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, [], True]))
    for g in groups:
        if g["kpi_id"] in has_plain and g["variant"] != "":
            continue
        cell = cells[g["kpi_id"]][g["period_start"]]
        cell[2].append(float(g["mean"]))
        if g["counted"] == g["total"] and g["denominator_sum"]:
            cell[0] += float(g["numerator_sum"] or 0)
            cell[1] += float(g["denominator_sum"])
        else:
            cell[3] = False
    series = {}
    for kpi_id, unit in units.items():
        scale = 100 if unit == "percent" else 1
        series[kpi_id] = [
            Point(day, scale * num / den if ratio and den else sum(means) / len(means))
            for day, (num, den, means, ratio) in sorted(cells[kpi_id].items())
        ]
    return series


def kpi_plan(kpi, monthly_targets=None):
    """A KPI's plan for kpis.progress, in plain numbers."""
    from kpis.progress import Plan

    return Plan(
        direction=kpi.direction,
        baseline=float(kpi.baseline),
        baseline_date=kpi.baseline_date,
        target=float(kpi.target),
        target_date=kpi.target_date,
        monthly_targets=monthly_targets or None,
    )


def kpi_series(*, kpi) -> list:
    return series_by_kpi(kpis=[kpi])[kpi.pk]


LIFT_WINDOW_DAYS = 28


def kpi_lift(*, kpi):
    """Personalized against control over the last 28 days with results (one query), as
    (RateLift or None, SampleRatio or None, first day, last day); None without both arms."""
    import datetime

    from django.db.models import Max, Sum

    from kpis.lift import rate_lift, sample_ratio
    from kpis.models import Measurement

    arms = Measurement.objects.filter(
        kpi=kpi,
        segment__isnull=True,
        variant__in=["personalized", "control"],
        denominator__isnull=False,
    )
    last = arms.aggregate(last=Max("period_start"))["last"]
    if last is None:
        return None
    first = last - datetime.timedelta(days=LIFT_WINDOW_DAYS - 1)
    totals = {
        row["variant"]: row
        for row in arms.filter(period_start__gte=first)
        .values("variant")
        .annotate(conversions=Sum("numerator"), visits=Sum("denominator"))
    }
    if set(totals) != {"personalized", "control"}:
        return None
    p, c = totals["personalized"], totals["control"]
    lift = rate_lift(
        conversions_p=int(p["conversions"] or 0),
        visits_p=int(p["visits"]),
        conversions_c=int(c["conversions"] or 0),
        visits_c=int(c["visits"]),
    )
    srm = sample_ratio(visits_p=int(p["visits"]), visits_c=int(c["visits"]))
    return lift, srm, first, last


def kpi_segments(*, kpi) -> list[dict]:
    """Per segment: the latest value and the trend (mean of the last 7 points), from one
    query over the segments' recent measurements."""
    import datetime

    from django.db.models import Max

    from kpis.models import Measurement

    rows = Measurement.objects.filter(kpi=kpi, segment__isnull=False)
    last = rows.aggregate(last=Max("period_start"))["last"]
    if last is None:
        return []
    by_segment: dict[int, dict] = {}
    recent = (
        rows.filter(period_start__gt=last - datetime.timedelta(days=28))
        .select_related("segment")
        .order_by("segment__name", "period_start")
    )
    for m in recent:
        entry = by_segment.setdefault(m.segment_id, {"segment": m.segment, "values": []})
        entry["values"].append((m.period_start, float(m.value)))
    table = []
    for entry in by_segment.values():
        values = entry["values"]
        tail = [v for _d, v in values[-7:]]
        table.append(
            {
                "segment": entry["segment"],
                "latest": values[-1][1],
                "latest_day": values[-1][0],
                "trend": sum(tail) / len(tail),
            }
        )
    return table


def program_progress(*, cycle, today) -> list[dict]:
    """Every KPI of the cycle with its progress and a sparkline series, in a fixed number of
    queries whatever the number of KPIs: the KPIs, their monthly targets, and one aggregate
    over all their measurements."""
    from collections import defaultdict

    from kpis.models import KpiPeriodTarget
    from kpis.progress import Point, progress

    kpis = list(
        Kpi.objects.filter(goal__cycle=cycle).select_related("goal").order_by("goal_id", "pk")
    )
    monthly: dict[int, dict] = defaultdict(dict)
    for t in KpiPeriodTarget.objects.filter(kpi__goal__cycle=cycle):
        monthly[t.kpi_id][t.period] = float(t.target)
    all_series = series_by_kpi(kpis=kpis)
    cards = []
    for kpi in kpis:
        series = all_series[kpi.pk]
        plan = kpi_plan(kpi, monthly.get(kpi.pk))
        recent = series[-96:]
        smooth = (
            [  # a 7-point rolling mean reads better than daily noise at this size
                Point(
                    p.day,
                    sum(q.value for q in recent[max(0, i - 6) : i + 1])
                    / len(recent[max(0, i - 6) : i + 1]),
                )
                for i, p in enumerate(recent)
            ][6:]
            or recent
        )
        cards.append({"kpi": kpi, "result": progress(plan, series, today), "spark": smooth})
    return cards
