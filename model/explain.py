"""Why a price: SHAP values grouped into contributions in euros, with the numbers that
describe each group (the app words them).

LightGBM's `pred_contrib=True` gives one log-scale value per feature plus a bias; the
features are summed by the group shown to users (`model.features.FEATURE_GROUPS`) and the
gap between the baseline and the price is shared out in proportion.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from model import features as feats

TRANQUILLITY = "tranquillity"
# Contributions smaller than this (in euros) are left out.
MIN_EUROS = 1


@dataclass(frozen=True)
class HomeFacts:
    """What the contributions of one estimate are about: the home, its neighbours, its
    parcel and commune."""

    property_type: str
    living_area_m2: float
    rooms: int | None
    land_area_m2: float  # 0 when none
    outbuildings: int
    neighbours: int  # nearest earlier sales of the same type looked at (up to K_MID)
    neighbours_price_per_m2: float | None  # their median, at the current market level
    neighbours_distance_m: float | None  # their median distance
    parcel_sales: int  # earlier sales on the same parcel
    previous_sale: date | None  # the home's previous sale, when known
    code_commune: str
    commune_name: str | None


@dataclass(frozen=True)
class Contribution:
    """What one group of features adds to (or takes from) the price, in euros."""

    feature: str  # the group, e.g. "surface", "neighbourhood"
    euros: float
    facts: HomeFacts


def feature_groups(names: Sequence[str]) -> tuple[str, ...]:
    """The group shown to users of each feature, in feature order."""
    return tuple(
        TRANQUILLITY if name.startswith("tq_") else feats.FEATURE_GROUPS.get(name, name)
        for name in names
    )


def home_facts(
    subjects: Mapping,
    j: int,
    batch: feats.FeatureBatch,
    relative_prices: np.ndarray,
    commune_name: str | None,
) -> HomeFacts:
    """The facts of subject `j` of a feature batch (`relative_prices`: the pool's
    market-relative log €/m², `History.rel`)."""
    rooms = subjects["rooms"][j]
    rows = batch.neighbours[j][: feats.K_MID]
    rows = rows[rows >= 0]
    price = distance = None
    if len(rows):
        price = float(np.median(np.exp(relative_prices[rows] + batch.level[j])))
        distance = float(np.median(batch.distances[j][: len(rows)]))
    since = batch.column("home_days_since")[j]
    previous = None
    if np.isfinite(since):
        day = subjects["date"][j].astype("datetime64[D]").astype(date)
        previous = day - timedelta(days=int(since))
    return HomeFacts(
        property_type=str(subjects["property_type"][j]),
        living_area_m2=float(subjects["living_area_m2"][j]),
        rooms=int(rooms) if np.isfinite(rooms) else None,
        land_area_m2=float(subjects["land_area_m2"][j]),
        outbuildings=int(subjects["outbuildings"][j]),
        neighbours=len(rows),
        neighbours_price_per_m2=price,
        neighbours_distance_m=distance,
        parcel_sales=int(batch.column("parcel_sales")[j]),
        previous_sale=previous,
        code_commune=str(subjects["code_commune"][j]),
        commune_name=commune_name,
    )


def contributions(
    shap: np.ndarray,
    groups: Sequence[str],
    level: float,
    area: float,
    value: float,
    facts: HomeFacts,
) -> tuple[list[Contribution], float]:
    """Contributions (largest |euros| first) and the baseline price (€) of one home, from
    its SHAP row (log scale, bias last), market `level` (log €/m²), surface and price."""
    baseline = math.exp(level + shap[-1]) * area
    summed: dict[str, float] = {}
    for group, c in zip(groups, shap[:-1].tolist(), strict=True):
        summed[group] = summed.get(group, 0.0) + c
    total = sum(summed.values())
    gap = value - baseline
    out = []
    for group, c in summed.items():
        # In proportion to each group's log share; if the shares cancel out, each on its own.
        euros = gap * c / total if abs(total) > 1e-9 else baseline * c
        if abs(euros) < MIN_EUROS:
            continue
        out.append(Contribution(group, round(euros, 0), facts))
    out.sort(key=lambda item: -abs(item.euros))
    return out, baseline
