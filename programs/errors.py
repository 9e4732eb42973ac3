"""The 500 handler: a lost database answers 503 (try again shortly), anything else 500.

Both pages are rendered without context processors, which would need the database."""

import sys

import structlog
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

log = structlog.get_logger(__name__)


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
