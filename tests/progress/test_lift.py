"""Lift, intervals and sample-ratio mismatch against hand-computed values.

The t distribution and Welch reference numbers were computed with scipy.stats (SciPy 1.17.1):
stats.t.cdf, stats.t.ppf and stats.ttest_ind(personalized, control, equal_var=False), its
confidence_interval(0.95) divided by the control mean for the relative interval.
"""

import math

import pytest

from progress.lift import (
    mean_lift,
    normal_cdf,
    normal_quantile,
    rate_lift,
    sample_ratio,
    t_cdf,
    t_quantile,
)


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


def test_sample_ratio_mismatch():
    # 5,000 vs 5,200 against 50/50: chi2 = 2 * 100^2 / 5,100 = 3.92, p = 0.0477: no alarm.
    ok = sample_ratio(visits_p=5_000, visits_c=5_200)
    assert ok.p_value == pytest.approx(0.0477, abs=5e-4) and not ok.mismatch
    broken = sample_ratio(visits_p=5_000, visits_c=5_600)
    assert broken.mismatch
    planned = sample_ratio(visits_p=9_000, visits_c=1_000, planned_share=0.9)
    assert not planned.mismatch and planned.observed_share == 0.9


@pytest.mark.parametrize(
    ("t", "df", "expected"),
    [
        # scipy.stats.t.cdf(t, df), SciPy 1.17.1
        (0.0, 5, 0.5),
        (1.0, 1, 0.75),
        (-2.0, 3, 0.06966298427942152),
        (-3.0, 30, 0.0026949820328259727),
        (2.5, 7.5, 0.9805898708631873),
        (-1.3, 2.7, 0.14672632185192266),
        (0.7, 0.5, 0.6572996687396166),
        (1.96, 1e6, 0.9750019662073651),
    ],
)
def test_t_cdf_matches_scipy_including_non_integer_df(t, df, expected):
    assert t_cdf(t, df) == pytest.approx(expected, rel=1e-9)


def test_t_cdf_approaches_the_normal_for_large_df():
    # The gap to the normal is about pdf(t) (t^3 + t) / (4 df): a few 1e-7 at df = 1e6.
    for t in (-4.0, -2.5, -1.0, 0.3, 1.96, 3.0):
        assert t_cdf(t, 1e6) == pytest.approx(normal_cdf(t), abs=1e-6)
        assert t_cdf(t, 3) != pytest.approx(normal_cdf(t), abs=1e-3)


def test_t_cdf_at_infinity_and_rejects_non_positive_df():
    assert t_cdf(float("inf"), 3) == 1.0 and t_cdf(float("-inf"), 3) == 0.0
    assert math.isnan(t_cdf(float("nan"), 3))
    with pytest.raises(ValueError):
        t_cdf(1.0, 0)


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        # scipy.stats.t.ppf(p, df), SciPy 1.17.1
        (0.975, 1, 12.706204736174694),
        (0.975, 10, 2.228138851986274),
        (0.975, 13.7, 2.149201262229809),
        (0.995, 4.2, 4.4577703053188795),
        (0.05, 20, -1.724718242920787),
        (0.975, 1e6, 1.959966356814107),
    ],
)
def test_t_quantile_matches_scipy(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, rel=1e-9)


def test_t_quantile_rejects_probabilities_outside_zero_one():
    assert t_quantile(0.5, 4) == 0.0
    with pytest.raises(ValueError):
        t_quantile(1.0, 4)


