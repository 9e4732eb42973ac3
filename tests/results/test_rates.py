"""Issue 18, item 3: conversions above visits were accepted, and then the KPI page and the
progress refresh failed. Every entry refuses a numerator above its denominator, and a
value that is not numerator ÷ denominator when all three are given."""

import datetime

import pytest

from results import ingest
from results.models import Measurement
from tests.results.test_results import push, token  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


def item(**values):
    return {"kpi": "Conversion rate", "period": YESTERDAY, "variant": "personalized", **values}


def test_a_push_with_more_conversions_than_visits_is_refused_with_the_reason(world, token):  # noqa: F811
    response = push(token, [item(value=100, numerator=150, denominator=100)])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "item": 1,
            "field": "numerator",
            "reason": "150.0000 is above its denominator 100.0000: a rate cannot have more "
            "successes than trials",
        }
    ]
    assert not Measurement.objects.exists()


def test_a_value_that_is_not_numerator_over_denominator_is_refused(world, token):  # noqa: F811
    response = push(token, [item(value=8.3, numerator=23, denominator=1000)])
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "value"
    assert "does not match numerator ÷ denominator (2.3%)" in error["reason"]


def test_a_value_that_matches_its_rate_loads(world, token):  # noqa: F811
    assert push(token, [item(value=2.31, numerator=231, denominator=10000)]).status_code == 200
    assert push(token, [item(value=2.3, numerator=231, denominator=10000)]).status_code == 200


def test_the_upload_reader_refuses_it_too():
    checked = ingest.check_rows(
        [(2, {"kpi": "Visits", "period": YESTERDAY, "value": "1", "n": "5", "d": "4"})],
        {"kpi": "kpi", "period": "period", "value": "value", "numerator": "n", "denominator": "d"},
        kpis={"visits": ingest.KpiInfo(1, "ratio")},
        segments={},
        today=datetime.date.today(),
    )
    assert [(e.line, e.column) for e in checked.errors] == [(2, "n")]
