"""The rules of question 1 as plain functions: no Django, plain inputs, easy to test.

- when a measurement driver is not to be trusted,
- which gaps the assessment implies, and how regenerating them treats existing ones,
- how complete the answer to "Where are we?" is.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from programs.completeness import Completeness
from programs.messages import Message, _

LOW_SCORE = 2  # a dimension scored at or below this is a gap


def driver_flags(
    *, validated_on: datetime.date | None, change_dates: Iterable[datetime.date]
) -> list[Message]:
    """Why a driver is not trusted; empty when it is.

    A driver is trusted once validated, until a known change (tool switch, new definition,
    calendar change, outage) dated after that validation breaks comparability again.
    """
    if validated_on is None:
        return [Message(_("not validated yet"))]
    later = sorted(d for d in change_dates if d > validated_on)
    if later:
        return [
            Message(
                _("changed on %(day)s, after its last validation"), {"day": later[-1].isoformat()}
            )
        ]
    return []


@dataclass(frozen=True)
class GapCause:
    origin_key: str  # "dimension:7" or "driver:3"
    title: Message  # written in the language of whoever regenerates the list
    priority: str  # "high", "medium", "low"


@dataclass(frozen=True)
class ExistingGap:
    origin_key: str
    edited: bool


@dataclass
class GapPlan:
    create: list[GapCause] = field(default_factory=list)
    update: list[GapCause] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)


def gap_causes(
    *, scores: Mapping[int, tuple[str, int | None]], untrusted_drivers: Mapping[int, str]
) -> list[GapCause]:
    """The gaps the assessment implies: each dimension scored 1-2, each untrusted driver.

    `scores` maps dimension id → (name, score or None); `untrusted_drivers` driver id → name.
    """
    causes = [
        GapCause(
            origin_key=f"dimension:{dimension_id}",
            title=Message(
                _("Raise %(name)s maturity (scored %(score)s of 5)"), {"name": name, "score": score}
            ),
            priority="high" if score == 1 else "medium",
        )
        for dimension_id, (name, score) in scores.items()
        if score is not None and score <= LOW_SCORE
    ]
    causes += [
        GapCause(
            origin_key=f"driver:{driver_id}",
            title=Message(_("Validate the measurement driver “%(name)s”"), {"name": name}),
            priority="medium",
        )
        for driver_id, name in untrusted_drivers.items()
    ]
    return causes


def plan_gaps(*, causes: Iterable[GapCause], existing: Iterable[ExistingGap]) -> GapPlan:
    """What regenerating the gap list does.

    A cause without a gap gets one; a gap nobody edited follows its cause (new title and
    priority) or goes when the cause is gone; a gap a person edited is never touched.
    Running the plan twice in a row changes nothing the second time.
    """
    by_key = {gap.origin_key: gap for gap in existing}
    plan = GapPlan()
    wanted = set()
    for cause in causes:
        wanted.add(cause.origin_key)
        gap = by_key.get(cause.origin_key)
        if gap is None:
            plan.create.append(cause)
        elif not gap.edited:
            plan.update.append(cause)
    plan.delete = sorted(key for key, gap in by_key.items() if key not in wanted and not gap.edited)
    return plan


def assessment_completeness(
    *,
    unscored_dimensions: Iterable[str],
    dimensions_total: int,
    drivers_total: int,
    drivers_untrusted: int,
    unconfirmed_dimensions: Iterable[str] = (),
) -> Completeness:
    """How much of "Where are we?" is answered.

    One step per active dimension (scored, and confirmed when carried over from the cycle
    before), one for having recorded the measures the business runs on, one for having
    validated all of them.
    """
    unscored = tuple(unscored_dimensions)
    unconfirmed = tuple(unconfirmed_dimensions)
    missing = [Message(_("Score %(name)s"), {"name": name}) for name in unscored]
    missing += [
        Message(_("Confirm or change %(name)s (carried over)"), {"name": name})
        for name in unconfirmed
    ]
    done = dimensions_total - len(unscored) - len(unconfirmed)
    if drivers_total:
        done += 1
    else:
        missing.append(Message(_("Record at least one measurement driver")))
    if drivers_total and not drivers_untrusted:
        done += 1
    elif drivers_total:
        template = (
            _("Validate %(n)s measurement driver")
            if drivers_untrusted == 1
            else _("Validate %(n)s measurement drivers")
        )
        missing.append(Message(template, {"n": drivers_untrusted}))
    else:
        missing.append(Message(_("Validate the measurement drivers")))
    return Completeness(done=done, total=dimensions_total + 2, missing=tuple(missing))
