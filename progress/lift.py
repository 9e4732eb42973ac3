"""Did personalization beat control? Plain statistics (no Django, no SciPy).

- rates (conversions out of visits): the relative lift with a confidence interval (delta
  method on the log of the ratio; only when both groups converted), the difference in
  percentage points with Newcombe's hybrid score interval (defined at 0% and 100%), a pooled
  two-proportion z-test (defined as soon as either group converted), and the Bayesian
  chance that personalized beats control: exact under a uniform prior, Beta(1 + x, 1 + n - x)
  posteriors, by Evan Miller's closed-form sum computed in log space;
- means (average order value, revenue per visit): Welch's t-test, which does not assume the
  two groups share a variance, with Welch-Satterthwaite degrees of freedom; Student's t
  distribution is computed here from the regularized incomplete beta function;
- sample-ratio mismatch: a chi-square test of the traffic split against the planned one;
  a tiny p-value means the split itself is broken and the lift cannot be trusted.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from programs.messages import Message, Number, _

SRM_ALPHA = 0.001
EXACT_TERMS_MAX = 20_000  # chance_to_beat: beyond this the normal approximation is exact enough
_CF_EPS = 1e-15
_CF_TINY = 1e-300
_CF_MAX_ITERATIONS = 100_000


def normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


def normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF (bisection: plenty for confidence levels)."""
    low, high = -10.0, 10.0
    for _step in range(100):
        mid = (low + high) / 2
        if normal_cdf(mid) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _beta_continued_fraction(a: float, b: float, x: float, y: float) -> float:
    """Continued fraction of I_x(a, b), evaluated by the modified Lentz method.

    Converges quickly for x < (a + 1) / (a + b + 2), in about sqrt(max(a, b)) steps. The
    first term, 1 - (a + b) x / (a + 1), is written with y = 1 - x: for x near 1 (large df)
    the subtraction would otherwise cancel away most digits.
    """
    c, d = 1.0, (1 - b + (a + b) * y) / (a + 1)
    d = 1 / (d if abs(d) > _CF_TINY else _CF_TINY)
    fraction = d
    for m in range(1, _CF_MAX_ITERATIONS):
        # Each step adds an even term d_2m and an odd term d_2m+1.
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > _CF_TINY else _CF_TINY)
            c = 1 + numerator / c
            c = c if abs(c) > _CF_TINY else _CF_TINY
            fraction *= c * d
        if abs(c * d - 1) < _CF_EPS:
            return fraction
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def _log_gamma_ratio(a: float, b: float) -> float:
    """log(Gamma(a + b) / Gamma(a)).

    For large a, lgamma(a + b) - lgamma(a) cancels away most digits (df in the millions, as
    Welch gives on big samples), so use Stirling's series written without the cancellation.
    """
    if a < 100:
        return math.lgamma(a + b) - math.lgamma(a)

    def stirling_correction(x: float) -> float:
        return 1 / (12 * x) - 1 / (360 * x**3) + 1 / (1260 * x**5)

    return (
        (a - 0.5) * math.log1p(b / a)
        + b * math.log(a + b)
        - b
        + stirling_correction(a + b)
        - stirling_correction(a)
    )


