"""Exposure histories with a known truth, for the propensity tests and the access matrix."""

from django.core.files.uploadedfile import SimpleUploadedFile

from blueprints.history import NEW, RETURNING, TrueOffer, generate, to_csv


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
