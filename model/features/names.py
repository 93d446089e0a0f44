"""The features by name and group: what the model reads, in its column order."""

from __future__ import annotations

from collections.abc import Sequence

K_NEIGHBOURS = 40
K_CLOSE = 5
K_MID = 15
# Neighbours are looked for within this distance only: a sale farther away says little
# about a home's market, and the bound lets training compute the features one
# département at a time with a halo of this width across its borders, exactly.
MAX_NEIGHBOUR_DISTANCE_M = 30_000.0
# Recency scale (days) of the neighbours' weights in knn_rel_recent.
RECENCY_DAYS = 365.0
# Neighbour weights: inverse distance, softened so that a sale on the same parcel (0 m)
# does not take all the weight.
DISTANCE_SOFTENING_M = 50.0
# Neighbours of a similar surface count more (scale of the log surface ratio).
AREA_SIMILARITY = 0.35

# What `compute` reads of the homes it describes, and what `History.build` reads of the
# past sales: the columns training keeps per partition and a bundle's sales table holds.
SUBJECT_INPUTS = (
    "date",
    "property_type",
    "living_area_m2",
    "rooms",
    "land_area_m2",
    "outbuildings",
    "is_vefa",
    "latitude",
    "longitude",
    "departement",
    "code_commune",
    "parcel_id",
)
HISTORY_INPUTS = (
    "date",
    "property_type",
    "living_area_m2",
    "rooms",
    "land_area_m2",
    "latitude",
    "longitude",
    "departement",
    "parcel_id",
    "price_per_m2",
)

ATTRIBUTES = (
    "is_house",
    "living_area_m2",
    "rooms",
    "area_per_room",
    "land_area_m2",
    "outbuildings",
    "is_vefa",
    "latitude",
    "longitude",
)
NEIGHBOURHOOD = (
    "knn_rel_close",
    "knn_rel_mid",
    "knn_rel_median",
    "knn_rel_recent",
    "knn_rel_weighted",
    "knn_rel_similar",
    "knn_rel_spread",
    "knn_dist_nearest",
    "knn_dist_close",
    "knn_dist_mid",
    "knn_dist_far",
    "knn_age_days",
    "knn_log_area",
    "knn_log_land",
    "knn_rooms",
)
BUILDING = ("parcel_sales", "parcel_rel_mean", "parcel_rel_last", "parcel_days_since")
REPEAT = ("home_rel_last", "home_days_since")
COMMUNE = ("commune_population_log", "commune_density_log")
BASE_FEATURES = ATTRIBUTES + NEIGHBOURHOOD + BUILDING + REPEAT + COMMUNE

# Surroundings (`model.surroundings`): public facts about the place, by group. Each group
# is optional (its columns absent: not in the model) and has its own ablation.
SURROUNDINGS_GROUPS = {
    # Metres to the nearest passenger railway station (SNCF) and, in Île-de-France, the
    # nearest metro/RER/tram station open on the date.
    "transport": ("sr_rail_station_m", "sr_urban_station_m"),
    # Metres to the sea (an approximated coastline) and to the commune's centre.
    "geography": ("sr_sea_m", "sr_centre_m"),
    # Median disposable income per consumption unit (€) of the commune and of the IRIS.
    "income": ("sr_income_commune", "sr_income_iris"),
    # Everyday equipment: per 1000 inhabitants of the commune, and counts in the IRIS.
    "equipment": (
        "sr_schools_per_1000",
        "sr_shops_per_1000",
        "sr_health_per_1000",
        "sr_schools_iris",
        "sr_shops_iris",
        "sr_health_iris",
    ),
}
SURROUNDINGS = tuple(name for names in SURROUNDINGS_GROUPS.values() for name in names)
# The groups the default model uses: those that helped on the out-of-time test. None did
# beyond noise on the 2024 test of the shared data (docs/SOURCES.md, "Surroundings"): they
# are computed and measured by the backtest's `with_surroundings` variant, not used.
# `IMMOVAL_SURROUNDINGS` ("transport,income", "all") puts groups in the model.
DEFAULT_SURROUNDINGS: tuple[str, ...] = ()
# The baseline "LightGBM on attributes and coordinates only".
ATTRIBUTE_FEATURES = ATTRIBUTES

# Groups shown to users, each feature in one.
FEATURE_GROUPS = {
    **{name: "neighbourhood" for name in NEIGHBOURHOOD},
    **{name: "building" for name in BUILDING},
    **{name: "repeat" for name in REPEAT},
    **{name: "commune" for name in COMMUNE},
    "latitude": "location",
    "longitude": "location",
    "living_area_m2": "surface",
    "area_per_room": "rooms",
    "rooms": "rooms",
    "land_area_m2": "land",
    "outbuildings": "outbuildings",
    "is_house": "type",
    "is_vefa": "new_build",
    **{name: group for group, names in SURROUNDINGS_GROUPS.items() for name in names},
}


def feature_names(
    tranquillity: Sequence[str] = (), surroundings: Sequence[str] = ()
) -> tuple[str, ...]:
    """All model features: the base ones, then the tranquillity and surroundings ones."""
    return BASE_FEATURES + tuple(tranquillity) + tuple(surroundings)


def surroundings_of(groups: Sequence[str]) -> tuple[str, ...]:
    """The `sr_*` features of these groups, in model order; ValueError names a bad group."""
    unknown = [group for group in groups if group not in SURROUNDINGS_GROUPS]
    if unknown:
        raise ValueError(
            f"unknown surroundings group(s): {', '.join(unknown)}; "
            f"valid: {', '.join(SURROUNDINGS_GROUPS)}"
        )
    return tuple(name for name in SURROUNDINGS if FEATURE_GROUPS[name] in groups)
