from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from programs.numbers import DASH, currency, percent, trim
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
            return percent(trim(value, 2))
        case "percent_change":
            return percent(f"{'+' if value > 0 else ''}{trim(value, 2)}")
        case "currency":
            return currency(value, kpi.currency_code)
        case "duration":
            return f"{trim(value, 1)} s"
        case _:
            return trim(value, 2)


@register.filter
def money(value, currency_code: str) -> str:
    if value is None:
        return DASH
    return currency(Decimal(value), currency_code, places=0)


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
            return _("%(sign)s%(size)s pts") % {"sign": sign, "size": trim(size, 2)}
        case "currency":
            return f"{sign}{currency(size, kpi.currency_code)}"
        case "duration":
            return f"{sign}{trim(size, 1)} s"
        case _:
            return f"{sign}{trim(size, 2)}"
