"""Pricing homes inside coverage: subjects → features → one LightGBM pass → the 80 % range,
and the confidence in a price.

Arrays for the whole batch; `model.estimator` turns each row into an answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np

from model import features as feats
from model.geography import departement_of
from model.market import MarketIndex, month_number
from model.property import Property
from model.ranges import PrecisionRanges, RangeTable, precision_classes
from model.surroundings import Surroundings
from model.tranquillity import Tranquillity
from model.tranquillity.features import FEATURES as TQ_FEATURES
from model.tree_shap import TreeShap

# Each `tq_*` feature's column in `Tranquillity.feature_matrix`.
TQ_POSITION = {name: k for k, name in enumerate(TQ_FEATURES)}


@dataclass(frozen=True, eq=False)
class Priced:
    """A batch of homes priced: what each answer is assembled from, row by row."""

    props: list[Property]
    subjects: dict
    batch: feats.FeatureBatch
    value: np.ndarray  # €
    shap: np.ndarray | None  # SHAP values (log scale, bias last) when explained
    low: np.ndarray  # log multipliers of the 80 % range
    high: np.ndarray
    months: np.ndarray  # market month each price reflects
    classes: np.ndarray  # precision class of each home's place (`model.ranges`)
    # The model's own price before the estimate's calibration by level (None: not applied).
    uncalibrated: np.ndarray | None = None


def subjects_of(props: list[Property], codes: list[str], parcels: np.ndarray) -> dict:
    """The homes as the feature code reads them: one array per column."""
    return {
        "date": np.array([p.valuation_date for p in props], dtype="datetime64[D]"),
        "property_type": np.array([p.property_type for p in props], dtype=object),
        "living_area_m2": np.array([p.living_area_m2 for p in props], dtype="float64"),
        "rooms": np.array([np.nan if p.rooms is None else p.rooms for p in props], dtype="float64"),
        "land_area_m2": np.array([p.land_area_m2 or 0.0 for p in props], dtype="float64"),
        "outbuildings": np.array([p.outbuildings or 0 for p in props], dtype="float64"),
        "is_vefa": np.zeros(len(props)),
        "latitude": np.array([p.latitude for p in props], dtype="float64"),
        "longitude": np.array([p.longitude for p in props], dtype="float64"),
        "departement": np.array([departement_of(c) for c in codes], dtype=object),
        "code_commune": np.array(codes, dtype=object),
        "parcel_id": parcels,
    }


@dataclass(frozen=True, eq=False)
class Pricer:
    """The booster and what its features and range read."""

    booster: lgb.Booster
    history: feats.History
    market: MarketIndex
    ranges: RangeTable
    tranquillity: Tranquillity | None
    tq_features: tuple[str, ...]
    # Ranges of homes placed at their street or commune (none: the main table for all).
    precision_ranges: PrecisionRanges = PrecisionRanges()
    surroundings: Surroundings | None = None
    sr_features: tuple[str, ...] = ()
    # The booster's SHAP tables (`model.tree_shap`); None: LightGBM's own `pred_contrib`.
    explainer: TreeShap | None = None

    def price(self, props: list[Property] | None, subjects: dict, explain: bool) -> Priced:
        """Prices of the subjects, with SHAP values when explained, and their ranges."""
        batch = self.features(subjects)
        prediction, shap = self.predict(batch, explain)
        value = np.exp(batch.level + prediction) * subjects["living_area_m2"]
        # No homes (sales described by their own rows): each exactly at its place.
        precisions = [None] * len(value) if props is None else [p.precision for p in props]
        classes = precision_classes(precisions)
        low, high = self.precision_ranges.multipliers(
            self.ranges,
            subjects["departement"],
            subjects["property_type"],
            batch.column("knn_rel_spread"),
            classes,
        )
        months = self.market.reference_month(month_number(subjects["date"]))
        return Priced(props, subjects, batch, value, shap, low, high, months, classes)

    def features(self, subjects: dict) -> feats.FeatureBatch:
        """The feature batch of the subjects, tranquillity features included."""
        if self.tq_features and self.tranquillity is not None:
            # `feature_matrix` maps arrondissements to their commune's statistics code itself.
            values = self.tranquillity.feature_matrix(
                subjects["longitude"],
                subjects["latitude"],
                subjects["date"],
                list(subjects["code_commune"]),
            )
            for name in self.tq_features:
                subjects[name] = values[:, TQ_POSITION[name]]
        if self.sr_features and self.surroundings is not None:
            sr = self.surroundings.features(
                subjects["longitude"], subjects["latitude"], subjects["date"],
                subjects["code_commune"],
            )  # fmt: skip
            for name in self.sr_features:
                subjects[name] = sr[name].to_numpy(dtype="float64")
        return feats.compute(subjects, self.history, self.tq_features, self.sr_features)

    def predict(self, batch: feats.FeatureBatch, explain: bool):
        """Log price relative to the market level, and the SHAP values (None unless explained)."""
        # One thread: OpenMP threads wait on each other on a busy machine (see training).
        if explain:
            if self.explainer is not None:
                shap = self.explainer.contributions(batch.matrix)
            else:
                shap = self.booster.predict(batch.matrix, pred_contrib=True, num_threads=1)
            return shap.sum(axis=1), shap
        return self.booster.predict(batch.matrix, num_threads=1), None


# The confidence levels: a range's width (high / low) and its K_CLOSE-th neighbour's distance.
HIGH_MAX_RATIO, HIGH_MAX_METRES = 1.45, 300
LOW_MIN_RATIO, LOW_MIN_METRES = 1.9, 2_000
# A home placed at its street's centre is never "high": its neighbours and parcel are
# guessed; one placed at its commune's centre is "low" (its neighbours are the centre's).
CAPPED_AT = {"street": "medium", "municipality": "low"}


def confidence(ratio: float, distances: np.ndarray, precision_class: str = "housenumber") -> str:
    """The confidence in a price ("high", "medium" or "low"), from its range's width
    (high / low), how far its K_CLOSE-th neighbour is (metres) and how precisely the home
    was placed (`model.ranges.precision_class`)."""
    close = distances[min(feats.K_CLOSE, len(distances)) - 1]
    return str(confidence_levels([ratio], [close], [precision_class])[0])


def confidence_levels(ratio, close_metres, classes=None) -> np.ndarray:
    """`confidence` of many prices at once (the backtest measures how often each holds)."""
    ratio = np.asarray(ratio, dtype="float64")
    close = np.asarray(close_metres, dtype="float64")
    with np.errstate(invalid="ignore"):
        high = (ratio <= HIGH_MAX_RATIO) & (close <= HIGH_MAX_METRES)
        low = (ratio > LOW_MIN_RATIO) | ~np.isfinite(close) | (close > LOW_MIN_METRES)
    levels = np.where(high, "high", np.where(low, "low", "medium")).astype(object)
    if classes is not None:
        classes = np.asarray(classes, dtype=object)
        levels[(classes == "street") & (levels == "high")] = CAPPED_AT["street"]
        levels[classes == "municipality"] = CAPPED_AT["municipality"]
    return levels.astype(str)
