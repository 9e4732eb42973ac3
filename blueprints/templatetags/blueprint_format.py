"""Numbers on the propensity pages, written the way the simulator writes them."""

from django import template

from programs.numbers import localized
from programs.numbers import percent as with_percent_sign

register = template.Library()
DASH = "—"


@register.filter
def percent(value) -> str:
    """A probability as a percentage with one decimal: 0.0617 → 6.2% (6,2 % in Danish)."""
    if value is None or value == "":
        return DASH
    return with_percent_sign(localized(f"{float(value) * 100:.1f}"))


@register.filter
def auc(value) -> str:
    """An AUC to two decimals: 0.7234 → 0.72 (0,72 in Danish)."""
    if value is None or value == "":
        return DASH
    return localized(f"{float(value):.2f}")
