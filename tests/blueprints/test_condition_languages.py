"""Conditions in every language (issue 20, item 5): typed and read back in the person's
language with the attribute labels the organization chose, stored without language, and
negations refused with the positive form in that language."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from blueprints import services
from blueprints.models import OfferCondition
from segments import wording
from segments.conditions import DANISH, DUTCH, SLOVENIAN, Attribute, AttributeType, parse
from segments.services import attribute_save
from tests.blueprints.test_blueprints import add_condition, shop, url  # noqa: F401

pytestmark = pytest.mark.django_db

VISITOR = Attribute("visitor_type", "Besøgstype", AttributeType.CATEGORY, ("ny", "tilbagevendende"))
CART = Attribute("cart_value", "Kurvens værdi", AttributeType.NUMBER)


@pytest.mark.parametrize(
    ("wording_", "sentence", "operator", "value"),
    [
        (DANISH, "kurvens værdi er mindst 50", "at_least", "50"),
        (DANISH, "Kurvens værdi er mellem 9,5 og 49,95", "between", ["9.5", "49.95"]),
        (DANISH, "besøgstype er en af ny, tilbagevendende", "is_one_of", ["ny", "tilbagevendende"]),
        (DUTCH, "kurvens værdi is minstens 12,5", "at_least", "12.5"),
        (SLOVENIAN, "kurvens værdi je največ 100", "at_most", "100"),
    ],
)
def test_a_condition_typed_in_a_language_is_stored_without_it(wording_, sentence, operator, value):
    parsed = parse(sentence, [VISITOR, CART], wording_)
    assert (parsed.operator, parsed.value) == (operator, value)


def test_a_danish_number_written_the_english_way_is_refused_not_read_wrong():
    with pytest.raises(Exception, match="needs a number"):
        parse("kurvens værdi er mindst 1.000", [CART], DANISH)


@pytest.mark.parametrize(
    ("language", "sentence", "expected"),
    [
        (
            "da",
            "besøgstype er ikke ny",
            "Betingelser er positive udsagn: “besøgstype er ikke ny” er en benægtelse. "
            "Skriv “Besøgstype er tilbagevendende” i stedet.",
        ),
        (
            "nl",
            "Besøgstype is niet ny",
            "Voorwaarden zijn positieve uitspraken: “Besøgstype is niet ny” is een ontkenning. "
            "Schrijf in plaats daarvan “Besøgstype is tilbagevendende”.",
        ),
        (
            "sl",
            "Kurvens værdi ni vsaj 50",
            "Pogoji so pozitivne trditve: „Kurvens værdi ni vsaj 50“ je zanikanje. Namesto tega "
            "napišite „Kurvens værdi je največ …“ z najvišjo vrednostjo, ki še ustreza.",
        ),
    ],
)
def test_a_negation_is_refused_with_the_positive_form_in_that_language(
    language, sentence, expected
):
    with translation.override(language):
        with pytest.raises(Exception) as refused:
            parse(sentence, [VISITOR, CART], wording.current())
        assert wording.message(refused.value) == expected


def reader(world, who: str, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.user(who))
    return client


def test_a_condition_written_in_dutch_reads_in_danish_on_a_colleagues_screen(shop):  # noqa: F811
    shop.cart.label = "Winkelwagenwaarde"
    shop.cart.save()
    dutch = reader(shop, "team", "nl")
    response = add_condition(dutch, shop, shop.bestsellers, "winkelwagenwaarde is minstens 49,5")
    assert response.status_code in (200, 302), response.content.decode()[:500]
    stored = OfferCondition.objects.get(offer=shop.bestsellers)
    assert (stored.operator, stored.value) == ("at_least", "49.5")

    page = reader(shop, "manager", "da").get(url("blueprint", shop)).content.decode()
    assert "Winkelwagenwaarde er mindst 49,5" in page
    assert "Visitor type er returning" in page  # typed in English; its value is data
    english = Client()
    english.force_login(shop.user("executive"))
    assert (
        "Winkelwagenwaarde is at least 49.5" in english.get(url("blueprint", shop)).content.decode()
    )


def test_the_structured_condition_form_speaks_the_language_too(shop):  # noqa: F811
    attribute_save(
        organization=shop.acme, key="basket", label="Kurv", type="number", allowed_values=[]
    )
    page = reader(shop, "manager", "sl").get(
        reverse("segments:segment", kwargs={"org": "acme", "segment_pk": shop.segment.pk})
    )
    body = page.content.decode()
    assert ">je vsaj</option>" in body and ">je med</option>" in body
    assert "dve števili, povezani z „in“" in body


def test_a_refused_condition_says_why_in_the_persons_language_and_writes_nothing(
    shop,  # noqa: F811
):
    response = add_condition(
        reader(shop, "team", "da"), shop, shop.bestsellers, "cart value er mindst masser"
    )
    assert "Cart value skal være et tal, ikke “masser”." in response.content.decode()
    assert not OfferCondition.objects.filter(offer=shop.bestsellers).exists()
    with translation.override("en"):
        services.condition_add(
            offer=shop.bestsellers, sentence="cart value is at least 10", by=shop.user("team")
        )
    assert OfferCondition.objects.filter(offer=shop.bestsellers).count() == 1
