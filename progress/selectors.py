"""What progress reads: measured series, plans, lift, realized ROI, the dashboard's cards
and changes, status counts and the portfolio, as plain data."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from initiatives.models import Status
from kpis.models import Kpi, RoiTarget
from programs import calendar_text, calendars
from programs.jobs import JobStatus
from programs.models import Cycle, Organization, Program
from programs.selectors import program_list
from progress.lift import mean_lift, rate_lift, sample_ratio
from progress.models import DashboardVisit, KpiSnapshot, ProgressStatus, StatusChange
from progress.pace import Plan, Point
from progress.roi import realized_roi
from results.models import Measurement, Pull, Variant


def portfolio(*, organization: Organization, today) -> list[dict]:
    """Every program of the organization with its open cycle's KPI statuses, realized ROI
    and initiatives in progress, from the snapshots: five queries whatever the number of
    programs and KPIs."""

    programs = program_list(organization=organization)
    cycles = [p.open_cycle for p in programs if p.open_cycle]
    counts, as_of = status_counts(cycles=cycles)
    rois = {
        r.cycle_id: r
        for r in RoiTarget.objects.filter(cycle__in=cycles).select_related(
            "cycle", "attribution_kpi"
        )
    }
    attribution = {
        s.kpi_id: s
        for s in KpiSnapshot.objects.filter(
            kpi_id__in=[r.attribution_kpi_id for r in rois.values() if r.attribution_kpi_id],
            segment__isnull=True,
        )
    }
    active = dict(
        Cycle.objects.filter(pk__in=[c.pk for c in cycles])
        .annotate(n=Count("initiatives", filter=Q(initiatives__status=Status.IN_PROGRESS)))
        .values_list("pk", "n")
    )
    rows = []
    for program in programs:
        cycle = program.open_cycle
        roi = rois.get(cycle.pk) if cycle else None
        rows.append(
            {
                "program": program,
                "cycle": cycle,
                "counts": [
                    (status.value, status.label, counts[cycle.pk][status])
                    for status in ProgressStatus
                    if cycle and counts.get(cycle.pk, {}).get(status)
                ],
                "as_of": as_of.get(cycle.pk) if cycle else None,
                "roi": roi,
                "roi_figures": roi.figures() if roi else None,
                "realized": roi_realized(
                    roi=roi, today=today, snapshot=attribution.get(roi.attribution_kpi_id)
                )
                if roi and roi.attribution_kpi_id in attribution
                else None,
                "in_progress": active.get(cycle.pk, 0) if cycle else 0,
            }
        )
    return rows


def dashboard_visit_since(*, user, program: Program) -> datetime.datetime | None:
    """When the visit before this one began: the moment "what changed" counts from (None on
    a first visit). Read only: the page records the visit with a POST once it has loaded
    (dashboard_visit_record), and answers the same until then; visits closer together than
    DashboardVisit.VISIT_GAP are one visit, so reloading keeps the list."""
    visit = DashboardVisit.objects.filter(user=user, program=program).first()
    return visit.since(timezone.now()) if visit else None


def series_by_kpi(*, kpis, segmented: bool = False, since=None) -> dict:
    """Each KPI's measured series for its progress, from one aggregate query grouped by KPI,
    variant and period in the database: the all-traffic rows when a KPI has any, else its
    personalized and control rows combined (by numerator and denominator when every row
    has them, else the mean). Keyed by KPI id; with `segmented`, by (KPI id, segment id)
    over the segments' rows instead. `since` leaves out earlier periods."""

    units = {k.pk: k.unit for k in kpis}
    rows = Measurement.objects.filter(kpi_id__in=list(units), segment__isnull=not segmented)
    if since is not None:
        rows = rows.filter(period_start__gte=since)
    keys = ("kpi_id", "segment_id") if segmented else ("kpi_id",)
    grouped = (
        rows.values(*keys, "variant", "period_start")
        .annotate(
            mean=Avg("value"),
            numerator_sum=Sum("numerator"),
            denominator_sum=Sum("denominator"),
            counted=Count("pk", filter=Q(denominator__isnull=False)),
            total=Count("pk"),
        )
        .order_by(*keys, "period_start")
    )
    groups = list(grouped)

    def key_of(g):
        return (g["kpi_id"], g["segment_id"]) if segmented else g["kpi_id"]

    has_plain = {key_of(g) for g in groups if g["variant"] == ""}
    # key -> day -> [numerators, denominators, means, every row has a denominator]
    cells: dict = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, [], True]))
    for g in groups:
        key = key_of(g)
        if key in has_plain and g["variant"] != "":
            continue
        cell = cells[key][g["period_start"]]
        cell[2].append(float(g["mean"]))
        if g["counted"] == g["total"] and g["denominator_sum"]:
            cell[0] += float(g["numerator_sum"] or 0)
            cell[1] += float(g["denominator_sum"])
        else:
            cell[3] = False
    series = {}
    for key in list(cells) if segmented else list(units):
        scale = 100 if units[key[0] if segmented else key] == "percent" else 1
        series[key] = [
            Point(day, scale * num / den, den)
            if ratio and den
            else Point(day, sum(means) / len(means))
            for day, (num, den, means, ratio) in sorted(cells[key].items())
        ]
    return series


