"""Numbers as the pages write them, for any app (the template filters of kpi_format use
these too)."""

DASH = "\u2013"  # an en dash for "no value"


def share(value) -> str:
    """A fraction as a percentage: 0.273 → 27%; under 10% with one decimal (0.062 → 6.2%)."""
    if value is None or value == "":
        return DASH
    percent = float(value) * 100
    return f"{percent:.1f}%" if abs(percent) < 10 else f"{percent:.0f}%"
