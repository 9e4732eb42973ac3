"""Lift, intervals and sample-ratio mismatch against hand-computed values."""

import pytest

from kpis.lift import normal_cdf, normal_quantile, rate_lift, sample_ratio


def test_normal_helpers():
    assert normal_cdf(0) == pytest.approx(0.5)
    assert normal_cdf(1.959964) == pytest.approx(0.975, abs=1e-6)
    assert normal_quantile(0.975) == pytest.approx(1.959964, abs=1e-5)


def test_two_proportion_lift():
    # 2.0% vs 1.5% on 10,000 visits each. Pooled 1.75%: z = 0.005 / sqrt(0.0175 * 0.9825 *
    # 2/10000) = 2.6963, two-sided p = 0.00701. Relative lift +33.3%; log-ratio SE =
    # sqrt(0.98/200 + 0.985/150) = 0.10708, so the 95% CI is exp(ln(4/3) -/+ 1.96 * 0.10708) - 1.
    lift = rate_lift(conversions_p=200, visits_p=10_000, conversions_c=150, visits_c=10_000)
    assert lift.lift == pytest.approx(1 / 3)
    assert lift.p_value == pytest.approx(0.00701, abs=2e-5)
    assert lift.ci_low == pytest.approx(0.0809, abs=2e-4)
    assert lift.ci_high == pytest.approx(0.6447, abs=2e-4)
    assert lift.significant and lift.chance_to_beat > 0.99
    assert lift.sentence() == "personalized converts 33.3% better (95% CI 8.1% to 64.5%)"


def test_no_difference_is_not_significant():
    lift = rate_lift(conversions_p=150, visits_p=10_000, conversions_c=150, visits_c=10_000)
    assert lift.lift == 0 and lift.p_value == pytest.approx(1.0)
    assert lift.chance_to_beat == pytest.approx(0.5, abs=0.01) and not lift.significant


def test_no_lift_without_conversions():
    assert rate_lift(conversions_p=0, visits_p=100, conversions_c=5, visits_c=100) is None


def test_sample_ratio_mismatch():
    # 5,000 vs 5,200 against 50/50: chi2 = 2 * 100^2 / 5,100 = 3.92, p = 0.0477: no alarm.
    ok = sample_ratio(visits_p=5_000, visits_c=5_200)
    assert ok.p_value == pytest.approx(0.0477, abs=5e-4) and not ok.mismatch
    broken = sample_ratio(visits_p=5_000, visits_c=5_600)
    assert broken.mismatch
    planned = sample_ratio(visits_p=9_000, visits_c=1_000, planned_share=0.9)
    assert not planned.mismatch and planned.observed_share == 0.9
