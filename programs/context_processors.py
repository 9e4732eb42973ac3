from django.http import HttpRequest

from programs.models import Membership
from programs.numbers import decimal_separator, thousands_separator

# Organization pages of the top bar that are not under Programs, Portfolio or Segments.
OWN_ENTRIES = {"member_list", "dimensions", "settings", "notifications", "organization_files"}


def number_separators(request: HttpRequest) -> dict:
    """The active language's decimal and thousands separators, for Plotly's `separators`
    (".," in English, ",." in Danish, Slovenian and Dutch)."""
    return {"number_separators": decimal_separator() + thousands_separator()}


def navigation(request: HttpRequest) -> dict:
    """The organizations the signed-in user can switch between, and which entry of the top
    bar the page belongs to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_memberships": Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name"),
        "nav_section": _section(request),
    }


def _section(request: HttpRequest) -> str:
    """The top-bar entry of the page: segments (discovery too) and customer attributes
    under "segments", "portfolio", "" for pages with an entry of their own, else "programs"."""
    match = request.resolver_match
    if match is None:
        return ""
    if "/segments/" in match.route or match.url_name == "attributes":
        return "segments"
    if match.url_name == "portfolio":
        return "portfolio"
    return "" if match.url_name in OWN_ENTRIES else "programs"
