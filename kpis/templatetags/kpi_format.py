from decimal import Decimal

from django import template

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
