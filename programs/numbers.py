"""Numbers as the pages write them, for any app: plain functions, and the `numbers`
template library (programs/templatetags/numbers.py); kpis' kpi_format adds KPI units."""

from decimal import Decimal

DASH = "\u2013"  # an en dash for "no value"


def share(value) -> str:
    """A fraction as a percentage: 0.273 → 27%; under 10% with one decimal (0.062 → 6.2%)."""
    if value is None or value == "":
        return DASH
    percent = float(value) * 100
    return f"{percent:.1f}%" if abs(percent) < 10 else f"{percent:.0f}%"


def trim(value: Decimal, places: int) -> str:
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(value) -> str:
    """A plain number without trailing zeros: 2.4000 → 2.4."""
    if value is None or value == "":
        return DASH
    return trim(Decimal(value), 4)


def count(value) -> str:
    """A count with thousands separated: 1234567 → 1,234,567."""
    if value is None or value == "":
        return DASH
    return f"{int(value):,}"


def number_short(value) -> str:
    """A measured average, to three significant digits: 142.3561 → 142; 0.04567 → 0.0457."""
    if value is None or value == "":
        return DASH
    value = float(value)
    if value != value:  # NaN: no known values
        return DASH
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def get_item(mapping, key):
    return mapping.get(key) if mapping else None
