"""Reads of question 2, shaped for its pages, in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from kpis.models import Goal, Kpi, RoiTarget, StrategicAnswer, StrategicQuestion
from programs.completeness import Completeness
from programs.models import Cycle


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


def kpi_of(*, program, pk: int) -> Kpi:
    """One KPI of the program (any of its cycles), or 404."""
    return get_object_or_404(
        Kpi.objects.select_related("goal__cycle", "driver"), pk=pk, goal__cycle__program=program
    )


def roi_target(*, cycle: Cycle) -> RoiTarget | None:
    return RoiTarget.objects.filter(cycle=cycle).select_related("attribution_kpi").first()


@dataclass
class StrategicRow:
    question: StrategicQuestion
    answer: StrategicAnswer | None


def strategic_rows(*, cycle: Cycle) -> list[StrategicRow]:
    answers = {a.question: a for a in cycle.strategic_answers.select_related("updated_by")}
    return [StrategicRow(question=q, answer=answers.get(q.value)) for q in StrategicQuestion]


_UNKNOWN = object()


def completeness(*, cycle: Cycle, goals=None, roi=_UNKNOWN, rows=None) -> Completeness:
    """Goals set, every goal with a KPI, the ROI target, the eight strategic answers."""
    goals = goals_with_kpis(cycle=cycle) if goals is None else goals
    roi = roi_target(cycle=cycle) if roi is _UNKNOWN else roi
    rows = strategic_rows(cycle=cycle) if rows is None else rows
    missing = []
    if not goals:
        missing.append(_("Set at least one goal"))
    without = [g.title for g in goals if not g.kpi_list]
    if without:
        missing.append(_("Give every goal a KPI (%(goals)s)") % {"goals": ", ".join(without)})
    elif not goals:
        missing.append(_("Give every goal a KPI"))
    if roi is None:
        missing.append(_("Set the ROI target"))
    unanswered = [r for r in rows if not (r.answer and r.answer.is_answered)]
    missing += [_("Answer: %(question)s") % {"question": r.question.label} for r in unanswered]
    total = 3 + len(rows)
    return Completeness(done=total - len(missing), total=total, missing=tuple(missing))