def kpi_plan(kpi, period_targets=()):
    """A KPI's plan for progress.pace, in plain numbers; `period_targets` are its
    KpiPeriodTarget rows."""

    return Plan(
        direction=kpi.direction,
        baseline=float(kpi.baseline),
        baseline_date=kpi.baseline_date,
        target=float(kpi.target),
        target_date=kpi.target_date,
        period_targets=tuple((t.starts_on, t.ends_on, float(t.target)) for t in period_targets),
    )


def kpi_series(*, kpi) -> list:
    return series_by_kpi(kpis=[kpi])[kpi.pk]


LIFT_WINDOW_DAYS = 28


@dataclass(frozen=True)
class LiftSummary:
    """Personalized against control for one KPI: the test over the last 28 days with
    results of both, and (rates only) the extra conversions since the cycle began, which
    realized ROI is counted from."""

    kind: str  # "rate" (numerators and denominators) or "mean" (values only)
    result: object  # progress.lift.RateLift or MeanLift; None when the data cannot tell
    srm: object  # progress.lift.SampleRatio for rates, else None
    first: datetime.date
    last: datetime.date
    extra_conversions: float | None = None
    extra_since: datetime.date | None = None

    def as_json(self) -> dict:
        """What a KpiSnapshot keeps of it (plain JSON)."""
        r, srm = self.result, self.srm
        return {
            "kind": self.kind,
            "sentence": r.sentence().as_json() if r else "",  # shown in the reader's language
            "lift": r.lift if r else None,
            "ci_low": r.ci_low if r else None,
            "ci_high": r.ci_high if r else None,
            "p_value": r.p_value if r else None,
            "chance_to_beat": r.chance_to_beat if r else None,
            "difference": getattr(r, "difference", None),
            "diff_low": getattr(r, "diff_low", None),
            "diff_high": getattr(r, "diff_high", None),
            "no_lift_reason": getattr(r, "no_lift_reason", ""),
            "significant": bool(r and r.significant),
            "mismatch": bool(srm and srm.mismatch),
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "extra_conversions": self.extra_conversions,
            "extra_since": self.extra_since.isoformat() if self.extra_since else None,
        }


def _arm_total(arm: dict, start: datetime.date, end: datetime.date, field: str) -> int:
    """Sum of a daily field of one arm over [start, end]."""
    return sum(int(r[field] or 0) for d, r in arm.items() if start <= d <= end)


