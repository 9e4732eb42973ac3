"""Writes of question 1. Each keeps the gap list of the open cycle in step."""

import datetime

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import rules
from assessments.defaults import DEFAULT_DIMENSIONS
from assessments.models import (
    CALENDAR_ARROW,
    Assessment,
    ChangeKind,
    Dimension,
    DriverChange,
    DriverValidation,
    Gap,
    GapSource,
    GapStatus,
    MaturityScore,
    MeasurementDriver,
)
from programs.models import Cycle, Organization, Program
from programs.services import ensure_cycle_open

log = structlog.get_logger(__name__)


# --- Dimensions -----------------------------------------------------------------------


def dimensions_ensure_defaults(*, organization: Organization) -> None:
    """Give an organization the default dimensions, once (it may edit them after)."""
    if organization.dimensions.exists():
        return
    Dimension.objects.bulk_create(
        [
            Dimension(
                organization=organization,
                name=str(name),
                rubric_low=str(low),
                rubric_high=str(high),
                position=index,
            )
            for index, (name, low, high) in enumerate(DEFAULT_DIMENSIONS)
        ],
        ignore_conflicts=True,
    )


def dimension_save(
    *,
    organization: Organization,
    name: str,
    rubric_low: str,
    rubric_high: str,
    dimension: Dimension | None = None,
    by: AbstractBaseUser,
) -> Dimension:
    """Add a dimension, or rename / re-describe one. Old scores keep pointing at it."""
    if dimension is None:
        last = organization.dimensions.aggregate(m=Max("position"))["m"]
        dimension = Dimension(organization=organization, position=(last or 0) + 1)
    dimension.name = name.strip()
    dimension.rubric_low = rubric_low
    dimension.rubric_high = rubric_high
    dimension.full_clean()
    dimension.save()
    log.info("dimension_saved", dimension=dimension.pk, by=by.pk)
    return dimension


def dimension_set_retired(*, dimension: Dimension, retired: bool, by: AbstractBaseUser) -> None:
    dimension.retired_at = timezone.now() if retired else None
    dimension.save(update_fields=["retired_at"])
    log.info("dimension_retired" if retired else "dimension_restored", dimension=dimension.pk)


# --- Maturity -------------------------------------------------------------------------


@transaction.atomic
def maturity_score_save(
    *,
    cycle: Cycle,
    dimension: Dimension,
    score: int | None,
    evidence: str,
    opportunity: str,
    by: AbstractBaseUser,
) -> MaturityScore:
    """Save one dimension's answer as it is typed; the gap list follows the score.

    Most saves are keystrokes in the evidence or opportunity text: they leave the score, and
    so the gap list, as it was, and skip regenerating it (and its lock on the assessment)."""
    ensure_cycle_open(cycle)
    if dimension.organization_id != cycle.program.organization_id or not dimension.is_active:
        raise ValidationError(_("This dimension is not part of the assessment."))
    assessment, _created = Assessment.objects.get_or_create(cycle=cycle)
    # get_or_create survives two first saves at once (two tabs): the second finds the first.
    answer, created = MaturityScore.objects.get_or_create(
        assessment=assessment, dimension=dimension
    )
    score_changed = created or answer.score != score
    answer.score, answer.evidence, answer.opportunity = score, evidence, opportunity
    answer.updated_by = by
    answer.confirmed = True  # changing a carried answer makes it this person's answer
    answer.full_clean(validate_constraints=False)
    answer._history_user = by
    answer.save()
    if score_changed:
        gaps_regenerate(cycle=cycle)
    return answer


@transaction.atomic
def assessment_copy_previous(*, cycle: Cycle, by: AbstractBaseUser) -> int:
    """Start this cycle's assessment from the last cycle's answers; returns how many.

    Answers already given in this cycle are kept. Retired dimensions are not copied. The
    copies wait for confirmation (`confirmed=False`) and keep who gave them and when: the
    person starting the cycle has not answered anything yet.
    """
    ensure_cycle_open(cycle)
    previous = (
        Assessment.objects.filter(cycle__program=cycle.program, cycle__number__lt=cycle.number)
        .order_by("-cycle__number")
        .first()
    )
    if previous is None:
        raise ValidationError(_("There is no earlier assessment to start from."))
    assessment, _created = Assessment.objects.get_or_create(cycle=cycle)
    assessment.copied_from = previous
    assessment.save(update_fields=["copied_from"])
    answered = set(assessment.scores.values_list("dimension_id", flat=True))
    copies = [
        MaturityScore(
            assessment=assessment,
            dimension_id=old.dimension_id,
            score=old.score,
            evidence=old.evidence,
            opportunity=old.opportunity,
            updated_by_id=old.updated_by_id,
            confirmed=False,
        )
        for old in previous.scores.filter(dimension__retired_at__isnull=True)
        if old.dimension_id not in answered
    ]
    given_at = {
        old.dimension_id: old.updated_at for old in previous.scores.only("dimension", "updated_at")
    }
    for copy in copies:
        copy._history_user = by
        copy.save()
        # updated_at is auto_now: put the earlier answer's time back without a new save.
        MaturityScore.objects.filter(pk=copy.pk).update(updated_at=given_at[copy.dimension_id])
    gaps_regenerate(cycle=cycle)
    log.info("assessment_copied", cycle=cycle.pk, source=previous.pk, answers=len(copies))
    return len(copies)


