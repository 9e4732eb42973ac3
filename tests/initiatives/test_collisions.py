"""The collision module, with plain data."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from initiatives.collisions import PlannedInitiative, find_collisions, overlap

D = datetime.date


def plan(id, start, end, channels=(), stages=(), effects=(), significant=True):
    return PlannedInitiative(
        id=id,
        name=f"I{id}",
        starts_on=start,
        ends_on=end,
        channels=frozenset(channels),
        stages=frozenset(stages),
        effects=frozenset(effects),
        significant=significant,
    )


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # Touching: one ends the day before the other starts.
        ((D(2026, 1, 1), D(2026, 1, 10)), (D(2026, 1, 11), D(2026, 1, 20)), None),
        # A one-day overlap.
        (
            (D(2026, 1, 1), D(2026, 1, 10)),
            (D(2026, 1, 10), D(2026, 1, 20)),
            (D(2026, 1, 10), D(2026, 1, 10)),
        ),
        # One inside the other.
        (
            (D(2026, 1, 1), D(2026, 3, 1)),
            (D(2026, 1, 5), D(2026, 1, 6)),
            (D(2026, 1, 5), D(2026, 1, 6)),
        ),
        # Open-ended meets a later one.
        ((D(2026, 1, 1), None), (D(2027, 5, 1), D(2027, 6, 1)), (D(2027, 5, 1), D(2027, 6, 1))),
        # Two open-ended ones overlap from the later start on.
        ((D(2026, 1, 1), None), (D(2026, 2, 1), None), (D(2026, 2, 1), datetime.date.max)),
        # An open-ended one that starts after the other ended.
        ((D(2026, 3, 1), None), (D(2026, 1, 1), D(2026, 2, 28)), None),
    ],
)
def test_overlap(a, b, expected):
    assert overlap(plan(1, *a), plan(2, *b)) == expected


def kinds(collisions):
    return sorted((c.kind, c.initiative_ids, c.subject) for c in collisions)


def test_same_channel_in_overlapping_dates_is_interference():
    found = find_collisions(
        [
            plan(1, D(2026, 1, 1), D(2026, 1, 31), ["Website"]),
            plan(2, D(2026, 1, 20), D(2026, 2, 28), ["Website", "E-mail"]),
        ]
    )
    assert kinds(found) == [("interference", (1, 2), "Website")]
    (collision,) = found
    assert (collision.starts_on, collision.ends_on) == (D(2026, 1, 20), D(2026, 1, 31))
    assert "“I1” and “I2” both change Website 2026-01-20 to 2026-01-31" in collision.why


def test_same_stage_on_different_channels_is_interference():
    found = find_collisions(
        [
            plan(1, D(2026, 1, 1), D(2026, 1, 31), ["Website"], ["Purchase"]),
            plan(2, D(2026, 1, 1), D(2026, 1, 31), ["E-mail"], ["Purchase", "Loyalty"]),
        ]
    )
    assert kinds(found) == [("interference", (1, 2), "stage Purchase")]


def test_touching_dates_do_not_collide():
    assert (
        find_collisions(
            [
                plan(1, D(2026, 1, 1), D(2026, 1, 10), ["Website"]),
                plan(2, D(2026, 1, 11), None, ["Website"]),
            ]
        )
        == []
    )


def test_opposite_effects_on_one_kpi_are_cross_purposes():
    found = find_collisions(
        [
            plan(
                1, D(2026, 1, 1), D(2026, 1, 31), effects=[("Conversion rate", "up"), ("AOV", "up")]
            ),
            plan(2, D(2026, 1, 15), None, effects=[("Conversion rate", "down"), ("AOV", "up")]),
        ]
    )
    assert kinds(found) == [("cross_purposes", (1, 2), "Conversion rate")]
    assert found[0].ends_on == D(2026, 1, 31)


def test_overload_counts_only_significant_initiatives_and_names_the_stretch():
    website = ["Website"]
    found = find_collisions(
        [
            plan(1, D(2026, 1, 1), D(2026, 1, 31), website),
            plan(2, D(2026, 1, 10), D(2026, 2, 15), website),
            plan(3, D(2026, 1, 20), D(2026, 1, 25), website),
            plan(4, D(2026, 1, 1), D(2026, 12, 31), website, significant=False),
        ],
        overload_limit=2,
    )
    (overload,) = [c for c in found if c.kind == "overload"]
    assert overload.initiative_ids == (1, 2, 3)
    assert (overload.starts_on, overload.ends_on) == (D(2026, 1, 20), D(2026, 1, 25))
    assert overload.subject == "Website"


def test_overload_limit_is_per_organization():
    plans = [plan(i, D(2026, 1, 1), D(2026, 1, 31), ["Website"]) for i in range(1, 4)]
    assert not [c for c in find_collisions(plans, overload_limit=3) if c.kind == "overload"]
    assert [c for c in find_collisions(plans, overload_limit=2) if c.kind == "overload"]


def test_open_ended_overload_has_no_end():
    plans = [plan(i, D(2026, 1, i), None, ["Store"]) for i in range(1, 4)]
    (overload,) = [c for c in find_collisions(plans, overload_limit=2) if c.kind == "overload"]
    assert (overload.starts_on, overload.ends_on) == (D(2026, 1, 3), None)


dates = st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31))
plans_strategy = st.lists(
    st.tuples(
        dates,
        st.one_of(st.none(), st.integers(0, 120)),
        st.sets(st.sampled_from(["Website", "E-mail", "App"]), max_size=2),
        st.sets(st.sampled_from(["Discover", "Purchase"]), max_size=1),
        st.sets(
            st.tuples(st.sampled_from(["CR", "AOV"]), st.sampled_from(["up", "down"])), max_size=2
        ),
    ),
    max_size=7,
).map(
    lambda rows: [
        plan(
            i, start, None if days is None else start + datetime.timedelta(days=days), ch, stg, eff
        )
        for i, (start, days, ch, stg, eff) in enumerate(rows, start=1)
    ]
)


@given(plans=plans_strategy)
def test_collisions_never_pair_an_initiative_with_itself(plans):
    for collision in find_collisions(plans):
        assert len(set(collision.initiative_ids)) == len(collision.initiative_ids) >= 2


@given(plans=plans_strategy)
def test_collisions_are_symmetric_and_independent_of_order(plans):
    forward = find_collisions(plans)
    backward = find_collisions(list(reversed(plans)))
    assert sorted(c.key for c in forward) == sorted(c.key for c in backward)
    for collision in forward:
        assert list(collision.initiative_ids) == sorted(collision.initiative_ids)
        if collision.kind != "overload":
            a, b = (next(p for p in plans if p.id == i) for i in collision.initiative_ids)
            assert overlap(a, b) == overlap(b, a) is not None


@given(plans=plans_strategy)
def test_keys_are_unique(plans):
    keys = [c.key for c in find_collisions(plans)]
    assert len(keys) == len(set(keys))


def test_a_collision_is_over_only_once_every_initiative_in_it_has_ended():
    d = datetime.date
    a = plan(1, d(2026, 11, 1), d(2026, 11, 20), channels=["Website"])
    b = plan(2, d(2026, 11, 10), d(2026, 11, 30), channels=["Website"])
    c = plan(3, d(2026, 11, 15), None, channels=["Website"])
    pair = next(x for x in find_collisions([a, b]) if x.kind == "interference")
    assert pair.members_end_on == d(2026, 11, 30)
    assert not pair.is_over(d(2026, 11, 30)) and pair.is_over(d(2026, 12, 1))
    with_open_ended = find_collisions([a, c])[0]
    assert with_open_ended.members_end_on is None
    assert not with_open_ended.is_over(d(2030, 1, 1))
    (overload,) = [x for x in find_collisions([a, b, c], overload_limit=2) if x.kind == "overload"]
    assert not overload.is_over(d(2030, 1, 1))  # c runs on
