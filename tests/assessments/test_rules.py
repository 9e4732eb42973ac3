"""The plain rules of question 1: driver trust, gap generation, completeness."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.rules import (
    ExistingGap,
    GapCause,
    assessment_completeness,
    driver_flags,
    gap_causes,
    plan_gaps,
)

D = datetime.date


@pytest.mark.parametrize(
    ("validated_on", "changes", "flagged"),
    [
        (None, [], True),
        (None, [D(2026, 1, 1)], True),
        (D(2026, 3, 1), [], False),
        (D(2026, 3, 1), [D(2026, 2, 1)], False),  # change before validation: checked
        (D(2026, 3, 1), [D(2026, 3, 1)], False),  # validated the same day as the change
        (D(2026, 3, 1), [D(2026, 3, 2)], True),  # a change after validation
        (D(2026, 3, 1), [D(2026, 1, 1), D(2026, 4, 1)], True),
    ],
)
def test_driver_flags(validated_on, changes, flagged):
    assert bool(driver_flags(validated_on=validated_on, change_dates=changes)) is flagged


def test_driver_flag_names_the_latest_change():
    flags = driver_flags(validated_on=D(2026, 1, 1), change_dates=[D(2026, 2, 1), D(2026, 5, 4)])
    assert flags == ["changed on 2026-05-04, after its last validation"]


def test_gap_causes_are_low_scores_and_untrusted_drivers():
    causes = gap_causes(
        scores={1: ("Data", 1), 2: ("Process", 2), 3: ("Culture", 3), 4: ("Tech", None)},
        untrusted_drivers={9: "Revenue"},
    )
    assert [(c.origin_key, c.priority) for c in causes] == [
        ("dimension:1", "high"),
        ("dimension:2", "medium"),
        ("driver:9", "medium"),
    ]
    assert causes[0].title == "Raise Data maturity (scored 1 of 5)"


def cause(key):
    return GapCause(origin_key=key, title=key, priority="medium")


def test_plan_creates_missing_gaps_and_removes_unedited_ones_whose_cause_is_gone():
    plan = plan_gaps(
        causes=[cause("dimension:1"), cause("driver:2")],
        existing=[
            ExistingGap("dimension:1", edited=False),
            ExistingGap("dimension:5", edited=False),
            ExistingGap("dimension:6", edited=True),
        ],
    )
    assert [c.origin_key for c in plan.create] == ["driver:2"]
    assert [c.origin_key for c in plan.update] == ["dimension:1"]
    assert plan.delete == ["dimension:5"]


def test_plan_never_touches_an_edited_gap():
    plan = plan_gaps(causes=[cause("dimension:1")], existing=[ExistingGap("dimension:1", True)])
    assert (plan.create, plan.update, plan.delete) == ([], [], [])


keys = st.sampled_from([f"dimension:{n}" for n in range(6)] + [f"driver:{n}" for n in range(4)])


@given(
    wanted=st.sets(keys),
    existing=st.dictionaries(keys, st.booleans()),
)
def test_applying_a_plan_then_planning_again_changes_nothing(wanted, existing):
    causes = [cause(k) for k in sorted(wanted)]
    before = [ExistingGap(k, edited) for k, edited in existing.items()]
    plan = plan_gaps(causes=causes, existing=before)

    after = {g.origin_key: g.edited for g in before if g.origin_key not in plan.delete}
    after |= {c.origin_key: False for c in plan.create}
    second = plan_gaps(causes=causes, existing=[ExistingGap(k, e) for k, e in after.items()])

    assert second.create == [] and second.delete == []
    assert {k for k, edited in existing.items() if edited} <= set(after)  # edits survive
    assert wanted <= set(after)  # every cause has its gap


def test_completeness_counts_dimensions_and_drivers():
    empty = assessment_completeness(
        unscored_dimensions=["A", "B"], dimensions_total=2, drivers_total=0, drivers_untrusted=0
    )
    assert (empty.done, empty.total, empty.percent) == (0, 4, 0)
    assert empty.missing == (
        "Score A",
        "Score B",
        "Record at least one measurement driver",
        "Validate the measurement drivers",
    )
    half = assessment_completeness(
        unscored_dimensions=["B"], dimensions_total=2, drivers_total=2, drivers_untrusted=1
    )
    assert (half.done, half.percent) == (2, 50)
    full = assessment_completeness(
        unscored_dimensions=[], dimensions_total=2, drivers_total=2, drivers_untrusted=0
    )
    assert (full.percent, full.missing) == (100, ())
