"""How pages name a person: `{{ row.history_user|person }}` (a builtin of every template)."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def person(user) -> str:
    """Who did something, as a page names them: their full name, else their username.

    A history row or an answer whose person is gone (their account deleted, or the program
    restored into an organization where they are not a member) names nobody; the page
    says so rather than failing on `None.username`."""
    if user is None or user == "":
        return _("someone no longer here")
    return user.get_full_name() or user.get_username()
