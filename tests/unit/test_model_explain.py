"""SHAP values grouped into contributions in euros, and the facts their labels read."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from model import explain
from model import features as feats

FACTS = explain.HomeFacts("apartment", 50.0, 2, 0.0, 0, 0, None, None, 0, None, "75103", None)


def test_feature_groups_follow_the_feature_table():
    names = ("living_area_m2", "area_per_room", "knn_rel_close", "tq_rate_violence", "other")
    assert explain.feature_groups(names) == (
        "surface",
        "rooms",
        "neighbourhood",
        "tranquillity",
        "other",
    )
    assert len(explain.feature_groups(feats.feature_names())) == len(feats.BASE_FEATURES)


def test_contributions_share_the_gap_in_proportion_largest_first():
    level, area = math.log(10_000), 50.0
    shap = np.array([0.10, 0.05, -0.05, 0.0000001, 0.02])  # bias last
    groups = ("surface", "surface", "land", "rooms")
    baseline = math.exp(level + 0.02) * area
    value = baseline * 1.2
    found, base = explain.contributions(shap, groups, level, area, value, FACTS)
    assert base == pytest.approx(baseline)
    assert [c.feature for c in found] == ["surface", "land"]  # rooms: under one euro
    surface, land = (c.euros for c in found)
    gap = value - baseline
    assert surface == round(gap * 0.15 / 0.1000001) and land == round(gap * -0.05 / 0.1000001)
    assert abs(surface + land - gap) < 2
    assert all(c.facts is FACTS for c in found)


def test_contributions_that_cancel_out_are_each_priced_on_the_baseline():
    shap = np.array([0.1, -0.1, 0.0])
    found, baseline = explain.contributions(
        shap, ("surface", "land"), math.log(10_000), 50.0, 500_000.0, FACTS
    )
    assert {c.feature: c.euros for c in found} == {
        "surface": round(baseline * 0.1),
        "land": round(baseline * -0.1),
    }


def _batch(neighbours: int, home_days_since: float, parcel_sales: float) -> feats.FeatureBatch:
    names = feats.feature_names()
    matrix = np.zeros((1, len(names)), dtype="float32")
    matrix[0, names.index("home_days_since")] = home_days_since
    matrix[0, names.index("parcel_sales")] = parcel_sales
    rows = np.full((1, feats.K_NEIGHBOURS), -1, dtype="int64")
    distances = np.full((1, feats.K_NEIGHBOURS), np.inf)
    rows[0, :neighbours] = np.arange(neighbours)
    distances[0, :neighbours] = 10.0 * (1 + np.arange(neighbours))
    return feats.FeatureBatch(matrix, names, np.array([math.log(10_000)]), rows, distances)


SUBJECTS = {
    "date": np.array(["2024-06-15"], dtype="datetime64[D]"),
    "property_type": np.array(["house"], dtype=object),
    "living_area_m2": np.array([95.0]),
    "rooms": np.array([4.0]),
    "land_area_m2": np.array([300.0]),
    "outbuildings": np.array([1.0]),
    "code_commune": np.array(["34172"], dtype=object),
}


def test_home_facts_of_a_home_with_neighbours_and_a_previous_sale():
    relative = np.log(np.array([1.0, 1.1, 1.2] + [5.0] * 30))
    facts = explain.home_facts(SUBJECTS, 0, _batch(20, 366.0, 3.0), relative, "Montpellier")
    assert facts == explain.HomeFacts(
        property_type="house",
        living_area_m2=95.0,
        rooms=4,
        land_area_m2=300.0,
        outbuildings=1,
        neighbours=feats.K_MID,  # the 15 nearest of 20
        neighbours_price_per_m2=pytest.approx(50_000.0),
        neighbours_distance_m=80.0,
        parcel_sales=3,
        previous_sale=date(2023, 6, 15),
        code_commune="34172",
        commune_name="Montpellier",
    )
    few = explain.home_facts(SUBJECTS, 0, _batch(3, 366.0, 3.0), relative, "Montpellier")
    assert few.neighbours == 3 and few.neighbours_distance_m == 20.0
    assert few.neighbours_price_per_m2 == pytest.approx(11_000.0)


def test_home_facts_without_neighbours_rooms_or_previous_sale():
    subjects = {**SUBJECTS, "rooms": np.array([np.nan])}
    facts = explain.home_facts(subjects, 0, _batch(0, np.nan, 0.0), np.zeros(0), None)
    assert facts.rooms is None and facts.previous_sale is None and facts.parcel_sales == 0
    assert facts.neighbours == 0 and facts.neighbours_price_per_m2 is None
    assert facts.neighbours_distance_m is None and facts.commune_name is None