@transaction.atomic
def maturity_scores_confirm(
    *, cycle: Cycle, by: AbstractBaseUser, dimension: Dimension | None = None
) -> int:
    """Confirm carried answers as they stand: one dimension's, or every one still waiting.
    Returns how many were confirmed; the confirmer is now their last change."""
    ensure_cycle_open(cycle)
    waiting = MaturityScore.objects.select_for_update().filter(
        assessment__cycle=cycle, confirmed=False, dimension__retired_at__isnull=True
    )
    if dimension is not None:
        waiting = waiting.filter(dimension=dimension)
    count = 0
    for answer in waiting:
        answer.confirmed, answer.updated_by = True, by
        answer._history_user = by
        answer.save(update_fields=["confirmed", "updated_by", "updated_at"])
        count += 1
    log.info("maturity_scores_confirmed", cycle=cycle.pk, answers=count, by=by.pk)
    return count


# --- Measurement drivers --------------------------------------------------------------


def _open_cycle(program: Program) -> Cycle | None:
    return program.cycles.filter(closed_at__isnull=True).first()


def _after_driver_change(program: Program) -> None:
    cycle = _open_cycle(program)
    if cycle is not None:
        gaps_regenerate(cycle=cycle)


DRIVER_FIELDS = (
    "name",
    "definition",
    "source_system",
    "owner",
    "calendar",
    "frequency",
)


@transaction.atomic
def driver_save(
    *,
    program: Program,
    by: AbstractBaseUser,
    driver: MeasurementDriver | None = None,
    calendar_since: datetime.date | None = None,
    **values,
) -> MeasurementDriver:
    """Create or edit a driver (fields: DRIVER_FIELDS). A change of its reporting calendar
    is recorded as a dated change (`calendar_since`, else today), which the charts of its
    KPIs mark: the periods before and after it are cut differently."""
    driver = driver or MeasurementDriver(program=program)
    stored = MeasurementDriver.objects.filter(pk=driver.pk).values_list("calendar", flat=True)
    was = stored.first() if driver.pk else None  # a form may have changed the instance
    for name in DRIVER_FIELDS:
        setattr(driver, name, values.get(name, getattr(driver, name)))
    driver.name = driver.name.strip()
    driver.updated_by = by
    driver.full_clean()
    driver._history_user = by
    driver.save()
    if was is not None and was != driver.calendar:
        since = calendar_since or timezone.localdate()
        if since > timezone.localdate():
            raise ValidationError({"calendar_since": _("A change cannot be dated in the future.")})
        DriverChange.objects.create(
            driver=driver,
            changed_on=since,
            kind=ChangeKind.CALENDAR_CHANGE,
            description=f"{was}{CALENDAR_ARROW}{driver.calendar}",  # shown in words (.text)
            recorded_by=by,
        )
    _after_driver_change(program)
    log.info("driver_saved", driver=driver.pk, by=by.pk)
    return driver


@transaction.atomic
def driver_delete(*, driver: MeasurementDriver, by: AbstractBaseUser) -> None:
    """Delete a driver, unless a closed cycle's KPIs or gaps name it: a closed cycle is
    kept as it was."""
    # The KPIs measured by it (kpis/ points at drivers; followed back, not imported).
    closed = driver.kpis.filter(goal__cycle__closed_at__isnull=False).exists()
    if closed or driver.gaps.filter(cycle__closed_at__isnull=False).exists():
        raise ValidationError(
            _("Closed cycles refer to this driver, so it stays as part of their record.")
        )
    program = driver.program
    driver._history_user = by
    driver.delete()
    _after_driver_change(program)
    log.info("driver_deleted", program=program.pk, by=by.pk)


