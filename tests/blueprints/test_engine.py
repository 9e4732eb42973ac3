"""The decision engine and the condition sentences, with plain data."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from blueprints.engine import (
    Blueprint,
    Condition,
    Offer,
    Stage,
    compile_blueprint,
    decide,
    decide_winners,
)
from segments.conditions import (
    Attribute,
    AttributeType,
    ConditionError,
    contradiction,
    duplicates,
    parse,
)

VISITOR = Attribute("visitor_type", "Visitor type", AttributeType.CATEGORY, ("new", "returning"))
COUNTRY = Attribute("country", "Country", AttributeType.CATEGORY, ("NL", "BE", "DE"))
CART = Attribute("cart_value", "Cart value", AttributeType.NUMBER)
ACCOUNT = Attribute("has_account", "Has an account", AttributeType.BOOLEAN)
CAMPAIGN = Attribute("campaign", "Campaign", AttributeType.TEXT)
ATTRIBUTES = [VISITOR, COUNTRY, CART, ACCOUNT, CAMPAIGN]


def offer(id, propensity, value, *conditions, weight=1.0, name=None):
    return Offer(id, name or f"O{id}", propensity, value, weight, tuple(conditions))


def one_stage(*offers):
    return compile_blueprint(Blueprint((Stage(1, "Purchase", tuple(offers)),)))


RETURNING = Condition(VISITOR, "is", "returning")
NEW = Condition(VISITOR, "is", "new")
BIG_CART = Condition(CART, "at_least", "50")


@pytest.mark.parametrize(
    ("offers", "profile", "chosen", "first"),
    [
        # Higher propensity x value wins over the first match.
        ([offer(1, 0.02, 40), offer(2, 0.06, 45, RETURNING)], {"visitor_type": "returning"}, 2, 1),
        # An ineligible offer never wins, however good.
        ([offer(1, 0.02, 40), offer(2, 0.9, 99, NEW)], {"visitor_type": "returning"}, 1, 1),
        # Ties go to the offer placed first.
        ([offer(1, 0.05, 10), offer(2, 0.10, 5)], {}, 1, 1),
        # The business weight counts.
        ([offer(1, 0.05, 10), offer(2, 0.05, 10, weight=2)], {}, 2, 1),
        # Nothing eligible.
        ([offer(1, 0.05, 10, NEW)], {"visitor_type": "returning"}, None, None),
        # Numbers from a CSV arrive as text and still compare as numbers.
        ([offer(1, 0.5, 1, BIG_CART)], {"cart_value": "120.50"}, 1, 1),
        ([offer(1, 0.5, 1, BIG_CART)], {"cart_value": "9"}, None, None),
        # A missing or unreadable value fails its condition.
        ([offer(1, 0.5, 1, BIG_CART)], {"cart_value": "lots"}, None, None),
        ([offer(1, 0.5, 1, Condition(ACCOUNT, "is_true", True))], {"has_account": "yes"}, 1, 1),
        (
            [offer(1, 0.5, 1, Condition(ACCOUNT, "is_true", True))],
            {"has_account": "false"},
            None,
            None,
        ),
        ([offer(1, 0.5, 1, Condition(CART, "between", ["10", "20"]))], {"cart_value": 20}, 1, 1),
        (
            [offer(1, 0.5, 1, Condition(COUNTRY, "is_one_of", ["NL", "BE"]))],
            {"country": "DE"},
            None,
            None,
        ),
        (
            [offer(1, 0.5, 1, Condition(CAMPAIGN, "contains", "sale"))],
            {"campaign": "Spring-SALE"},
            1,
            1,
        ),
    ],
)
def test_decisions(offers, profile, chosen, first):
    compiled = one_stage(*offers)
    (decision,) = decide(compiled, profile)
    assert (decision.chosen.id if decision.chosen else None) == chosen
    assert (decision.first_match.id if decision.first_match else None) == first
    assert decide_winners(compiled, profile) == [chosen]


def test_every_offer_is_explained():
    compiled = one_stage(offer(1, 0.02, 40), offer(2, 0.06, 45, RETURNING), offer(3, 0.5, 10, NEW))
    (decision,) = decide(compiled, {"visitor_type": "returning"})
    reasons = [v.reason for v in decision.verdicts]
    assert reasons == [
        "in: no conditions, every customer qualifies",
        "in: Visitor type is returning",
        "out: needs Visitor type is new (Visitor type is returning)",
    ]
    assert decision.differs_from_first_match


def test_a_stage_without_eligible_offers_says_so():
    compiled = compile_blueprint(
        Blueprint((Stage(1, "Loyalty", (offer(1, 0.1, 1, NEW),)), Stage(2, "Empty", ())))
    )
    assert [d.chosen for d in decide(compiled, {})] == [None, None]


def test_a_learned_propensity_scores_per_profile():
    learned = Offer(
        2,
        "Learned",
        0.01,
        10,
        propensity_for=lambda p: 0.9 if p.get("visitor_type") == "new" else 0.0,
    )
    compiled = one_stage(offer(1, 0.05, 10), learned)
    assert decide_winners(compiled, {"visitor_type": "new"}) == [2]
    assert decide_winners(compiled, {"visitor_type": "returning"}) == [1]


conditions_strategy = st.one_of(
    st.sampled_from([RETURNING, NEW, Condition(ACCOUNT, "is_true", True)]),
    st.integers(0, 100).map(lambda n: Condition(CART, "at_least", str(n))),
    st.integers(0, 100).map(lambda n: Condition(CART, "at_most", str(n))),
)
offers_strategy = st.lists(
    st.tuples(st.floats(0, 1), st.floats(0, 100), st.lists(conditions_strategy, max_size=3)),
    min_size=1,
    max_size=8,
).map(lambda rows: [offer(i, p, v, *c) for i, (p, v, c) in enumerate(rows, start=1)])
profiles_strategy = st.fixed_dictionaries(
    {},
    optional={
        "visitor_type": st.sampled_from(["new", "returning"]),
        "cart_value": st.integers(0, 120).map(str),
        "has_account": st.sampled_from(["true", "false"]),
    },
)


@given(offers=offers_strategy, profile=profiles_strategy)
def test_the_winner_is_eligible_and_has_the_highest_score(offers, profile):
    (decision,) = decide(one_stage(*offers), profile)
    eligible = [v for v in decision.verdicts if v.eligible]
    if not eligible:
        assert decision.chosen is None
        return
    best = max(v.score for v in eligible)
    chosen = next(v for v in decision.verdicts if v.offer == decision.chosen)
    assert chosen.eligible and chosen.score == best
    assert decide_winners(one_stage(*offers), profile) == [decision.chosen.id]


@given(offers=offers_strategy, profile=profiles_strategy, data=st.data())
def test_removing_a_non_winning_offer_never_changes_the_winner(offers, profile, data):
    winner = decide_winners(one_stage(*offers), profile)[0]
    losers = [o for o in offers if o.id != winner]
    assume(losers)
    removed = data.draw(st.sampled_from(losers))
    assert decide_winners(one_stage(*[o for o in offers if o is not removed]), profile)[0] == winner


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("visitor type is returning", "Visitor type is returning"),
        ("Visitor Type is a returning", "Visitor type is returning"),
        ("cart_value is at least 50", "Cart value is at least 50"),
        ("cart value is between 10 and 50", "Cart value is between 10 and 50"),
        ("country is one of NL, BE", "Country is one of NL, BE"),
        ("has an account is true", "Has an account is true"),
        ("has an account is yes", "Has an account is true"),
        ("campaign contains sale", "Campaign contains sale"),
    ],
)
def test_condition_sentences(sentence, expected):
    assert str(parse(sentence, ATTRIBUTES)) == expected


@pytest.mark.parametrize(
    ("sentence", "suggestion"),
    [
        ("visitor type is not new", "“Visitor type is returning”"),
        ("visitor type isn't returning", "“Visitor type is new”"),
        ("country is not NL", "“Country is one of BE, DE”"),
        ("cart value is not at least 50", "is at most"),
        ("has an account is not true", "positive attribute"),
        ("campaign does not contain sale", "Say who qualifies"),
    ],
)
def test_negations_are_refused_with_the_positive_form(sentence, suggestion):
    with pytest.raises(ConditionError, match="positive statements") as refused:
        parse(sentence, ATTRIBUTES)
    assert suggestion in str(refused.value)


@given(
    attribute=st.sampled_from(ATTRIBUTES),
    negation=st.sampled_from(
        ["is not", "isn't", "not", "never", "does not", "doesn't", "no longer"]
    ),
    rest=st.text(alphabet="abcdefgh 0123456789,", max_size=15),
)
def test_negation_is_always_refused(attribute, negation, rest):
    with pytest.raises(ConditionError, match="positive statements"):
        parse(f"{attribute.label} {negation} {rest}", ATTRIBUTES)


@given(text=st.text(max_size=60))
def test_any_sentence_parses_or_is_refused_with_a_message(text):
    try:
        parse(text, ATTRIBUTES)
    except ConditionError as error:
        assert str(error)


def test_unknown_attributes_and_wrong_values_are_refused():
    with pytest.raises(ConditionError, match="names no known attribute"):
        parse("shoe size is at least 40", ATTRIBUTES)
    with pytest.raises(ConditionError, match="needs a number"):
        parse("cart value is at least many", ATTRIBUTES)
    with pytest.raises(ConditionError, match="no value “loyal”"):
        parse("visitor type is loyal", ATTRIBUTES)


def test_contradictions_and_duplicates():
    assert contradiction([(VISITOR, "is", "new"), (VISITOR, "is", "returning")])
    assert contradiction([(CART, "at_least", "50"), (CART, "at_most", "10")])
    assert contradiction([(COUNTRY, "is_one_of", ["NL", "BE"]), (COUNTRY, "is", "DE")])
    assert contradiction([(CART, "between", ["10", "20"]), (CART, "is", "30")])
    assert contradiction([(CART, "at_least", "10"), (CART, "at_most", "10")]) is None
    assert contradiction([(VISITOR, "is", "new"), (CART, "at_least", "5")]) is None
    assert duplicates(
        [(VISITOR, "is", "new"), (CART, "at_least", "5"), (VISITOR, "is", "new")]
    ) == ["Visitor type is new"]


@pytest.mark.parametrize(
    ("condition", "profile", "reason"),
    [
        # A number reads back as a number, the way it was written in the condition.
        (BIG_CART, {"cart_value": "40"}, "out: needs Cart value is at least 50 (Cart value is 40)"),
        (BIG_CART, {"cart_value": 40}, "out: needs Cart value is at least 50 (Cart value is 40)"),
        (
            BIG_CART,
            {"cart_value": "12.50"},
            "out: needs Cart value is at least 50 (Cart value is 12.5)",
        ),
        (
            BIG_CART,
            {"cart_value": "lots"},
            "out: needs Cart value is at least 50 (Cart value is “lots”, not a number)",
        ),
        (BIG_CART, {}, "out: needs Cart value is at least 50 (Cart value is missing)"),
        (
            Condition(ACCOUNT, "is_true", True),
            {"has_account": "no"},
            "out: needs Has an account is true (Has an account is false)",
        ),
        (
            Condition(COUNTRY, "is_one_of", ["NL", "BE"]),
            {"country": "DE"},
            "out: needs Country is one of NL, BE (Country is DE)",
        ),
        # Free text keeps its quotes: it may hold anything, spaces and all.
        (
            Condition(CAMPAIGN, "contains", "sale"),
            {"campaign": "spring launch"},
            "out: needs Campaign contains sale (Campaign is “spring launch”)",
        ),
    ],
)
def test_a_failed_condition_reads_the_customers_value_back_in_its_type(condition, profile, reason):
    (decision,) = decide(one_stage(offer(1, 0.5, 1, condition)), profile)
    assert decision.verdicts[0].reason == reason


@pytest.mark.parametrize(
    ("sentence", "read_back"),
    [
        ("cart value is at least 50", "Cart value is at least 50"),
        ("cart value is at least 50.00", "Cart value is at least 50"),
        ("cart value is at least 1e3", "Cart value is at least 1000"),
        ("cart value is 12000", "Cart value is 12000"),
        ("cart value is between 10.50 and 2E1", "Cart value is between 10.5 and 20"),
        ("has an account is true", "Has an account is true"),
        ("has an account is yes", "Has an account is true"),
        ("country is one of NL, BE", "Country is one of NL, BE"),
        ("visitor type is a returning", "Visitor type is returning"),
        ("campaign contains sale", "Campaign contains sale"),
        ("campaign is 40", "Campaign is 40"),
    ],
)
def test_every_type_of_condition_reads_back_without_quotes_or_exponents(sentence, read_back):
    parsed = parse(sentence, ATTRIBUTES)
    assert str(parsed) == read_back
    # What reads back parses again to the same condition.
    assert parse(read_back, ATTRIBUTES) == parsed


def test_a_number_too_long_to_read_back_is_refused():
    with pytest.raises(ConditionError, match="everyday size"):
        parse("cart value is at least 1e999999", ATTRIBUTES)
