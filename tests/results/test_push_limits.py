"""Issue 18, item 6: the documented batch can be sent, and every refusal of the push API
answers in its JSON error shape (`{"detail": ...}`), with DEBUG on and off.

The documented maximum (50,000 measurements) is sent for real through the test client and
loaded; a body one byte over the limit, malformed JSON, a wrong content type, an unknown
address and a wrong method are refused as JSON; values no column can hold (1e999999999,
NaN, Infinity) are refused naming the item and the value.
"""

import datetime
import itertools
import json

import pytest
from django.conf import settings as django_settings
from django.test import Client

from results import sources
from results.api import MAX_ITEMS
from results.models import Measurement

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("jobs_run_now")]

YESTERDAY = datetime.date.today() - datetime.timedelta(days=1)


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.fixture
def token(world):
    _token, secret = sources.token_create(
        program=world.program, name="Warehouse", by=world.user("admin")
    )
    return secret


def post(token, body: bytes | str, content_type="application/json", path="/api/measurements"):
    # raise_request_exception=False: answer as a server would, not raise into the test.
    return Client(raise_request_exception=False).post(
        path, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def assert_json_refusal(response, status: int) -> str:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    assert isinstance(answer["detail"], str | list) and answer["detail"]
    return answer["detail"] if isinstance(answer["detail"], str) else json.dumps(answer["detail"])


def documented_batch(world) -> list[dict]:
    """50,000 distinct measurements (days by segments by variants), with every field filled,
    as a warehouse would send them."""
    segments = ["", world.segment.name]
    variants = ["", "personalized", "control", "holdout"]
    combos = list(itertools.product(segments, variants))
    n_days = -(-MAX_ITEMS // len(combos))
    items = []
    for d in range(n_days):
        day = (YESTERDAY - datetime.timedelta(days=d)).isoformat()
        for segment, variant in combos:
            items.append(
                {
                    "kpi": "Conversion rate",
                    "period": day,
                    "value": 2.31,
                    "segment": segment,
                    "variant": variant,
                    "numerator": 231,
                    "denominator": 10000,
                }
            )
    return items[:MAX_ITEMS]


def test_the_documented_maximum_batch_is_sent_and_loads(world, token):
    items = documented_batch(world)
    body = json.dumps({"measurements": items})
    assert len(items) == 50_000
    assert len(body) > django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # Django's limit: 2.5 MB
    response = post(token, body)
    assert response.status_code == 200, response.content[:500]
    assert (response.json()["rows"], response.json()["inserted"]) == (50_000, 50_000)
    assert Measurement.objects.filter(kpi=world.kpi).count() == 50_000


def test_a_body_one_byte_over_the_limit_is_refused_as_json(world, token, debug, settings):
    settings.FOURFOLD_PUSH_MAX_MB = 1
    limit = 1024 * 1024
    head = '{"measurements": [], "padding": "'
    at_limit = head + "x" * (limit - len(head) - 2) + '"}'
    assert len(at_limit) == limit
    # At the limit the body is read (and refused for its empty batch, as JSON too).
    assert "The batch is empty" in assert_json_refusal(post(token, at_limit), 400)
    over = at_limit[:-2] + 'x"}'
    detail = assert_json_refusal(post(token, over), 413)
    assert detail == (
        "The body is larger than 1 MB; send at most 50,000 measurements in 1 MB per batch "
        "(split it)."
    )
    assert not Measurement.objects.exists()


def test_other_paths_keep_djangos_own_body_limit(world, as_user, settings):
    """Only the push API reads large bodies: a page's form still stops at 2.5 MB."""
    client = as_user("manager")
    client.raise_request_exception = False
    response = client.post(
        f"/programs/{world.program.pk}/are-we-getting-closer/sources/",
        "name=" + "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_malformed_json_is_refused_as_json(world, token, debug):
    detail = assert_json_refusal(post(token, '{"measurements": [{"kpi": '), 400)
    assert "parse" in detail.lower() or "json" in detail.lower()


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_wrong_content_type_is_refused_as_json(world, token, debug, content_type):
    body = json.dumps({"measurements": [{"kpi": "Conversion rate", "period": "2026-01-01"}]})
    response = Client(raise_request_exception=False).generic(
        "POST",
        "/api/measurements",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    detail = assert_json_refusal(response, 415)
    assert detail.startswith("Send the batch as JSON (Content-Type: application/json)")


def test_unknown_addresses_and_wrong_methods_answer_as_json(world, token, debug):
    client = Client(raise_request_exception=False)
    assert assert_json_refusal(client.get("/api/nothing-here"), 404) == "Not Found."
    response = client.get("/api/measurements", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert assert_json_refusal(response, 405) == "Method Not Allowed: use POST."
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1e999999999", "“1e999999999” is too large"),
        ("-1e999999999", "“-1e999999999” is too large"),
        ("NaN", "not a number: “NaN”"),
        ("Infinity", "not a number: “Infinity”"),
        ("-Infinity", "not a number: “-Infinity”"),
    ],
)
def test_values_no_column_holds_are_refused_naming_the_item_and_value(world, token, value, reason):
    items = [
        {"kpi": "Conversion rate", "period": YESTERDAY.isoformat(), "value": 2},
        {"kpi": "Conversion rate", "period": YESTERDAY.isoformat(), "value": value},
    ]
    response = post(token, json.dumps({"measurements": items}))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"item": 2, "field": "value", "reason": reason}]
    assert "unexpectedly" not in response.json()["detail"]
    assert not Measurement.objects.exists()


def test_huge_numerators_are_refused_by_name_too(world, token):
    items = [
        {
            "kpi": "Conversion rate",
            "period": YESTERDAY.isoformat(),
            "value": 2,
            "numerator": "1e999999999",
            "denominator": "-1e999999999",
        }
    ]
    errors = post(token, json.dumps({"measurements": items})).json()["errors"]
    assert {"item": 1, "field": "numerator", "reason": "“1e999999999” is too large"} in errors
    assert {"item": 1, "field": "denominator", "reason": "is negative"} in errors


def test_a_wrong_content_type_without_a_token_is_refused_for_the_token_first(world, debug):
    response = Client(raise_request_exception=False).post(
        "/api/measurements", "a=1", content_type="application/x-www-form-urlencoded"
    )
    assert assert_json_refusal(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"
