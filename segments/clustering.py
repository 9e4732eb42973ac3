"""Segment discovery: K-means on a customer table, described in conditions (no Django).

The way from broad segments to personalization (seeds/004) starts by letting the data say
which groups of customers behave alike. A table is stored once as column arrays (numbers as
floats, categories as integer codes), so a run, and the reach of a segment's conditions, read
it in a fraction of a second instead of parsing the upload again.

A run scales the numeric columns, one-hot encodes the categories, chooses k by the silhouette
of K-means fits on a sample (or takes the k it is given), fits all rows starting from the
sample's centres, and then describes each cluster twice: as a profile (how its averages and
category shares differ from the whole table) and as a few positive conditions in the
blueprint's language ("cart value is at least 50") that reach most of the cluster.
Everything random is drawn from the run's recorded seed, so a run can be repeated exactly.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

from programs.tables import Column
from segments.conditions import Operator

# Why these numbers: K-means on a 20,000-row sample finds the same centres as on a
# million rows to well within a cluster's spread, at a fiftieth of the cost; silhouette
# is quadratic in rows, so it is measured on 5,000 of them.
CHOICE_SAMPLE = 20_000
SILHOUETTE_SAMPLE = 5_000
CHART_POINTS = 3_000
# A cluster needs this many customers before its averages mean anything.
MIN_ROWS_PER_CLUSTER = 20
K_LIMITS = (2, 12)
# A description should reach at least this share of its cluster.
REACH_GOAL = 0.8
MAX_CONDITIONS = 3

Progress = Callable[[int, str], None]


class ClusteringError(ValueError):
    """The run cannot be done on this table; the message says why."""


# --- The stored table ----------------------------------------------------------------


@dataclass(frozen=True)
class StoredColumn:
    """A column of an uploaded table as stored: numbers (floats, NaN when missing), or a
    category as codes into `levels` (-1 when missing)."""

    name: str
    key: str  # the attribute key conditions use, e.g. "cart_value"
    kind: str  # "numeric", "boolean", "category", or "other" (not stored)
    distinct: int
    missing: int
    levels: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return self.kind in ("numeric", "boolean", "category") and self.distinct > 1

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "key": self.key,
            "kind": self.kind,
            "distinct": self.distinct,
            "missing": self.missing,
            "levels": list(self.levels),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "StoredColumn":
        return cls(
            data["name"],
            data["key"],
            data["kind"],
            data["distinct"],
            data["missing"],
            tuple(data.get("levels", ())),
        )


def attribute_key(name: str) -> str:
    """A column name as an attribute key: "Cart value (EUR)" → "cart_value_eur"."""
    chars = [c.lower() if c.isascii() and c.isalnum() else "_" for c in name.strip()]
    key = "_".join(part for part in "".join(chars).split("_") if part)
    return key[:60] or "column"


def column_label(name: str) -> str:
    """A column's name as an attribute's label: "cart_value" → "Cart value"."""
    text = " ".join(name.replace("_", " ").split())
    return text[:1].upper() + text[1:]


def store(frame: pd.DataFrame, described: Sequence[Column]) -> tuple[list[StoredColumn], dict]:
    """The table as stored columns and their arrays (keyed by attribute key)."""
    columns, arrays, seen = [], {}, set()
    for column in described:
        key = attribute_key(column.name)
        while key in seen:
            key = f"{key}_2"[:60]
        seen.add(key)
        values = frame[column.name]
        levels: tuple[str, ...] = ()
        if column.kind in ("numeric", "boolean"):
            arrays[key] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        elif column.kind == "category":
            codes, uniques = pd.factorize(values.astype("string").str.strip(), sort=True)
            arrays[key] = codes.astype(np.int32)
            levels = tuple(str(level) for level in uniques)
        columns.append(
            StoredColumn(column.name, key, column.kind, column.distinct, column.missing, levels)
        )
    return columns, arrays


# --- Reach of conditions -------------------------------------------------------------


@dataclass(frozen=True)
class TableCondition:
    """A condition on a stored column, in the stored form of segments.conditions."""

    key: str
    operator: str
    value: object


def reach(
    columns: Sequence[StoredColumn], arrays: dict, conditions: Sequence[TableCondition]
) -> np.ndarray:
    """Which rows satisfy every condition (a boolean array). Missing values satisfy none.

    Raises ClusteringError naming a condition whose attribute is not in the table."""
    by_key = {c.key: c for c in columns}
    rows = len(next(iter(arrays.values()))) if arrays else 0
    mask = np.ones(rows, dtype=bool)
    for condition in conditions:
        column = by_key.get(condition.key)
        if column is None or condition.key not in arrays:
            raise ClusteringError(f"The table has no column for “{condition.key}”.")
        data = arrays[condition.key]
        mask &= _satisfies(column, data, Operator(condition.operator), condition.value)
    return mask


def _satisfies(column: StoredColumn, data: np.ndarray, op: Operator, value) -> np.ndarray:
    if column.kind == "category":
        wanted = {str(v) for v in value} if op is Operator.IS_ONE_OF else {str(value)}
        codes = [i for i, level in enumerate(column.levels) if level in wanted]
        return np.isin(data, codes)
    with np.errstate(invalid="ignore"):
        if op is Operator.IS_TRUE:
            return data == 1
        if op is Operator.AT_LEAST:
            return data >= float(value)
        if op is Operator.AT_MOST:
            return data <= float(value)
        if op is Operator.BETWEEN:
            return (data >= float(value[0])) & (data <= float(value[1]))
        if op is Operator.IS:
            return data == float(value)
    raise ClusteringError(f"“{op}” cannot be checked on a {column.kind} column.")


# --- The run -------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    keys: tuple[str, ...]
    seed: int
    k: int | None = None  # None: choose by silhouette over k_range
    k_range: tuple[int, int] = (2, 8)


def check(columns: Sequence[StoredColumn], rows: int, settings: Settings) -> list[str]:
    """Why this run cannot be done on this table, in sentences (empty when it can)."""
    by_key = {c.key: c for c in columns}
    problems = []
    if not settings.keys:
        problems.append("Choose at least one column to cluster on.")
    missing = [key for key in settings.keys if key not in by_key]
    if missing:
        problems.append(f"The table has no column {', '.join(missing)}.")
    for key in settings.keys:
        column = by_key.get(key)
        if column is None:
            continue
        if column.kind not in ("numeric", "boolean", "category"):
            problems.append(f"“{column.name}” is an identifier or free text, not a measure.")
        elif column.distinct <= 1:
            problems.append(f"“{column.name}” has one value in every row; it cannot separate.")
    low, high = (settings.k, settings.k) if settings.k else settings.k_range
    if low < K_LIMITS[0] or high > K_LIMITS[1] or low > high:
        problems.append(f"The number of clusters must be between {K_LIMITS[0]} and {K_LIMITS[1]}.")
    elif not K_LIMITS[0] <= settings.k_range[0] <= settings.k_range[1] <= K_LIMITS[1]:
        # Kept with the run (and constrained there) even when k is set by hand.
        problems.append(
            f"The range of clusters to try must run from a lower to a higher number, between "
            f"{K_LIMITS[0]} and {K_LIMITS[1]}."
        )
    elif rows < high:
        problems.append(f"The table has {rows} rows, fewer than the {high} clusters asked for.")
    elif rows < MIN_ROWS_PER_CLUSTER * low:
        problems.append(
            f"Too little data: {rows} rows; {low} clusters need at least "
            f"{MIN_ROWS_PER_CLUSTER * low} ({MIN_ROWS_PER_CLUSTER} customers each)."
        )
    return problems


@dataclass
class Features:
    matrix: np.ndarray  # one row per customer, one column per feature
    names: list[str]


def features(columns: Sequence[StoredColumn], arrays: dict, keys: Sequence[str]) -> Features:
    """One scale for every kind of column, so that no kind outweighs the others: numbers
    are standardized (a distance of 1 is one standard deviation; missing is the mean),
    categories one-hot with weight √½ (two different categories are 1 apart; missing is a
    level of its own), booleans 0 or 1 (missing is the share of true)."""
    by_key = {c.key: c for c in columns}
    blocks, names = [], []
    for key in keys:
        column, data = by_key[key], arrays[key]
        if column.kind == "category":
            rows = len(data)
            onehot = np.zeros((rows, len(column.levels) + 1), dtype=np.float32)
            onehot[np.arange(rows), np.where(data < 0, len(column.levels), data)] = math.sqrt(0.5)
            used = onehot.any(axis=0)
            blocks.append(onehot[:, used])
            labels = [*column.levels, "(missing)"]
            names += [f"{column.name} = {labels[i]}" for i in np.flatnonzero(used)]
            continue
        mean = np.nanmean(data)
        if column.kind == "boolean":
            scaled = np.where(np.isnan(data), mean, data)
        else:
            std = np.nanstd(data) or 1.0
            scaled = np.where(np.isnan(data), 0.0, (data - mean) / std)
        blocks.append(scaled.astype(np.float32)[:, None])
        names.append(column.name)
    return Features(np.hstack(blocks), names)


@dataclass(frozen=True)
class Outcome:
    k: int
    silhouettes: dict[int, float]  # k → silhouette on the sample (only when k was chosen)
    labels: np.ndarray  # cluster per row, 0-based
    clusters: list[dict]
    chart: dict  # principal components: sampled points, centres, explained variance


def run(
    columns: Sequence[StoredColumn],
    arrays: dict,
    settings: Settings,
    progress: Progress = lambda percent, step: None,
) -> Outcome:
    """Cluster the table on the chosen columns and describe every cluster."""
    rows = max((len(values) for values in arrays.values()), default=0)
    problems = check(columns, rows, settings)
    if problems:
        raise ClusteringError(" ".join(problems))
    rng = np.random.default_rng(settings.seed)
    progress(5, "Scaling and encoding the columns")
    data = features(columns, arrays, settings.keys)
    sample_rows = np.sort(rng.choice(rows, size=min(rows, CHOICE_SAMPLE), replace=False))
    sample = data.matrix[sample_rows]
    if len(np.unique(sample, axis=0)) < (settings.k or settings.k_range[0]):
        raise ClusteringError("The chosen columns have fewer distinct rows than clusters.")

    silhouettes: dict[int, float] = {}
    candidates = [settings.k] if settings.k else range(settings.k_range[0], settings.k_range[1] + 1)
    fits = {}
    for done, k in enumerate(candidates):
        progress(10 + 50 * done // len(candidates), f"Trying {k} clusters")
        fit = KMeans(n_clusters=k, n_init=4, random_state=settings.seed).fit(sample)
        fits[k] = fit
        if settings.k is None:
            distinct = len(np.unique(fit.labels_))
            silhouettes[k] = (
                float(
                    silhouette_score(
                        sample,
                        fit.labels_,
                        sample_size=min(len(sample), SILHOUETTE_SAMPLE),
                        random_state=settings.seed,
                    )
                )
                if distinct > 1
                else -1.0
            )
    k = settings.k or max(silhouettes, key=lambda c: (round(silhouettes[c], 3), -c))

    progress(65, f"Fitting {k} clusters to all {rows:,} rows")
    final = KMeans(n_clusters=k, init=fits[k].cluster_centers_, n_init=1).fit(data.matrix)
    labels = _ordered(final.labels_, k)

    progress(80, "Describing the clusters")
    clusters = [
        _describe(columns, arrays, settings.keys, labels, index, rows) for index in range(k)
    ]
    _unique_names(clusters)
    progress(95, "Drawing the clusters on two principal components")
    chart = _chart(data.matrix, labels, sample_rows, rng, settings.seed)
    return Outcome(k, silhouettes, labels, clusters, chart)


def _ordered(labels: np.ndarray, k: int) -> np.ndarray:
    """Cluster numbers by size, largest first, so "cluster 1" is the biggest group."""
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    renumber = np.empty(k, dtype=np.int16)
    renumber[order] = np.arange(k, dtype=np.int16)
    return renumber[labels]


def _nice(value: float, *, down: bool) -> float:
    """A round threshold close to the value: 47.3 → 47 (down) or 48 (up); 0.123 → 0.12."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    step = 10 ** (math.floor(math.log10(abs(value))) - 1)
    return (math.floor if down else math.ceil)(value / step) * step


