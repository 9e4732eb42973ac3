"""Periods and calendars in words, in the active language: "dec. 2026", "RÅ2027 K1",
"Uge 53, 2026". programs.calendars cuts the periods; this module names them."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from programs import calendars
from programs.calendars import Calendar, Period
from programs.models import MONTH_NAMES, FiscalCalendar, Weekday


def period_label(period: Period, calendar: Calendar | None = None, *, plain: bool = False) -> str:
    """A period as a person of the organization names it: in the plain calendar as any
    calendar does ("Dec 2026", "Q4 2026"), else as a fiscal period ("FY2027 P11")."""
    plain = calendar.is_plain if calendar is not None else plain
    values = {"year": period.year, "number": period.number}
    if period.grain == calendars.WEEK:
        if period.iso:
            return _("Week %(number)s, %(year)s") % values
        return _("FY%(year)s W%(number)s") % values
    if plain:
        if period.grain == calendars.MONTH:
            return date_format(period.start, "YEAR_MONTH_FORMAT")
        if period.grain == calendars.QUARTER:
            return _("Q%(number)s %(year)s") % values
        return str(period.year)
    if period.grain == calendars.MONTH:
        return _("FY%(year)s P%(number)s") % values
    if period.grain == calendars.QUARTER:
        return _("FY%(year)s Q%(number)s") % values
    return _("FY%(year)s") % values


def period_span(period: Period) -> str:
    """Its first and last day, as dates are written in the active language."""
    first, last = (date_format(day, "SHORT_DATE_FORMAT") for day in (period.start, period.end))
    return f"{first}\u2013{last}"


def grain_name(grain: str) -> str:
    return {
        calendars.WEEK: _("Weeks"),
        calendars.MONTH: _("Months"),
        calendars.QUARTER: _("Quarters"),
        calendars.YEAR: _("Years"),
    }[grain]


def name(calendar: Calendar) -> str:
    """The periods a KPI is cut in, in one line: the plain calendar's, or the fiscal year."""
    return _("Calendar months, ISO weeks") if calendar.is_plain else describe(calendar)


def describe(calendar: Calendar) -> str:
    """The calendar in one line: "Fiscal year from April, calendar months"."""
    kind = str(FiscalCalendar(calendar.kind).label)
    values = {
        "month": dict(MONTH_NAMES)[calendar.start_month],
        "kind": kind[:1].lower() + kind[1:],  # mid-sentence
        "weekday": Weekday(calendar.week_start).label,
    }
    if calendar.is_retail:
        return _("Fiscal year from %(month)s, %(kind)s starting on %(weekday)s") % values
    return _("Fiscal year from %(month)s, %(kind)s") % values
