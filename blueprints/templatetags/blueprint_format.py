"""Numbers on the propensity pages, written the way the simulator writes them."""

from django import template

register = template.Library()
DASH = "—"


@register.filter
def percent(value) -> str:
    """A probability as a percentage with one decimal: 0.0617 → 6.2%."""
    if value is None or value == "":
        return DASH
    return f"{float(value):.1%}"


@register.filter
def auc(value) -> str:
    """An AUC to two decimals: 0.7234 → 0.72."""
    if value is None or value == "":
        return DASH
    return f"{float(value):.2f}"
