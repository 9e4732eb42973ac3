"""Exposure histories made up from a known truth: the demo's, the benchmark's, the tests'.

Each offer has a true logistic model of conversion on the customer's attributes; customers
are drawn at random (only those its conditions admit, as a real history would hold), shown
the offer, and convert with the true probability. A learner that works recovers the truth,
which is what the tests check; the demo gets a history whose lessons make sense. No Django.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

ATTRIBUTES = ("visitor_type", "cart_value", "has_account", "country")

Rule = Callable[[pd.DataFrame], np.ndarray]


def customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Web shop visitors: 60% returning (most of them with an account), carts with a
    median near 40, mostly Dutch."""
    returning = rng.random(n) < 0.6
    account = rng.random(n) < np.where(returning, 0.7, 0.2)
    return pd.DataFrame(
        {
            "visitor_type": np.where(returning, "returning", "new"),
            "cart_value": np.round(rng.lognormal(mean=3.7, sigma=0.6, size=n), 2),
            "has_account": np.where(account, "yes", "no"),
            "country": rng.choice(["NL", "BE", "DE"], p=[0.6, 0.25, 0.15], size=n),
        }
    )


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def sigmoid(z) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


@dataclass(frozen=True)
class TrueOffer:
    """An offer as the world really treats it: the log-odds of converting per customer."""

    name: str
    exposures: int
    log_odds: Rule
    value: float = 40.0
    eligible: Rule | None = None

    def probability(self, people: pd.DataFrame) -> np.ndarray:
        return sigmoid(self.log_odds(people))


def is_(column: str, value: str) -> Rule:
    return lambda people: (people[column] == value).to_numpy()


def generate(offers: Sequence[TrueOffer], *, seed: int) -> pd.DataFrame:
    """Exposures of every offer, shuffled: offer, converted (yes/no), value (of a
    conversion, else empty) and the customer's attributes."""
    rng = np.random.default_rng(seed)
    parts = []
    for offer in offers:
        chosen = []
        wanted = offer.exposures
        while wanted > 0:
            pool = customers(rng, max(1_000, 2 * wanted))
            if offer.eligible is not None:
                pool = pool[offer.eligible(pool)]
            pool = pool.iloc[:wanted]
            chosen.append(pool)
            wanted -= len(pool)
        people = pd.concat(chosen, ignore_index=True)
        converted = rng.random(len(people)) < offer.probability(people)
        worth = np.round(offer.value * rng.lognormal(0, 0.3, len(people)), 2)
        parts.append(
            pd.DataFrame(
                {
                    "offer": offer.name,
                    "converted": np.where(converted, "yes", "no"),
                    "value": np.where(converted, worth, np.nan),
                }
            ).join(people)
        )
    frame = pd.concat(parts, ignore_index=True)
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def to_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


# --- The demo web shop's history --------------------------------------------------------


def _cart(per_unit: float, around: float = 40.0) -> Rule:
    return lambda people: per_unit * (people["cart_value"].to_numpy() - around)


def _sum(base: float, *rules: tuple[float, Rule] | Rule) -> Rule:
    def log_odds(people: pd.DataFrame) -> np.ndarray:
        total = np.full(len(people), logit(base))
        for rule in rules:
            if isinstance(rule, tuple):
                weight, test = rule
                total += weight * test(people)
            else:
                total += rule(people)
        return total

    return log_odds


RETURNING, NEW = is_("visitor_type", "returning"), is_("visitor_type", "new")
ACCOUNT, NL = is_("has_account", "yes"), is_("country", "NL")

# The demo blueprint's offers (demo.seed.seed_blueprint), as the last half year treated
# them. "Size advice chat" was shown too rarely to learn from: the run says so.
DEMO_OFFERS = (
    TrueOffer("Welcome hero for first visits", 7_000, _sum(0.03, (0.6, NL), _cart(0.015)), 40, NEW),
    TrueOffer("Bestsellers carousel", 9_000, _sum(0.02, (0.9, NEW), _cart(0.01)), 45),
    TrueOffer(
        "Pick up where you left off", 8_000, _sum(0.05, (1.0, ACCOUNT), _cart(0.015)), 45, RETURNING
    ),
    TrueOffer("Similar products", 8_000, _sum(0.035, _cart(0.02)), 50),
    TrueOffer("Reviews from Dutch buyers", 6_000, _sum(0.03, (0.8, NEW), _cart(0.01)), 40, NL),
    TrueOffer(
        "Size advice chat",
        400,
        _sum(0.05),
        35,
        lambda p: RETURNING(p) & ACCOUNT(p),
    ),
    TrueOffer(
        "Free shipping from 75",
        5_000,
        _sum(0.08, _cart(0.06, around=62)),
        30,
        lambda p: p["cart_value"].between(50, 75).to_numpy(),
    ),
    TrueOffer(
        "Complete the look",
        7_000,
        _sum(0.045, (0.8, RETURNING), _cart(0.01)),
        55,
        lambda p: (p["cart_value"] >= 30).to_numpy(),
    ),
    TrueOffer("10% off the first order", 6_000, _sum(0.10, _cart(-0.02), (0.4, NL)), 18, NEW),
    TrueOffer("Track your parcel", 6_000, _sum(0.28, (0.8, RETURNING)), 5, ACCOUNT),
    TrueOffer("Easy returns explained", 6_000, _sum(0.12, (-1.0, RETURNING)), 8),
    TrueOffer(
        "Members' early access",
        5_000,
        _sum(0.05, _cart(0.02)),
        60,
        lambda p: ACCOUNT(p) & RETURNING(p),
    ),
    TrueOffer(
        "Replenish favourites", 6_000, _sum(0.07, (1.0, ACCOUNT), _cart(0.01)), 40, RETURNING
    ),
    TrueOffer("Join the club", 7_000, _sum(0.05, (-1.6, ACCOUNT), (0.5, NEW)), 25),
)
DEMO_SEED = 20261101
