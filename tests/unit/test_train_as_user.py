"""The as-user scoring's pure parts: the typed address, a user's home, the summary."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from training.as_user import summarise, typed_address, user_property
from training.evaluation_report import as_user_report


def sale(**extra):
    fields = {
        "address_number": "12",
        "address_suffix": "B",
        "street": "RUE DU GAL LECLERC",
        "postcode": "59800",
        "commune": "Lille",
        "property_type": "apartment",
        "living_area_m2": 50.0,
        "rooms": pd.NA,
        "land_area_m2": 300.0,
        "outbuildings": 1,
        "date": pd.Timestamp("2024-03-05"),
    }
    return SimpleNamespace(**{**fields, **extra})


def test_the_typed_address_is_dvfs_fields_without_blanks():
    assert typed_address(sale()) == "12 B RUE DU GAL LECLERC 59800 Lille"
    assert typed_address(sale(address_number=None, address_suffix=" ")) == (
        "RUE DU GAL LECLERC 59800 Lille"
    )


def test_a_user_gives_land_only_for_a_house():
    flat = user_property(sale(), 50.6, 3.06, "59350", "street")
    assert flat.land_area_m2 is None and flat.rooms is None and flat.precision == "street"
    house = user_property(sale(property_type="house", rooms=4), 50.6, 3.06, "59350", None)
    assert (house.land_area_m2, house.rooms, house.outbuildings) == (300.0, 4, 1)
    assert house.valuation_date.isoformat() == "2024-03-05"


def test_the_summary_compares_the_paths_on_the_sales_both_valued():
    price = np.array([100.0, 100.0, 100.0, 100.0])
    frame = pd.DataFrame(
        {
            "departement": "59",
            "property_type": "apartment",
            "price": price,
            "precision": ["housenumber", "street", "municipality", "not_found"],
            "precision_class": ["housenumber", "street", "municipality", "not_found"],
            "coordinates_estimate": [100.0, 110.0, 90.0, 100.0],
            "coordinates_low": 80.0,
            "coordinates_high": 120.0,
            "coordinates_refused": None,
            "as_user_estimate": [100.0, 130.0, np.nan, np.nan],
            "as_user_low": [90.0, 120.0, np.nan, np.nan],
            "as_user_high": [110.0, 140.0, np.nan, np.nan],
            "as_user_confidence": ["high", "medium", None, None],
            "as_user_refused": [None, None, "too_far", None],
        }
    )
    out = summarise(frame)
    assert (out["sales"], out["not_found"], out["scored"]) == (4, 1, 2)
    assert out["refused"]["as_user"] == {"too_far": 1}
    assert out["paths"]["coordinates"]["mdape"] == pytest.approx(0.05)
    assert out["paths"]["as_user"]["mdape"] == pytest.approx(0.15)
    assert out["gap"]["mdape"] == pytest.approx(0.10)
    street = next(r for r in out["by_precision"] if r["precision"] == "street")
    assert (street["sales"], street["coverage"]) == (1, 0.0)
    assert street["coordinates"]["coverage"] == 1.0
    text = as_user_report(out)
    assert "MdAPE +10.00 pt (cible ≤ +0.30 pt : ✗)" in text
    assert "| street ✗ | 1 |" in text  # coverage 0 %: outside its target