def _regularized_beta(a: float, b: float, x: float, y: float) -> float:
    """I_x(a, b), with y = 1 - x passed in so that callers can keep its precision."""
    if x <= 0:
        return 0.0
    if y <= 0:
        return 1.0
    log_front = (
        _log_gamma_ratio(max(a, b), min(a, b))
        - math.lgamma(min(a, b))
        + a * (math.log1p(-y) if x > 0.5 else math.log(x))
        + b * (math.log1p(-x) if y > 0.5 else math.log(y))
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x, y) / a
    return 1 - math.exp(log_front) * _beta_continued_fraction(b, a, y, x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with df degrees of freedom (df need not be an integer).

    Matches SciPy to about 1e-10 relative up to df = 1e7; past that, the continued fraction
    slowly loses digits (about 1e-8 at df = 1e9), far below anything a lift report shows.
    """
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, not {df}")
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    # P(|T| > |t|) = I_x(df/2, 1/2) with x = df / (df + t^2).
    tail = _regularized_beta(df / 2, 0.5, df / (df + t * t), t * t / (df + t * t)) / 2
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """Inverse of t_cdf (bisection, to about 1e-12 relative)."""
    if not 0 < p < 1:
        raise ValueError(f"p must be strictly between 0 and 1, not {p}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2
    for _step in range(200):
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low <= 1e-13 * high:
            break
    return (low + high) / 2


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _beta_beats(a_c: int, b_c: int, a_p: int, b_p: int) -> float:
    """P(X_p > X_c) for X_p ~ Beta(a_p, b_p), X_c ~ Beta(a_c, b_c), integer parameters.

    Evan Miller's sum over i < a_p of B(a_c + i, b_c + b_p) / ((b_p + i) B(1 + i, b_p)
    B(a_c, b_c)), each term in logs (lgamma of 100,000 visits is fine; the Beta functions
    themselves underflow), added relative to the largest term.
    """
    const = _log_beta(a_c, b_c)
    logs = [
        _log_beta(a_c + i, b_c + b_p) - math.log(b_p + i) - _log_beta(1 + i, b_p) - const
        for i in range(a_p)
    ]
    top = max(logs)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in logs))


def chance_to_beat(
    *, conversions_p: int, visits_p: int, conversions_c: int, visits_c: int
) -> float:
    """Bayesian chance that personalized converts better than control: uniform prior, so
    Beta(1 + x, 1 + n - x) posteriors, computed exactly (no normal approximation).

    The sum has as many terms as its last parameter; by the symmetries P(p > c) = 1 - P(c > p)
    and P(p > c) = P(1 - c > 1 - p) any of the four parameters can take that place, so the
    smallest does (1 conversion in 100,000 visits costs two terms). Past EXACT_TERMS_MAX
    terms (every count above 20,000) the sum would take seconds, and the normal
    approximation is then off by less than 1e-5 (measured against SciPy: 3e-6 at 20,000
    conversions in each group), far below the three decimals the page shows.
    """
    a_p, b_p = 1 + conversions_p, 1 + visits_p - conversions_p
    a_c, b_c = 1 + conversions_c, 1 + visits_c - conversions_c
    ways = {
        a_p: lambda: _beta_beats(a_c, b_c, a_p, b_p),
        a_c: lambda: 1 - _beta_beats(a_p, b_p, a_c, b_c),
        b_c: lambda: _beta_beats(b_p, a_p, b_c, a_c),
        b_p: lambda: 1 - _beta_beats(b_c, a_c, b_p, a_p),
    }
    if min(ways) > EXACT_TERMS_MAX:

        def var(a: int, b: int) -> float:
            return a * b / ((a + b) ** 2 * (a + b + 1))

        mean_diff = a_p / (a_p + b_p) - a_c / (a_c + b_c)
        return normal_cdf(mean_diff / math.sqrt(var(a_p, b_p) + var(a_c, b_c)))
    return min(max(ways[min(ways)](), 0.0), 1.0)


def wilson_interval(successes: int, trials: int, z: float) -> tuple[float, float]:
    """Wilson's score interval of one proportion: inside [0, 1], defined at 0 and at n."""
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials**2)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class RateLift:
    personalized_rate: float
    control_rate: float
    lift: float | None  # relative: 0.081 is +8.1%; None when a group converted none
    ci_low: float | None
    ci_high: float | None
    confidence: float
    p_value: float  # pooled two-proportion z-test, two-sided
    chance_to_beat: float  # Bayesian, uniform prior, exact
    significant: bool
    difference: float = 0.0  # personalized rate minus control rate (0.05 is 5 points)
    diff_low: float = 0.0  # Newcombe's hybrid score interval of the difference
    diff_high: float = 0.0
    no_lift_reason: str = ""  # why there is no relative lift, in words for the page

    def sentence(self) -> Message:
        """Plain words: "personalized converts 8.1% better (95% CI 3.2% to 13.0%)"; without
        a relative lift, the difference in percentage points and its interval."""
        if self.lift is None:
            template = (
                _(
                    "personalized converts %(size)s percentage points more (%(confidence)s "
                    "CI %(low)s to %(high)s points)"
                )
                if self.difference >= 0
                else _(
                    "personalized converts %(size)s percentage points less (%(confidence)s "
                    "CI %(low)s to %(high)s points)"
                )
            )
            return Message(
                template,
                {
                    "size": Number(f"{abs(self.difference) * 100:.1f}"),
                    "confidence": Number(f"{self.confidence:.0%}"),
                    "low": Number(f"{self.diff_low * 100:+.1f}"),
                    "high": Number(f"{self.diff_high * 100:+.1f}"),
                },
            )
        template = (
            _("personalized converts %(size)s better (%(confidence)s CI %(low)s to %(high)s)")
            if self.lift >= 0
            else _("personalized converts %(size)s worse (%(confidence)s CI %(low)s to %(high)s)")
        )
        return Message(template, _interval(abs(self.lift), self))


def _interval(size: float, lift) -> dict[str, Number]:
    return {
        "size": Number(f"{size:.1%}"),
        "confidence": Number(f"{lift.confidence:.0%}"),
        "low": Number(f"{lift.ci_low:.1%}"),
        "high": Number(f"{lift.ci_high:.1%}"),
    }


