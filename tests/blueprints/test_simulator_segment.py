"""The simulator with a segment chosen and fields filled in: the segment fills the fields,
what is typed in a field wins, and the page says which values came from where (issue 18,
item 14: a chosen segment was ignored as soon as any field was filled in)."""

import html
import re

import pytest

from segments.services import segment_condition_add, segment_save
from tests.blueprints.test_blueprints import shop, url  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def regulars(shop):  # noqa: F811
    segment = segment_save(organization=shop.acme, by=shop.user("manager"), name="Regulars")
    segment_condition_add(
        segment=segment,
        attribute=shop.visitor,
        operator="is",
        value="returning",
        by=shop.user("manager"),
    )
    return segment


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def words(body: str) -> str:
    """What a person reads: the text without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body))


def chosen_in(body: str, stage: str) -> str:
    section = body[body.index(f">{stage}<") :]
    return re.search(r'data-testid="chosen">([^<]*)<', section).group(1)


def test_a_segment_chosen_with_other_fields_filled_decides_for_the_segment(
    shop,  # noqa: F811
    regulars,
    as_user,
):
    """Regulars are returning visitors: with a cart value typed too, "Pick up where you
    left off" (returning visitors only) still wins the purchase stage."""
    response = as_user("team").get(
        url("simulator", shop), {"segment": regulars.pk, "cart_value": "20"}
    )
    body = text(response)
    assert chosen_in(body, "Purchase") == "Pick up where you left off"
    profile = body[body.index('data-testid="decided-profile"') :]
    profile = words(profile[: profile.index("</div>")])
    assert "Decided for a customer of “Regulars”:" in profile
    assert "Visitor type returning (from the segment)" in profile
    assert "Cart value 20 (typed)" in profile
    # The fields show the customer decided for: the segment's value is filled in.
    assert re.search(
        r'<option selected>returning</option>|<option value="returning" selected', body
    )


def test_a_value_typed_in_a_field_wins_over_the_segments_and_the_page_says_so(
    shop,  # noqa: F811
    regulars,
    as_user,
):
    response = as_user("team").get(
        url("simulator", shop), {"segment": regulars.pk, "visitor_type": "new"}
    )
    body = text(response)
    assert chosen_in(body, "Purchase") == "Bestsellers"
    assert "Visitor type new (typed; the segment has returning)" in words(body)
    assert "What you type in a field wins over the segment" in body


def test_choosing_a_segment_fills_the_fields_with_its_customer(
    shop,  # noqa: F811
    regulars,
    as_user,
):
    """Picking a segment (htmx sends the segment alone) answers with the decisions and the
    fields, filled from the segment, swapped in beside them."""
    response = as_user("team").get(
        url("simulator", shop),
        {"segment": regulars.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="decisions",
    )
    body = text(response)
    assert body.lstrip().startswith('<div id="decisions"')
    assert chosen_in(body, "Purchase") == "Pick up where you left off"
    fields = body[body.index('id="profile-fields"') :]
    assert 'hx-swap-oob="true"' in body[body.index('id="profile-fields"') - 200 :][:400]
    visitor = fields[fields.index('name="visitor_type"') :]
    visitor = visitor[: visitor.index("</select>")]
    assert re.search(r"<option[^>]* selected[^>]*>returning</option>", visitor), visitor
    cart = fields[fields.index('name="cart_value"') :]
    assert 'value=""' in cart[: cart.index(">")]


def test_without_a_segment_the_typed_customer_is_decided(shop, regulars, as_user):  # noqa: F811
    body = text(as_user("team").get(url("simulator", shop), {"visitor_type": "returning"}))
    assert chosen_in(body, "Purchase") == "Pick up where you left off"
    assert "(from the segment)" not in body
    assert "Decided for: Visitor type returning (typed)" in words(body)
