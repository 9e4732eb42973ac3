"""schemathesis against the API's own OpenAPI schema: generated requests, valid and not,
never get a 5xx, and every answer is one the schema documents, in its documented shape."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from results.sources import token_create

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bearer(world):
    _token, secret = token_create(program=world.program, name="fuzz", by=world.user("admin"))
    return {"Authorization": f"Bearer {secret}"}


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_schema(case, bearer):
    # A schema-valid item may still name no KPI of the program: refusing it with 400 and
    # the reason is the documented behaviour, not a schema violation.
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])


def test_a_row_wrong_in_two_ways_counts_once(world, bearer, client):
    response = client.post(
        "/api/measurements",
        data={"measurements": [{"kpi": "", "period": "", "value": 1}]},
        content_type="application/json",
        headers=bearer,
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "1 of 1 rows are wrong; nothing was loaded."
    assert len(response.json()["errors"]) == 2
