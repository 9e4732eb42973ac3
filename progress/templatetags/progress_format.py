from django import template
from django.utils.translation import gettext

from programs.numbers import DASH, localized
from progress.selectors import PERIODS, snapshot_periods

register = template.Library()


@register.filter
def period_label(value: str) -> str:
    """A dashboard period ("91") in words ("13 weeks")."""
    return str(PERIODS[value].label) if value in PERIODS else value


@register.filter
def p_value(value) -> str:
    """A test's p-value to 4 places, or "< 0.0001" below them: plain text, so the page
    escapes its "<" (a "<" written in the template itself would reach the HTML raw)."""
    if value is None:
        return DASH
    if value < 0.0001:
        return gettext("< 0.0001")
    return localized(f"{value:.4f}")


@register.filter
def sparkline(values: list[float]) -> str:
    """SVG polyline points of a trail (progress.charts.sparkline)."""
    from progress.charts import sparkline as points

    return points(values)


@register.filter
def status_label(value: str) -> str:
    """A progress status in words: "on_track" → "On track"."""
    from progress.models import ProgressStatus

    return ProgressStatus(value).label if value in ProgressStatus.values else DASH


@register.filter
def pct_points(value) -> str:
    """A difference of two rates in percentage points, signed: 0.052 is "+5.2"."""
    if value is None or value == "":
        return DASH
    return localized(f"{float(value) * 100:+.1f}")


@register.filter
def this_month(snapshot):
    """The KPI's current month of its calendar (to date), as its snapshot keeps it."""
    months = snapshot_periods(snapshot, "month") if snapshot else []
    return months[-1] if months else None