def lift_by_kpi(*, kpis, cycle_start: datetime.date) -> dict[int, LiftSummary]:
    """Lift of every KPI with personalized and control results, in two queries: the last
    day of each KPI's arms, then their daily sums from the earlier of the cycle's start and
    the oldest window. Rates (every row with a denominator) get the two-proportion test and
    the sample-ratio check; other KPIs Welch's t over the daily values of each arm."""

    shares = {k.pk: float(k.personalized_share) for k in kpis}
    arms = Measurement.objects.filter(
        kpi_id__in=list(shares),
        segment__isnull=True,
        variant__in=[Variant.PERSONALIZED, Variant.CONTROL, Variant.HOLDOUT],
    )
    lasts = dict(
        arms.values("kpi_id").annotate(last=Max("period_start")).values_list("kpi_id", "last")
    )
    if not lasts:
        return {}
    window = datetime.timedelta(days=LIFT_WINDOW_DAYS - 1)
    since = min(cycle_start, min(lasts.values()) - window)
    days: dict = defaultdict(lambda: defaultdict(dict))  # kpi -> variant -> day -> sums
    for row in (
        arms.filter(period_start__gte=since)
        .values("kpi_id", "variant", "period_start")
        .annotate(
            num=Sum("numerator"),
            den=Sum("denominator"),
            mean=Avg("value"),
            counted=Count("pk", filter=Q(denominator__isnull=False)),
            total=Count("pk"),
        )
    ):
        days[row["kpi_id"]][row["variant"]][row["period_start"]] = row
    summaries = {}
    for kpi_id, last in lasts.items():
        p_days = days[kpi_id][Variant.PERSONALIZED]
        # A holdout is the control group when there is no control.
        c_days = days[kpi_id][Variant.CONTROL] or days[kpi_id][Variant.HOLDOUT]
        if not p_days or not c_days:
            continue
        first = last - window
        in_window = [
            (day, row)
            for arm in (p_days, c_days)
            for day, row in arm.items()
            if first <= day <= last
        ]
        if all(row["counted"] == row["total"] and row["den"] for _day, row in in_window):
            total = _arm_total
            visits_p, visits_c = (
                total(p_days, first, last, "den"),
                total(c_days, first, last, "den"),
            )
            result = rate_lift(
                conversions_p=total(p_days, first, last, "num"),
                visits_p=visits_p,
                conversions_c=total(c_days, first, last, "num"),
                visits_c=visits_c,
            )
            srm = (
                sample_ratio(visits_p=visits_p, visits_c=visits_c, planned_share=shares[kpi_id])
                if visits_p and visits_c
                else None
            )
            both = sorted(d for d in p_days if d in c_days and d >= cycle_start)
            extra = None
            if both:
                n_p = total(p_days, both[0], last, "den")
                n_c = total(c_days, both[0], last, "den")
                if n_p and n_c:
                    rate_p = total(p_days, both[0], last, "num") / n_p
                    rate_c = total(c_days, both[0], last, "num") / n_c
                    extra = (rate_p - rate_c) * n_p
            summaries[kpi_id] = LiftSummary(
                "rate", result, srm, first, last, extra, both[0] if both else None
            )
        else:
            result = mean_lift(
                personalized=[float(r["mean"]) for d, r in p_days.items() if first <= d <= last],
                control=[float(r["mean"]) for d, r in c_days.items() if first <= d <= last],
            )
            summaries[kpi_id] = LiftSummary("mean", result, None, first, last)
    return summaries


def kpi_lift(*, kpi) -> LiftSummary | None:
    """The KPI's lift; None when it has no two arms or its results cannot give one (the
    page then says why from the KPI's snapshot)."""
    try:
        return lift_by_kpi(kpis=[kpi], cycle_start=kpi.goal.cycle.starts_on).get(kpi.pk)
    except UNCOMPUTABLE:
        return None


# What impossible results raise in the statistics (a rate above 1 under a square root).
UNCOMPUTABLE = (ArithmeticError, ValueError)


def lifts_isolated(*, kpis, cycle_start: datetime.date) -> tuple[dict, dict[int, str]]:
    """Every KPI's lift as lift_by_kpi gives it, in its two queries; should one KPI's
    results be impossible, the KPIs are taken one by one, and those that fail are named
    with the reason."""
    try:
        return lift_by_kpi(kpis=kpis, cycle_start=cycle_start), {}
    except UNCOMPUTABLE:
        pass
    lifts, problems = {}, {}
    for kpi in kpis:
        try:
            lifts.update(lift_by_kpi(kpis=[kpi], cycle_start=cycle_start))
        except UNCOMPUTABLE:
            problems[kpi.pk] = str(
                _(
                    "The lift cannot be computed: some results have more successes than "
                    "trials (a numerator above its denominator). Correct them and load again."
                )
            )
    return lifts, problems