def rate_lift(
    *,
    conversions_p: int,
    visits_p: int,
    conversions_c: int,
    visits_c: int,
    confidence: float = 0.95,
) -> RateLift | None:
    """None when either group has no visits. A group with no conversions still gets the
    test, the difference and its interval; only the relative lift is left out, with the
    reason in no_lift_reason."""
    if min(visits_p, visits_c) <= 0:
        return None
    p1, p2 = conversions_p / visits_p, conversions_c / visits_c
    z = normal_quantile(1 - (1 - confidence) / 2)
    lift = low = high = None
    reason = ""
    if conversions_c <= 0:
        reason = (
            "No relative lift: control converted none, and a lift is a ratio to the "
            "control rate (nothing can be divided by 0)."
        )
    elif conversions_p <= 0:
        reason = (
            "No relative lift: personalized converted none, so the ratio is 0 and its "
            "interval (on the log of the ratio) is not defined."
        )
    else:
        ratio = p1 / p2
        se_log = math.sqrt((1 - p1) / (visits_p * p1) + (1 - p2) / (visits_c * p2))
        lift = ratio - 1
        low = math.exp(math.log(ratio) - z * se_log) - 1
        high = math.exp(math.log(ratio) + z * se_log) - 1
    pooled = (conversions_p + conversions_c) / (visits_p + visits_c)
    se_diff = math.sqrt(pooled * (1 - pooled) * (1 / visits_p + 1 / visits_c))
    z_test = (p1 - p2) / se_diff if se_diff else 0.0
    p_value = math.erfc(abs(z_test) / math.sqrt(2))
    # Newcombe (1998) method 10: the Wilson intervals of each rate, combined.
    l1, u1 = wilson_interval(conversions_p, visits_p, z)
    l2, u2 = wilson_interval(conversions_c, visits_c, z)
    diff = p1 - p2
    diff_low = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    diff_high = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    chance = chance_to_beat(
        conversions_p=conversions_p,
        visits_p=visits_p,
        conversions_c=conversions_c,
        visits_c=visits_c,
    )
    return RateLift(
        personalized_rate=p1,
        control_rate=p2,
        lift=lift,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        p_value=p_value,
        chance_to_beat=chance,
        significant=p_value < 1 - confidence,
        difference=diff,
        diff_low=diff_low,
        diff_high=diff_high,
        no_lift_reason=reason,
    )


@dataclass(frozen=True)
class MeanLift:
    """Welch's t-test of personalized against control means.

    The lift and its interval are relative to the control mean: the confidence interval of
    the difference of means (Welch's t interval) divided by |control mean|, treating the
    control mean as a fixed number rather than an estimate. That understates the width a
    little when the control mean is itself noisy; it keeps the interval consistent with the
    p-value (it excludes 0 exactly when the test is significant). Dividing by the absolute
    value keeps a positive lift meaning "personalized is higher" for negative means too.
    """

    personalized_mean: float
    control_mean: float
    lift: float  # relative: 0.081 is +8.1%
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float  # two-sided
    df: float  # Welch-Satterthwaite, usually not an integer
    chance_to_beat: float  # P(personalized mean > control mean), from the t distribution
    significant: bool
    n_personalized: int
    n_control: int

    def sentence(self) -> Message:
        """Plain words: "personalized averages 4.2% higher (95% CI 1.0% to 7.4%)"."""
        template = (
            _("personalized averages %(size)s higher (%(confidence)s CI %(low)s to %(high)s)")
            if self.lift >= 0
            else _("personalized averages %(size)s lower (%(confidence)s CI %(low)s to %(high)s)")
        )
        return Message(template, _interval(abs(self.lift), self))


def mean_lift(
    *, personalized: Sequence[float], control: Sequence[float], confidence: float = 0.95
) -> MeanLift | None:
    """Welch's t-test of the personalized mean against the control mean.

    None when a group has fewer than two values, the control mean is 0 (no relative lift),
    or neither group varies (no standard error, so no test).
    """
    n1, n2 = len(personalized), len(control)
    if min(n1, n2) < 2:
        return None
    mean1, mean2 = statistics.fmean(personalized), statistics.fmean(control)
    if mean2 == 0:
        return None
    # The squared standard error of each group's mean.
    sq_se1 = statistics.variance(personalized, mean1) / n1
    sq_se2 = statistics.variance(control, mean2) / n2
    if sq_se1 + sq_se2 == 0:
        return None
    se = math.sqrt(sq_se1 + sq_se2)
    df = (sq_se1 + sq_se2) ** 2 / (sq_se1**2 / (n1 - 1) + sq_se2**2 / (n2 - 1))
    diff = mean1 - mean2
    p_value = 2 * t_cdf(-abs(diff) / se, df)
    margin = t_quantile(1 - (1 - confidence) / 2, df) * se
    scale = abs(mean2)
    return MeanLift(
        personalized_mean=mean1,
        control_mean=mean2,
        lift=diff / scale,
        ci_low=(diff - margin) / scale,
        ci_high=(diff + margin) / scale,
        confidence=confidence,
        p_value=p_value,
        df=df,
        chance_to_beat=t_cdf(diff / se, df),
        significant=p_value < 1 - confidence,
        n_personalized=n1,
        n_control=n2,
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
