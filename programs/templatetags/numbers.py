"""Plain numbers in templates: `{% load numbers %}` gives share, pct, number, count,
number_short, get_item (programs/numbers.py) and input_number, for pages of any app."""

from django import template

from programs.number_reading import write_number
from programs.numbers import count, decimal_separator, get_item, number, number_short, pct, share

register = template.Library()
for _filter in (share, pct, number, count, number_short, get_item):
    register.filter(_filter.__name__, _filter)


@register.filter
def input_number(value) -> str:
    """A number as a form field holds it in the active language ("2,35"); none: empty."""
    return "" if value is None or value == "" else write_number(value, decimal=decimal_separator())