def roi_realized(*, roi: RoiTarget, today: datetime.date, snapshot=None):
    """The ROI target's realized side (kpis.roi.realized_roi) from the attribution KPI's
    snapshot; None until the target names a KPI and a value and the KPI has a lift with
    extra conversions. Pass the all-traffic `snapshot` when it is at hand (no query)."""

    if roi.attribution_kpi_id is None or roi.value_per_conversion is None:
        return None
    if roi.cycle.closed_at is not None:  # a closed cycle's costs stopped when it closed
        today = min(today, timezone.localtime(roi.cycle.closed_at).date())
    if snapshot is None:
        snapshot = KpiSnapshot.objects.filter(
            kpi_id=roi.attribution_kpi_id, segment__isnull=True
        ).first()
    lift = snapshot.lift if snapshot else None
    if not lift or lift.get("extra_conversions") is None:
        return None
    return realized_roi(
        extra_conversions=lift["extra_conversions"],
        value_per_conversion=roi.value_per_conversion,
        measured_since=datetime.date.fromisoformat(lift["extra_since"]),
        measured_until=datetime.date.fromisoformat(lift["last"]),
        cycle_start=roi.cycle.starts_on,
        today=today,
        one_off=roi.one_off_investment,
        running_per_month=roi.running_cost_per_month,
        horizon_months=roi.horizon_months,
        acceptable_roi_percent=Decimal(roi.acceptable_roi_percent),
    )


@dataclass(frozen=True)
class Period:
    """A dashboard period, the one definition: its key in the URL, its name, and which
    snapshot trail it is cut from with how many of its points."""

    key: str
    label: str
    trail: str
    points: int


PERIODS = {
    period.key: period
    for period in (
        Period("28", gettext_lazy("4 weeks"), "trail", 28),
        Period("91", gettext_lazy("13 weeks"), "trail", 91),
        Period("365", gettext_lazy("12 months"), "trail_year", 53),
    )
}


DEFAULT_PERIOD = "91"


@dataclass
class Card:
    """One KPI on the dashboard: its all-traffic snapshot (status and targets), and the
    snapshot of the chosen segment when one is chosen (values only)."""

    kpi: Kpi
    overall: object  # KpiSnapshot
    shown: object  # the segment's KpiSnapshot, or `overall`
    trail: list[float]  # the period's slice of the shown trail

    @property
    def change(self) -> float | None:
        """How far the shown trend moved over the period."""
        return self.trail[-1] - self.trail[0] if len(self.trail) > 1 else None


def dashboard_cards(*, cycle: Cycle, period: str, segment=None, goal=None) -> list[Card]:
    """The dashboard's cards from the snapshots, reading only the columns a card shows,
    in a number of queries that does not grow with the KPIs: the all-traffic snapshots,
    and with a segment its snapshots and the segments each KPI and goal targets. With a
    segment, only KPIs that target it or have results for it."""

    field, points = PERIODS[period].trail, PERIODS[period].points
    unused = {"trail", "trail_year"} - {field}
    snapshots = KpiSnapshot.objects.filter(kpi__goal__cycle=cycle).order_by(
        "kpi__goal_id", "kpi_id"
    )
    if goal is not None:
        snapshots = snapshots.filter(kpi__goal=goal)
    if segment is None:
        overall = list(
            snapshots.filter(segment__isnull=True)
            .select_related("kpi__goal")
            .defer("computed_at", *unused)
        )
        return [
            Card(kpi=s.kpi, overall=s, shown=s, trail=getattr(s, field)[-points:]) for s in overall
        ]
    overall = list(
        snapshots.filter(segment__isnull=True)
        .select_related("kpi__goal")
        .prefetch_related("kpi__segments", "kpi__goal__segments")
        .defer("computed_at", "trail", "trail_year")
    )
    in_segment = {
        s.kpi_id: s
        for s in snapshots.filter(segment=segment).only("kpi_id", "actual", "trend", field)
    }
    cards = []
    for snap in overall:
        kpi = snap.kpi
        shown = in_segment.get(kpi.pk)
        targeted = segment in kpi.segments.all() or segment in kpi.goal.segments.all()
        if shown is None and not targeted:
            continue
        trail = getattr(shown, field)[-points:] if shown else []
        cards.append(Card(kpi=kpi, overall=snap, shown=shown, trail=trail))
    return cards


@dataclass(frozen=True)
class Changes:
    """What changed on a program since a moment: loads of results, status changes, and
    edits of KPI targets."""

    since: datetime.datetime
    loads: int
    rows: int
    statuses: list  # (KPI, first "before", last "after") per KPI whose status moved
    targets: list  # (KPI name, what, old, new, who, when)

    @property
    def any(self) -> bool:
        return bool(self.loads or self.statuses or self.targets)


