"""The offer form reads as a person wrote the offer (issue 18, item 16: wording)."""

import re
from decimal import Decimal

import pytest

from blueprints import services
from tests.blueprints.test_blueprints import shop, url  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def field(body: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)


def test_an_offers_numbers_are_shown_as_written(shop, as_user):  # noqa: F811
    services.offer_save(
        offer=shop.bestsellers,
        stage=shop.bestsellers.stage,
        by=shop.user("team"),
        name="Bestsellers",
        kind="recommendation",
        propensity=Decimal("0.035"),
        value=Decimal("40"),
    )
    body = as_user("team").get(url("offer_edit", shop, offer_pk=shop.bestsellers.pk)).content
    body = body.decode()
    assert 'value="0.035"' in field(body, "propensity")
    assert 'value="40"' in field(body, "value")
    assert 'value="1"' in field(body, "weight")
    # The weight is required (it has a value, 1 unless changed): no "Optional" beside it.
    assert "Optional: 1 is neutral" not in body and "1 is neutral; 2 doubles its score" in body
