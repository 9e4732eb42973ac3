"""KPI validation, ROI arithmetic and conditions: the plain rules of question 2."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.roi import roi_figures
from kpis.rules import kpi_errors
from segments.conditions import Attribute, AttributeType, ConditionError, describe, normalize_value

D = datetime.date
GOOD = {
    "unit": "percent",
    "direction": "higher",
    "baseline": Decimal("2.0"),
    "target": Decimal("2.5"),
    "baseline_date": D(2026, 1, 1),
    "target_date": D(2026, 6, 30),
    "currency_code": "",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, None, None),
        ({"target": Decimal("2.0")}, "target", "must be above the baseline"),
        ({"target": Decimal("1.5")}, "target", "must be above the baseline"),
        ({"direction": "lower"}, "target", "must be below the baseline"),
        ({"direction": "lower", "target": Decimal("1.5")}, None, None),
        ({"target_date": D(2025, 12, 31)}, "target_date", "after the baseline date"),
        ({"target_date": D(2026, 1, 1)}, "target_date", "after the baseline date"),
        ({"target_date": D(2032, 1, 1)}, "target_date", "more than five years"),
        ({"target": Decimal("101")}, "target", "between 0 and 100"),
        ({"baseline": Decimal("-1")}, "baseline", "between 0 and 100"),
        (
            {"unit": "percent_change", "baseline": Decimal("0"), "target": Decimal("150")},
            None,
            None,
        ),
        ({"unit": "currency", "currency_code": ""}, "currency_code", "ISO code"),
        ({"unit": "currency", "currency_code": "eur"}, "currency_code", "ISO code"),
        ({"unit": "currency", "currency_code": "EUR"}, None, None),
        ({"unit": "count", "baseline": Decimal("-5")}, "baseline", "cannot be negative"),
        ({"unit": "count", "baseline": Decimal("100"), "target": Decimal("250")}, None, None),
    ],
)
def test_kpi_rules(changes, field, message):
    errors = kpi_errors(**(GOOD | changes))
    if field is None:
        assert errors == {}
    else:
        assert message in str(errors[field])


@pytest.mark.parametrize(
    ("one_off", "running", "monthly_return", "months", "roi", "payback", "acceptable"),
    [
        # 60,000 + 4,000 x 12 = 108,000 invested; 14,000 x 12 = 168,000 back:
        # (168,000 - 108,000) / 108,000 = 55.6%; 60,000 / (14,000 - 4,000) = 6.0 months.
        (60000, 4000, 14000, 12, Decimal("55.6"), Decimal("6.0"), True),
        # 10,000 once, nothing running, 1,000 a month for 6 months: -40%, pays back in 10.
        (10000, 0, 1000, 6, Decimal("-40.0"), Decimal("10.0"), False),
        # The running cost eats the return: never pays back.
        (5000, 2000, 2000, 12, Decimal("-17.2"), None, False),
    ],
)
def test_roi_against_hand_computed_cases(
    one_off, running, monthly_return, months, roi, payback, acceptable
):
    figures = roi_figures(
        one_off=Decimal(one_off),
        running_per_month=Decimal(running),
        return_per_month=Decimal(monthly_return),
        horizon_months=months,
        acceptable_roi_percent=Decimal(50),
    )
    assert (figures.roi_percent, figures.payback_months, figures.acceptable) == (
        roi,
        payback,
        acceptable,
    )


def test_roi_without_investment_has_no_percentage():
    figures = roi_figures(
        one_off=Decimal(0),
        running_per_month=Decimal(0),
        return_per_month=Decimal(100),
        horizon_months=12,
        acceptable_roi_percent=Decimal(50),
    )
    assert (figures.roi_percent, figures.acceptable, figures.payback_months) == (
        None,
        None,
        Decimal(0),
    )


VISITOR = Attribute("visitor_type", "Visitor type", AttributeType.CATEGORY, ("new", "returning"))
CART = Attribute("cart_value", "Cart value", AttributeType.NUMBER)
ACCOUNT = Attribute("has_account", "Has an account", AttributeType.BOOLEAN)
CITY = Attribute("city", "City", AttributeType.TEXT)


@pytest.mark.parametrize(
    ("attribute", "operator", "raw", "stored", "sentence"),
    [
        (VISITOR, "is", "returning", "returning", "Visitor type is returning"),
        (
            VISITOR,
            "is_one_of",
            "new, returning",
            ["new", "returning"],
            "Visitor type is one of new, returning",
        ),
        (CART, "at_least", "50", "50", "Cart value is at least 50"),
        (CART, "between", "10, 50.5", ["10", "50.5"], "Cart value is between 10 and 50.5"),
        (ACCOUNT, "is_true", "", True, "Has an account is true"),
        (CITY, "contains", " dam ", "dam", "City contains dam"),
    ],
)
def test_conditions_are_stored_typed_and_read_as_sentences(
    attribute, operator, raw, stored, sentence
):
    value = normalize_value(attribute, operator, raw)
    assert value == stored
    assert describe(attribute, operator, value) == sentence


@pytest.mark.parametrize(
    ("attribute", "operator", "raw", "message"),
    [
        (VISITOR, "is", "loyal", "no value “loyal”; it can be new, returning"),
        (VISITOR, "at_least", "3", "category attribute: use is, is one of"),
        (CART, "at_least", "fifty", "needs a number"),
        (CART, "between", "50, 10", "the first must be the lower"),
        (CART, "between", "50", "needs two numbers"),
        (CART, "at_least", "NaN", "finite"),
        (ACCOUNT, "is", "yes", "boolean attribute"),
        (CITY, "is", "  ", "needs a value"),
        (CITY, "is_not", "x", "Unknown operator"),
    ],
)
def test_conditions_of_the_wrong_type_are_refused_with_a_reason(attribute, operator, raw, message):
    with pytest.raises(ConditionError, match=message):
        normalize_value(attribute, operator, raw)


@given(raw=st.text(max_size=30))
def test_any_text_either_normalizes_or_is_refused_clearly(raw):
    for attribute, operator in [(CART, "at_least"), (CART, "between"), (VISITOR, "is_one_of")]:
        try:
            normalize_value(attribute, operator, raw)
        except ConditionError as error:
            assert str(error)
