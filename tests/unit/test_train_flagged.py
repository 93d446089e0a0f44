"""Flagged outliers: never trained on, but kept for the evaluation that includes them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.train import clean_sales, flagged_sales


def _sales() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "mutation_id": ["a", "b", "c", "d"],
            "date": pd.to_datetime(["2024-01-03", "2024-01-02", "2024-01-05", "2024-01-04"]),
            "nature": ["Vente", "Vente", "Adjudication", "Vente"],
            "price": [300_000.0, 1.0, 200_000.0, 250_000.0],
            "living_area_m2": np.array([50, 40, 45, 60], dtype="float32"),
            "property_type": ["apartment", "apartment", "apartment", "house"],
            "departement": ["75", "75", "75", "59"],
            "latitude": [48.86, 48.86, 48.87, 50.6],
            "longitude": [2.35, 2.36, 2.35, 3.06],
            "has_coordinates": [True, True, True, True],
            "is_outlier": [False, True, True, False],
            "outlier_reason": [None, "symbolic_price", "price_per_m2_low", None],
        }
    )
    return frame


def test_flagged_sales_are_outliers_that_pass_every_other_rule():
    sales = _sales()
    flagged = flagged_sales(sales)
    # "c" is flagged but is an auction: not a market sale either way.
    assert flagged["mutation_id"].tolist() == ["b"]
    assert flagged["price_per_m2"].tolist() == [1.0 / 40]


def test_clean_sales_leave_flagged_ones_out_of_training():
    clean, counts = clean_sales(_sales())
    assert clean["mutation_id"].tolist() == ["a", "d"]  # sorted by date
    assert counts["flagged_outlier"] == 2


def test_no_flagged_sale():
    sales = _sales().assign(is_outlier=False)
    assert flagged_sales(sales).empty
