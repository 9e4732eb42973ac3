"""Act: the cycle review, and the next cycle it starts.

The review records, per KPI, the planned against the actual outcome and a decision (keep
the target, raise it, lower it, drop the KPI), and per initiative its outcome and whether
it continues. Starting the next cycle closes this one for good and seeds the next from it,
in one transaction: the KPIs with their latest actual as baseline and the decided
targets, the initiatives that continue (linked to their past), the blueprints as a new
version, the assessment and the strategic answers from the last ones. Nothing of the old
cycle changes.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assessments.models import Assessment
from assessments.services import assessment_copy_previous
from blueprints.services import blueprints_carry_forward
from cycles.models import (
    Countermeasure,
    CycleReview,
    InitiativeDecision,
    InitiativeOutcome,
    InitiativeReview,
    KpiDecision,
    KpiReview,
)
from initiatives.models import Initiative, Status
from initiatives.services import initiatives_carry_forward
from kpis.models import Kpi
from kpis.services import goals_carry_forward
from programs.languages import emails_by_language, mail_in_their_languages
from programs.models import Cycle, Membership, Phase, Role
from programs.services import ensure_cycle_open
from progress.models import KpiSnapshot
from progress.snapshots import progress_refresh, snapshots_stale

log = structlog.get_logger(__name__)


def _better(direction: str, a: Decimal, b: Decimal) -> bool:
    """Whether `a` is better than `b` for a KPI going `direction`."""
    return a > b if direction == "higher" else a < b


@dataclass
class ReviewRows:
    """A cycle's review with a row for every KPI and initiative, each row's baseline,
    target and actual as of now; rows and review not saved yet have no pk."""

    review: CycleReview
    kpis: list[KpiReview]
    initiatives: list[InitiativeReview]


def review_draft(*, cycle: Cycle) -> ReviewRows:
    """The review as its page shows it before anyone saved it: the saved rows brought up
    to date in memory, and new rows for KPIs and initiatives added since. Writes nothing
    (GET never writes); the first save makes them (review_open)."""
    review = CycleReview.objects.filter(cycle=cycle).first() or CycleReview(cycle=cycle)
    return _rows(cycle, review)


@transaction.atomic
def review_open(*, cycle: Cycle, refresh: bool = True) -> CycleReview:
    """The cycle's review, saved, with a row for every KPI and initiative (rows for ones
    added since are added). While the cycle is open each KPI's actual follows its progress:
    the trend of its latest results, from the snapshots, which are brought up to date first
    when stale (`refresh=False` reads them as they are)."""
    ensure_cycle_open(cycle)
    review, _created = CycleReview.objects.get_or_create(cycle=cycle)
    today = timezone.localdate()
    if refresh and snapshots_stale(cycle=cycle, today=today):
        progress_refresh(cycle=cycle, today=today)
    _rows_save(cycle, review)
    return review


def _rows_save(cycle: Cycle, review: CycleReview) -> None:
    rows = _rows(cycle, review)
    KpiReview.objects.bulk_create([r for r in rows.kpis if r.pk is None])
    KpiReview.objects.bulk_update(
        [r for r in rows.kpis if r.pk is not None], ["baseline", "planned", "actual", "status"]
    )
    InitiativeReview.objects.bulk_create([r for r in rows.initiatives if r.pk is None])


def review_rows(*, review: CycleReview) -> ReviewRows:
    """A saved review with its saved rows, as they are (a closed cycle's, or after
    review_open)."""
    return ReviewRows(
        review=review,
        kpis=list(review.kpis.select_related("kpi__goal")),
        initiatives=list(review.initiatives.select_related("initiative")),
    )


def _rows(cycle: Cycle, review: CycleReview) -> ReviewRows:
    """Every KPI's row with its target and latest actual from the snapshots, every
    initiative's (new ones with an outcome and a decision by status), in the page's
    order; nothing is saved here."""
    trends = {
        s.kpi_id: s
        for s in KpiSnapshot.objects.filter(kpi__goal__cycle=cycle, segment__isnull=True)
    }
    saved = review.pk is not None
    rows = {r.kpi_id: r for r in review.kpis.select_related("kpi__goal")} if saved else {}
    kpi_rows = []
    for kpi in Kpi.objects.filter(goal__cycle=cycle).select_related("goal"):
        snapshot = trends.get(kpi.pk)
        actual = (
            Decimal(str(round(snapshot.trend, 4)))
            if snapshot and snapshot.trend is not None
            else None
        )
        row = rows.get(kpi.pk) or KpiReview(review=review, kpi=kpi)
        row.baseline, row.planned, row.actual = kpi.baseline, kpi.target, actual
        row.status = snapshot.status if snapshot else ""
        kpi_rows.append(row)
    kpi_rows.sort(key=lambda r: (r.kpi.goal_id, r.kpi_id))
    known = (
        {r.initiative_id: r for r in review.initiatives.select_related("initiative")}
        if saved
        else {}
    )
    defaults = {
        Status.DONE: (InitiativeOutcome.INCONCLUSIVE, InitiativeDecision.DONE),
        Status.STOPPED: (InitiativeOutcome.LOST, InitiativeDecision.STOP),
    }
    initiative_rows = [
        known.get(initiative.pk)
        or InitiativeReview(
            review=review,
            initiative=initiative,
            outcome=defaults.get(initiative.status, (InitiativeOutcome.NOT_FINISHED,))[0],
            decision=defaults.get(initiative.status, (None, InitiativeDecision.CONTINUE))[1],
        )
        for initiative in Initiative.objects.filter(cycle=cycle)
    ]
    initiative_rows.sort(key=lambda r: (r.initiative.starts_on, r.initiative_id))
    return ReviewRows(review=review, kpis=kpi_rows, initiatives=initiative_rows)


def kpi_review_errors(row: KpiReview, decision: str, new_target: Decimal | None) -> str:
    """What is wrong with a KPI's decision, or ""."""
    kpi = row.kpi
    if decision in (KpiDecision.RAISE, KpiDecision.LOWER):
        if new_target is None:
            return _("Give the new target.")
        raised = _better(kpi.direction, new_target, row.planned)
        if decision == KpiDecision.RAISE and not raised:
            return _("A raised target is better than the current one (%(t)s).") % {
                "t": row.planned.normalize()
            }
        if decision == KpiDecision.LOWER and (raised or new_target == row.planned):
            return _("A lowered target is less ambitious than the current one (%(t)s).") % {
                "t": row.planned.normalize()
            }
    return ""