def changes_since(*, cycle: Cycle, since: datetime.datetime) -> Changes:
    """Three queries: the loads, the status changes, the KPI history since `since`."""

    loads = Pull.objects.filter(
        source__program=cycle.program, status=JobStatus.SUCCEEDED, finished_at__gt=since
    ).aggregate(n=Count("pk"), inserted=Sum("inserted"), updated=Sum("updated"))
    moved: dict[int, list] = {}
    for change in (
        StatusChange.objects.filter(kpi__goal__cycle=cycle, changed_at__gt=since)
        .exclude(before=F("after"))
        .select_related("kpi")
        .order_by("changed_at")
    ):
        entry = moved.setdefault(change.kpi_id, [change.kpi, change.before, change.after])
        entry[2] = change.after
    statuses = [tuple(e) for e in moved.values() if e[1] != e[2]]
    # Only the KPIs edited since, with their whole history (to compare with the record
    # before): the rows do not grow with every edit of the cycle's other KPIs.
    edited = Kpi.history.filter(goal__cycle=cycle, history_date__gt=since).values("id")
    history = (
        Kpi.history.filter(id__in=edited)
        .order_by("id", "history_date")
        .values(
            "id",
            "name",
            "target",
            "target_date",
            "baseline",
            "history_date",
            "history_user__first_name",
            "history_user__last_name",
            "history_user__username",
        )
    )
    targets = []
    previous: dict[int, dict] = {}
    for record in history:
        before = previous.get(record["id"])
        previous[record["id"]] = record
        when = record["history_date"]
        if when <= since:
            continue
        full_name = f"{record['history_user__first_name']} {record['history_user__last_name']}"
        who = full_name.strip() or record["history_user__username"] or ""
        if before is None:
            targets.append((record["name"], "new", None, record["target"], who, when))
            continue
        for field in ("target", "target_date", "baseline"):
            if before[field] != record[field]:
                targets.append((record["name"], field, before[field], record[field], who, when))
    return Changes(
        since=since,
        loads=loads["n"] or 0,
        rows=(loads["inserted"] or 0) + (loads["updated"] or 0),
        statuses=statuses,
        targets=targets,
    )


def status_counts(*, cycles) -> tuple[dict[int, dict[str, int]], dict[int, datetime.datetime]]:
    """Per cycle: how many KPIs have each status, and when their snapshots were computed
    (the latest), from one aggregate over the all-traffic snapshots."""

    counts: dict[int, dict[str, int]] = {}
    as_of: dict[int, datetime.datetime] = {}
    for row in (
        KpiSnapshot.objects.filter(kpi__goal__cycle__in=cycles, segment__isnull=True)
        .values("kpi__goal__cycle_id", "status")
        .annotate(n=Count("pk"), computed=Max("computed_at"))
    ):
        cycle_id = row["kpi__goal__cycle_id"]
        counts.setdefault(cycle_id, {})[row["status"]] = row["n"]
        as_of[cycle_id] = max(as_of.get(cycle_id, row["computed"]), row["computed"])
    return counts, as_of


@dataclass(frozen=True)
class ShownPeriod:
    """One period of a KPI's calendar as its snapshot keeps it, named in the reader's
    language."""

    label: str
    actual: float | None
    expected: float | None
    partial: bool
    summed: bool


def snapshot_periods(snapshot, grain: str) -> list[ShownPeriod]:
    """The months or quarters a snapshot keeps (progress.snapshots.kept_periods)."""
    kept = snapshot.periods or {}
    plain = bool(kept.get("plain"))
    shown = []
    for row in kept.get(grain, []):
        period = calendars.Period(
            grain,
            datetime.date.fromisoformat(row["start"]),
            datetime.date.fromisoformat(row["end"]),
            row["year"],
            row["number"],
        )
        shown.append(
            ShownPeriod(
                label=calendar_text.period_label(period, plain=plain),
                actual=row["actual"],
                expected=row["expected"],
                partial=row["partial"],
                summed=bool(kept.get("summed")),
            )
        )
    return shown


def periods_by_kpi(*, kpis, grain: str) -> dict[int, list[ShownPeriod]]:
    """Each KPI's kept periods of `grain`, from its all-traffic snapshot, in one query."""
    snapshots = KpiSnapshot.objects.filter(kpi__in=kpis, segment__isnull=True).only(
        "kpi_id", "periods"
    )
    return {s.kpi_id: snapshot_periods(s, grain) for s in snapshots}
