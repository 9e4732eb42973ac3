"""Exposure histories with a known truth, and the shop they are about, for the propensity
tests and the access matrix."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from blueprints import services
from blueprints.history import NEW, RETURNING, TrueOffer, generate, to_csv
from segments.services import attribute_save


def cart(people):
    return people["cart_value"].to_numpy() - 40


# Three offers whose order depends on the customer: new visitors like bestsellers,
# returning ones their unfinished cart, big carts free shipping.
SHOP_TRUTH = (
    TrueOffer("Bestsellers", 6_000, lambda p: -3.3 + 1.2 * NEW(p), value=40),
    TrueOffer(
        "Pick up where you left off",
        6_000,
        lambda p: -3.6 + 1.6 * RETURNING(p) + 0.01 * cart(p),
        value=45,
    ),
    TrueOffer("Free shipping", 6_000, lambda p: -2.9 + 0.03 * cart(p), value=30),
)


def shop_history(*, seed: int = 11, truth=SHOP_TRUTH) -> bytes:
    return to_csv(generate(truth, seed=seed))


def hero_history(*, rows: int = 1_200, seed: int = 5) -> bytes:
    """Enough history for the access matrix's one offer, "Hero"."""
    truth = TrueOffer("Hero", rows, lambda p: -2.2 + 0.8 * NEW(p))
    return to_csv(generate([truth], seed=seed))


def history_form(content: bytes, *, name: str = "history.csv", **fields) -> dict:
    """The upload form's fields: conventional column names, attributes picked by name."""
    return {
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        "offer_column": "offer",
        "converted_column": "converted",
        "value_column": "",
        "attribute_columns": "",
        "seed": "",
        **fields,
    }


def make_shop(world):
    """A blueprint whose Purchase stage has the three offers of the generated history and
    one more that the history never showed."""
    org, team = world.acme, world.user("team")
    attribute_save(
        organization=org,
        key="visitor_type",
        label="Visitor type",
        type="category",
        allowed_values=["new", "returning"],
    )
    attribute_save(
        organization=org, key="cart_value", label="Cart value", type="number", allowed_values=[]
    )
    world.blueprint = services.blueprint_create(
        cycle=world.program.cycles.get(), name="Web shop", by=team
    )
    purchase = world.blueprint.stages.get(name="Purchase")

    def offer(name, propensity, value):
        return services.offer_save(
            stage=purchase,
            by=team,
            name=name,
            propensity=Decimal(propensity),
            value=Decimal(value),
        )

    world.bestsellers = offer("Bestsellers", "0.02", 40)
    world.resume = offer("Pick up where you left off", "0.06", 45)
    services.condition_add(offer=world.resume, sentence="visitor type is returning", by=team)
    world.shipping = offer("Free shipping", "0.08", 30)
    world.gift = offer("Gift wrap", "0.01", 5)
    return world
