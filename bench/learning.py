"""Learning from data (issue 11): how long the heavy parts take on this machine.

Each part is a function registered in PARTS; all run by default, one with --only:

  clustering  segment discovery on 1,000,000 customers x 10 columns (7 numbers, 2
              categories, 1 yes/no) plus an id: the upload (read the CSV, tell the column
              kinds, keep the column arrays) and the run (k chosen by silhouette over 2-8,
              the fit of every row, the profiles, conditions and chart), as the request and
              the job do them. Aim: under 60 seconds.

  propensity  1,000,000 exposures over 20 offers, as the training job handles them: read
              the CSV, check it, match the offers, train a logistic regression per offer
              (a quarter held out for AUC and calibration). Aim: under 60 seconds.

Run: .venv/bin/python bench/learning.py [--only clustering|propensity] [--customers N]
[--exposures N] [--offers N]
"""

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

PARTS: dict[str, Callable[[argparse.Namespace], None]] = {}


def part(name: str):
    def register(function: Callable[[argparse.Namespace], None]):
        PARTS[name] = function
        return function

    return register


def seconds(start: float) -> str:
    return f"{time.perf_counter() - start:6.1f} s"


# --- Propensity from history ------------------------------------------------------------


def random_truth(offers: int, exposures: int, seed: int):
    """`offers` offers with random logistic truths on the four web-shop attributes."""
    from blueprints.history import NEW, TrueOffer, logit

    rng = np.random.default_rng(seed)

    def make(base, new, account, cart, de):
        def log_odds(people):
            return (
                logit(base)
                + new * NEW(people)
                + account * (people["has_account"] == "yes").to_numpy()
                + cart * (people["cart_value"].to_numpy() - 40)
                + de * (people["country"] == "DE").to_numpy()
            )

        return log_odds

    per_offer = exposures // offers
    return [
        TrueOffer(
            f"Offer {n + 1:02d}",
            per_offer + (1 if n < exposures % offers else 0),
            make(
                rng.uniform(0.02, 0.15),
                rng.normal(0, 0.6),
                rng.normal(0, 0.6),
                rng.normal(0, 0.015),
                rng.normal(0, 0.4),
            ),
            value=float(rng.uniform(5, 60)),
        )
        for n in range(offers)
    ]


@part("propensity")
def propensity_part(args: argparse.Namespace) -> None:
    from blueprints import propensity
    from blueprints.history import generate, to_csv
    from programs.tables import read_table

    print(f"propensity: {args.exposures:,} exposures over {args.offers} offers")
    start = time.perf_counter()
    data = to_csv(generate(random_truth(args.offers, args.exposures, args.seed), seed=args.seed))
    print(f"  made the CSV ({len(data) / 1e6:.0f} MB)     {seconds(start)}  (not counted)")

    total = time.perf_counter()
    start = time.perf_counter()
    frame = read_table("history.csv", io.BytesIO(data))
    print(f"  read                         {seconds(start)}")
    start = time.perf_counter()
    columns = propensity.Columns(
        "offer", "converted", ("visitor_type", "cart_value", "has_account", "country"), "value"
    )
    kinds = {
        "visitor_type": propensity.Kind.CATEGORY,
        "cart_value": propensity.Kind.NUMBER,
        "has_account": propensity.Kind.BOOLEAN,
        "country": propensity.Kind.CATEGORY,
    }
    history = propensity.prepare(frame, columns, kinds=kinds, name="history.csv")
    offers = dict(enumerate(sorted(history.offers.unique())))  # the blueprint's, as the job
    matched = propensity.match_offers(history.offers.unique(), offers)
    history = propensity.renamed(history, {name: offers[pk] for name, pk in matched.items()})
    print(f"  check and match offers       {seconds(start)}")
    start = time.perf_counter()
    results = list(propensity.train(history, seed=args.seed))
    train_time = time.perf_counter() - start
    print(f"  train {len(results)} models              {train_time:6.1f} s")
    elapsed = time.perf_counter() - total
    aucs = [r.auc for r in results if r.trained]
    print(
        f"  total (as the job runs)      {elapsed:6.1f} s   aim < 60 s: "
        f"{'met' if elapsed < 60 else 'NOT MET'}"
    )
    print(
        f"  {len(aucs)} of {len(results)} offers learned; held-out AUC "
        f"{min(aucs):.2f}-{max(aucs):.2f} (median {np.median(aucs):.2f}); "
        f"{history.parameters} parameters per model"
    )


# --- Segment discovery --------------------------------------------------------------------


@part("clustering")
def clustering_part(args: argparse.Namespace) -> None:
    import pandas as pd

    from programs.tables import describe, read_table
    from segments import clustering

    rows = args.customers
    print(f"clustering: {rows:,} customers x 10 columns (+ an id)")
    start = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    group = rng.integers(0, 5, rows)
    numbers = rng.normal(0, 3, (5, 7))[group] + rng.normal(0, 1, (rows, 7))
    frame = pd.DataFrame({"customer_id": np.arange(rows)})
    for i in range(7):
        frame[f"measure_{i + 1}"] = numbers[:, i].round(3)
    regions = np.array(["north", "east", "south", "west", "centre"])
    frame["region"] = regions[(group + (rng.random(rows) < 0.2)) % 5]
    frame["channel"] = rng.choice(["web", "app", "store"], rows)
    frame["member"] = (rng.random(rows) < 0.3 + 0.1 * group).astype(int)
    data = frame.to_csv(index=False).encode()
    print(f"  made the CSV ({len(data) / 1e6:.0f} MB)     {seconds(start)}  (not counted)")

    total = time.perf_counter()
    start = time.perf_counter()
    table = read_table("customers.csv", io.BytesIO(data))
    columns, arrays = clustering.store(table, describe(table))
    print(f"  upload: read, kinds, arrays  {seconds(start)}")
    start = time.perf_counter()
    keys = tuple(c.key for c in columns if c.usable)
    outcome = clustering.run(columns, arrays, clustering.Settings(keys=keys, seed=args.seed))
    print(f"  run: k by silhouette, fit    {seconds(start)}   k = {outcome.k} (5 planted)")
    elapsed = time.perf_counter() - total
    print(
        f"  total                        {elapsed:6.1f} s   aim < 60 s: "
        f"{'met' if elapsed < 60 else 'NOT MET'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(PARTS), help="run one part")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--customers", type=int, default=1_000_000, help="clustering")
    parser.add_argument("--exposures", type=int, default=1_000_000, help="propensity")
    parser.add_argument("--offers", type=int, default=20, help="propensity")
    args = parser.parse_args()
    for name, run in PARTS.items():
        if args.only in (None, name):
            run(args)


if __name__ == "__main__":
    main()
