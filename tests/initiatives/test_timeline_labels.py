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
