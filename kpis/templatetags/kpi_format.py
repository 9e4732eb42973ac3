from decimal import Decimal

from django import template
from django.utils.translation import gettext

from programs.numbers import DASH, trim
from programs.templatetags import numbers

register = template.Library()
# The plain numbers of any app's pages (programs' `numbers` library) come with this one.
register.filters.update(numbers.register.filters)


@register.filter
def kpi_value(value, kpi) -> str:
    """A KPI's number in its unit: 3.2%, +8%, EUR 41.50, 1,204, 45 s."""
    if value is None or value == "":
        return DASH
    value = Decimal(value)
    match kpi.unit:
        case "percent":
            return f"{trim(value, 2)}%"
        case "percent_change":
            return f"{'+' if value > 0 else ''}{trim(value, 2)}%"
        case "currency":
            return f"{kpi.currency_code} {value:,.2f}"
        case "duration":
            return f"{trim(value, 1)} s"
        case _:
            return trim(value, 2)


@register.filter
def p_value(value) -> str:
    """A test's p-value to 4 places, or "< 0.0001" below them: plain text, so the page
    escapes its "<" (a "<" written in the template itself would reach the HTML raw)."""
    if value is None:
        return DASH
    if value < 0.0001:
        return gettext("< 0.0001")
    return f"{value:.4f}"


@register.filter
def money(value, currency_code: str) -> str:
    if value is None:
        return DASH
    return f"{currency_code} {Decimal(value):,.0f}"


@register.filter
def signed(value, kpi) -> str:
    """A change of a KPI in its unit, with its sign: "+0.12 pts", "+EUR 1.20"."""
    if value is None:
        return DASH
    value = Decimal(str(value))
    sign = "+" if value > 0 else "\u2212" if value < 0 else "\u00b1"
    size = abs(value)
    match kpi.unit:
        case "percent" | "percent_change":
            return f"{sign}{trim(size, 2)} pts"
        case "currency":
            return f"{sign}{kpi.currency_code} {size:,.2f}"
        case "duration":
            return f"{sign}{trim(size, 1)} s"
        case _:
            return f"{sign}{trim(size, 2)}"


@register.filter
def sparkline(values: list[float]) -> str:
    """SVG polyline points of a trail (kpis.charts.sparkline)."""
    from kpis.charts import sparkline as points

    return points(values)


@register.filter
def status_label(value: str) -> str:
    """A progress status in words: "on_track" → "On track"."""
    from kpis.models import ProgressStatus

    return ProgressStatus(value).label if value in ProgressStatus.values else DASH


@register.filter
def pct_points(value) -> str:
    """A difference of two rates in percentage points, signed: 0.052 is "+5.2"."""
    if value is None or value == "":
        return DASH
    return f"{float(value) * 100:+.1f}"
