"""The push API: a program's systems POST measurements with a token.

django-ninja, because the request and answer shapes are declared once as typed schemas,
validated on the way in, and published as an OpenAPI schema (/api/openapi.json) without a
second description to keep in step. No interactive docs page: it would load from a CDN.
"""

import http
import io
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.security import HttpBearer

from programs import ratelimit
from programs.jobs import JobStatus
from results import sources
from results.models import ApiToken

MAX_ITEMS = 50_000
PREFIX = "/api/"  # where config/urls.py mounts the API
PUSH_PATHS = {PREFIX + "measurements"}


def _refusal(status: int, detail: str, **headers: str) -> JsonResponse:
    """The API's one error shape, `{"detail": ...}`, for what Django refuses before (or
    instead of) the API's own views."""
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


class ApiRequestMiddleware:
    """The push API reads bodies up to FOURFOLD_PUSH_MAX_MB (its documented batch is
    larger than Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE, which every other path
    keeps), and every refusal under /api/ answers in the API's JSON shape: a body too large
    (413), not JSON (415, after the token is checked), and Django's own 404 and 405 pages,
    HTML otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        if request.path in PUSH_PATHS and request.method == "POST":
            refused = self._read_body(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        if 400 <= response.status_code < 500 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            phrase = http.HTTPStatus(response.status_code).phrase
            if response.status_code == 405:
                return _refusal(
                    405,
                    _("%(phrase)s: use %(allow)s.")
                    % {"phrase": phrase, "allow": response.get("Allow", "POST")},
                    Allow=response.get("Allow", "POST"),
                )
            return _refusal(response.status_code, f"{phrase}.")
        return response

    @staticmethod
    def _read_body(request: HttpRequest) -> JsonResponse | None:
        """Read the body here, with the push API's limit, so that Django's smaller one
        (checked when a view first reads request.body) does not apply to it."""
        limit = settings.FOURFOLD_PUSH_MAX_MB * 1024 * 1024
        too_large = _refusal(
            413,
            _(
                "The body is larger than %(mb)s MB; send at most %(n)s measurements in "
                "%(mb)s MB per batch (split it)."
            )
            % {"mb": settings.FOURFOLD_PUSH_MAX_MB, "n": f"{MAX_ITEMS:,}"},
        )
        content_type = request.content_type or ""
        if content_type != "application/json":
            # Answered (415) once the token is checked: who may not push learns no more.
            request.push_not_json = _(
                "Send the batch as JSON (Content-Type: application/json), not “%(type)s”."
            ) % {"type": content_type[:80] or _("none")}
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(400, _("The Content-Length header is not a number."))
        if declared > limit:
            return too_large
        body = request.read(limit + 1)
        if len(body) > limit:
            return too_large
        # As HttpRequest.body keeps it: the view reads this, not the stream.
        request._body = body
        request._stream = io.BytesIO(body)
        return None


class TokenAuth(HttpBearer):
    """A live token of a program. Calls are limited per client address before the token is
    looked up (guessing tokens is slow), and per token after (FOURFOLD_PUSH_RATE; every
    call with a token is a push today)."""

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        wait = ratelimit.hit("api", ratelimit.client_key(request), settings.FOURFOLD_API_RATE)
        if wait is not None:
            raise Throttled(wait=wait)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = sources.token_find(token)
        if found is None:
            return None  # 401
        if found.revoked_at is not None:
            raise HttpError(403, _("This token was revoked."))
        if found.is_expired:
            day = timezone.localtime(found.expires_at).date().isoformat()
            raise AuthenticationError(
                message=_("This token expired on %(day)s; an admin can make a new one.")
                % {"day": day}
            )
        wait = ratelimit.hit("push", str(found.pk), settings.FOURFOLD_PUSH_RATE)
        if wait is not None:
            raise Throttled(wait=wait)
        if not_json := getattr(request, "push_not_json", None):  # ApiRequestMiddleware
            raise HttpError(415, not_json)
        return found


api = NinjaAPI(
    title="Fourfold push API",
    version="1",
    description="Push measurements of a program's KPIs. Authenticate with "
    "`Authorization: Bearer <token>`; an admin creates tokens on the program's sources page.",
    docs_url=None,
    auth=TokenAuth(),
    urls_namespace="api",
)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    """Every refusal in the one shape, `{"detail": ...}`; a 401 says how to authenticate,
    a 429 when to try again."""
    if isinstance(error, Throttled):
        detail = _("Too many requests; try again in %(n)s seconds.") % {
            "n": math.ceil(error.wait or 1)
        }
    else:
        detail = str(error)
    response = api.create_response(request, {"detail": detail}, status=error.status_code)
    if error.status_code == 401:
        response["WWW-Authenticate"] = "Bearer"
    if isinstance(error, Throttled) and error.wait:
        response["Retry-After"] = str(math.ceil(error.wait))
    return response


class MeasurementIn(Schema):
    kpi: str
    period: str
    value: float | str
    segment: str = ""
    variant: str = ""
    numerator: float | str | None = None
    denominator: float | str | None = None


class Batch(Schema):
    measurements: list[MeasurementIn]


class Loaded(Schema):
    pull: int
    rows: int
    inserted: int
    updated: int
    unchanged: int


class ItemError(Schema):
    item: int
    field: str
    reason: str


class Rejected(Schema):
    detail: str
    errors: list[ItemError] = []  # none when the body itself cannot be read


class Message(Schema):
    detail: str


class Invalid(Schema):
    """The body is not the documented shape (Django Ninja's validation answer)."""

    detail: list[dict]


@api.post(
    "/measurements",
    response={
        200: Loaded,
        400: Rejected,
        401: Message,
        403: Message,
        409: Message,
        413: Message,
        415: Message,
        422: Invalid,
        429: Message,
    },
    summary="Load a batch of measurements, all or nothing",
    # Kept from when this module was kpis/api.py: generated clients call it by this name.
    operation_id="kpis_api_push_measurements",
    openapi_extra={
        "responses": {
            401: {"headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
            429: {
                "description": "Too many requests from this token or this address",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds until another request is accepted",
                        "schema": {"type": "integer"},
                    }
                },
            },
        }
    },
)
def push_measurements(request: HttpRequest, batch: Batch):
    """Each measurement names its KPI (as named in the program), its period (a day
    `2026-03-14`, an ISO week `2026-W11` or a month `2026-03`), its value, and optionally a
    segment, a variant (personalized, control, holdout) and a numerator and denominator.
    Loading the same measurement again updates it in place.

    Each token may push a limited number of batches per minute (60 unless the operator
    set another rate); beyond it the answer is 429 with `Retry-After` in seconds."""
    if not batch.measurements:
        return Status(400, {"detail": _("The batch is empty."), "errors": []})
    if len(batch.measurements) > MAX_ITEMS:
        return Status(
            400,
            {"detail": _("At most %(n)s measurements per batch.") % {"n": MAX_ITEMS}, "errors": []},
        )
    items = [{k: ("" if v is None else v) for k, v in m.dict().items()} for m in batch.measurements]
    try:
        pull = sources.push_load(token=request.auth, items=items)
    except (sources.Busy, sources.TransientPullError):
        return Status(
            409, {"detail": _("Another batch for this program is loading; try again in a moment.")}
        )
    if pull.status != JobStatus.SUCCEEDED:
        return Status(
            400,
            {
                "detail": pull.error,
                "errors": [
                    {"item": r["line"], "field": r["column"], "reason": r["reason"]}
                    for r in pull.rejected_rows
                ],
            },
        )
    return Status(
        200,
        {
            "pull": pull.pk,
            "rows": pull.rows_read,
            "inserted": pull.inserted,
            "updated": pull.updated,
            "unchanged": pull.unchanged,
        },
    )
