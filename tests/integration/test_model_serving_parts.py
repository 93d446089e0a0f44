"""The serving parts on the small real model: places, explanations and indicators agree
with the sales they are computed from."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from app.labels.contributions import contribution_label
from model import features as feats
from model.comparables import to_xyz
from model.estimator import Estimate, Estimator
from model.indicators import NEIGHBOURHOOD_RADIUS_M
from model.property import Property
from model.registry import read_champion
from model.settings import layout


@pytest.fixture(scope="module")
def estimator(model_home):
    models = layout(model_home).models
    return Estimator.load(models / read_champion(models))


def _rows(estimator: Estimator, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(len(estimator.sales), n, replace=False)


def test_a_sale_point_is_located_in_its_commune_and_snapped_to_its_parcel(estimator):
    s = estimator.sales
    rows = _rows(estimator, 400, seed=11)
    xyz = to_xyz(s.latitude[rows], s.longitude[rows])
    located = estimator.places.locate(xyz)
    assert np.mean(np.array(located, dtype=object) == s.code_commune[rows]) > 0.97
    snapped = estimator.places.parcels(xyz, None, lambda: estimator.places.nearest_sales(xyz))
    # Several sales share a point (a building): the parcel found is one of that point's.
    for row, parcel in zip(rows, snapped, strict=True):
        same_point = (s.latitude == s.latitude[row]) & (s.longitude == s.longitude[row])
        assert parcel in set(s.parcel_id[same_point])


def _homes_near_sales(estimator: Estimator, n: int, seed: int) -> list[Property]:
    """Homes like sales of the bundle, placed 20 m north of them."""
    s = estimator.sales
    props = []
    for r in _rows(estimator, n, seed=seed):
        rooms = s.rooms[r]
        props.append(
            Property.from_mapping(
                {
                    "property_type": s.property_type[r],
                    "living_area_m2": float(s.living_area_m2[r]),
                    "rooms": int(rooms) if np.isfinite(rooms) and rooms >= 1 else 3,
                    "land_area_m2": float(s.land_area_m2[r]) or None,
                    "latitude": float(s.latitude[r]) + 2e-4,
                    "longitude": float(s.longitude[r]),
                    "valuation_date": "2025-02-01",
                },
                today=date(2026, 1, 1),
            )
        )
    return props


def test_contributions_describe_the_home_and_its_neighbours(estimator):
    props = _homes_near_sales(estimator, 60, seed=12)
    results = estimator.estimate_many(props, comparables=feats.K_MID)
    estimates = [(p, e) for p, e in zip(props, results, strict=True) if isinstance(e, Estimate)]
    assert len(estimates) > 50
    for prop, estimate in estimates:
        (facts,) = {c.facts for c in estimate.contributions}
        assert (facts.property_type, facts.living_area_m2, facts.rooms) == (
            prop.property_type,
            prop.living_area_m2,
            prop.rooms,
        )
        assert facts.land_area_m2 == (prop.land_area_m2 or 0.0)
        assert facts.commune_name == estimator.places.commune_name(facts.code_commune)
        assert facts.neighbours == len(estimate.comparables) == feats.K_MID
        # The shown distances are rounded to the metre.
        shown = np.median([c.distance_m for c in estimate.comparables])
        assert abs(facts.neighbours_distance_m - shown) <= 1
        assert facts.previous_sale is None or facts.previous_sale < prop.valuation_date
        assert all(contribution_label(c) for c in estimate.contributions)


def test_served_explanations_are_lightgbms_own_shap_values(estimator):
    assert estimator.pricer.explainer is not None
    props = _homes_near_sales(estimator, 40, seed=13)
    served = estimator.estimate_many(props)
    # The same homes explained by LightGBM's `pred_contrib`.
    fast = estimator.pricer
    object.__setattr__(estimator, "pricer", replace(fast, explainer=None))
    try:
        reference = estimator.estimate_many(props)
    finally:
        object.__setattr__(estimator, "pricer", fast)
    compared = 0
    for got, expected in zip(served, reference, strict=True):
        assert type(got) is type(expected)
        if isinstance(got, Estimate):
            assert (got.value, got.baseline) == pytest.approx((expected.value, expected.baseline))
            assert [c.feature for c in got.contributions] == [
                c.feature for c in expected.contributions
            ]
            assert [c.euros for c in got.contributions] == pytest.approx(
                [c.euros for c in expected.contributions], abs=1e-6
            )
            compared += 1
    assert compared > 30


def test_neighbourhood_counts_the_recent_sales_within_its_radius(estimator):
    s = estimator.sales
    latitude, longitude = 48.8635, 2.3627
    around = estimator.neighbourhood(latitude, longitude)
    lat, lon = np.radians(s.latitude), np.radians(s.longitude)
    # Haversine on the same sphere as the trees.
    a = (
        np.sin((lat - np.radians(latitude)) / 2) ** 2
        + np.cos(lat)
        * np.cos(np.radians(latitude))
        * np.sin((lon - np.radians(longitude)) / 2) ** 2
    )
    metres = 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))
    first = np.datetime64(around.period[0], "D")
    recent = (metres <= NEIGHBOURHOOD_RADIUS_M) & (s.date >= first)
    for kind, prices in around.prices_nearby.items():
        mine = recent & (s.property_type == kind)
        assert prices.sales == mine.sum()
        if prices.sales:
            assert prices.median_price_per_m2 == round(float(np.median(s.price_per_m2[mine])))
    quarters = estimator.market_history(around.code_commune, "apartment")[-4:]
    assert around.prices_commune_last_4_quarters["apartment"].sales == sum(
        q.sales for q in quarters
    )
    assert around.covered and around.departement == "75"
