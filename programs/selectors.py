"""Reads of the shared core, shaped for pages."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from programs import calendar_text, calendars
from programs.calendars import Calendar
from programs.models import Cycle, Invitation, Membership, Organization, Program


def program_list(*, organization: Organization) -> list[Program]:
    """The organization's programs, each with `.open_cycle` (None if between cycles)."""
    programs = list(
        organization.programs.prefetch_related(
            Prefetch(
                "cycles",
                queryset=Cycle.objects.filter(closed_at__isnull=True),
                to_attr="open_cycles",
            )
        )
    )
    for program in programs:
        program.open_cycle = program.open_cycles[0] if program.open_cycles else None
    return programs


def program_open_cycle(*, program: Program) -> Cycle | None:
    return program.cycles.filter(closed_at__isnull=True).first()


def cycle_history(*, program: Program) -> QuerySet[Cycle]:
    return program.cycles.order_by("-number")


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("user__username")


def organization_open_invitations(*, organization: Organization) -> QuerySet[Invitation]:
    return organization.invitations.filter(accepted_at__isnull=True).select_related("invited_by")


@dataclass(frozen=True)
class FiscalMonth:
    label: str
    span: str
    weeks: int | None  # retail calendars: how many weeks it has


@dataclass(frozen=True)
class FiscalYear:
    """The fiscal year `today` lies in, month by month, to check a calendar by."""

    label: str
    span: str
    weeks: int | None
    months: list[FiscalMonth]


def fiscal_year(*, calendar: Calendar, today: datetime.date) -> FiscalYear:
    year = calendar.period_of(today, calendars.YEAR)
    months = calendar.periods(year.start, year.end, calendars.MONTH)
    return FiscalYear(
        label=calendar_text.period_label(year, calendar),
        span=calendar_text.period_span(year),
        weeks=calendar.weeks_in_year(year.year) if calendar.is_retail else None,
        months=[
            FiscalMonth(
                label=calendar_text.period_label(m, calendar),
                span=calendar_text.period_span(m),
                weeks=m.days // 7 if calendar.is_retail else None,
            )
            for m in months
        ],
    )