@transaction.atomic
def driver_validate(
    *,
    driver: MeasurementDriver,
    by: AbstractBaseUser,
    note: str = "",
    on: datetime.date | None = None,
) -> DriverValidation:
    validation = DriverValidation.objects.create(
        driver=driver, validated_by=by, validated_on=on or timezone.localdate(), note=note
    )
    _after_driver_change(driver.program)
    log.info("driver_validated", driver=driver.pk, by=by.pk)
    return validation


@transaction.atomic
def driver_change_add(
    *,
    driver: MeasurementDriver,
    changed_on: datetime.date,
    kind: str,
    description: str,
    by: AbstractBaseUser,
) -> DriverChange:
    if changed_on > timezone.localdate():
        raise ValidationError({"changed_on": _("A change cannot be dated in the future.")})
    change = DriverChange(
        driver=driver, changed_on=changed_on, kind=kind, description=description, recorded_by=by
    )
    change.full_clean()
    change.save()
    _after_driver_change(driver.program)
    log.info("driver_change_recorded", driver=driver.pk, kind=kind, by=by.pk)
    return change


# --- Gaps -----------------------------------------------------------------------------


@transaction.atomic
def gaps_regenerate(*, cycle: Cycle) -> rules.GapPlan:
    """Bring the generated gaps in line with the assessment (see rules.plan_gaps).

    Regenerations of one cycle take turns on its assessment's row: two answers saved at
    once would otherwise update the same gaps in opposite orders and deadlock."""
    from assessments import selectors

    Assessment.objects.select_for_update().filter(cycle=cycle).first()
    scores = {
        row.dimension.pk: (row.dimension.name, row.answer.score if row.answer else None)
        for row in selectors.assessment_rows(cycle=cycle)
    }
    untrusted = {d.pk: d.name for d in selectors.driver_table(program=cycle.program) if d.flags}
    causes = rules.gap_causes(scores=scores, untrusted_drivers=untrusted)
    existing = [
        rules.ExistingGap(origin_key=key, edited=edited is not None)
        for key, edited in cycle.gaps.exclude(origin_key="").values_list("origin_key", "edited_at")
    ]
    plan = rules.plan_gaps(causes=causes, existing=existing)

    def link(cause: rules.GapCause) -> dict:
        kind, _sep, pk = cause.origin_key.partition(":")
        return {
            "source": GapSource.DIMENSION if kind == "dimension" else GapSource.DRIVER,
            "dimension_id": int(pk) if kind == "dimension" else None,
            "driver_id": int(pk) if kind == "driver" else None,
        }

    with transaction.atomic():
        cycle.gaps.filter(origin_key__in=plan.delete, edited_at__isnull=True).delete()
        for cause in plan.update:
            cycle.gaps.filter(origin_key=cause.origin_key, edited_at__isnull=True).update(
                title=str(cause.title), priority=cause.priority
            )
        Gap.objects.bulk_create(
            [
                Gap(
                    cycle=cycle,
                    origin_key=cause.origin_key,
                    title=str(cause.title),
                    priority=cause.priority,
                    **link(cause),
                )
                for cause in plan.create
            ],
            ignore_conflicts=True,  # a concurrent regeneration made it first: same gap
        )
    return plan


def gap_create(*, cycle: Cycle, title: str, priority: str, by: AbstractBaseUser) -> Gap:
    ensure_cycle_open(cycle)
    gap = Gap(
        cycle=cycle,
        title=title.strip(),
        priority=priority,
        source=GapSource.MANUAL,
        edited_at=timezone.now(),
        edited_by=by,
    )
    gap.full_clean()
    gap._history_user = by
    gap.save()
    return gap


def gap_update(
    *, gap: Gap, title: str, priority: str, status: str, deferred_reason: str, by: AbstractBaseUser
) -> Gap:
    """A person's edit; from now on regeneration leaves this gap alone."""
    ensure_cycle_open(gap.cycle)
    if status == GapStatus.DEFERRED and not deferred_reason.strip():
        raise ValidationError({"deferred_reason": _("Say why the gap is deferred.")})
    gap.title = title.strip()
    gap.priority = priority
    gap.status = status
    gap.deferred_reason = deferred_reason.strip() if status == GapStatus.DEFERRED else ""
    gap.edited_at = timezone.now()
    gap.edited_by = by
    gap.full_clean()
    gap._history_user = by
    gap.save()
    return gap
