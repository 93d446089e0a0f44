"""Outlier flags: robust bounds on log €/m² within area × type × period, with fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.outliers import MIN_SALES, flag_outliers


def sales_frame(n: int, commune: str, ppm2: float, seed: int = 0) -> pd.DataFrame:
    """n apartments of one commune whose €/m² spread ±10 % around `ppm2`."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(30, 90, n)
    return pd.DataFrame(
        {
            "price": area * ppm2 * rng.uniform(0.9, 1.1, n),
            "living_area_m2": area.astype("float32"),
            "date": pd.Timestamp("2023-05-01"),
            "code_commune": commune,
            "departement": commune[:2],
            "property_type": pd.Categorical(["apartment"] * n, categories=["apartment", "house"]),
        }
    )


def test_a_price_far_below_its_commune_is_flagged_not_removed():
    sales = sales_frame(200, "34172", 3500.0)
    sales.loc[7, "price"] = sales.loc[7, "living_area_m2"] * 400  # a viager bouquet
    sales.loc[8, "price"] = sales.loc[8, "living_area_m2"] * 3500 * 5  # a surface typo
    flagged = flag_outliers(sales)
    assert len(flagged) == len(sales)
    assert flagged.loc[7, "outlier_reason"] == "price_per_m2_low"
    assert flagged.loc[8, "outlier_reason"] == "price_per_m2_high"
    assert flagged["is_outlier"].sum() == 2


def test_symbolic_price_and_implausible_area_come_first():
    sales = sales_frame(100, "34172", 3500.0)
    sales.loc[0, "price"] = 1.0
    sales.loc[1, "living_area_m2"] = 3.0
    flagged = flag_outliers(sales)
    assert flagged.loc[0, "outlier_reason"] == "symbolic_price"
    assert flagged.loc[1, "outlier_reason"] == "implausible_area"


def test_thin_commune_falls_back_to_its_departement():
    # A village of 5 sales at 1500 €/m² inside a département of 3500 €/m²: its own bounds are
    # unknown, so the département's apply, and a 5x gap is flagged there.
    city = sales_frame(300, "34172", 3500.0)
    village = sales_frame(5, "34001", 3500.0, seed=1)
    village.loc[0, "price"] = village.loc[0, "living_area_m2"] * 500
    flagged = flag_outliers(pd.concat([city, village], ignore_index=True))
    assert len(village) < MIN_SALES
    assert flagged.loc[300, "outlier_reason"] == "price_per_m2_low"
    assert not flagged.loc[301:, "is_outlier"].any()


def test_missing_area_is_not_flagged_as_an_outlier_of_price_per_m2():
    sales = sales_frame(50, "34172", 3500.0)
    sales.loc[0, "living_area_m2"] = np.nan
    flagged = flag_outliers(sales)
    assert flagged.loc[0, "outlier_reason"] == ""