def test_welch_with_unequal_variances_and_sizes_matches_scipy():
    # Steady personalized orders (n=12) against a spread-out control (n=8).
    personalized = [58.2, 61.5, 49.9, 72.3, 66.0, 55.1, 63.8, 70.2, 59.4, 68.7, 62.0, 57.6]
    control = [44.0, 67.5, 35.2, 58.8, 40.1, 54.3, 31.7, 62.9]
    lift = mean_lift(personalized=personalized, control=control)
    assert lift.p_value == pytest.approx(0.03304216021373892, rel=1e-6)
    assert lift.df == pytest.approx(9.267178978494838, rel=1e-6)
    assert lift.personalized_mean == pytest.approx(62.05833333333334)
    assert lift.control_mean == pytest.approx(49.3125)
    assert lift.lift == pytest.approx(0.25847063793831865)
    assert lift.ci_low == pytest.approx(0.02581494757371394, rel=1e-6)
    assert lift.ci_high == pytest.approx(0.4911263283029233, rel=1e-6)
    # scipy.stats.t.cdf(statistic, df): the chance that personalized averages more.
    assert lift.chance_to_beat == pytest.approx(0.9834789198931305, rel=1e-6)
    assert lift.significant
    assert (lift.n_personalized, lift.n_control, lift.confidence) == (12, 8, 0.95)
    assert lift.sentence() == "personalized averages 25.8% higher (95% CI 2.6% to 49.1%)"


def test_lower_personalized_mean_is_a_negative_lift_said_lower():
    personalized = [41.0, 44.5, 39.8, 43.2, 40.1, 42.7, 38.9, 45.0, 41.6]
    control = [46.2, 49.8, 44.0, 51.3, 47.5, 45.9, 50.2, 48.8, 46.7, 49.1, 52.0]
    lift = mean_lift(personalized=personalized, control=control)
    assert lift.lift == pytest.approx(-0.13352148008780185)
    assert lift.p_value == pytest.approx(6.696963277481859e-06, rel=1e-6)
    assert lift.df == pytest.approx(17.93401121251395, rel=1e-6)
    assert lift.ci_low == pytest.approx(-0.17831180310551228, rel=1e-6)
    assert lift.ci_high == pytest.approx(-0.0887311570700911, rel=1e-6)
    assert lift.chance_to_beat == pytest.approx(3.3484816387409297e-06, rel=1e-6)
    assert lift.significant
    assert lift.sentence() == "personalized averages 13.4% lower (95% CI -17.8% to -8.9%)"


def test_equal_means_are_not_significant():
    lift = mean_lift(
        personalized=[50.0, 52.0, 48.0, 51.0, 49.0], control=[49.0, 51.0, 52.0, 48.0, 50.0, 50.0]
    )
    assert lift.lift == 0 and lift.p_value == pytest.approx(1.0)
    assert lift.df == pytest.approx(8.196721311475407, rel=1e-6)
    assert lift.ci_low == pytest.approx(-0.041926448807500856, rel=1e-6)
    assert lift.ci_high == pytest.approx(0.041926448807500856, rel=1e-6)
    assert lift.chance_to_beat == pytest.approx(0.5) and not lift.significant


def test_a_wider_confidence_gives_a_wider_interval():
    personalized = [58.2, 61.5, 49.9, 72.3, 66.0, 55.1, 63.8, 70.2, 59.4, 68.7, 62.0, 57.6]
    control = [44.0, 67.5, 35.2, 58.8, 40.1, 54.3, 31.7, 62.9]
    at_95 = mean_lift(personalized=personalized, control=control)
    at_99 = mean_lift(personalized=personalized, control=control, confidence=0.99)
    assert at_99.ci_low < at_95.ci_low and at_99.ci_high > at_95.ci_high
    assert at_99.p_value == at_95.p_value and not at_99.significant


@pytest.mark.parametrize(
    ("personalized", "control"),
    [
        ([10.0], [9.0, 11.0]),  # a group with a single value has no variance
        ([10.0, 12.0], []),
        ([10.0, 12.0], [-1.0, 1.0]),  # control mean 0: no relative lift
        ([10.0, 10.0, 10.0], [8.0, 8.0]),  # neither group varies: no standard error
    ],
)
def test_no_mean_lift_for_degenerate_inputs(personalized, control):
    assert mean_lift(personalized=personalized, control=control) is None


