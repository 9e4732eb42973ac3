"""The push API: a program's systems POST measurements with a token.

django-ninja, because the request and answer shapes are declared once as typed schemas,
validated on the way in, and published as an OpenAPI schema (/api/openapi.json) without a
second description to keep in step. No interactive docs page: it would load from a CDN.
"""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from kpis import sources
from kpis.models import ApiToken, PullStatus

MAX_ITEMS = 50_000


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = sources.token_find(token)
        if found is None:
            return None  # 401
        if found.revoked_at is not None:
            raise HttpError(403, _("This token was revoked."))
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
        422: Invalid,
    },
    summary="Load a batch of measurements, all or nothing",
)
def push_measurements(request: HttpRequest, batch: Batch):
    """Each measurement names its KPI (as named in the program), its period (a day
    `2026-03-14`, an ISO week `2026-W11` or a month `2026-03`), its value, and optionally a
    segment, a variant (personalized, control, holdout) and a numerator and denominator.
    Loading the same measurement again updates it in place."""
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
    if pull.status != PullStatus.SUCCEEDED:
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
