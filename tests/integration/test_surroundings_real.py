"""The surroundings reference built from the real mirror files, and its features: the same
for a whole table as for one home, stations by their opening, the sea, the IRIS."""

import csv

import numpy as np
import pandas as pd
import pytest

from model.surroundings import Surroundings
from training.surroundings import build_reference
from training.surroundings.openings import OPENINGS
from training.surroundings.stations import read_idfm, read_sncf

FILES = (
    "transport/sncf-liste-des-gares.csv",
    "transport/idfm-emplacement-des-gares-idf-2025.csv",
    "communes/communes-littorales-2019-mer.csv",
    "communes/departements-2018.geojson",
    "communes/contours-2018/communes-34-herault.geojson.gz",
    "insee/filosofi-2016-communes.csv.gz",
    "insee/filosofi-activite-2017-iris-paris.csv.gz",
    "iris/contours-iris-paris-2013.geojson",
)
ROUSSY = (48.79305, 2.34937)  # Villejuif – Gustave Roussy, line 14 (opened June 2024)
POINTS = pd.DataFrame(
    {
        "longitude": [2.3039, ROUSSY[1], ROUSSY[1], 3.8767, 3.6900],
        "latitude": [48.8417, ROUSSY[0], ROUSSY[0], 43.6108, 43.4000],
        "date": pd.to_datetime(
            ["2022-05-01", "2021-05-01", "2024-07-01", "2023-01-01", "2024-01-01"]
        ),
        "code_commune": ["75115", "94076", "94076", "34172", "34301"],
    }
)


@pytest.fixture(scope="module")
def surroundings(shared_data, tmp_path_factory) -> Surroundings:
    root = tmp_path_factory.mktemp("surroundings")
    raw, reference = root / "raw", root / "reference"
    for relative in FILES:
        (raw / relative).parent.mkdir(parents=True, exist_ok=True)
        (raw / relative).symlink_to(shared_data / relative)
    # A few BPE rows in the official layout: the national file takes seconds to read.
    (raw / "insee").joinpath("bpe-2018-ensemble-iris-typequ.csv").write_text(
        "REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;NB_EQUIP\n11;75;75115;75115_5806;2018;B203;4\n",
        encoding="utf-8",
    )
    communes = pd.read_csv(
        shared_data / "communes/communes-cog2024-population2021.csv",
        dtype={"insee_com": str},
        usecols=["insee_com", "lat", "lng", "population_2021"],
    ).drop_duplicates("insee_com")
    communes.columns = ["code_commune", "latitude", "longitude", "population"]
    reference.mkdir()
    communes.to_parquet(reference / "communes.parquet")
    report = build_reference(raw, reference / "surroundings", communes)
    assert report["sources"]["communes/communes-littorales-2019-mer.csv"]["departements"] == ["34"]
    return Surroundings.load(reference)


def test_every_known_opening_names_a_station_of_the_file(shared_data):
    table = pd.read_csv(
        shared_data / "transport/idfm-emplacement-des-gares-idf-2025.csv",
        sep=";",
        encoding="utf-8-sig",
        dtype=str,
    )
    for line, stations, _date, _source in OPENINGS:
        names = set(table.loc[table["res_com"] == line, "nom_gares"])
        assert names, line
        assert set(stations or ()) <= names, (line, set(stations or ()) - names)
    _points, report = read_idfm(shared_data / "transport/idfm-emplacement-des-gares-idf-2025.csv")
    assert 0 < report["with_known_opening"] < report["stations_lines"]


def test_sncf_passenger_stations_once_each(shared_data):
    path = shared_data / "transport/sncf-liste-des-gares.csv"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        codes = {row["CODE_UIC"] for row in csv.DictReader(handle, delimiter=";")
                 if row["VOYAGEURS"] == "O"}  # fmt: skip
    points, report = read_sncf(path)
    assert report["stations"] == len(points) == len(codes)
    assert report["passenger_rows"] > len(codes)  # one row per station and line


def test_one_home_gets_the_features_of_the_whole_table(surroundings):
    many = surroundings.features(
        POINTS["longitude"], POINTS["latitude"], POINTS["date"], POINTS["code_commune"]
    )
    for i, row in POINTS.iterrows():
        one = surroundings.features(
            [row["longitude"]], [row["latitude"]], [row["date"]], [row["code_commune"]]
        )
        np.testing.assert_array_equal(one.to_numpy()[0], many.to_numpy()[i])


def test_what_the_features_say_about_real_places(surroundings):
    found = surroundings.features(
        POINTS["longitude"], POINTS["latitude"], POINTS["date"], POINTS["code_commune"]
    )
    paris, roussy_2021, roussy_2024, montpellier, sete = found.to_dict("records")
    # Line 14 reached Villejuif in June 2024: the station was not there for a 2021 sale.
    assert roussy_2024["sr_urban_station_m"] < 50
    assert roussy_2021["sr_urban_station_m"] > 500
    assert paris["sr_urban_station_m"] < 500 and np.isnan(montpellier["sr_urban_station_m"])
    assert 5_000 < montpellier["sr_sea_m"] < 15_000 and sete["sr_sea_m"] < 2_000
    assert montpellier["sr_centre_m"] < 1_000
    assert paris["sr_income_iris"] > 10_000 and np.isnan(montpellier["sr_income_iris"])
    assert montpellier["sr_income_commune"] > 10_000
    assert paris["sr_shops_iris"] == 4.0 and np.isnan(montpellier["sr_shops_per_1000"])
