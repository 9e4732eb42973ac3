"""An organization's calendar cuts time into periods (programs/calendars.py): fiscal years
from any month, retail 4-4-5 / 4-5-4 / 5-4-4 years of 52 or 53 weeks, ISO weeks."""

import datetime
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from programs.calendars import (
    GRAINS,
    MONTH,
    PLAIN,
    QUARTER,
    SUNDAY,
    WEEK,
    YEAR,
    Calendar,
    CalendarError,
)

D = datetime.date
calendars_ = st.builds(
    Calendar,
    kind=st.sampled_from(["months", "445", "454", "544"]),
    start_month=st.integers(1, 12),
    week_start=st.sampled_from([0, 6]),
)
days = st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31))


@given(calendars_, days, st.sampled_from(GRAINS))
def test_every_day_lies_in_exactly_one_period_of_each_length(calendar, day, grain):
    period = calendar.period_of(day, grain)
    assert day in period
    before = calendar.period_of(period.start - datetime.timedelta(days=1), grain)
    after = calendar.period_of(period.end + datetime.timedelta(days=1), grain)
    assert before.end == period.start - datetime.timedelta(days=1)
    assert after.start == period.end + datetime.timedelta(days=1)


@given(calendars_, days)
def test_a_year_is_twelve_months_and_four_quarters_without_gaps(calendar, day):
    year = calendar.period_of(day, YEAR)
    months = calendar.periods(year.start, year.end, MONTH)
    quarters = calendar.periods(year.start, year.end, QUARTER)
    assert [m.number for m in months] == list(range(1, 13))
    assert [q.number for q in quarters] == [1, 2, 3, 4]
    assert months[0].start == quarters[0].start == year.start
    assert months[-1].end == quarters[-1].end == year.end
    for earlier, later in itertools.pairwise(months):
        assert later.start == earlier.end + datetime.timedelta(days=1)
    assert all(m.year == year.year for m in months + quarters)


@given(calendars_.filter(lambda c: c.is_retail), days)
def test_a_retail_year_is_52_or_53_whole_weeks_in_its_pattern(calendar, day):
    year = calendar.period_of(day, YEAR)
    weeks = calendar.weeks_in_year(year.year)
    assert weeks in (52, 53) and year.days == 7 * weeks
    assert year.start.weekday() == calendar.week_start
    pattern = [int(n) for n in calendar.kind] * 4
    pattern[-1] += weeks - 52  # the 53rd week goes to the last month
    months = calendar.periods(year.start, year.end, MONTH)
    assert [m.days // 7 for m in months] == pattern
    assert all(m.days % 7 == 0 for m in months)
    assert len(calendar.periods(year.start, year.end, WEEK)) == weeks
    # It keeps to the seasons: it starts within three days of the 1st of its month.
    first = D(year.year - (calendar.start_month > 1), calendar.start_month, 1)
    assert abs((year.start - first).days) <= 3


@given(days)
def test_weeks_of_a_month_calendar_are_iso_weeks(day):
    week = PLAIN.period_of(day, WEEK)
    iso_year, iso_week, _ = day.isocalendar()
    assert (week.year, week.number, week.iso) == (iso_year, iso_week, True)
    assert week.start.weekday() == 0 and week.days == 7
    assert Calendar(start_month=4).period_of(day, WEEK) == week


@pytest.mark.parametrize(
    ("day", "start", "key"),
    [
        (D(2026, 1, 1), 1, "2026-M01"),
        (D(2026, 12, 31), 1, "2026-M12"),
        (D(2026, 4, 1), 4, "2027-M01"),
        (D(2026, 5, 17), 4, "2027-M02"),
        (D(2027, 3, 31), 4, "2027-M12"),
        (D(2026, 2, 1), 7, "2026-M08"),
    ],
)
def test_a_fiscal_year_is_named_after_the_year_it_ends_in(day, start, key):
    assert Calendar(start_month=start).period_of(day, MONTH).key == key


def test_the_national_retail_calendar_has_its_53_week_years():
    # The NRF's 4-5-4 calendar: years from the Sunday nearest 1 February; the one that began
    # on 29 January 2023 had 53 weeks and ended on 3 February 2024.
    nrf = Calendar(kind="454", start_month=2, week_start=SUNDAY)
    assert nrf.year_start(2024) == D(2023, 1, 29)
    assert nrf.year_end(2024) == D(2024, 2, 3)
    assert [nrf.weeks_in_year(y) for y in range(2020, 2030)] == [
        52, 52, 52, 52, 53, 52, 52, 52, 52, 53,
    ]  # fmt: skip
    december = nrf.period_of(D(2026, 12, 6), MONTH)
    assert (december.start, december.end, december.number) == (D(2026, 11, 29), D(2027, 1, 2), 11)
    assert december.days == 35  # the fifth week of 4-5-4's middle month


def test_iso_week_53_belongs_to_the_iso_year_it_starts():
    week = PLAIN.period_of(D(2027, 1, 1), WEEK)
    assert (week.key, week.start, week.end) == ("2026-IW53", D(2026, 12, 28), D(2027, 1, 3))


def test_periods_list_every_period_touching_the_span():
    quarters = Calendar(start_month=4).periods(D(2026, 3, 15), D(2026, 7, 1), QUARTER)
    assert [q.key for q in quarters] == ["2026-Q4", "2027-Q1", "2027-Q2"]
    assert PLAIN.periods(D(2026, 2, 1), D(2026, 1, 1), MONTH) == []


@pytest.mark.parametrize(
    "settings",
    [{"kind": "4-4-5"}, {"start_month": 13}, {"start_month": 0}, {"week_start": 7}],
)
def test_a_calendar_that_cannot_be_is_refused(settings):
    with pytest.raises(CalendarError):
        Calendar(**settings)
