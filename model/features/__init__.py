"""The one definition of every model feature, for a whole sales table or a single home.

`History` holds what features may look at: earlier clean sales (as a `SalesPool`), their
market-relative log €/m², parcel and home histories, the market index and commune
context. `compute` turns subjects (arrays of equal length: a DataFrame's columns at
training, one row at serving) into the feature matrix. Every look-up is strictly
earlier than the subject's date, so a sale's features never depend on itself or on
anything after it.
"""

from model.features.compute import FeatureBatch, compute
from model.features.history import Communes, History, home_key, relative_price
from model.features.names import (
    AREA_SIMILARITY,
    ATTRIBUTE_FEATURES,
    ATTRIBUTES,
    BASE_FEATURES,
    BUILDING,
    COMMUNE,
    DEFAULT_SURROUNDINGS,
    DISTANCE_SOFTENING_M,
    FEATURE_GROUPS,
    HISTORY_INPUTS,
    K_CLOSE,
    K_MID,
    K_NEIGHBOURS,
    MAX_NEIGHBOUR_DISTANCE_M,
    NEIGHBOURHOOD,
    RECENCY_DAYS,
    REPEAT,
    SUBJECT_INPUTS,
    SURROUNDINGS,
    SURROUNDINGS_GROUPS,
    feature_names,
    surroundings_of,
)

__all__ = [
    "AREA_SIMILARITY",
    "ATTRIBUTE_FEATURES",
    "ATTRIBUTES",
    "BASE_FEATURES",
    "BUILDING",
    "COMMUNE",
    "Communes",
    "DEFAULT_SURROUNDINGS",
    "DISTANCE_SOFTENING_M",
    "FEATURE_GROUPS",
    "FeatureBatch",
    "HISTORY_INPUTS",
    "History",
    "K_CLOSE",
    "K_MID",
    "K_NEIGHBOURS",
    "MAX_NEIGHBOUR_DISTANCE_M",
    "NEIGHBOURHOOD",
    "RECENCY_DAYS",
    "REPEAT",
    "SUBJECT_INPUTS",
    "SURROUNDINGS",
    "SURROUNDINGS_GROUPS",
    "compute",
    "feature_names",
    "home_key",
    "relative_price",
    "surroundings_of",
]
