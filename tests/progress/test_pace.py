"""Progress, pace, status and projection against hand-computed cases."""

import datetime

import pytest

from progress.pace import Plan, Point, expected_value, progress

D = datetime.date
PLAN = Plan("higher", 2.0, D(2026, 1, 1), 3.0, D(2026, 12, 31))


FLAT_START = D(2026, 6, 24)


def flat(value, start=FLAT_START, days=7):
    return [Point(start + datetime.timedelta(days=n), value) for n in range(days)]


def test_expected_progress_is_a_straight_line_from_baseline_to_target():
    # 2026-07-02 is day 182 of 364: half way, so 2.5 is expected.
    assert expected_value(PLAN, D(2026, 7, 2)) == pytest.approx(2.5)
    assert expected_value(PLAN, D(2025, 1, 1)) == 2.0
    assert expected_value(PLAN, D(2027, 6, 1)) == 3.0


def test_period_targets_replace_the_line_for_their_days_only():
    week = (D(2026, 6, 29), D(2026, 7, 5), 2.2)  # ISO week 27
    plan = Plan("higher", 2.0, D(2026, 1, 1), 3.0, D(2026, 12, 31), (week,))
    assert expected_value(plan, D(2026, 6, 29)) == 2.2
    assert expected_value(plan, D(2026, 7, 5)) == 2.2
    assert expected_value(plan, D(2026, 7, 6)) == expected_value(PLAN, D(2026, 7, 6))


@pytest.mark.parametrize(
    ("value", "status", "progress_pct", "pace"),
    [
        # Expected 2.5 (50%) on 2026-07-02.
        (2.5, "on_track", 50.0, 1.0),
        (2.48, "on_track", 48.0, 0.96),
        (2.45, "behind", 45.0, 0.90),
        (2.40, "at_risk", 40.0, 0.80),
        (1.9, "at_risk", -10.0, -0.2),
        (3.1, "achieved", 110.0, 2.2),
    ],
)
def test_status_by_pace(value, status, progress_pct, pace):
    result = progress(PLAN, flat(value), today=D(2026, 7, 2))
    assert result.status == status
    assert result.progress_pct == pytest.approx(progress_pct)
    assert result.pace == pytest.approx(pace)


def test_lower_is_better_counts_progress_downward():
    plan = Plan("lower", 50.0, D(2026, 1, 1), 40.0, D(2026, 12, 31))
    result = progress(plan, flat(45.0), today=D(2026, 7, 2))  # expected 45: on track
    assert (result.status, result.progress_pct) == ("on_track", pytest.approx(50.0))
    assert progress(plan, flat(49.0), today=D(2026, 7, 2)).status == "at_risk"
    assert progress(plan, flat(39.5), today=D(2026, 7, 2)).status == "achieved"


def test_the_trend_smooths_the_last_seven_points_and_missing_days_are_fine():
    series = [
        Point(D(2026, 6, d), v)
        for d, v in [
            (1, 9.0),
            (3, 2.0),
            (9, 2.2),
            (15, 2.4),
            (20, 2.6),
            (21, 2.2),
            (28, 2.4),
            (30, 2.6),
        ]
    ]
    result = progress(PLAN, series, today=D(2026, 7, 2))
    assert result.actual == 2.6 and result.actual_day == D(2026, 6, 30)
    assert result.trend == pytest.approx((2.0 + 2.2 + 2.4 + 2.6 + 2.2 + 2.4 + 2.6) / 7)


def test_no_data():
    result = progress(PLAN, [], today=D(2026, 7, 2))
    assert (result.status, result.actual, result.projected_day) == ("no_data", None, None)
    assert progress(PLAN, [Point(D(2026, 8, 1), 2.5)], today=D(2026, 7, 2)).status == "no_data"


def test_projection_follows_the_recent_line():
    # +0.01 a day from 2.3 on 2026-06-03: the fitted line reaches 3.0 seventy days later.
    series = [Point(D(2026, 6, 3) + datetime.timedelta(days=n), 2.3 + 0.01 * n) for n in range(28)]
    result = progress(PLAN, series, today=D(2026, 7, 2))
    assert result.projection_slope == pytest.approx(0.01)
    assert result.projected_day == D(2026, 6, 3) + datetime.timedelta(days=70)


def test_no_projection_when_heading_away_or_flat():
    away = [Point(D(2026, 6, 3) + datetime.timedelta(days=n), 2.6 - 0.01 * n) for n in range(28)]
    assert progress(PLAN, away, today=D(2026, 7, 2)).projected_day is None
    assert progress(PLAN, flat(2.5, days=20), today=D(2026, 7, 2)).projected_day is None


def test_a_target_already_reached_projects_today():
    series = [Point(D(2026, 6, 3) + datetime.timedelta(days=n), 3.2) for n in range(10)]
    result = progress(PLAN, series, today=D(2026, 7, 2))
    assert result.status == "achieved"


JULY_2 = D(2026, 7, 2)


def rising(last_value, slope, last_day=JULY_2, days=28):
    start = last_day - datetime.timedelta(days=days - 1)
    return [
        Point(start + datetime.timedelta(days=n), last_value - slope * (days - 1 - n))
        for n in range(days)
    ]


def test_a_projection_before_the_target_date_is_on_track_even_when_behind_the_straight_line():
    # Issue 18, item 9: 88% of the expected way (behind by pace) while the recent line
    # reaches 3.0 on 24 Aug 2026, long before the target date of 31 Dec 2026.
    result = progress(PLAN, rising(2.47, 0.01), today=D(2026, 7, 2))
    assert result.pace == pytest.approx(0.88, abs=0.01)
    assert result.projected_day == D(2026, 8, 24)
    assert (result.status, result.rule) == ("on_track", "projection")


def test_a_projection_after_the_target_date_is_behind_then_at_risk():
    # Reaches 3.0 on 17 Feb 2027: after 31 Dec 2026, within a quarter of the plan's year.
    late = progress(PLAN, rising(2.47, 0.0023), today=D(2026, 7, 2))
    assert late.projected_day == D(2027, 2, 17)
    assert (late.status, late.rule) == ("behind", "projection")
    # Ahead of the straight line (pace 1.0) but the line reaches 3.0 only in November 2027.
    slow = progress(PLAN, rising(2.52, 0.001), today=D(2026, 7, 2))
    assert slow.pace >= 0.95 and slow.projected_day > D(2027, 4, 1)
    assert (slow.status, slow.rule) == ("at_risk", "projection")


def test_without_a_line_toward_the_target_the_pace_decides_and_says_so():
    assert progress(PLAN, flat(2.45), today=D(2026, 7, 2)).rule == "pace"
    away = [Point(D(2026, 6, 5) + datetime.timedelta(days=n), 2.6 - 0.001 * n) for n in range(28)]
    result = progress(PLAN, away, today=D(2026, 7, 2))
    assert (result.projected_day, result.rule) == (None, "pace")
