"""A condition typed on an offer's card: a refused one says why at its field and keeps the
sentence, and only that card is redrawn, not the whole board (issue 18, item 15)."""

import html
import re

import pytest

from blueprints.models import OfferCondition
from segments.services import segment_condition_add, segment_save
from tests.blueprints.test_blueprints import shop, url  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def post_condition(client, world, offer, sentence, **headers):
    return client.post(
        url("offer_action", world, offer_pk=offer.pk, action="condition"),
        {"sentence": sentence},
        **headers,
    )


def card_of(body: str, offer) -> str:
    card = body[body.index(f'id="offer-{offer.pk}"') :]
    return card[: card.index("</article>")]


def field_of(card: str) -> str:
    """The sentence's input element."""
    return re.search(r'<input[^>]*name="sentence"[^>]*>', card).group(0)


def test_a_refused_condition_redraws_only_its_card_with_the_reason_at_the_field(
    shop,  # noqa: F811
    as_user,
):
    response = post_condition(
        as_user("team"), shop, shop.bestsellers, "visitor type is not new", **HTMX
    )
    assert response.status_code == 422
    body = html.unescape(response.content.decode())
    # Only this offer's card: no page, no board, no other offer.
    assert body.lstrip().startswith(f'<article class="ff-offer" id="offer-{shop.bestsellers.pk}"')
    assert body.count("<article") == 1 and "<html" not in body
    assert 'data-testid="stages"' not in body and 'data-testid="coverage"' not in body
    assert "Pick up where you left off" not in body
    # The sentence stays in its field, and the reason is right below it, tied to it.
    field = field_of(body)
    assert 'value="visitor type is not new"' in field and 'aria-invalid="true"' in field
    error = re.search(r'<div[^>]*id="([^"]+)"[^>]*data-testid="condition-error">([^<]*)<', body)
    assert error.group(1) in re.search(r'aria-describedby="([^"]*)"', field).group(1).split()
    assert "Conditions are positive statements" in error.group(2)
    assert "“Visitor type is returning”" in error.group(2)
    assert body.index("condition-error") > body.index('name="sentence"')
    assert not shop.bestsellers.conditions.exists()


def test_an_added_condition_redraws_its_card_with_the_coverage_beside_it(
    shop,  # noqa: F811
    as_user,
):
    response = post_condition(
        as_user("team"), shop, shop.bestsellers, "cart value is at least 50.00", **HTMX
    )
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    card = card_of(body, shop.bestsellers)
    assert "Cart value is at least 50" in card and "50.00" not in card
    assert 'value="' not in field_of(card)  # an empty field for the next one
    assert body.count("<article") == 1 and f'id="offer-{shop.resume.pk}"' not in body
    # The stage's flags and the coverage grid may change with it: swapped in beside.
    assert re.search(r'id="stage-flags-\d+" hx-swap-oob="true"', body)
    assert re.search(r'id="coverage" data-testid="coverage" hx-swap-oob="true"', body)
    assert OfferCondition.objects.filter(offer=shop.bestsellers).count() == 1


def test_without_javascript_a_refused_condition_shows_the_board_with_the_reason_at_its_field(
    shop,  # noqa: F811
    as_user,
):
    response = post_condition(
        as_user("team"), shop, shop.bestsellers, "cart value is at least lots"
    )
    assert response.status_code == 422
    body = html.unescape(response.content.decode())
    assert 'data-testid="stages"' in body  # the whole board
    card = card_of(body, shop.bestsellers)
    assert 'value="cart value is at least lots"' in field_of(card)
    assert "Cart value needs a number, not “lots”." in card
    # The other cards' fields are empty and unmarked.
    other = card_of(body, shop.resume)
    assert "aria-invalid" not in field_of(other) and "condition-error" not in other


def test_an_empty_condition_is_refused_at_its_field(shop, as_user):  # noqa: F811
    response = post_condition(as_user("team"), shop, shop.bestsellers, "   ", **HTMX)
    assert response.status_code == 422
    assert "Write a condition" in response.content.decode()


def test_a_reader_cannot_add_a_condition(shop, as_user):  # noqa: F811
    response = post_condition(
        as_user("executive"), shop, shop.bestsellers, "cart value is at least 5", **HTMX
    )
    assert response.status_code in (403, 404)
    assert not shop.bestsellers.conditions.exists()


def test_the_coverage_grid_names_each_segments_size_with_thousands_separated(
    shop,  # noqa: F811
    as_user,
):
    segment = segment_save(
        organization=shop.acme, by=shop.user("manager"), name="Big baskets", estimated_size=12000
    )
    segment_condition_add(
        segment=segment,
        attribute=shop.cart,
        operator="at_least",
        value="75",
        by=shop.user("manager"),
    )
    body = html.unescape(as_user("team").get(url("blueprint", shop)).content.decode())
    coverage = body[body.index('data-testid="coverage"') :]
    assert re.search(r"Big baskets<div[^>]*>12,000 customers</div>", coverage)
    # Each cell names its stage, for the grid stacked on a phone.
    assert 'data-label="Purchase"' in coverage
