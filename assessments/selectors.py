"""Reads of question 1, shaped for its pages, in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Max, Prefetch, Q, Value, When

from assessments import rules
from assessments.models import (
    Assessment,
    Dimension,
    DriverChange,
    Gap,
    GapStatus,
    MaturityScore,
    MeasurementDriver,
)
from programs.completeness import Completeness
from programs.models import Cycle, Program


@dataclass
class AssessmentRow:
    dimension: Dimension
    answer: MaturityScore | None
    previous_score: int | None  # the same dimension in the previous cycle

    @property
    def carried(self) -> bool:
        """Carried over from the cycle before and not confirmed or changed since."""
        return self.answer is not None and not self.answer.confirmed

    @property
    def changed(self) -> bool:
        return (
            self.answer is not None
            and self.answer.score is not None
            and self.previous_score is not None
            and self.answer.score != self.previous_score
        )


def previous_cycle(*, cycle: Cycle) -> Cycle | None:
    return (
        Cycle.objects.filter(program_id=cycle.program_id, number__lt=cycle.number)
        .order_by("-number")
        .first()
    )


def assessment_rows(*, cycle: Cycle) -> list[AssessmentRow]:
    """One row per dimension to answer: the active ones, plus retired ones that were
    answered in this cycle (their answers stay visible)."""
    answers = {
        a.dimension_id: a
        for a in MaturityScore.objects.filter(assessment__cycle=cycle).select_related("updated_by")
    }
    previous = dict(
        MaturityScore.objects.filter(
            assessment__cycle__program_id=cycle.program_id,
            assessment__cycle__number=cycle.number - 1,
        ).values_list("dimension_id", "score")
    )
    dimensions = Dimension.objects.filter(
        Q(retired_at__isnull=True) | Q(pk__in=list(answers)),
        organization_id=cycle.program.organization_id,
    )
    return [
        AssessmentRow(dimension=d, answer=answers.get(d.pk), previous_score=previous.get(d.pk))
        for d in dimensions
    ]


def driver_table(*, program: Program) -> list[MeasurementDriver]:
    """Drivers with `.last_validated_on`, `.changes_list` and `.flags` (why not trusted)."""
    drivers = list(
        program.drivers.annotate(last_validated_on=Max("validations__validated_on"))
        .select_related("updated_by")
        .prefetch_related(
            Prefetch(
                "changes",
                queryset=DriverChange.objects.order_by("-changed_on"),
                to_attr="changes_list",
            )
        )
    )
    for driver in drivers:
        driver.flags = rules.driver_flags(
            validated_on=driver.last_validated_on,
            change_dates=[c.changed_on for c in driver.changes_list],
        )
    return drivers


GAP_ORDER = Case(
    When(status=GapStatus.OPEN, then=Value(0)),
    When(status=GapStatus.PLANNED, then=Value(1)),
    When(status=GapStatus.DEFERRED, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
PRIORITY_ORDER = Case(
    When(priority="high", then=Value(0)),
    When(priority="medium", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def gap_list(*, cycle: Cycle) -> list[Gap]:
    return list(
        cycle.gaps.select_related("dimension", "driver", "edited_by").order_by(
            GAP_ORDER, PRIORITY_ORDER, "pk"
        )
    )


def completeness(*, cycle: Cycle, rows=None, drivers=None) -> Completeness:
    rows = assessment_rows(cycle=cycle) if rows is None else rows
    drivers = driver_table(program=cycle.program) if drivers is None else drivers
    active = [r for r in rows if r.dimension.is_active]
    unscored = [r for r in active if r.answer is None or r.answer.score is None]
    return rules.assessment_completeness(
        unscored_dimensions=[r.dimension.name for r in unscored],
        unconfirmed_dimensions=[
            r.dimension.name for r in active if r.carried and r not in unscored
        ],
        dimensions_total=len(active),
        drivers_total=len(drivers),
        drivers_untrusted=sum(1 for d in drivers if d.flags),
    )


@dataclass
class RadarData:
    dimensions: list[str]
    current: list[int | None]
    previous: list[int | None] | None
    cycle_number: int
    previous_number: int | None


def radar_data(*, cycle: Cycle, rows: list[AssessmentRow]) -> RadarData | None:
    """Maturity per dimension for this cycle and the previous one; None before any score."""
    scored = [r for r in rows if r.answer and r.answer.score is not None]
    if not scored:
        return None
    has_previous = any(r.previous_score is not None for r in rows)
    return RadarData(
        dimensions=[r.dimension.name for r in rows],
        current=[r.answer.score if r.answer else None for r in rows],
        previous=[r.previous_score for r in rows] if has_previous else None,
        cycle_number=cycle.number,
        previous_number=cycle.number - 1 if has_previous else None,
    )


def gap_counts(*, cycle: Cycle) -> dict[str, int]:
    return cycle.gaps.aggregate(
        open=Count("pk", filter=Q(status=GapStatus.OPEN)),
        planned=Count("pk", filter=Q(status=GapStatus.PLANNED)),
        deferred=Count("pk", filter=Q(status=GapStatus.DEFERRED)),
        closed=Count("pk", filter=Q(status=GapStatus.CLOSED)),
    )


def carried_from_number(*, cycle: Cycle) -> int | None:
    """The number of the cycle this cycle's assessment was started from, if any."""
    return (
        Assessment.objects.filter(cycle=cycle)
        .values_list("copied_from__cycle__number", flat=True)
        .first()
    )


def has_earlier_assessment(*, cycle: Cycle) -> bool:
    return Assessment.objects.filter(
        cycle__program_id=cycle.program_id, cycle__number__lt=cycle.number, scores__isnull=False
    ).exists()
