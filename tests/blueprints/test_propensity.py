"""Learning propensity from history, without Django: does it find the truth, and does it
refuse what it cannot learn from?"""

import io
import itertools

import numpy as np
import pandas as pd
import pytest

from blueprints import propensity
from blueprints.history import NEW, RETURNING, TrueOffer, customers, generate, sigmoid, to_csv
from blueprints.propensity import Columns, Kind, TableError
from programs.tables import read_table

ATTRIBUTES = ("visitor_type", "cart_value", "has_account", "country")
KINDS = {
    "visitor_type": Kind.CATEGORY,
    "cart_value": Kind.NUMBER,
    "has_account": Kind.BOOLEAN,
    "country": Kind.CATEGORY,
}
COLUMNS = Columns("offer", "converted", ATTRIBUTES, value="value")


def account(p):
    return (p["has_account"] == "yes").to_numpy()


def cart(p):
    return p["cart_value"].to_numpy() - 40


def de(p):
    return (p["country"] == "DE").to_numpy()


# Four offers, each best for someone: who wins depends on the visitor, the cart, the
# account and the country, so ranking them right means learning every effect.
TRUTH = (
    TrueOffer("Bestsellers", 12_000, lambda p: -3.0 + 1.0 * NEW(p) - 0.5 * de(p)),
    TrueOffer("Resume", 12_000, lambda p: -3.4 + 1.3 * RETURNING(p) + 0.6 * account(p)),
    TrueOffer("Free shipping", 12_000, lambda p: -2.7 + 0.025 * cart(p)),
    TrueOffer("Club", 12_000, lambda p: -2.2 - 1.5 * account(p) + 0.6 * de(p)),
)


def history_of(truth=TRUTH, seed=3, columns=COLUMNS, kinds=KINDS) -> propensity.History:
    frame = read_table("history.csv", io.BytesIO(to_csv(generate(truth, seed=seed))))
    return propensity.prepare(frame, columns, kinds=kinds)


@pytest.fixture(scope="module")
def learned():
    history = history_of()
    return {r.offer: r for r in propensity.train(history, seed=42)}


PROFILES = [
    {"visitor_type": v, "cart_value": c, "has_account": a, "country": n}
    for v, c, a, n in itertools.product(
        ("new", "returning"), (10, 40, 90), ("yes", "no"), ("NL", "BE", "DE")
    )
]


def test_propensity_recovers_the_ranking_of_offers_from_a_known_logistic_truth(learned):
    """For every profile where the truth sets offers clearly apart (by at least 0.35 in
    log-odds, about a 40% higher chance), the learned models put them in the same order."""
    checked = 0
    for profile in PROFILES:
        people = pd.DataFrame([profile])
        truth = {o.name: float(o.log_odds(people)[0]) for o in TRUTH}
        guess = {
            name: propensity.predict(r.model, profile).probability for name, r in learned.items()
        }
        for a, b in itertools.combinations(truth, 2):
            if abs(truth[a] - truth[b]) >= 0.35:
                checked += 1
                assert (truth[a] > truth[b]) == (guess[a] > guess[b]), (profile, a, b)
    assert checked > 100


def test_learned_probabilities_are_close_to_the_truth_and_calibrated(learned):
    for offer in TRUTH:
        result = learned[offer.name]
        truth = offer.probability(pd.DataFrame(PROFILES))
        guess = np.array([propensity.predict(result.model, p).probability for p in PROFILES])
        assert np.abs(np.log(guess / truth)).max() < 0.45, offer.name  # within ~1.5x
        assert result.mean_predicted == pytest.approx(result.observed_rate, abs=0.012)
        # The truth's own AUC on such data is 0.6-0.75; a learner that found it is near.
        assert 0.58 < result.auc < 0.8
        assert sum(b["exposures"] for b in result.reliability) == result.exposures_test


def test_the_volume_behind_each_model_is_counted(learned):
    result = learned["Resume"]
    assert result.exposures == 12_000
    assert result.exposures_test == 3_000  # a quarter held out
    assert 0 < result.conversions_test < result.conversions
    assert result.conversions_test == pytest.approx(result.conversions / 4, abs=1)  # stratified


def test_the_stored_model_predicts_exactly_what_was_measured():
    """One profile through the JSON model gives what the held-out check computed for it."""
    history = history_of(truth=TRUTH[:1])
    result = next(propensity.train(history, seed=1))
    rows = history.features.iloc[:50]
    vectorized = propensity.predict_rows(result.model, rows)
    for (_, row), expected in zip(rows.iterrows(), vectorized, strict=True):
        profile = {
            "visitor_type": row["visitor_type"],
            "cart_value": str(row["cart_value"]),
            "has_account": "yes" if row["has_account"] == 1 else "no",
            "country": row["country"],
        }
        assert propensity.predict(result.model, profile).probability == pytest.approx(expected)


