from django.http import HttpRequest

from programs.models import Membership


def navigation(request: HttpRequest) -> dict:
    """The organizations the signed-in user can switch between, for the top bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_memberships": Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    }
