"""Which out-of-time sales stand for each less exact placement, and where they are put."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.precision_ranges import degraded, first_sales, street_centres

SALES = pd.DataFrame(
    {
        "code_commune": ["59350", "59350", "59350", "59350", "59009"],
        "street": ["RUE A", "RUE A", "RUE A", "RUE B", "RUE A"],
        "address_number": ["1", "1", "3", None, "1"],
        "address_suffix": [None, None, "B", None, None],
        "latitude": [50.0, 50.2, 50.4, 50.6, 51.0],
        "longitude": [3.0, 3.0, 3.0, 3.1, 3.2],
        "parcel_id": ["p1", "p1", "p2", "p3", "p4"],
    }
)
CENTRES = pd.DataFrame(
    {"code_commune": ["59350", "59009"], "latitude": [50.63, 50.62], "longitude": [3.06, 3.14]}
)


def test_new_addresses_and_new_streets_are_those_with_no_earlier_sale():
    new_address, new_street = first_sales(SALES)
    # The second sale at 1 rue A is not new; rue A of another commune is; no number: no address.
    assert new_address.tolist() == [True, False, True, False, True]
    assert new_street.tolist() == [True, False, False, True, True]


def test_degraded_sales_lose_their_parcel_and_move_to_the_street_or_commune():
    moved, ok = degraded(SALES, "street", CENTRES, street_centres(SALES))
    assert ok.all() and moved["parcel_id"].isna().all()
    assert moved["latitude"].tolist()[:3] == [50.2, 50.2, 50.2]  # rue A's median point
    at_commune, _ = degraded(SALES, "municipality", CENTRES)
    assert at_commune["latitude"].tolist() == [50.63] * 4 + [50.62]
    unknown = SALES.assign(code_commune=["99999"] * 5)
    none, ok = degraded(unknown, "municipality", CENTRES)
    assert none.empty and not ok.any()
    assert np.isfinite(moved["longitude"]).all()


def test_an_interpolated_sale_keeps_its_point_but_not_its_parcel():
    moved, ok = degraded(SALES, "interpolated", CENTRES)
    assert ok.all() and moved["parcel_id"].isna().all()
    assert moved["latitude"].tolist() == SALES["latitude"].tolist()
