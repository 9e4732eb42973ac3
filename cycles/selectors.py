from dataclasses import dataclass
from decimal import Decimal

from assessments.models import MaturityScore
from programs.models import Cycle, Program
from progress.models import KpiSnapshot


@dataclass
class CycleKpi:
    name: str
    unit: str
    direction: str
    baseline: Decimal
    planned: Decimal
    actual: Decimal | None
    decision: str = ""

    @property
    def progress_pct(self) -> float | None:
        """How far the actual came from baseline to the planned target."""
        if self.actual is None or self.planned == self.baseline:
            return None
        return float((self.actual - self.baseline) / (self.planned - self.baseline) * 100)

    @property
    def reached(self) -> bool:
        if self.actual is None:
            return False
        return (
            self.actual >= self.planned
            if self.direction == "higher"
            else (self.actual <= self.planned)
        )


@dataclass
class CycleColumn:
    cycle: Cycle
    kpis: list[CycleKpi]
    outcomes: dict[str, int]  # initiative outcome -> count (closed cycles' reviews)
    maturity: dict[str, int]  # dimension -> score

    @property
    def finished(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome != "not_finished")

    @property
    def win_rate(self) -> float | None:
        return 100 * self.outcomes.get("won", 0) / self.finished if self.finished else None

    @property
    def velocity(self) -> float:
        """Initiatives finished per month of the cycle."""
        months = max(1, (self.cycle.ends_on - self.cycle.starts_on).days) / 30.4375
        return self.finished / months

    @property
    def reached(self) -> int:
        return sum(1 for k in self.kpis if k.reached)

    @property
    def mean_progress(self) -> float | None:
        """Realized impact: the KPIs' mean way from baseline to target, in percent."""
        values = [k.progress_pct for k in self.kpis if k.progress_pct is not None]
        return sum(values) / len(values) if values else None


@dataclass
class Comparison:
    cycles: list[Cycle]
    columns: list[CycleColumn]
    dimensions: list[str]


def cycle_comparison(*, program: Program) -> Comparison:
    """Every cycle of the program side by side, in six queries whatever their number: a
    closed cycle as its review recorded it; the open cycle from its KPIs' snapshots."""
    from collections import defaultdict

    from django.db.models import Count

    from cycles.models import InitiativeReview, KpiReview

    cycles = list(program.cycles.order_by("number"))
    kpis: dict[int, list[CycleKpi]] = defaultdict(list)
    closed_reviews = KpiReview.objects.filter(
        review__cycle__program=program, review__cycle__closed_at__isnull=False
    )
    for row in closed_reviews.select_related("kpi", "review"):
        kpis[row.review.cycle_id].append(
            CycleKpi(
                row.kpi.name,
                row.kpi.unit,
                row.kpi.direction,
                row.baseline,
                row.planned,
                row.actual,
                row.decision,
            )
        )
    open_cycles = [c for c in cycles if c.is_open]
    for snapshot in KpiSnapshot.objects.filter(
        kpi__goal__cycle__in=open_cycles, segment__isnull=True
    ).select_related("kpi__goal"):
        kpi = snapshot.kpi
        kpis[kpi.goal.cycle_id].append(
            CycleKpi(
                kpi.name,
                kpi.unit,
                kpi.direction,
                kpi.baseline,
                kpi.target,
                Decimal(str(round(snapshot.trend, 4))) if snapshot.trend is not None else None,
            )
        )
    outcomes: dict[int, dict] = defaultdict(dict)
    for row in (
        InitiativeReview.objects.filter(
            review__cycle__program=program, review__cycle__closed_at__isnull=False
        )
        .values("review__cycle_id", "outcome")
        .annotate(n=Count("pk"))
    ):
        outcomes[row["review__cycle_id"]][row["outcome"]] = row["n"]
    maturity: dict[int, dict] = defaultdict(dict)
    dimensions: list[str] = []
    for score in (
        MaturityScore.objects.filter(assessment__cycle__program=program, score__isnull=False)
        .select_related("dimension", "assessment")
        .order_by("dimension__position", "dimension_id")
    ):
        maturity[score.assessment.cycle_id][score.dimension.name] = score.score
        if score.dimension.name not in dimensions:
            dimensions.append(score.dimension.name)
    return Comparison(
        cycles=cycles,
        columns=[CycleColumn(c, kpis[c.pk], outcomes[c.pk], maturity[c.pk]) for c in cycles],
        dimensions=dimensions,
    )
