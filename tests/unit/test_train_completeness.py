"""A département whose file is partial says so: the same rules for every département."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.completeness import departement_data


def sales_of(dep, n, communes, start, days=1600, outbuildings=1, parcel="X") -> dict:
    rng = np.random.default_rng(len(dep) + n)
    return {
        "departement": [dep] * n,
        "code_commune": [f"{dep}{i % communes:03d}" for i in range(n)],
        "date": pd.to_datetime(start) + pd.to_timedelta(rng.integers(0, days, n), unit="D"),
        "outbuildings": [outbuildings] * n,
        "parcel_id": [parcel] * n,
    }


def frame(*parts: dict) -> pd.DataFrame:
    return pd.concat([pd.DataFrame(p) for p in parts], ignore_index=True)


def communes_of(dep: str, n: int) -> pd.DataFrame:
    return pd.DataFrame({"code_commune": [f"{dep}{i:03d}" for i in range(n)], "departement": dep})


def test_a_complete_departement_has_no_gap_and_a_partial_one_names_each():
    sales = frame(
        sales_of("34", 3000, 300, "2020-07-01"),
        sales_of("28", 400, 7, "2021-03-01", days=1300, outbuildings=0, parcel=None),
    )
    communes = pd.concat([communes_of("34", 320), communes_of("28", 365)])
    data = departement_data(sales, communes)
    assert data["34"].gaps == () and not data["34"].is_partial
    assert data["28"].gaps == ("few_communes", "starts_late", "no_outbuildings", "no_parcels")
    assert (data["28"].communes_with_sales, data["28"].communes) == (7, 365)
    assert data["28"].sales == 400 and data["28"].first_sale >= "2021-03-01"


def test_few_sales_say_nothing_about_fields_and_paris_counts_its_arrondissements():
    sales = frame(sales_of("75", 150, 20, "2020-07-01", outbuildings=0, parcel=None))
    sales["code_commune"] = [f"751{i % 20 + 1:02d}" for i in range(len(sales))]
    communes = pd.DataFrame(
        {"code_commune": ["75056"] + [f"751{i:02d}" for i in range(1, 21)], "departement": "75"}
    )
    data = departement_data(sales, communes)["75"]
    assert data.gaps == () and (data.communes_with_sales, data.communes) == (20, 20)
    assert departement_data(sales.iloc[:0], communes) == {}
