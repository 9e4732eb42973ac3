"""Decisions per second of the engine on one core.

100,000 random profiles against a blueprint of 5 stages x 20 offers x 4 conditions.
Run: .venv/bin/python bench/decisions.py [--profiles N]
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blueprints.engine import Blueprint, Condition, Offer, Stage, compile_blueprint, decide_winners
from segments.conditions import Attribute, AttributeType

ATTRIBUTES = [
    Attribute("visitor_type", "Visitor type", AttributeType.CATEGORY, ("new", "returning")),
    Attribute("country", "Country", AttributeType.CATEGORY, ("NL", "BE", "DE", "FR")),
    Attribute("cart_value", "Cart value", AttributeType.NUMBER),
    Attribute("orders", "Orders", AttributeType.NUMBER),
    Attribute("has_account", "Has an account", AttributeType.BOOLEAN),
    Attribute("campaign", "Campaign", AttributeType.TEXT),
]


def random_condition(rng: random.Random) -> Condition:
    attribute = rng.choice(ATTRIBUTES)
    if attribute.type is AttributeType.CATEGORY:
        if rng.random() < 0.5:
            return Condition(attribute, "is", rng.choice(attribute.allowed_values))
        return Condition(attribute, "is_one_of", rng.sample(attribute.allowed_values, 2))
    if attribute.type is AttributeType.NUMBER:
        op = rng.choice(["at_least", "at_most", "between"])
        if op == "between":
            low = rng.randint(0, 100)
            return Condition(attribute, op, [str(low), str(low + rng.randint(10, 200))])
        return Condition(attribute, op, str(rng.randint(0, 200)))
    if attribute.type is AttributeType.BOOLEAN:
        return Condition(attribute, "is_true", True)
    return Condition(attribute, "contains", rng.choice(["sale", "spring", "mail"]))


def build(rng: random.Random, stages=5, offers=20, conditions=4) -> Blueprint:
    return Blueprint(
        tuple(
            Stage(
                s,
                f"Stage {s}",
                tuple(
                    Offer(
                        s * 100 + o,
                        f"Offer {o}",
                        rng.random() * 0.2,
                        rng.uniform(1, 100),
                        conditions=tuple(random_condition(rng) for _ in range(conditions)),
                    )
                    for o in range(offers)
                ),
            )
            for s in range(stages)
        )
    )


def profile(rng: random.Random) -> dict[str, object]:
    return {
        "visitor_type": rng.choice(["new", "returning"]),
        "country": rng.choice(["NL", "BE", "DE", "FR"]),
        "cart_value": str(rng.randint(0, 300)),
        "orders": rng.randint(0, 20),
        "has_account": rng.choice(["true", "false"]),
        "campaign": rng.choice(["spring-sale", "mail-2026", "none"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(42)
    compiled = compile_blueprint(build(rng))
    profiles = [profile(rng) for _ in range(args.profiles)]
    started = time.perf_counter()
    chosen = sum(1 for p in profiles for w in decide_winners(compiled, p) if w is not None)
    elapsed = time.perf_counter() - started
    print(f"profiles: {len(profiles):,}  stages: 5  offers/stage: 20  conditions/offer: 4")
    print(f"decisions: {len(profiles) * 5:,} stage decisions, {chosen:,} with a winner")
    print(
        f"time: {elapsed:.2f} s  ->  {len(profiles) / elapsed:,.0f} profiles/s "
        f"({len(profiles) * 5 / elapsed:,.0f} stage decisions/s) on one core"
    )


if __name__ == "__main__":
    main()
