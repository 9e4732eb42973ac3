"""Reads of question 3's plan: filtered initiatives, their collisions, plan coverage."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Prefetch, Q
from django.utils import timezone

from assessments.models import (
    Gap,
    GapStatus,
)
from initiatives.collisions import Collision, PlannedInitiative, find_collisions
from initiatives.models import (
    ACTIVE_STATUSES,
    CollisionAcknowledgement,
    ExpectedEffect,
    Initiative,
    Kind,
    Status,
)
from kpis.models import Kpi
from programs.completeness import Completeness
from programs.models import Cycle


@dataclass(frozen=True)
class Filters:
    department: int | None = None
    channel: int | None = None
    status: str | None = None
    kpi: int | None = None

    @classmethod
    def from_query(cls, query) -> "Filters":
        def number(name):
            value = query.get(name, "")
            return int(value) if value.isascii() and value.isdigit() else None

        status = query.get("status") or None
        return cls(
            department=number("department"),
            channel=number("channel"),
            status=status if status in Status.values else None,
            kpi=number("kpi"),
        )

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.department, self.channel, self.status, self.kpi))


def initiative_list(*, cycle: Cycle, filters: Filters = Filters()) -> list[Initiative]:
    """Initiatives of the cycle with everything the pages show, best PIE score first."""
    # Filters on relations go through subqueries, so joins cannot skew the PIE averages.
    matching = Initiative.objects.filter(cycle=cycle)
    if filters.department:
        matching = matching.filter(
            Q(departments__pk=filters.department) | Q(owner_department_id=filters.department)
        )
    if filters.channel:
        matching = matching.filter(channels__pk=filters.channel)
    if filters.status:
        matching = matching.filter(status=filters.status)
    if filters.kpi:
        matching = matching.filter(effects__kpi_id=filters.kpi)
    qs = cycle.initiatives.filter(pk__in=matching.values("pk"))
    return list(
        qs.select_related("owner_department")
        .prefetch_related(
            "departments",
            "channels",
            "gaps",
            Prefetch("effects", queryset=ExpectedEffect.objects.select_related("kpi")),
        )
        .annotate(
            pie_average=Avg(
                (F("pie_scores__potential") + F("pie_scores__importance") + F("pie_scores__ease"))
                / 3.0
            ),
            pie_raters=Count("pie_scores", distinct=True),
        )
        .order_by(F("pie_average").desc(nulls_last=True), "starts_on", "pk")
    )


@dataclass
class ShownCollision:
    collision: Collision
    acknowledgement: CollisionAcknowledgement | None
    names: dict[int, str]
    over: bool = False  # every initiative in it has ended: nothing left to accept

    @property
    def is_open(self) -> bool:
        """Counts as open: nobody accepted it and it is not over."""
        return self.acknowledgement is None and not self.over


def collisions(*, cycle: Cycle, initiatives: list[Initiative]) -> list[ShownCollision]:
    """Collisions among the cycle's live initiatives (ideas, done and stopped ones cannot
    collide), with any acknowledgement."""
    live = [i for i in initiatives if i.status in ACTIVE_STATUSES]
    plans = [
        PlannedInitiative(
            id=i.pk,
            name=i.name,
            starts_on=i.starts_on,
            ends_on=i.ends_on,
            channels=frozenset(c.name for c in i.channels.all()),
            stages=frozenset(i.stages),
            effects=frozenset((e.kpi.name, e.direction) for e in i.effects.all()),
            significant=i.is_significant,
        )
        for i in live
    ]
    found = find_collisions(plans, overload_limit=cycle.program.organization.overload_limit)
    acks = {a.key: a for a in cycle.acknowledged_collisions.select_related("by")}
    names = {i.pk: i.name for i in live}
    today = timezone.localdate()
    return [ShownCollision(c, acks.get(c.key), names, c.is_over(today)) for c in found]


def open_collision_count(*, cycle: Cycle) -> int:
    """How many collisions among the live initiatives nobody has accepted yet and that are
    not over (every initiative in them ended): the number
    the program home and the dashboard show. Read as plain values, only what collisions
    look at (model instances cost these busy pages three times as much)."""
    live = cycle.initiatives.filter(status__in=ACTIVE_STATUSES)
    channels: dict[int, set[str]] = defaultdict(set)
    for pk, channel in Initiative.channels.through.objects.filter(initiative__in=live).values_list(
        "initiative_id", "channel__name"
    ):
        channels[pk].add(channel)
    effects: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for pk, kpi, direction in ExpectedEffect.objects.filter(initiative__in=live).values_list(
        "initiative_id", "kpi__name", "direction"
    ):
        effects[pk].add((kpi, direction))
    plans = [
        PlannedInitiative(
            id=pk,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            channels=frozenset(channels[pk]),
            stages=frozenset(stages),
            effects=frozenset(effects[pk]),
            significant=kind == Kind.MAIN,  # Initiative.is_significant, for a live one
        )
        for pk, name, starts_on, ends_on, stages, kind in live.values_list(
            "pk", "name", "starts_on", "ends_on", "stages", "kind"
        )
    ]
    found = find_collisions(plans, overload_limit=cycle.program.organization.overload_limit)
    accepted = set(cycle.acknowledged_collisions.values_list("key", flat=True))
    today = timezone.localdate()
    return sum(1 for c in found if c.key not in accepted and not c.is_over(today))


@dataclass
class Coverage:
    uncovered_gaps: list[Gap]
    unmoved_kpis: list[Kpi]


def plan_coverage(*, cycle: Cycle) -> Coverage:
    """Open gaps with no initiative (and not deferred), and KPIs no initiative moves."""
    gaps = list(
        cycle.gaps.filter(status__in=[GapStatus.OPEN, GapStatus.PLANNED], initiatives__isnull=True)
        .distinct()
        .order_by("pk")
    )
    kpis = list(
        Kpi.objects.filter(goal__cycle=cycle, expected_effects__isnull=True)
        .select_related("goal")
        .order_by("pk")
    )
    return Coverage(uncovered_gaps=gaps, unmoved_kpis=kpis)


def completeness(*, cycle: Cycle, initiatives=None, shown=None, coverage=None) -> Completeness:
    initiatives = initiative_list(cycle=cycle) if initiatives is None else initiatives
    shown = collisions(cycle=cycle, initiatives=initiatives) if shown is None else shown
    coverage = plan_coverage(cycle=cycle) if coverage is None else coverage
    missing = []
    if not initiatives:
        missing.append("Plan at least one initiative")
    if gaps := len(coverage.uncovered_gaps):
        missing.append(f"Cover or defer {gaps} open {'gap' if gaps == 1 else 'gaps'}")
    if kpis := len(coverage.unmoved_kpis):
        missing.append(f"Plan an initiative for {kpis} {'KPI' if kpis == 1 else 'KPIs'}")
    # Collisions of initiatives that have all ended are history, not work left to do.
    if open_collisions := sum(1 for s in shown if s.is_open):
        noun = "collision" if open_collisions == 1 else "collisions"
        missing.append(f"Resolve or accept {open_collisions} {noun}")
    return Completeness(done=4 - len(missing), total=4, missing=tuple(missing))


def initiatives_in_flight(*, cycle: Cycle):
    """What was already changing when the cycle began: new work must not pile onto it."""

    return (
        Initiative.objects.filter(
            cycle=cycle, status=Status.IN_PROGRESS, starts_on__lt=cycle.starts_on
        )
        .select_related("owner_department")
        .prefetch_related("channels")
        .order_by("starts_on")
    )
