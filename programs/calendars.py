"""The periods of an organization's calendar, as plain functions (no Django).

Two kinds of calendar, each with a fiscal year that may start in any month:

- **Months** (`MONTHS`): calendar months and quarters of three months; with a January start
  it is the plain calendar year. Its weeks are ISO weeks (Monday to Sunday, numbered in the
  ISO year, "2026-W53").
- **Retail** (`"445"`, `"454"`, `"544"`): whole weeks. Each quarter is 13 weeks, split into
  three months of 4, 4 and 5 weeks (or 4-5-4, 5-4-4). The year starts on the week's first day
  nearest the 1st of its start month, so that it keeps to the seasons; a year is therefore
  52 weeks, or 53 about every fifth or sixth year, and the 53rd week goes to its last month
  (a 4-4-5 year then ends 4-4-6).

A fiscal year is named after the calendar year it ends in, as the finance department says it:
with an April start, April 2026 to March 2027 is FY2027; with a January start, FY2026 is 2026.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property

MONTHS = "months"
RETAIL_PATTERNS = {"445": (4, 4, 5), "454": (4, 5, 4), "544": (5, 4, 4)}
KINDS = (MONTHS, *RETAIL_PATTERNS)

WEEK, MONTH, QUARTER, YEAR = "week", "month", "quarter", "year"
GRAINS = (WEEK, MONTH, QUARTER, YEAR)

MONDAY, SUNDAY = 0, 6
ONE_DAY = datetime.timedelta(days=1)
ONE_WEEK = datetime.timedelta(days=7)


class CalendarError(ValueError):
    """A calendar that cannot be: an unknown kind, a month outside 1-12, …"""


@dataclass(frozen=True)
class Period:
    """One week, month, quarter or fiscal year: its first and last day (both included), the
    fiscal year it belongs to and its number in that year (1-based). An ISO week carries the
    ISO year and week instead."""

    grain: str
    start: datetime.date
    end: datetime.date
    year: int
    number: int
    iso: bool = False

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    @property
    def key(self) -> str:
        """A short, language-neutral name to keep and to put in addresses: "2027-M02",
        "2027-Q1", "2027-W05", "2026-IW53" (an ISO week), "2027"."""
        if self.grain == YEAR:
            return f"{self.year}"
        letter = {WEEK: "IW" if self.iso else "W", MONTH: "M", QUARTER: "Q"}[self.grain]
        width = 1 if self.grain == QUARTER else 2
        return f"{self.year}-{letter}{self.number:0{width}d}"


@dataclass(frozen=True)
class Calendar:
    """An organization's calendar. `Calendar()` is the plain one: calendar months from
    January, ISO weeks."""

    kind: str = MONTHS
    start_month: int = 1
    week_start: int = MONDAY  # retail calendars only: 0 = Monday … 6 = Sunday

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CalendarError(f"Unknown calendar {self.kind!r}; one of {', '.join(KINDS)}.")
        if not 1 <= self.start_month <= 12:
            raise CalendarError("The fiscal year starts in a month from 1 to 12.")
        if not 0 <= self.week_start <= 6:
            raise CalendarError("A week starts on a day from 0 (Monday) to 6 (Sunday).")

    @property
    def is_retail(self) -> bool:
        return self.kind in RETAIL_PATTERNS

    @property
    def is_plain(self) -> bool:
        """Calendar months from January: periods are named as any calendar names them."""
        return self.kind == MONTHS and self.start_month == 1

    # --- years ----------------------------------------------------------------------

    def _nominal_start(self, fiscal_year: int) -> datetime.date:
        """The 1st of the start month of the fiscal year (the year it ends in)."""
        return datetime.date(fiscal_year - (self.start_month > 1), self.start_month, 1)

    def year_start(self, fiscal_year: int) -> datetime.date:
        first = self._nominal_start(fiscal_year)
        if not self.is_retail:
            return first
        behind = (first.weekday() - self.week_start) % 7  # days since the week began
        return first - datetime.timedelta(days=behind if behind <= 3 else behind - 7)

    def year_end(self, fiscal_year: int) -> datetime.date:
        return self.year_start(fiscal_year + 1) - ONE_DAY

    def year_of(self, day: datetime.date) -> int:
        """The fiscal year `day` lies in."""
        year = day.year + (self.start_month > 1 and day.month >= self.start_month)
        while day < self.year_start(year):  # a retail year may begin a few days early
            year -= 1
        while day > self.year_end(year):
            year += 1
        return year

    def weeks_in_year(self, fiscal_year: int) -> int:
        """52 or 53 for a retail calendar; ISO weeks are counted by the ISO year instead."""
        return ((self.year_end(fiscal_year) - self.year_start(fiscal_year)).days + 1) // 7

    # --- periods --------------------------------------------------------------------

    def period_of(self, day: datetime.date, grain: str) -> Period:
        """The week, month, quarter or year `day` lies in."""
        if grain == WEEK and not self.is_retail:
            iso_year, iso_week, iso_day = day.isocalendar()
            start = day - datetime.timedelta(days=iso_day - 1)
            return Period(WEEK, start, start + 6 * ONE_DAY, iso_year, iso_week, iso=True)
        year = self.year_of(day)
        for period in self._year_periods(year, grain):
            if day in period:
                return period
        raise AssertionError(f"{day} lies in no {grain} of {year}")  # the periods tile a year

    def periods(self, first: datetime.date, last: datetime.date, grain: str) -> list[Period]:
        """Every period of `grain` that has a day between `first` and `last`, in order."""
        if grain not in GRAINS:
            raise CalendarError(f"Unknown period {grain!r}; one of {', '.join(GRAINS)}.")
        if last < first:
            return []
        found = []
        period = self.period_of(first, grain)
        while period.start <= last:
            found.append(period)
            period = self.period_of(period.end + ONE_DAY, grain)
        return found

    def _year_periods(self, year: int, grain: str) -> tuple[Period, ...]:
        return self._table.get((year, grain)) or self._build(year, grain)

    @cached_property
    def _table(self) -> dict:
        return {}

    def _build(self, year: int, grain: str) -> tuple[Period, ...]:
        start, end = self.year_start(year), self.year_end(year)
        if grain == YEAR:
            built: tuple[Period, ...] = (Period(YEAR, start, end, year, 1),)
        elif grain == WEEK:  # retail only: ISO weeks are found without a table
            built = tuple(
                Period(WEEK, start + i * ONE_WEEK, start + i * ONE_WEEK + 6 * ONE_DAY, year, i + 1)
                for i in range(self.weeks_in_year(year))
            )
        else:
            months = self._month_bounds(year)
            if grain == MONTH:
                built = tuple(
                    Period(MONTH, first, last, year, i + 1)
                    for i, (first, last) in enumerate(months)
                )
            else:
                built = tuple(
                    Period(QUARTER, months[3 * q][0], months[3 * q + 2][1], year, q + 1)
                    for q in range(4)
                )
        if len(self._table) > 4096:  # a long-running process keeps a bounded table
            self._table.clear()
        self._table[(year, grain)] = built
        return built

    def _month_bounds(self, year: int) -> list[tuple[datetime.date, datetime.date]]:
        if self.is_retail:
            weeks = list(RETAIL_PATTERNS[self.kind]) * 4
            weeks[-1] += self.weeks_in_year(year) - 52  # the 53rd week goes to the last month
            bounds, first = [], self.year_start(year)
            for count in weeks:
                last = first + count * ONE_WEEK - ONE_DAY
                bounds.append((first, last))
                first = last + ONE_DAY
            return bounds
        first = self._nominal_start(year)
        bounds = []
        for _ in range(12):
            following = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            bounds.append((first, following - ONE_DAY))
            first = following
        return bounds


PLAIN = Calendar()
