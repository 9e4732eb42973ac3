"""Issue 18, items 7 and 8: the KPI page's "personalized against control" card, fed through
the push API as a source would feed it."""

import datetime

import pytest
from django.urls import reverse

from tests.conftest import shown
from tests.results.test_results import push, token  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


def arms(token, personalized, control):  # noqa: F811
    (xp, n_p), (xc, n_c) = personalized, control
    items = [
        {
            "kpi": "Conversion rate",
            "period": YESTERDAY,
            "variant": variant,
            "value": 100 * x / n,
            "numerator": x,
            "denominator": n,
        }
        for variant, x, n in (("personalized", xp, n_p), ("control", xc, n_c))
    ]
    assert push(token, items).status_code == 200


def lift_card(world, as_user) -> str:
    html = shown(
        as_user("executive"),
        reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk}),
    )
    start = html.index('data-testid="lift"')
    return " ".join(html[start : start + 3000].split())


def test_one_in_ten_against_one_in_100000_shows_the_exact_bayesian_chance(world, token, as_user):  # noqa: F811
    arms(token, (1, 10), (1, 100_000))
    card = lift_card(world, as_user)
    assert "chance that personalized beats control 1.000 (Bayesian, uniform prior)" in card
    assert "0.947" not in card
    assert "Difference +10.0 percentage points (95% CI" in card


def test_all_against_none_shows_the_test_the_difference_and_why_no_lift(world, token, as_user):  # noqa: F811
    arms(token, (100, 100), (0, 100))
    card = lift_card(world, as_user)
    assert "Not enough conversions" not in card
    # Issue 18, item 17: the "<" is escaped in the HTML, as every other text is.
    assert "p-value &lt; 0.0001" in card
    assert "< 0" not in card
    # Newcombe: 1 - sqrt(2 (1 - 100 / (100 + 1.96²))²) = 0.948.
    assert "Personalized converts 100.0 percentage points more (95% CI +94.8 to +100.0" in card
    assert "control converted none" in card
    assert "The difference is significant." in card
