"""The geo API's communes (official source of the communes reference): check and reader."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from training import sources
from training.communes import (
    build_communes,
)
from training.communes_geo_api import GEO_API_FILE, GeoApiError, read_communes_geo_api

# Communes of the mirror's COG file turned into geo API records: cities with arrondissements,
# Corsica's letters, leading zeros, several postcodes, overseas.
SAMPLE = [
    "34172", "01001", "2A004", "59350", "97411",
    *(f"751{n:02d}" for n in range(1, 21)), "69381", "69389", "13201", "13216",
]  # fmt: skip


def api_record(rows: pd.DataFrame) -> dict:
    """One geo API record from the CSV rows of one commune (one row per postcode there)."""
    first = rows.iloc[0]
    return {
        "nom": first["commune"],
        "code": first["insee_com"],
        "codesPostaux": sorted(rows["code_postal"]),
        "centre": {"type": "Point", "coordinates": [first["lng"], first["lat"]]},
        "surface": round(first["superficie_km2"] * 100, 2),  # the API gives hectares
        "population": int(first["population_2021"]),
        "codeDepartement": first["insee_dep"],
        "codeRegion": first["insee_reg"],
    }


def write_records(tmp_path, records) -> object:
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_surface_in_hectares_becomes_km2_and_unknowns_stay_unknown(tmp_path):
    records = [
        {"nom": "Montpellier", "code": "34172", "codesPostaux": ["34090", "34000", "34070"],
         "centre": {"type": "Point", "coordinates": [3.8742, 43.6142]}, "surface": 5688.0,
         "population": 302454, "codeDepartement": "34", "codeRegion": "76"},
        # Communes "mortes pour la France" have no inhabitant; some records lack a contour.
        {"nom": "Beaumont-en-Verdunois", "code": "55039", "codesPostaux": [],
         "population": 0, "codeDepartement": "55", "codeRegion": "44"},
    ]  # fmt: skip
    raw = read_communes_geo_api(write_records(tmp_path, records))
    montpellier = raw.loc[raw["insee_com"] == "34172"]
    assert montpellier["code_postal"].tolist() == ["34000", "34070", "34090"]
    assert montpellier["superficie_km2"].tolist() == [56.88] * 3
    assert montpellier["commune_type"].tolist() == ["COM"] * 3
    communes = build_communes(raw).set_index("code_commune")
    assert communes.loc["34172", "postcode"] == "34000"
    assert (communes.loc["34172", "latitude"], communes.loc["34172", "longitude"]) == (
        43.6142, 3.8742,
    )  # fmt: skip
    empty = communes.loc["55039"]
    assert empty["population"] == 0  # known to be zero
    assert pd.isna(empty["area_km2"]) and pd.isna(empty["latitude"]) and pd.isna(empty["postcode"])


def test_a_city_listed_by_the_api_is_kept_once_with_its_own_figures(tmp_path):
    records = [
        {"nom": "Paris", "code": "75056", "codesPostaux": ["75001", "75116"],
         "centre": {"type": "Point", "coordinates": [2.3486, 48.8534]}, "surface": 10540.0,
         "population": 2113705, "codeDepartement": "75", "codeRegion": "11"},
        {"nom": "Paris 1er Arrondissement", "code": "75101", "codesPostaux": ["75001"],
         "centre": {"type": "Point", "coordinates": [2.336, 48.8626]}, "surface": 183.0,
         "population": 15919, "codeDepartement": "75", "codeRegion": "11"},
    ]  # fmt: skip
    raw = read_communes_geo_api(write_records(tmp_path, records))
    arrondissement = raw.loc[raw["insee_com"] == "75101"].iloc[0]
    assert (arrondissement["commune_type"], arrondissement["insee_parente"]) == ("ARM", "75056")
    assert pd.isna(raw.loc[raw["insee_com"] == "75056", "insee_parente"]).all()
    communes = build_communes(raw)
    paris = communes.loc[communes["code_commune"] == "75056"]
    assert len(paris) == 1
    assert (paris.iloc[0]["population"], paris.iloc[0]["area_km2"]) == (2113705, 105.4)
    assert communes.set_index("code_commune").loc["75101", "code_commune_stats"] == "75056"


def test_malformed_records_are_all_named_and_the_file_refused(tmp_path):
    good = {"nom": "Abergement", "code": "01001", "codeDepartement": "01"}
    records = [
        good,
        {"nom": "Sans code", "codeDepartement": "01"},
        {**good, "centre": {"type": "Point", "coordinates": ["3.87", 43.6]}},
        {**good, "surface": -4},
        {**good, "population": "832"},
        {**good, "centre": {"type": "Point", "coordinates": [43.6, 183.0]}},
        "01001",
        {**good, "nom": "Abergement encore"},
    ]
    with pytest.raises(GeoApiError) as error:
        read_communes_geo_api(write_records(tmp_path, records))
    message = str(error.value)
    assert "7 malformed record(s)" in message
    for reason in ("record 1: code missing", "record 2: centre is not a GeoJSON point",
                   "record 3: surface", "record 4: population", "record 5: centre outside",
                   "… 2 more"):  # fmt: skip
        assert reason in message
    with pytest.raises(GeoApiError, match="record 1: code 01001 already in record 0"):
        read_communes_geo_api(write_records(tmp_path, [good, {**good, "nom": "Abergement bis"}]))
    with pytest.raises(GeoApiError, match="expected a JSON list"):
        read_communes_geo_api(write_records(tmp_path, {"code": 400, "message": "bad request"}))


def geo_api_check():
    (item,) = [i for i in sources.commune_items([]) if i.path == GEO_API_FILE.as_posix()]
    return item


def test_catalogue_entry_asks_for_arrondissements_and_the_needed_fields():
    item = geo_api_check()
    assert item.official_url.startswith("https://geo.api.gouv.fr/communes?")
    assert "type=arrondissement-municipal,commune-actuelle" in item.official_url
    for field in ("nom", "code", "codesPostaux", "centre", "surface", "population"):
        assert field in item.official_url
    assert not item.required  # mirrors lack it: skipped, the COG CSV stands in
