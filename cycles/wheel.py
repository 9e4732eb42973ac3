"""The four questions of a cycle, as the program home's wheel shows them.

Plain data, no Django models: the text that explains each question, where it sits in
Plan-Do-Check-Act, and its state in a given cycle.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from programs.models import Phase


@dataclass(frozen=True)
class Question:
    phase: Phase
    number: int
    pdca: str
    summary: str
    parts: tuple[str, ...]
    url_name: str = "cycles:question"  # the question's own page, once it has one


QUESTIONS: tuple[Question, ...] = (
    Question(
        phase=Phase.WHERE_ARE_WE,
        number=1,
        pdca=_("Check the present"),
        url_name="assessments:summary",
        summary=_("Assess the program's maturity and the measures the business runs on."),
        parts=(
            _("Maturity per dimension, with evidence and the opportunity it suggests"),
            _("Measurement drivers: definitions, sources, owners, breaks in comparability"),
            _("Initiatives already in flight"),
            _("The gap list: what must be implemented or revamped"),
        ),
    ),
    Question(
        phase=Phase.WHERE_ARE_WE_GOING,
        number=2,
        pdca=_("Plan the target"),
        url_name="kpis:summary",
        summary=_("Set goals with KPIs, baselines and targets, and the ROI you accept."),
        parts=(
            _("Goals, each with KPIs: baseline, target, direction, date"),
            _("The ROI target: investment and expected incremental return"),
            _("Segments the goals target"),
            _("Answers to the strategic questions"),
        ),
    ),
    Question(
        phase=Phase.HOW_DO_WE_GET_THERE,
        number=3,
        pdca=_("Do"),
        url_name="initiatives:map",
        summary=_("Plan initiatives across departments and channels, and the blueprint."),
        parts=(
            _("Initiatives: owners, channels, dates, cost, expected effects"),
            _("The initiative map and its collisions"),
            _("The personalization blueprint: stages, offers, conditions, propensity"),
        ),
    ),
    Question(
        phase=Phase.ARE_WE_GETTING_CLOSER,
        number=4,
        pdca=_("Check progress, then act"),
        url_name="results:sources",
        summary=_("Load results, follow KPIs against their targets, and review the cycle."),
        parts=(
            _("Result sources and their pulls"),
            _("Progress per KPI, lift of personalized against control, realized ROI"),
            _("The cycle review, which starts the next cycle"),
        ),
    ),
)

QUESTIONS_BY_PHASE = {question.phase.value: question for question in QUESTIONS}


@dataclass(frozen=True)
class WheelQuadrant:
    question: Question
    state: str  # "done", "current", "upcoming", or "ended" (where a closed cycle stopped)
    completeness: int | None  # percent, for questions that measure it


def wheel(
    *, phase: str, is_open: bool, completeness: dict[str, int] | None = None
) -> list[WheelQuadrant]:
    """Each question's state in a cycle at `phase`. A closed cycle has answered them all;
    the question it was at when it closed is marked "ended"."""
    completeness = completeness or {}
    current = Phase.values.index(phase)
    quadrants = []
    for index, question in enumerate(QUESTIONS):
        if not is_open:
            state = "ended" if index == current else "done"
        elif index < current:
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "upcoming"
        quadrants.append(
            WheelQuadrant(
                question=question,
                state=state,
                completeness=completeness.get(question.phase.value),
            )
        )
    return quadrants