# P(personalized rate > control rate) under Beta(1 + x, 1 + n - x) posteriors (uniform
# prior), referenced against scipy.stats.beta with scipy.integrate.quad (SciPy 1.17.1):
# quad(lambda a: control.pdf(a) * personalized.sf(a)) to 1e-12 relative.
@pytest.mark.parametrize(
    "xp, n_p, xc, n_c, expected",
    [
        (1, 10, 1, 100_000, 0.9999999670095482),
        (30, 1000, 20, 1000, 0.9222933087101886),
        (200, 10_000, 150, 10_000, 0.996495488433152),
        (12_000, 100_000, 11_700, 100_000, 0.9810318589563671),
        (3, 7, 9, 40, 0.8836963436709482),
        (100, 100, 0, 100, 0.9999999999999803),
    ],
)
def test_chance_to_beat_is_the_exact_beta_posterior(xp, n_p, xc, n_c, expected):
    lift = rate_lift(conversions_p=xp, visits_p=n_p, conversions_c=xc, visits_c=n_c)
    assert lift.chance_to_beat == pytest.approx(expected, abs=1e-9)


def test_one_in_ten_against_one_in_100000_is_decisive_not_0_947():
    # The normal approximation said 0.947, below the 0.95 line people decide on.
    lift = rate_lift(conversions_p=1, visits_p=10, conversions_c=1, visits_c=100_000)
    assert lift.chance_to_beat >= 0.999


@pytest.mark.parametrize("x, n", [(5, 50), (0, 10), (10, 10), (1234, 100_000)])
def test_equal_groups_have_an_even_chance(x, n):
    lift = rate_lift(conversions_p=x, visits_p=n, conversions_c=x, visits_c=n)
    assert lift.chance_to_beat == pytest.approx(0.5, abs=1e-9)


def test_swapping_the_groups_gives_the_complementary_chance():
    one = rate_lift(conversions_p=3, visits_p=7, conversions_c=9, visits_c=40)
    other = rate_lift(conversions_p=9, visits_p=40, conversions_c=3, visits_c=7)
    assert one.chance_to_beat + other.chance_to_beat == pytest.approx(1, abs=1e-12)


def test_newcombe_interval_of_the_difference_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, Table II example (a), method 10:
    # 56/70 against 48/80 is a difference of 0.2000, 95% CI 0.0524 to 0.3339.
    lift = rate_lift(conversions_p=56, visits_p=70, conversions_c=48, visits_c=80)
    assert lift.difference == pytest.approx(0.2)
    assert lift.diff_low == pytest.approx(0.0524, abs=5e-5)
    assert lift.diff_high == pytest.approx(0.3339, abs=5e-5)


def test_all_against_none_is_decisive_and_says_why_there_is_no_relative_lift():
    lift = rate_lift(conversions_p=100, visits_p=100, conversions_c=0, visits_c=100)
    assert lift is not None
    assert lift.p_value < 1e-6 and lift.significant
    assert 0.9 < lift.diff_low < lift.diff_high == pytest.approx(1.0)
    assert lift.lift is None and lift.ci_low is None and lift.ci_high is None
    assert "control converted none" in lift.no_lift_reason
    assert "100.0 percentage points" in str(lift.sentence())


def test_no_conversions_in_personalized_still_gives_the_difference():
    lift = rate_lift(conversions_p=0, visits_p=100, conversions_c=5, visits_c=100)
    assert lift.difference == pytest.approx(-0.05)
    assert -1 <= lift.diff_low < -0.05 < lift.diff_high < 0.05
    assert lift.lift is None
    assert "personalized converted none" in lift.no_lift_reason


def test_no_conversions_anywhere_is_an_even_no_difference():
    lift = rate_lift(conversions_p=0, visits_p=100, conversions_c=0, visits_c=100)
    assert lift.difference == 0 and lift.p_value == 1 and not lift.significant
    assert lift.diff_low < 0 < lift.diff_high


def test_no_lift_without_visits():
    assert rate_lift(conversions_p=0, visits_p=0, conversions_c=5, visits_c=100) is None


def test_large_groups_stay_fast_and_within_1e_5_of_the_exact_chance():
    # scipy quad reference as above; past 20,000 terms the normal approximation is used.
    lift = rate_lift(
        conversions_p=20_500, visits_p=1_000_000, conversions_c=20_200, visits_c=1_000_000
    )
    assert lift.chance_to_beat == pytest.approx(0.9335025673810441, abs=1e-5)
