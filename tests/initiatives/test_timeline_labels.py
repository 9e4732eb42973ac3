"""Issue 18, item 16: the timeline's "cycle start", "cycle end" and "today" labels sit
above the bars, not over the first one, and "today" never covers a cycle label."""

import datetime

import pytest

from initiatives import charts
from tests.initiatives.test_plan import make
from tests.initiatives.test_stale_plans import plan  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def test_the_timeline_labels_sit_above_the_bars(plan):  # noqa: F811
    cycle = plan.program.cycles.get()
    make(plan, "Hero", cycle.starts_on, None, [plan.website])
    figure = charts.timeline(
        initiatives=list(cycle.initiatives.all()),
        cycle_start=cycle.starts_on,
        cycle_end=cycle.ends_on,
        today=cycle.starts_on + datetime.timedelta(days=1),  # right beside "cycle start"
    )
    labels = {a["text"]: a for a in figure["layout"]["annotations"]}
    for label in labels.values():
        # Anchored at its bottom on the top edge of the plot: all of it is above the bars.
        assert label["yref"] == "paper" and label["y"] >= 1 and label["yanchor"] == "bottom"
    assert labels["today"]["yshift"] > labels["cycle start"]["yshift"]
    rows_of_labels = 2
    assert figure["layout"]["margin"]["t"] >= 15 * rows_of_labels + 14


def lines_and_labels(figure) -> tuple[list[str], list[str]]:
    layout = figure["layout"]
    return [s["x0"] for s in layout["shapes"]], [a["text"] for a in layout["annotations"]]


def test_a_closed_cycle_draws_no_today_line_far_right_of_it(plan):  # noqa: F811
    """Issue 18, item 18: a cycle that ended months ago still drew "today" beyond it."""
    cycle = plan.program.cycles.get()
    make(plan, "Hero", cycle.starts_on, cycle.ends_on, [plan.website])
    today = cycle.ends_on + datetime.timedelta(days=200)
    figure = charts.timeline(
        initiatives=list(cycle.initiatives.all()),
        cycle_start=cycle.starts_on,
        cycle_end=cycle.ends_on,
        today=today,
    )
    lines, labels = lines_and_labels(figure)
    assert "today" not in labels and today.isoformat() not in lines
    assert labels == ["cycle start", "cycle end"]


def test_today_is_drawn_while_it_lies_within_the_cycle_or_its_bars(plan):  # noqa: F811
    cycle = plan.program.cycles.get()
    late_end = cycle.ends_on + datetime.timedelta(days=30)  # a bar that runs past the cycle
    make(plan, "Hero", cycle.starts_on, late_end, [plan.website])
    for today in (cycle.starts_on, cycle.ends_on, late_end - datetime.timedelta(days=1)):
        figure = charts.timeline(
            initiatives=list(cycle.initiatives.all()),
            cycle_start=cycle.starts_on,
            cycle_end=cycle.ends_on,
            today=today,
        )
        lines, labels = lines_and_labels(figure)
        assert "today" in labels and today.isoformat() in lines
