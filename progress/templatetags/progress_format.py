from django import template

from progress.forms import DashboardFilterForm

register = template.Library()


@register.filter
def period_label(value: str) -> str:
    """A dashboard period ("91") in words ("13 weeks")."""
    return str(dict(DashboardFilterForm.PERIODS).get(value, value))