def carried_dates(
    *,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    next_starts_on: datetime.date,
    next_ends_on: datetime.date,
) -> tuple[datetime.date, datetime.date]:
    """The dates a continuing initiative is proposed to run in the next cycle: moved into
    it (starting no earlier than the cycle), ending when it was to end if that is still
    ahead, else after as long as it was planned to take (within the cycle), else with
    the cycle."""
    start = max(starts_on, next_starts_on)
    if ends_on is not None and ends_on >= start:
        return start, ends_on
    if ends_on is not None:
        return start, max(start, min(start + (ends_on - starts_on), next_ends_on))
    return start, next_ends_on


def next_cycle_dates(cycle: Cycle) -> tuple[datetime.date, datetime.date]:
    """The next cycle's dates if this one closed today (or, before it has begun, at its
    planned end)."""
    try:
        plan = close_plan(cycle=cycle)
    except ValidationError:
        plan = close_plan(cycle=cycle, closes_on=cycle.ends_on)
    return plan.next_starts_on, plan.next_ends_on


def initiative_next_dates(row: InitiativeReview) -> tuple[datetime.date, datetime.date]:
    """The row's dates for the next cycle: as the review saved them, else proposed."""
    if row.next_starts_on and row.next_ends_on:
        return row.next_starts_on, row.next_ends_on
    starts, ends = next_cycle_dates(row.review.cycle)
    return carried_dates(
        starts_on=row.initiative.starts_on,
        ends_on=row.initiative.ends_on,
        next_starts_on=starts,
        next_ends_on=ends,
    )


