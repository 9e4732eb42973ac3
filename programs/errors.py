"""The error pages. 403 and 404 keep the top bar of the person's organization; the 500
handler answers 503 for a lost database (try again shortly), anything else 500.

The 500 and 503 pages are rendered without context processors, which would need the
database."""

import sys

import structlog
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from programs.models import Membership, Program

log = structlog.get_logger(__name__)


def _where_they_are(request: HttpRequest) -> dict:
    """The organization (and program) whose top bar an error page shows: the one the URL
    names when the person is a member of it, else their own first organization. Nothing of
    an organization they are not in is looked up, so nothing of it is shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = Membership.objects.filter(user=user).select_related("organization")
    match = request.resolver_match
    kwargs = match.kwargs if match is not None else {}
    program = None
    if "org" in kwargs:
        membership = memberships.filter(organization__slug=kwargs["org"]).first()
    elif match is not None and match.route.startswith("programs/<int:pk>/"):
        program = Program.objects.filter(
            pk=kwargs["pk"], organization__memberships__user=user
        ).first()
        membership = program and memberships.filter(organization=program.organization).first()
    else:
        membership = None
    membership = membership or memberships.order_by("organization__name").first()
    if membership is None:
        return {}
    return {
        "membership": membership,
        "organization": membership.organization,
        "program": program,
    }


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403: a role that may not do this sees why, with the usual top bar and the
    way back to the program it was in."""
    return render(request, "403.html", _where_they_are(request), status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404, with the top bar of the person's own organization."""
    return render(request, "404.html", _where_they_are(request), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A request that met a refused or lost database connection (PostgreSQL
    restarting, a failover) gets a short 503 page with Retry-After; the next request
    connects anew."""
    error = sys.exc_info()[1]
    if not isinstance(error, OperationalError | InterfaceError):
        return HttpResponse(render_to_string("500.html"), status=500)
    session = getattr(request, "session", None)
    if session is not None and not hasattr(session, "_session_cache"):
        # Its load failed half-way: leave the session (and its cookie) as it was.
        session._session_cache, session.accessed, session.modified = {}, False, False
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
    log.warning("database_unavailable", error=str(error).strip()[:200])
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response
