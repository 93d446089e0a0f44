"""The homes of a request as the feature code reads them, and the confidence in a price."""

from __future__ import annotations

from datetime import date

import numpy as np

from model.pricing import confidence, confidence_levels, subjects_of
from model.property import Property


def _home(kind: str = "apartment", on: date = date(2025, 1, 1), **extra) -> Property:
    return Property(kind, 60.0, 3, 48.86, 2.36, on, **extra)


def test_subjects_as_the_feature_code_reads_them():
    homes = [_home(land_area_m2=250.0, outbuildings=2), _home("house", date(2024, 5, 2))]
    parcels = np.array(["P", None], dtype=object)
    subjects = subjects_of(homes, ["75103", "34172"], parcels)
    assert subjects["date"].tolist() == [date(2025, 1, 1), date(2024, 5, 2)]
    assert subjects["land_area_m2"].tolist() == [250.0, 0.0]
    assert subjects["outbuildings"].tolist() == [2.0, 0.0]
    assert subjects["departement"].tolist() == ["75", "34"]
    assert subjects["is_vefa"].tolist() == [0.0, 0.0] and subjects["parcel_id"] is parcels
    assert {len(v) for v in subjects.values()} == {2}


def test_confidence_from_the_range_width_and_the_fifth_neighbour():
    close = np.array([10.0, 50.0, 80.0, 120.0, 300.0, 900.0])
    assert confidence(1.45, close) == "high"
    assert confidence(1.46, close) == "medium"
    assert confidence(1.91, close) == "low"
    assert confidence(1.2, np.array([10.0, 20.0, 30.0, 40.0, 301.0])) == "medium"
    assert confidence(1.2, np.array([10.0, 20.0, 30.0, 40.0, 2_001.0])) == "low"
    # Fewer neighbours than K_CLOSE: the farthest one counts; none at all is low.
    assert confidence(1.2, np.array([10.0, 20.0])) == "high"
    assert confidence(1.2, np.array([np.inf] * 5)) == "low"


def test_a_home_placed_at_its_street_or_commune_is_trusted_less():
    close = np.array([10.0, 50.0, 80.0, 120.0, 300.0])
    assert confidence(1.2, close, "housenumber") == "high"
    assert confidence(1.2, close, "street") == "medium"
    assert confidence(1.6, close, "street") == "medium"
    assert confidence(1.2, close, "municipality") == "low"
    levels = confidence_levels([1.2, 1.6, 2.0], [100, 100, 100], ["street"] * 3)
    assert list(levels) == ["medium", "medium", "low"]