@transaction.atomic
def review_save(
    *,
    review: CycleReview,
    by: AbstractBaseUser,
    what_worked: str,
    what_did_not: str,
    lessons: str,
    kpi_rows: dict[int, dict],
    initiative_rows: dict[int, dict],
    countermeasure: dict | None = None,
    remove: Countermeasure | None = None,
) -> None:
    """Save the whole review, with the countermeasure typed beside it if any (and without
    the one whose Remove was pressed, if any); every row is
    checked first and nothing is saved on an error (a ValidationError keyed by "kpi-<id>"
    or "initiative-<id>"). A continuing initiative
    keeps the dates given for the next cycle; left out, it is moved into the next cycle
    when that starts (carried_dates)."""
    ensure_cycle_open(review.cycle)
    rows = {r.pk: r for r in review.kpis.select_related("kpi")}
    errors = {}
    for pk, values in kpi_rows.items():
        problem = kpi_review_errors(rows[pk], values["decision"], values.get("new_target"))
        if problem:
            errors[f"kpi-{pk}"] = problem
    initiatives = {r.pk: r for r in review.initiatives.filter(pk__in=list(initiative_rows))}
    for pk, values in initiative_rows.items():
        starts, ends = values.get("next_starts_on"), values.get("next_ends_on")
        if values["decision"] != InitiativeDecision.CONTINUE:
            continue
        if (starts is None) != (ends is None):
            errors[f"initiative-{pk}"] = _("Give both dates it runs in the next cycle.")
        elif starts is not None and ends < starts:
            errors[f"initiative-{pk}"] = _("It cannot end before it starts.")
    if errors:
        raise ValidationError(errors)
    for pk, values in kpi_rows.items():
        row = rows[pk]
        row.decision, row.note = values["decision"], values.get("note", "")
        keeps_target = values["decision"] in (KpiDecision.KEEP, KpiDecision.DROP)
        row.new_target = None if keeps_target else values.get("new_target")
        row.save(update_fields=["decision", "new_target", "note"])
    for row in initiatives.values():
        values = initiative_rows[row.pk]
        row.outcome, row.decision = values["outcome"], values["decision"]
        row.note = values.get("note", "")
        row.next_starts_on, row.next_ends_on = None, None
        if row.decision == InitiativeDecision.CONTINUE:
            row.next_starts_on = values.get("next_starts_on")
            row.next_ends_on = values.get("next_ends_on")
        row.save(update_fields=["outcome", "decision", "note", "next_starts_on", "next_ends_on"])
    review.what_worked, review.what_did_not, review.lessons = what_worked, what_did_not, lessons
    review.updated_by = by
    review._history_user = by
    review.save()
    if countermeasure:
        countermeasure_add(review=review, by=by, **countermeasure)
    if remove is not None:
        countermeasure_delete(measure=remove, by=by)
    log.info("cycle_review_saved", cycle=review.cycle_id, by=by.pk)


def countermeasure_add(
    *, review: CycleReview, what: str, who: str, due: datetime.date, by: AbstractBaseUser
) -> Countermeasure:
    ensure_cycle_open(review.cycle)
    measure = Countermeasure(review=review, what=what.strip(), who=who.strip(), due=due)
    measure.full_clean()
    measure.save()
    return measure


def countermeasure_delete(*, measure: Countermeasure, by: AbstractBaseUser) -> None:
    ensure_cycle_open(measure.review.cycle)
    measure.delete()


