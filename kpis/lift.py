"""Did personalization beat control? Plain statistics (no Django, no SciPy).

- rates (conversions out of visits): the relative lift with a confidence interval (delta
  method on the log of the ratio), a two-proportion z-test, and the Bayesian chance that
  personalized beats control (Beta(1 + x, 1 + n - x) posteriors, normal approximation);
- sample-ratio mismatch: a chi-square test of the traffic split against the planned one;
  a tiny p-value means the split itself is broken and the lift cannot be trusted.
"""

import math
from dataclasses import dataclass

SRM_ALPHA = 0.001


def normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


def normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF (bisection: plenty for confidence levels)."""
    low, high = -10.0, 10.0
    for _ in range(100):
        mid = (low + high) / 2
        if normal_cdf(mid) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


@dataclass(frozen=True)
class RateLift:
    personalized_rate: float
    control_rate: float
    lift: float  # relative: 0.081 is +8.1%
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float
    chance_to_beat: float
    significant: bool

    def sentence(self) -> str:
        """Plain words: "personalized converts 8.1% better (95% CI 3.2% to 13.0%)"."""
        better = "better" if self.lift >= 0 else "worse"
        return (
            f"personalized converts {abs(self.lift):.1%} {better} "
            f"({self.confidence:.0%} CI {self.ci_low:.1%} to {self.ci_high:.1%})"
        )


def rate_lift(
    *,
    conversions_p: int,
    visits_p: int,
    conversions_c: int,
    visits_c: int,
    confidence: float = 0.95,
) -> RateLift | None:
    """None when either group has no visits or no conversions (no ratio to speak of)."""
    if min(visits_p, visits_c) <= 0 or min(conversions_p, conversions_c) <= 0:
        return None
    p1, p2 = conversions_p / visits_p, conversions_c / visits_c
    ratio = p1 / p2
    se_log = math.sqrt((1 - p1) / (visits_p * p1) + (1 - p2) / (visits_c * p2))
    z = normal_quantile(1 - (1 - confidence) / 2)
    low, high = (
        math.exp(math.log(ratio) - z * se_log) - 1,
        math.exp(math.log(ratio) + z * se_log) - 1,
    )
    pooled = (conversions_p + conversions_c) / (visits_p + visits_c)
    se_diff = math.sqrt(pooled * (1 - pooled) * (1 / visits_p + 1 / visits_c))
    z_test = (p1 - p2) / se_diff if se_diff else 0.0
    p_value = 2 * (1 - normal_cdf(abs(z_test)))
    a1, b1 = 1 + conversions_p, 1 + visits_p - conversions_p
    a2, b2 = 1 + conversions_c, 1 + visits_c - conversions_c

    def beta_var(a: float, b: float) -> float:
        return a * b / ((a + b) ** 2 * (a + b + 1))

    mean_diff = a1 / (a1 + b1) - a2 / (a2 + b2)
    chance = normal_cdf(mean_diff / math.sqrt(beta_var(a1, b1) + beta_var(a2, b2)))
    return RateLift(
        p1, p2, ratio - 1, low, high, confidence, p_value, chance, p_value < 1 - confidence
    )


@dataclass(frozen=True)
class SampleRatio:
    observed_share: float  # of personalized traffic
    planned_share: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        return self.p_value < SRM_ALPHA


def sample_ratio(*, visits_p: int, visits_c: int, planned_share: float = 0.5) -> SampleRatio:
    total = visits_p + visits_c
    expected_p, expected_c = total * planned_share, total * (1 - planned_share)
    chi2 = (visits_p - expected_p) ** 2 / expected_p + (visits_c - expected_c) ** 2 / expected_c
    return SampleRatio(visits_p / total, planned_share, math.erfc(math.sqrt(chi2 / 2)))
