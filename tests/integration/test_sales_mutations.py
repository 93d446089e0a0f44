"""Real DVF mutations, checked by hand against ../shared/data, through the sales step."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from training.dvf import read_geo_dvf
from training.prepare import sales_of_rows

GEO_2020 = "geo-dvf/latest/csv/2020/departements/{dep}.csv.gz"


@pytest.fixture(scope="module")
def built(shared_data):
    """Sales and verdicts of the 2020 files of Paris and Seine-Maritime."""
    sales, verdicts = [], []
    for dep in ("75", "76"):
        rows, _ = read_geo_dvf(shared_data / GEO_2020.format(dep=dep))
        file_sales, file_verdicts, _ = sales_of_rows(rows)
        sales.append(file_sales)
        verdicts.append(file_verdicts)
    return pd.concat(sales).set_index("mutation_id"), pd.concat(verdicts)


def test_apartment_with_two_outbuildings_is_one_sale(built):
    # 2020-814517: 3 rows, an apartment of 120 m² (5 rooms, lots 34 and 9, Carrez 107.29 on
    # lot 9) and two Dépendance lots (75, 20), 1 670 000 € repeated on each row.
    sales, verdicts = built
    sale = sales.loc["2020-814517"]
    assert sale["price"] == 1_670_000
    assert sale["property_type"] == "apartment"
    assert sale["living_area_m2"] == 120
    assert sale["carrez_area_m2"] == pytest.approx(107.29)
    assert sale["rooms"] == 5
    assert sale["outbuildings"] == 2
    assert sale["lots"] == 2
    assert sale["land_area_m2"] == 0
    assert sale["price_per_m2"] == pytest.approx(1_670_000 / 120)
    assert sale["date"] == pd.Timestamp("2020-07-02")
    assert not sale["is_vefa"]
    assert sale["nature"] == "Vente"
    assert verdicts.loc["2020-814517", "rows"] == 3


def test_paris_arrondissement_keeps_its_code_and_the_city_for_statistics(built):
    sales, _ = built
    sale = sales.loc["2020-814517"]
    assert sale["code_commune"] == "75101"
    assert sale["code_commune_stats"] == "75056"
    assert sale["commune_name"] == "Paris 1er Arrondissement"
    assert sale["departement"] == "75"
    assert (sale["address_number"], sale["street"], sale["street_code"], sale["postcode"]) == (
        "20",
        "RUE DES BONS ENFANTS",
        "1105",
        "75001",
    )
    assert sale["parcel_id"] == "75101000AU0018"
    assert (sale["longitude"], sale["latitude"]) == (2.338875, 48.86343)
    assert sale["has_coordinates"]


def test_multi_dwelling_sale_is_excluded(built):
    # 2020-814531: three apartments (65, 27, 20 m²) under one global price of 4 €.
    sales, verdicts = built
    assert "2020-814531" not in sales.index
    assert verdicts.loc["2020-814531", "rule"] == "several_dwellings"
    assert verdicts.loc["2020-814531", "rows"] == 3


def test_house_on_two_parcels_counts_each_land_line_once(built):
    # 2020-606999 (Bonsecours): parcel AE0486 "sols" 48 m² with no local; parcel AE0606
    # carries the house (160 m², 6 rooms) repeated on its two land lines, "terrains
    # d'agrément" 2277 m² and "sols" 1000 m². One house, 48 + 2277 + 1000 m² of land.
    sales, verdicts = built
    sale = sales.loc["2020-606999"]
    assert verdicts.loc["2020-606999", "rule"] == "kept"
    assert sale["property_type"] == "house"
    assert sale["living_area_m2"] == 160
    assert sale["rooms"] == 6
    assert sale["land_area_m2"] == 3325
    assert sale["outbuildings"] == 0
    assert sale["price"] == 271_950
    assert math.isnan(sale["carrez_area_m2"])
    assert sale["parcel_id"] == "76103000AE0606"
    assert sale["address_number"] == "13"
    assert (sale["longitude"], sale["latitude"]) == (1.116798, 49.426645)
    assert sale["code_commune"] == sale["code_commune_stats"] == "76103"


def test_vefa_sale_is_kept_and_flagged(built):
    # 2020-821742: off-plan apartment of 46 m², 2 rooms, lot 26 without Carrez, 556 000 €.
    sales, _ = built
    sale = sales.loc["2020-821742"]
    assert sale["is_vefa"]
    assert sale["nature"] == "Vente en l'état futur d'achèvement"
    assert sale["price"] == 556_000
    assert sale["living_area_m2"] == 46
    assert sale["rooms"] == 2
    assert math.isnan(sale["carrez_area_m2"])
    assert sale["code_commune_stats"] == "75056"


def test_vefa_apartment_with_parking_in_rouen(built):
    # 2020-606796: off-plan apartment of 65 m², 3 rooms, with one Dépendance, 173 000 €.
    sales, _ = built
    sale = sales.loc["2020-606796"]
    assert sale["is_vefa"] and sale["outbuildings"] == 1 and sale["living_area_m2"] == 65


def test_auction_is_excluded(built):
    # 2020-814791: an Adjudication of one apartment of 63 m² for 660 000 €.
    sales, verdicts = built
    assert "2020-814791" not in sales.index
    assert verdicts.loc["2020-814791", "rule"] == "auction"


def test_every_mutation_gets_exactly_one_verdict(built):
    sales, verdicts = built
    assert verdicts.index.is_unique
    assert set(sales.index) == set(verdicts.index[verdicts["rule"] == "kept"])