def _next_targets(review: CycleReview) -> tuple[list[tuple[KpiReview, Decimal, Decimal]], list]:
    """(row, new baseline, new target) of every KPI that goes on, and the problems."""
    carried, problems = [], []
    for row in review.kpis.select_related("kpi"):
        if row.decision == KpiDecision.DROP:
            continue
        baseline = row.actual if row.actual is not None else row.baseline
        target = row.new_target if row.new_target is not None else row.planned
        if not _better(row.kpi.direction, target, baseline):
            problems.append(
                _(
                    "%(kpi)s: the new baseline %(b)s already reaches the target %(t)s; "
                    "raise the target or drop the KPI."
                )
                % {"kpi": row.kpi.name, "b": baseline.normalize(), "t": target.normalize()}
            )
        carried.append((row, baseline, target))
    return carried, problems


@dataclass(frozen=True)
class ClosePlan:
    """What closing an open cycle on a given day does: it ends that day, and the next
    starts the day after for as long as this one was planned to run."""

    number: int
    closes_on: datetime.date
    planned_ends_on: datetime.date
    next_number: int
    next_starts_on: datetime.date
    next_ends_on: datetime.date

    @property
    def days_early(self) -> int:
        """Days before the planned end (negative: after it)."""
        return (self.planned_ends_on - self.closes_on).days

    @property
    def days_late(self) -> int:
        return max(0, -self.days_early)


def close_plan(*, cycle: Cycle, closes_on: datetime.date | None = None) -> ClosePlan:
    """The plan for closing `cycle` on `closes_on` (default today). A cycle cannot close
    before the day it starts."""
    closes_on = closes_on or timezone.localdate()
    if closes_on < cycle.starts_on:
        raise ValidationError(
            _("Cycle %(n)s starts on %(d)s; it can be closed from that day on.")
            % {"n": cycle.number, "d": date_format(cycle.starts_on, "DATE_FORMAT")}
        )
    starts = closes_on + datetime.timedelta(days=1)
    return ClosePlan(
        number=cycle.number,
        closes_on=closes_on,
        planned_ends_on=cycle.ends_on,
        next_number=cycle.number + 1,
        next_starts_on=starts,
        next_ends_on=starts + (cycle.ends_on - cycle.starts_on),
    )


def cycle_start_next(
    *, cycle: Cycle, by: AbstractBaseUser, closes_on: datetime.date | None = None
) -> Cycle:
    """Close the cycle on `closes_on` (default today): it ends that day, its planned end
    is kept, and the next opens the day after for as long as this one was planned to run,
    seeded from the review. Starting twice (a double click, two tabs) gives the one next
    cycle: the second call finds the cycle closed and returns the cycle its review
    started."""
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if not locked.is_open:
            following = Cycle.objects.filter(previous=locked).first()
            if following is not None:
                return following
            ensure_cycle_open(locked)
        review = CycleReview.objects.filter(cycle=locked).first()
        if review is None or review.updated_by_id is None:
            raise ValidationError(_("Write and save the review before starting the next cycle."))
        _rows_save(locked, review)  # KPIs or initiatives added since it was last opened
        carried, problems = _next_targets(review)
        if problems:
            raise ValidationError(problems)
        plan = close_plan(cycle=locked, closes_on=closes_on)
        today = timezone.localdate()
        if plan.closes_on > today:
            raise ValidationError(_("A cycle cannot be closed on a day still to come."))
        locked.closed_at = (
            timezone.now()
            if plan.closes_on == today  # else the end of that day (the demo's history)
            else timezone.make_aware(datetime.datetime.combine(plan.closes_on, datetime.time(23)))
        )
        locked.planned_ends_on, locked.ends_on = locked.ends_on, plan.closes_on
        locked.save(update_fields=["closed_at", "planned_ends_on", "ends_on"])
        following = Cycle(
            program=locked.program,
            number=plan.next_number,
            starts_on=plan.next_starts_on,
            ends_on=plan.next_ends_on,
            phase=Phase.WHERE_ARE_WE,
            previous=locked,
        )
        following.full_clean(validate_constraints=False)
        following.save()
        kpi_map = goals_carry_forward(
            old_cycle=locked,
            new_cycle=following,
            continuing=[(row.kpi, baseline, target) for row, baseline, target in carried],
            by=by,
        )
        _carry_plan(review, following, kpi_map, by)
    log.info("cycle_started", program=cycle.program_id, cycle=following.pk, by=by.pk)
    return following


