"""Propensity from history: each offer's chance to convert a customer, learned from exposures.

Plain data in (a DataFrame read by `programs.tables`), plain data out (JSON-ready dicts), no
Django: training runs the same in a Celery worker, a benchmark and a test, and a prediction
in a web request is a small pure function over a dozen stored numbers.

The method, and why
-------------------
One **logistic regression per offer** (scikit-learn, L2 penalty with C=1) on the chosen
attribute columns: numbers and yes/no columns standardized with the training rows' mean and
standard deviation, categories one-hot. We chose it over per-segment conversion rates with
Bayesian smoothing because a simulator's profile mixes numbers and categories: rates per
segment would need every number cut into bins and every category crossed with every other,
and those cells thin out fast; a logistic model uses every exposure for every coefficient and
answers for any profile, including one no segment describes. Its weakness is thin data, where
it fits noise. So an offer with too little history gets **no model** (the run says so, and the
offer keeps its estimated propensity) rather than a smoothed guess.

**Too little data**: an offer needs at least `MIN_EXPOSURES` exposures, and both its
conversions and its non-conversions must number at least
max(`MIN_EVENTS`, `EVENTS_PER_PARAMETER` x the model's parameters) — the "ten events per
variable" rule of thumb for logistic regression (Peduzzi et al., 1996). With fewer, the
coefficients are noise, and the held-out quarter holds too few conversions (under a dozen)
for its AUC to mean anything.

**Held out**: `HOLDOUT` (a quarter) of each offer's exposures, stratified by conversion and
drawn with the run's seed, never take part in training. The AUC and the reliability chart come
from them, predicted by the stored JSON model itself, so they describe exactly what the
decision engine will use. The same file, columns and seed give the same models.

**Missing values**: a missing number (or yes/no) is taken as the training mean, a missing or
unknown category as the most common level; the prediction says which ones it filled in.

The model is stored as JSON, not pickle: a pickle runs code when it is loaded and ties a stored
model to one scikit-learn version; a list of coefficients does neither.
"""

import math
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from programs.tables import MAX_CATEGORIES, TableError, require_columns

FORMAT = "fourfold.propensity/1"
HOLDOUT = 0.25
MIN_EXPOSURES = 500
MIN_EVENTS = 50
EVENTS_PER_PARAMETER = 10
PENALTY_C = 1.0
MAX_BINS = 10
YES = frozenset({"1", "true", "yes"})
NO = frozenset({"0", "false", "no"})
FIRST_LINE = 2  # the header is line 1, so row 0 of the frame is line 2 of the file


class Kind(StrEnum):
    """How an attribute column enters the model (the organization's attribute types)."""

    NUMBER = "number"
    BOOLEAN = "boolean"
    CATEGORY = "category"


@dataclass(frozen=True)
class Columns:
    """Which columns of the file hold what."""

    offer: str
    converted: str
    features: tuple[str, ...]
    value: str = ""


@dataclass(frozen=True)
class History:
    """A checked exposure history: one row per time an offer was shown."""

    offers: pd.Series  # the offer's name as written in the file (stripped)
    converted: np.ndarray  # 0/1
    values: pd.Series | None  # what the conversion was worth; NaN where not given
    features: pd.DataFrame  # numbers and yes/no as floats (NaN: missing), categories as text
    kinds: dict[str, Kind]

    @property
    def parameters(self) -> int:
        """Free parameters of a model on these columns (a category of k levels counts k-1)."""
        return sum(
            max(1, self.features[c].nunique() - 1) if kind is Kind.CATEGORY else 1
            for c, kind in self.kinds.items()
        )


# --- Reading and checking the file ------------------------------------------------------


def _lines(mask: np.ndarray) -> list[int]:
    return [int(i) + FIRST_LINE for i in np.flatnonzero(mask)]


def _examples(series: pd.Series, mask: np.ndarray, limit: int = 3) -> str:
    """“maybe” (line 7), “2” (line 9): the first distinct offending values."""
    seen: dict[str, int] = {}
    for line in _lines(mask):
        value = str(series.iloc[line - FIRST_LINE])
        if value not in seen:
            seen[value] = line
            if len(seen) == limit:
                break
    return ", ".join(f"“{v}” (line {line})" for v, line in seen.items())