def test_the_same_file_and_seed_give_the_same_models():
    history = history_of(truth=TRUTH[:2])
    first = list(propensity.train(history, seed=7))
    again = list(propensity.train(history_of(truth=TRUTH[:2]), seed=7))
    other = list(propensity.train(history, seed=8))
    assert [r.model for r in first] == [r.model for r in again]
    assert [r.auc for r in first] == [r.auc for r in again]
    assert [r.model for r in first] != [r.model for r in other]  # another held-out draw


def test_a_missing_attribute_is_filled_in_and_said(learned):
    model = learned["Free shipping"].model
    full = propensity.predict(
        model, {"visitor_type": "new", "cart_value": "90", "has_account": "no", "country": "NL"}
    )
    assert full.filled == ()
    partial = propensity.predict(model, {"visitor_type": "new", "country": "FR"})
    said = [f.describe() for f in partial.filled]
    assert said[0].startswith("cart_value not given: used the history's average, ")
    assert said[1].startswith("has_account not given: used the history's average (")
    assert said[2] == "country “FR” is not in the history: used the most common, NL"
    assert partial.probability < full.probability  # an average cart, not a big one


def test_profiles_speak_like_forms_and_files():
    model = next(propensity.train(history_of(truth=TRUTH[1:2]), seed=1)).model
    a = propensity.predict(model, {"visitor_type": "Returning", "has_account": "TRUE"})
    b = propensity.predict(model, {"visitor_type": "returning", "has_account": True})
    assert a.probability == b.probability
    assert [f.column for f in a.filled] == ["cart_value", "country"]


def test_an_offer_with_too_little_data_gets_no_model_and_the_reason():
    truth = (
        TrueOffer("Plenty", 3_000, lambda p: -2.0 + 0.5 * NEW(p)),
        TrueOffer("Rarely shown", 400, lambda p: -1.0 + 0 * NEW(p)),
        TrueOffer("Rarely converts", 3_000, lambda p: -5.0 + 0 * NEW(p)),
    )
    results = {r.offer: r for r in propensity.train(history_of(truth=truth), seed=1)}
    assert results["Plenty"].trained
    for name in ("Rarely shown", "Rarely converts"):
        assert not results[name].trained and results[name].auc is None
        assert results[name].reason.startswith("Too little data: ")
    assert "needs at least 500 exposures with 50 conversions" in results["Rarely shown"].reason
    # The thresholds follow the model's size: ten events per parameter beyond five.
    assert propensity.Volume("x", 5_000, 100).shortfall(parameters=5) == ""
    assert "with 120 conversions" in propensity.Volume("x", 5_000, 100).shortfall(parameters=12)


def test_a_history_too_thin_for_every_offer_says_so():
    truth = (TrueOffer("Rarely shown", 300, lambda p: -1.0 + 0 * NEW(p)),)
    message = propensity.too_little_overall(history_of(truth=truth))
    assert message.startswith("Too little data to learn any offer's propensity.")
    assert "“Rarely shown” (300 exposures" in message


# --- Files that cannot be learned from ----------------------------------------------------


def frame_of(text: str) -> pd.DataFrame:
    return read_table("history.csv", io.BytesIO(text.encode()))


GOOD = "offer,converted,visitor_type,cart_value\n" + "".join(
    f"Hero,{'yes' if i % 4 == 0 else 'no'},{'new' if i % 2 else 'returning'},{i % 90}\n"
    for i in range(40)
)


SMALL = Columns("offer", "converted", ("visitor_type", "cart_value"))


def check(text: str, columns=SMALL):
    return propensity.prepare(frame_of(text), columns, kinds=KINDS, name="history.csv")


def test_a_good_small_file_is_read():
    history = check(GOOD)
    assert history.kinds == {"visitor_type": Kind.CATEGORY, "cart_value": Kind.NUMBER}
    assert history.converted.sum() == 10 and history.parameters == 2