def _number_text(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def _describe(
    columns: Sequence[StoredColumn],
    arrays: dict,
    keys: Sequence[str],
    labels: np.ndarray,
    index: int,
    rows: int,
) -> dict:
    by_key = {c.key: c for c in columns}
    inside = labels == index
    size = int(inside.sum())
    profile, candidates = [], []
    for key in keys:
        column, data = by_key[key], arrays[key]
        if column.kind == "category":
            shares_in = np.bincount(data[inside & (data >= 0)], minlength=len(column.levels))
            shares_all = np.bincount(data[data >= 0], minlength=len(column.levels))
            shares_in = shares_in / max(size, 1)
            shares_all = shares_all / rows
            order = np.argsort(-shares_in, kind="stable")
            levels = [
                {
                    "level": column.levels[i],
                    "cluster": float(shares_in[i]),
                    "all": float(shares_all[i]),
                }
                for i in order
                if shares_in[i] > 0 or shares_all[i] > 0.05
            ][:6]
            difference = float(np.abs(shares_in - shares_all).sum() / 2)
            profile.append(
                {
                    "column": column_label(column.name),
                    "key": key,
                    "kind": "category",
                    "levels": levels,
                    "difference": difference,
                }
            )
            # The fewest levels that cover nine in ten of the cluster.
            covered, chosen = 0.0, []
            for i in order:
                if covered >= 0.9:
                    break
                chosen.append(column.levels[i])
                covered += shares_in[i]
            overall = float(sum(shares_all[column.levels.index(level)] for level in chosen))
            if chosen and overall < 0.8 and covered > 0:
                op = Operator.IS if len(chosen) == 1 else Operator.IS_ONE_OF
                value = chosen[0] if len(chosen) == 1 else sorted(chosen)
                candidates.append((covered / max(overall, 1e-9), TableCondition(key, op, value)))
            continue
        values = data[inside]
        known_all = data[~np.isnan(data)]
        known_in = values[~np.isnan(values)]
        mean_all = float(known_all.mean()) if len(known_all) else float("nan")
        std_all = float(known_all.std()) or 1.0
        mean_in = float(known_in.mean()) if len(known_in) else float("nan")
        z = (mean_in - mean_all) / std_all if len(known_in) else 0.0
        profile.append(
            {
                "column": column_label(column.name),
                "key": key,
                "kind": column.kind,
                "cluster": mean_in,
                "all": mean_all,
                "z": z,
                "difference": abs(z),
            }
        )
        if column.kind == "boolean":
            if mean_in >= 0.9 and mean_all < 0.8:
                candidates.append(
                    (mean_in / max(mean_all, 1e-9), TableCondition(key, Operator.IS_TRUE, True))
                )
        elif len(known_in) and z >= 0.1:
            low = _nice(float(np.quantile(known_in, 0.1)), down=True)
            candidates.append((abs(z), TableCondition(key, Operator.AT_LEAST, _number_text(low))))
        elif len(known_in) and z <= -0.1:
            high = _nice(float(np.quantile(known_in, 0.9)), down=False)
            candidates.append((abs(z), TableCondition(key, Operator.AT_MOST, _number_text(high))))
    profile.sort(key=lambda item: -item["difference"])

    conditions, mask = [], np.ones(rows, dtype=bool)
    precision = size / rows
    for _score, condition in sorted(candidates, key=lambda pair: -pair[0]):
        if len(conditions) == MAX_CONDITIONS:
            break
        trial = mask & _satisfies(
            by_key[condition.key],
            arrays[condition.key],
            Operator(condition.operator),
            condition.value,
        )
        hits = int((trial & inside).sum())
        reached = int(trial.sum())
        if not reached or hits / size < REACH_GOAL:
            continue
        if hits / reached > precision + 0.02:
            conditions.append(condition)
            mask, precision = trial, hits / reached
    hits = int((mask & inside).sum()) if conditions else size
    return {
        "index": index,
        "number": index + 1,
        "size": size,
        "share": size / rows,
        "name": _name(conditions, by_key, profile, index),
        "profile": profile,
        "conditions": [
            {"key": c.key, "operator": str(c.operator), "value": c.value} for c in conditions
        ],
        "reach": {
            "of_cluster": hits / size if size else 0.0,
            "reached": int(mask.sum()) if conditions else rows,
            "in_cluster": hits,
        },
    }


def _name(conditions, by_key, profile, index: int) -> str:
    """A short name from what sets the cluster apart: "High cart value, returning"."""
    parts = []
    for condition in conditions[:2]:
        label = column_label(by_key[condition.key].name).lower()
        op = Operator(condition.operator)
        if op is Operator.IS_TRUE:
            parts.append(label)
        elif op is Operator.IS:
            parts.append(f"{label} {condition.value}")
        elif op is Operator.IS_ONE_OF:
            parts.append(f"{label} {'/'.join(condition.value)}")
        else:
            parts.append(f"{'high' if op is Operator.AT_LEAST else 'low'} {label}")
    if not parts:
        numeric = [p for p in profile if p["kind"] != "category" and abs(p["z"]) >= 0.3]
        parts = [
            f"{'high' if p['z'] > 0 else 'low'} {column_label(p['column']).lower()}"
            for p in numeric[:2]
        ]
    if not parts:
        return f"Cluster {index + 1}"
    return column_label(", ".join(parts))


def _unique_names(clusters: list[dict]) -> None:
    seen: dict[str, int] = {}
    for cluster in clusters:
        name = cluster["name"]
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            cluster["name"] = f"{name} ({seen[name]})"


def _chart(matrix: np.ndarray, labels: np.ndarray, sample_rows: np.ndarray, rng, seed: int) -> dict:
    if matrix.shape[1] < 2:
        return {}
    pca = PCA(n_components=2, random_state=seed).fit(matrix[sample_rows])
    shown = np.sort(rng.choice(len(matrix), size=min(len(matrix), CHART_POINTS), replace=False))
    points = pca.transform(matrix[shown])
    k = int(labels.max()) + 1
    centres = pca.transform(np.vstack([matrix[labels == c].mean(axis=0) for c in range(k)]))
    return {
        "x": np.round(points[:, 0], 3).tolist(),
        "y": np.round(points[:, 1], 3).tolist(),
        "cluster": labels[shown].astype(int).tolist(),
        "centres": np.round(centres, 3).tolist(),
        "explained": [round(float(v), 3) for v in pca.explained_variance_ratio_],
    }
