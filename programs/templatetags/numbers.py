"""Plain numbers in templates: `{% load numbers %}` gives share, pct, number, count,
number_short and get_item (programs/numbers.py), for pages of any app."""

from django import template

from programs.numbers import count, get_item, number, number_short, pct, share

register = template.Library()
for _filter in (share, pct, number, count, number_short, get_item):
    register.filter(_filter.__name__, _filter)