@pytest.mark.parametrize(
    ("text", "columns", "message"),
    [
        (
            GOOD,
            Columns("offer", "bought", ("visitor_type",)),
            "“history.csv” has no column “bought”; its columns are offer, converted, "
            "visitor_type, cart_value.",
        ),
        (
            GOOD,
            Columns("offer", "converted", ()),
            "Choose at least one attribute column for the model to learn from.",
        ),
        (
            GOOD.replace("Hero,no,new,3\n", "Hero,maybe,new,3\n").replace(
                "Hero,no,new,5\n", "Hero,2,new,5\n"
            ),
            None,
            "“converted” must say whether each exposure converted: 1/0, true/false or yes/no, "
            "nothing else. It also holds “maybe” (line 5), “2” (line 7).",
        ),
        (
            GOOD.replace("Hero,no,new,3\n", "Hero,,new,3\n"),
            None,
            "“converted” is empty on 1 rows (the first is line 5); every exposure must say "
            "whether it converted.",
        ),
        (
            GOOD.replace(",yes,", ",no,"),
            None,
            "“converted” says no on every row, so there is nothing to learn",
        ),
        (
            GOOD.replace(",returning,", ",new,"),
            None,
            "“visitor_type” has the same value on every row, so cannot tell customers apart. "
            "Leave it out.",
        ),
        (
            GOOD.replace("Hero,no,new,3\n", "Hero,no,new,lots\n"),
            None,
            "“cart_value” should hold numbers; it has “lots” (line 5).",
        ),
        (
            GOOD.replace("Hero,no,new,3\n", ",no,new,3\n"),
            None,
            "“offer” is empty on 1 rows (the first is line 5)",
        ),
    ],
)
def test_files_that_cannot_be_learned_from_say_why(text, columns, message):
    with pytest.raises(TableError) as refused:
        if columns is None:
            check(text)
        else:
            check(text, columns)
    assert message in str(refused.value)


def test_several_constant_columns_are_named_together():
    text = "offer,converted,a,b,c\n" + "".join(f"Hero,{i % 2},x,1,{i}\n" for i in range(10))
    with pytest.raises(TableError, match="“a”, “b” have the same value on every row"):
        propensity.prepare(frame_of(text), Columns("offer", "converted", ("a", "b", "c")))


def test_a_value_column_must_hold_amounts():
    text = (
        GOOD.replace("offer,converted,", "offer,converted,value,")
        .replace("Hero,yes,", "Hero,yes,12.5,")
        .replace("Hero,no,", "Hero,no,,")
    )
    columns = Columns("offer", "converted", ("visitor_type",), value="value")
    assert check(text, columns).values.sum() == pytest.approx(125)
    with pytest.raises(TableError, match="“value” should hold what a conversion was worth"):
        check(text.replace("Hero,yes,12.5,", "Hero,yes,-3,"), columns)


def test_an_identifier_is_not_an_attribute():
    text = "offer,converted,customer\n" + "".join(f"Hero,{i % 2},c{i}\n" for i in range(60))
    with pytest.raises(TableError, match="“customer” has 60 different values"):
        propensity.prepare(frame_of(text), Columns("offer", "converted", ("customer",)))


def test_columns_outside_the_attributes_are_typed_by_what_they_hold():
    text = "offer,converted,member,segment,spend\n" + "".join(
        f"Hero,{i % 2},{'yes' if i % 3 else 'no'},s{i % 4},{i * 1.5}\n" for i in range(20)
    )
    history = propensity.prepare(
        frame_of(text), Columns("offer", "converted", ("member", "segment", "spend"))
    )
    assert history.kinds == {
        "member": Kind.BOOLEAN,
        "segment": Kind.CATEGORY,
        "spend": Kind.NUMBER,
    }


def test_offers_in_the_file_are_matched_to_the_blueprint_by_name():
    offers = {1: "Welcome hero", 2: "Bestsellers", 3: "Free shipping"}
    assert propensity.match_offers(["welcome HERO", "Bestsellers"], offers) == {
        "Bestsellers": 2,
        "welcome HERO": 1,
    }
    with pytest.raises(TableError) as refused:
        propensity.match_offers(["Bestsellers", "Spring sale", "Old banner"], offers)
    assert str(refused.value).startswith(
        "The file names offers this blueprint does not have: “Old banner”, “Spring sale”. "
        "Its offers are “Bestsellers”, “Free shipping”, “Welcome hero”"
    )
    with pytest.raises(TableError, match="two offers named “Hero”"):
        propensity.match_offers(["Hero"], {1: "Hero", 2: "hero"})


def test_the_generated_customers_look_like_a_web_shop():
    people = customers(np.random.default_rng(1), 10_000)
    assert 0.55 < (people["visitor_type"] == "returning").mean() < 0.65
    assert 30 < people["cart_value"].median() < 50
    assert sigmoid(0) == pytest.approx(0.5)