def _missing(series: pd.Series) -> np.ndarray:
    missing = series.isna().to_numpy(copy=True)
    if not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        missing |= (series.astype("string").str.strip() == "").fillna(True).to_numpy()
    return missing


def _yes_no(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values as 0/1 floats, missing, not yes/no) for a column meant to say yes or no."""
    missing = _missing(series)
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float).to_numpy(), missing, np.zeros(len(series), bool)
    if pd.api.types.is_numeric_dtype(series):
        numbers = series.astype(float).to_numpy()
        bad = ~missing & ~np.isin(numbers, (0.0, 1.0))
        return np.where(bad | missing, np.nan, numbers), missing, bad
    text = series.astype("string").str.strip().str.lower()
    yes = text.isin(YES).fillna(False).to_numpy()
    no = text.isin(NO).fillna(False).to_numpy()
    bad = ~missing & ~yes & ~no
    return np.where(yes, 1.0, np.where(no, 0.0, np.nan)), missing, bad


def is_yes_no(series: pd.Series) -> bool:
    """Whether every value given says yes or no (1/0, true/false, yes/no)."""
    _values, missing, bad = _yes_no(series)
    return not bad.any() and not missing.all()


def infer_kind(series: pd.Series) -> Kind:
    """A column that is not one of the organization's attributes: numbers are numbers,
    yes/no words are yes/no, any other text is a category."""
    if pd.api.types.is_bool_dtype(series):
        return Kind.BOOLEAN
    if pd.api.types.is_numeric_dtype(series):
        return Kind.NUMBER
    return Kind.BOOLEAN if is_yes_no(series) else Kind.CATEGORY


def _converted(series: pd.Series, column: str) -> np.ndarray:
    values, missing, bad = _yes_no(series)
    if bad.any():
        raise TableError(
            f"“{column}” must say whether each exposure converted: 1/0, true/false or yes/no, "
            f"nothing else. It also holds {_examples(series, bad)}."
        )
    if missing.any():
        lines = _lines(missing)
        raise TableError(
            f"“{column}” is empty on {len(lines):,} rows (the first is line {lines[0]}); "
            "every exposure must say whether it converted."
        )
    if values.min() == values.max():
        said = "yes" if values[0] else "no"
        raise TableError(
            f"“{column}” says {said} on every row, so there is nothing to learn: a history "
            "needs exposures that converted and exposures that did not."
        )
    return values.astype(np.int8)


def _feature(series: pd.Series, column: str, kind: Kind) -> pd.Series:
    """The column typed for the model, or TableError naming what does not fit."""
    missing = _missing(series)
    if kind is Kind.NUMBER:
        numbers = pd.to_numeric(series, errors="coerce").astype(float)
        bad = ~missing & ~np.isfinite(numbers.to_numpy())
        if bad.any():
            raise TableError(f"“{column}” should hold numbers; it has {_examples(series, bad)}.")
        return numbers.where(~pd.Series(missing, index=series.index))
    if kind is Kind.BOOLEAN:
        values, _missing_too, bad = _yes_no(series)
        if bad.any():
            raise TableError(
                f"“{column}” should say yes or no (1/0, true/false, yes/no); "
                f"it has {_examples(series, bad)}."
            )
        return pd.Series(values, index=series.index)
    text = series.astype("string").str.strip().astype(object)
    text = text.where(~pd.Series(missing, index=series.index), None)
    distinct = text.nunique(dropna=True)
    if distinct > MAX_CATEGORIES:
        raise TableError(
            f"“{column}” has {distinct:,} different values; an attribute a model can use is a "
            f"number, yes/no, or a category of at most {MAX_CATEGORIES} values. Leave it out."
        )
    return text


def check_columns(columns: Columns) -> None:
    """TableError when the chosen columns cannot be right whatever the file holds: a role
    left unnamed, one column in two roles. Needs no file, so an upload is refused at once."""
    if not columns.offer.strip() or not columns.converted.strip():
        raise TableError("Name the offer column and the converted column.")
    roles = [columns.offer, columns.converted, *([columns.value] if columns.value else [])]
    if len(set(roles)) < len(roles):
        raise TableError("The offer, converted and value columns must be three different columns.")
    both = [c.strip() for c in columns.features if c.strip() in roles]
    if both:
        raise TableError(
            f"“{both[0]}” cannot be an attribute and the offer, converted or value column too."
        )


def prepare(
    frame: pd.DataFrame,
    columns: Columns,
    *,
    kinds: Mapping[str, Kind] | None = None,
    name: str = "The file",
) -> History:
    """The exposure history in `frame`, checked, or TableError saying what is wrong.

    `kinds` gives the type of columns that are the organization's attributes (the simulator
    offers those); other columns are typed by what they hold.
    """
    kinds = kinds or {}
    check_columns(columns)
    features = tuple(dict.fromkeys(c.strip() for c in columns.features if c.strip()))
    if not features:
        raise TableError("Choose at least one attribute column for the model to learn from.")
    roles = [columns.offer, columns.converted, *([columns.value] if columns.value else [])]
    require_columns(frame, [*roles, *features], name=name)

    offer_missing = _missing(frame[columns.offer])
    if offer_missing.any():
        lines = _lines(offer_missing)
        raise TableError(
            f"“{columns.offer}” is empty on {len(lines):,} rows (the first is line {lines[0]}); "
            "every exposure must name the offer shown."
        )
    offers = frame[columns.offer].astype("string").str.strip().astype(object)
    converted = _converted(frame[columns.converted], columns.converted)

    values = None
    if columns.value:
        raw = frame[columns.value]
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        missing = _missing(raw)
        bad = ~missing & ~(np.isfinite(values.to_numpy()) & (values.to_numpy() >= 0))
        if bad.any():
            raise TableError(
                f"“{columns.value}” should hold what a conversion was worth, a number of at "
                f"least 0 (or nothing); it has {_examples(raw, bad)}."
            )

    typed, feature_kinds, constant = {}, {}, []
    for column in features:
        kind = kinds.get(column) or infer_kind(frame[column])
        typed[column] = _feature(frame[column], column, kind)
        feature_kinds[column] = kind
        if typed[column].nunique(dropna=True) <= 1:
            constant.append(column)
    if constant:
        raise TableError(
            f"{', '.join(f'“{c}”' for c in constant)} "
            f"{'has' if len(constant) == 1 else 'have'} the same value on every row, so "
            "cannot tell customers apart. Leave "
            f"{'it' if len(constant) == 1 else 'them'} out."
        )
    return History(offers, converted, values, pd.DataFrame(typed), feature_kinds)


def match_offers(names: Iterable[str], offers: Mapping[int, str]) -> dict[str, int]:
    """The blueprint's offer for each offer name in the file (case does not matter), or
    TableError naming the names that match none, or more than one."""
    by_name: dict[str, list[int]] = {}
    for pk, offer_name in offers.items():
        by_name.setdefault(offer_name.strip().casefold(), []).append(pk)
    names = sorted(set(names))
    unknown = [n for n in names if n.casefold() not in by_name]
    if unknown:
        shown = ", ".join(f"“{n}”" for n in unknown[:10])
        more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
        raise TableError(
            f"The file names offers this blueprint does not have: {shown}{more}. Its offers "
            f"are {', '.join(f'“{o}”' for o in sorted(offers.values()))}; fix the names in the "
            "file, or add the offers first."
        )
    twice = [n for n in names if len(by_name[n.casefold()]) > 1]
    if twice:
        raise TableError(
            f"The blueprint has two offers named “{twice[0]}”; rename one so the history can "
            "tell them apart."
        )
    return {n: by_name[n.casefold()][0] for n in names}


def renamed(history: History, names: Mapping[str, str]) -> History:
    """The history with each offer name replaced (by the blueprint's own spelling)."""
    return replace(history, offers=history.offers.map(names))


# --- How much data is enough ------------------------------------------------------------


@dataclass(frozen=True)
class Volume:
    offer: str
    exposures: int
    conversions: int

    def shortfall(self, parameters: int) -> str:
        """Why this is too little to learn from ("" when it is enough)."""
        events = max(MIN_EVENTS, EVENTS_PER_PARAMETER * parameters)
        misses = self.exposures - self.conversions
        if self.exposures < MIN_EXPOSURES or min(self.conversions, misses) < events:
            return (
                f"Too little data: {self.exposures:,} exposures with {self.conversions:,} "
                f"conversions; a model on these columns needs at least {MIN_EXPOSURES:,} "
                f"exposures with {events:,} conversions and {events:,} without."
            )
        return ""


def volumes(history: History) -> list[Volume]:
    """Exposures and conversions per offer, by offer name."""
    counts = (
        pd.DataFrame({"offer": history.offers, "converted": history.converted})
        .groupby("offer", sort=True)["converted"]
        .agg(["size", "sum"])
    )
    return [Volume(str(o), int(row["size"]), int(row["sum"])) for o, row in counts.iterrows()]


def too_little_overall(history: History) -> str:
    """A message when no offer of the history has enough data for a model, else ""."""
    parameters = history.parameters
    found = volumes(history)
    if any(not v.shortfall(parameters) for v in found):
        return ""
    best = max(found, key=lambda v: min(v.conversions, v.exposures - v.conversions))
    return (
        "Too little data to learn any offer's propensity. "
        f"{best.shortfall(parameters).removeprefix('Too little data: ')} "
        f"The most any offer has is “{best.offer}” ({best.exposures:,} exposures, "
        f"{best.conversions:,} conversions)."
    )


# --- The model: design matrix, fitting, predicting --------------------------------------


def _spec(rows: pd.DataFrame, kinds: Mapping[str, Kind]) -> list[dict]:
    """Each feature's encoding, from the training rows: mean and scale of a number or
    yes/no, levels and the most common level of a category."""
    spec = []
    for column, kind in kinds.items():
        values = rows[column]
        if kind is Kind.CATEGORY:
            counts = values.value_counts(dropna=True)
            levels = sorted(str(level) for level in counts.index)
            most_common = str(counts.index[0]) if len(counts) else ""
            spec.append(
                {"column": column, "kind": kind.value, "levels": levels, "most_common": most_common}
            )
        else:
            numbers = values.to_numpy(dtype=float)
            mean = float(np.nanmean(numbers)) if np.isfinite(numbers).any() else 0.0
            scale = float(np.nanstd(numbers)) if np.isfinite(numbers).any() else 0.0
            spec.append(
                {
                    "column": column,
                    "kind": kind.value,
                    "mean": mean,
                    "scale": scale if scale > 1e-12 else 1.0,
                }
            )
    return spec


def design(features: list[dict], rows: pd.DataFrame) -> np.ndarray:
    """The model's input matrix for typed rows: one standardized column per number or
    yes/no, one 0/1 column per category level; missing values filled as in `predict`."""
    blocks = []
    for feature in features:
        values = rows[feature["column"]]
        if feature["kind"] == Kind.CATEGORY:
            levels = feature["levels"]
            # Values the model never saw (and missing ones) count as the most common level.
            codes = pd.Index(levels).get_indexer(values).astype(np.int64)
            codes[codes < 0] = levels.index(feature["most_common"])
            block = np.zeros((len(rows), len(levels)))
            block[np.arange(len(rows)), codes] = 1.0
            blocks.append(block)
        else:
            numbers = values.to_numpy(dtype=float)
            numbers = np.where(np.isnan(numbers), feature["mean"], numbers)
            blocks.append(((numbers - feature["mean"]) / feature["scale"])[:, None])
    return np.hstack(blocks) if blocks else np.zeros((len(rows), 0))


def _coefficients(model: Mapping) -> np.ndarray:
    flat: list[float] = []
    for feature in model["features"]:
        if feature["kind"] == Kind.CATEGORY:
            flat.extend(feature["coefficients"])
        else:
            flat.append(feature["coefficient"])
    return np.asarray(flat, dtype=float)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def predict_rows(model: Mapping, rows: pd.DataFrame) -> np.ndarray:
    """The model's probabilities for typed rows (held-out data, a batch)."""
    return _sigmoid(model["intercept"] + design(model["features"], rows) @ _coefficients(model))


def _fit(rows: pd.DataFrame, y: np.ndarray, kinds: Mapping[str, Kind], seed: int) -> dict:
    features = _spec(rows, kinds)
    fit = LogisticRegression(C=PENALTY_C, max_iter=1000, random_state=seed)
    with warnings.catch_warnings():
        # lbfgs on standardized columns converges in well under 1000 steps; if it ever does
        # not, the model is still the best found and its held-out AUC shows how good it is.
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit.fit(design(features, rows), y)
    weights = iter(fit.coef_[0].tolist())
    for feature in features:
        if feature["kind"] == Kind.CATEGORY:
            feature["coefficients"] = [next(weights) for _level in feature["levels"]]
        else:
            feature["coefficient"] = next(weights)
    return {"format": FORMAT, "intercept": float(fit.intercept_[0]), "features": features}


def reliability(predicted: np.ndarray, observed: np.ndarray) -> list[dict]:
    """Predicted against observed conversion in bins of equal size, lowest prediction
    first: a calibrated model's points lie on the diagonal."""
    bins = max(2, min(MAX_BINS, len(predicted) // 40))
    order = np.argsort(predicted, kind="stable")
    return [
        {
            "predicted": float(predicted[chunk].mean()),
            "observed": float(observed[chunk].mean()),
            "exposures": len(chunk),
        }
        for chunk in np.array_split(order, bins)
        if len(chunk)
    ]


@dataclass(frozen=True)
class OfferResult:
    """One offer's training: its volume, and a model with its held-out quality, or why not."""

    offer: str
    exposures: int
    conversions: int
    reason: str = ""  # why there is no model
    exposures_test: int = 0
    conversions_test: int = 0
    auc: float | None = None
    brier: float | None = None
    mean_predicted: float | None = None  # held-out: the mean prediction ...
    observed_rate: float | None = None  # ... against the conversion rate seen
    reliability: list[dict] = field(default_factory=list)
    value_per_conversion: float | None = None
    model: dict = field(default_factory=dict)

    @property
    def trained(self) -> bool:
        return bool(self.model)


def train_offer(
    history: History,
    offer: str,
    positions: np.ndarray,
    *,
    seed: int,
    holdout: float = HOLDOUT,
    parameters: int | None = None,
) -> OfferResult:
    """Train one offer's model on its rows of the history (`positions`)."""
    y = history.converted[positions]
    volume = Volume(offer, len(y), int(y.sum()))
    value = None
    if history.values is not None:
        worth = history.values.to_numpy()[positions][y == 1]
        worth = worth[np.isfinite(worth)]
        value = float(worth.mean()) if len(worth) else None
    reason = volume.shortfall(history.parameters if parameters is None else parameters)
    if reason:
        return OfferResult(offer, volume.exposures, volume.conversions, reason=reason,
                           value_per_conversion=value)  # fmt: skip
    train, test = train_test_split(
        np.arange(len(y)), test_size=holdout, stratify=y, random_state=seed
    )
    rows = history.features.iloc[positions]
    model = _fit(rows.iloc[train], y[train], history.kinds, seed)
    predicted = predict_rows(model, rows.iloc[test])
    observed = y[test]
    return OfferResult(
        offer,
        volume.exposures,
        volume.conversions,
        exposures_test=len(test),
        conversions_test=int(observed.sum()),
        auc=float(roc_auc_score(observed, predicted)),
        brier=float(brier_score_loss(observed, predicted)),
        mean_predicted=float(predicted.mean()),
        observed_rate=float(observed.mean()),
        reliability=reliability(predicted, observed),
        value_per_conversion=value,
        model=model,
    )


def offer_rows(history: History) -> dict[str, np.ndarray]:
    """Each offer's row positions in the history, by offer name."""
    return {
        str(offer): np.asarray(positions)
        for offer, positions in sorted(history.offers.groupby(history.offers).indices.items())
    }


def train(history: History, *, seed: int, holdout: float = HOLDOUT) -> Iterator[OfferResult]:
    """A model per offer, offer by offer (in name order), so a caller can report progress."""
    parameters = history.parameters
    for offer, positions in offer_rows(history).items():
        yield train_offer(
            history, offer, positions, seed=seed, holdout=holdout, parameters=parameters
        )


# --- Predicting one profile (the decision engine, the simulator) ------------------------


@dataclass(frozen=True)
class Filled:
    """An attribute the profile did not give (or gave a value the history never had)."""

    column: str
    kind: Kind
    given: str  # "" when not given
    used: float | str  # the training mean, or the most common level

    def describe(self, label: str | None = None) -> str:
        name = label or self.column
        if self.kind is Kind.CATEGORY:
            used = f"the most common, {self.used}"
        elif self.kind is Kind.BOOLEAN:
            used = f"the history's average ({float(self.used):.0%} yes)"
        else:
            used = f"the history's average, {float(self.used):,.4g}"
        if self.given:
            return f"{name} “{self.given}” is not in the history: used {used}"
        return f"{name} not given: used {used}"


@dataclass(frozen=True)
class Prediction:
    probability: float
    filled: tuple[Filled, ...]


def _number(raw: object) -> float | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        number = float(str(raw).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _boolean(raw: object) -> float | None:
    if isinstance(raw, bool):
        return float(raw)
    word = str(raw).strip().lower() if raw is not None else ""
    return 1.0 if word in YES else 0.0 if word in NO else None


def _logistic(z: float) -> float:
    """The sigmoid of one number, the same formula as `_sigmoid` without numpy's per-call
    cost (a batch decides many profiles)."""
    return 0.5 * (1.0 + math.tanh(0.5 * z))


class Predictor:
    """A stored model ready to score profiles: `predictor(profile)` is the probability (the
    engine's `propensity_for`), `predictor.explain(profile)` says what it filled in."""

    def __init__(self, model: Mapping):
        self.intercept = float(model["intercept"])
        self.numbers = []  # (column, kind, parse, mean, coefficient / scale)
        self.categories = []  # (column, weights by level, levels by casefold, most common)
        for feature in model["features"]:
            kind = Kind(feature["kind"])
            if kind is Kind.CATEGORY:
                weights = dict(zip(feature["levels"], feature["coefficients"], strict=True))
                folded = {level.casefold(): level for level in feature["levels"]}
                self.categories.append((feature["column"], weights, folded, feature["most_common"]))
            else:
                parse = _number if kind is Kind.NUMBER else _boolean
                slope = feature["coefficient"] / feature["scale"]
                self.numbers.append((feature["column"], kind, parse, feature["mean"], slope))

    def explain(self, profile: Mapping[str, object]) -> Prediction:
        z = self.intercept
        filled = []
        for column, kind, parse, mean, slope in self.numbers:
            raw = profile.get(column)
            x = parse(raw)
            if x is None:
                x = mean
                filled.append(Filled(column, kind, "" if raw is None else str(raw).strip(), mean))
            z += slope * (x - mean)
        for column, weights, folded, most_common in self.categories:
            raw = profile.get(column)
            given = "" if raw is None else str(raw).strip()
            level = given if given in weights else folded.get(given.casefold())
            if level is None:
                level = most_common
                filled.append(Filled(column, Kind.CATEGORY, given, level))
            z += weights[level]
        return Prediction(_logistic(z), tuple(filled))

    def __call__(self, profile: Mapping[str, object]) -> float:
        return self.explain(profile).probability


def predict(model: Mapping, profile: Mapping[str, object]) -> Prediction:
    """One profile's probability under a stored model, with what was filled in."""
    return Predictor(model).explain(profile)
