from django import template

from kpis.selectors import PERIODS

register = template.Library()


@register.filter
def period_label(value: str) -> str:
    """A dashboard period ("91") in words ("13 weeks")."""
    return str(PERIODS[value].label) if value in PERIODS else value