def _carry_plan(review: CycleReview, new: Cycle, kpi_map: dict, by: AbstractBaseUser) -> None:
    """Initiatives to continue (linked to the ones they were, with the dates the review
    gave them, or moved into the new cycle), the blueprints as a new version, and the
    assessment from the last answers."""

    continuing = []
    for row in review.initiatives.filter(decision=InitiativeDecision.CONTINUE).select_related(
        "initiative"
    ):
        if row.next_starts_on and row.next_ends_on:
            starts_on, ends_on = row.next_starts_on, row.next_ends_on
        else:  # not saved with the review's dates: its old dates moved into the new cycle
            starts_on, ends_on = carried_dates(
                starts_on=row.initiative.starts_on,
                ends_on=row.initiative.ends_on,
                next_starts_on=new.starts_on,
                next_ends_on=new.ends_on,
            )
        continuing.append((row.initiative, starts_on, ends_on))
    initiatives_carry_forward(continuing=continuing, new_cycle=new, kpi_map=kpi_map, by=by)
    blueprints_carry_forward(old_cycle=review.cycle, new_cycle=new, kpi_map=kpi_map, by=by)

    if Assessment.objects.filter(cycle__program=new.program).exists():
        assessment_copy_previous(cycle=new, by=by)  # the manager confirms what still holds


def cycles_mark_ready(*, today: datetime.date | None = None) -> list[Cycle]:
    """Mark open cycles ready for review: their end date has passed, or every KPI has
    results through its target date. Each cycle's managers (and admins) are e-mailed once;
    running this again marks and sends nothing new. Returns the cycles newly marked."""
    from django.conf import settings
    from django.db.models import Max, Q
    from django.urls import reverse

    today = today or timezone.localdate()
    waiting = Cycle.objects.filter(closed_at__isnull=True, ready_at__isnull=True)
    per_kpi = (
        Kpi.objects.filter(goal__cycle__in=waiting)
        .annotate(last=Max("measurements__period_start"))
        .values_list("goal__cycle_id", "target_date", "last")
    )
    kpis_of: dict[int, list[bool]] = {}
    for cycle_id, target_date, last in per_kpi:
        kpis_of.setdefault(cycle_id, []).append(last is not None and last >= target_date)
    done = {cycle_id for cycle_id, through in kpis_of.items() if all(through)}
    ready = list(waiting.filter(Q(ends_on__lt=today) | Q(pk__in=done)).select_related("program"))
    now = timezone.now()
    Cycle.objects.filter(pk__in=[c.pk for c in ready], ready_at__isnull=True).update(ready_at=now)
    for cycle in ready:
        # Claimed before it is sent: two runs at once send one e-mail.
        if not Cycle.objects.filter(pk=cycle.pk, ready_notified_at__isnull=True).update(
            ready_notified_at=now
        ):
            continue
        by_language = emails_by_language(
            Membership.objects.filter(
                organization_id=cycle.program.organization_id,
                role__in=[Role.MANAGER, Role.ADMIN],
            )
        )
        url = settings.FOURFOLD_BASE_URL + reverse("cycles:review", kwargs={"pk": cycle.program_id})
        notified = mail_in_their_languages(
            by_language,
            subject=lambda cycle=cycle: (
                _("%(program)s: cycle %(n)s is ready for its review")
                % {"program": cycle.program.name, "n": cycle.number}
            ),
            template="programs/email/ready_for_review.txt",
            context={"cycle": cycle, "url": url, "ended": cycle.ends_on < today},
        )
        log.info("cycle_ready_for_review", cycle=cycle.pk, notified=notified)
    return ready
