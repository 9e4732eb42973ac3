from decimal import Decimal

from django import template

register = template.Library()
DASH = "\u2013"  # an en dash for "no value"


def _trim(value: Decimal, places: int) -> str:
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def kpi_value(value, kpi) -> str:
    """A KPI's number in its unit: 3.2%, +8%, EUR 41.50, 1,204, 45 s."""
    if value is None or value == "":
        return DASH
    value = Decimal(value)
    match kpi.unit:
        case "percent":
            return f"{_trim(value, 2)}%"
        case "percent_change":
            return f"{'+' if value > 0 else ''}{_trim(value, 2)}%"
        case "currency":
            return f"{kpi.currency_code} {value:,.2f}"
        case "duration":
            return f"{_trim(value, 1)} s"
        case _:
            return _trim(value, 2)


@register.filter
def money(value, currency_code: str) -> str:
    if value is None:
        return DASH
    return f"{currency_code} {Decimal(value):,.0f}"
