"""The offline address index, built from the real BAN Paris file and real DVF rows of Nord."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from app.geocoding import OfflineIndex
from training.addresses import build_index, read_ban
from training.communes import build_communes, read_communes_csv

DVF_TO_SALES = {
    "adresse_numero": "address_number",
    "adresse_suffixe": "address_suffix",
    "adresse_nom_voie": "street",
    "code_postal": "postcode",
    "code_commune": "code_commune",
    "nom_commune": "commune_name",
    "latitude": "latitude",
    "longitude": "longitude",
    "code_departement": "departement",
}


def nord_sales(shared_data, rows: int = 60_000) -> pd.DataFrame:
    """Real geo-DVF rows of Nord with the sales table's address columns."""
    path = shared_data / "geo-dvf/latest/csv/2023/departements/59.csv.gz"
    raw = pd.read_csv(path, dtype=str, nrows=rows, usecols=list(DVF_TO_SALES))
    sales = raw.rename(columns=DVF_TO_SALES)
    for column in ("latitude", "longitude"):
        sales[column] = sales[column].astype("float64")
    return sales


@pytest.fixture(scope="module")
def tables(shared_data):
    ban = read_ban(shared_data / "ban/adresses-75.csv.gz")
    addresses, report = build_index([ban], nord_sales(shared_data))
    communes = build_communes(
        read_communes_csv(shared_data / "communes/communes-cog2024-population2021.csv")
    )
    return addresses, communes, report


@pytest.fixture(scope="module")
def index(tables):
    addresses, communes, _ = tables
    return OfflineIndex.from_frames(addresses, communes)


def test_index_report_counts_every_rejected_row(tables):
    _, _, report = tables
    dvf = report["dvf"]
    assert dvf["sales"] == 60_000
    assert sum(dvf["rejected"].values()) > 0  # real DVF has rows without coordinates
    assert report["ban"]["75"]["rows"] == report["ban"]["75"]["kept"] + sum(
        report["ban"]["75"]["rejected"].values()
    )


def test_house_number_in_paris(index):
    found = index.search("12 rue de Rivoli 75004 Paris")[0]
    assert found.precision == "housenumber"
    assert found.source == "offline-ban"
    assert found.code_commune == "75104"
    assert found.label.startswith("12 Rue de Rivoli")
    # Rue de Rivoli near Saint-Paul: checks coordinates came from the matching row.
    assert abs(found.latitude - 48.8556) < 0.002 and abs(found.longitude - 2.3600) < 0.003


def test_number_without_postcode_picks_the_street_part_holding_it(index):
    found = index.search("12 rue de rivoli")[0]
    assert (found.precision, found.code_commune) == ("housenumber", "75104")


def test_abbreviations_and_typos(index):
    found = index.search("5 bis bd voltaire 75011")[0]
    assert found.code_commune == "75111" and found.precision == "housenumber"
    assert index.search("rue de rivol")[0].label.startswith("Rue de Rivoli")


def test_unknown_number_falls_back_to_the_street(index):
    found = index.search("9999 rue de rivoli 75001")[0]
    assert found.precision == "street"
    assert found.code_commune == "75101"


def test_dvf_addresses_where_no_ban_file(index):
    found = index.search("rue nationale 59800 lille")[0]
    assert found.source == "offline-dvf"
    assert found.code_commune == "59350"


def test_commune_alone_gives_its_centroid(index):
    found = index.search("Lille")[0]
    assert (found.precision, found.source, found.code_commune) == (
        "municipality",
        "commune-centroid",
        "59350",
    )
    assert index.search("75011")[0].precision == "postcode"


def test_outside_the_index_but_in_france_gives_the_commune(index):
    # No address file for Bas-Rhin: the commune is still located, so the site can explain.
    found = index.search("3 rue du Dôme 67000 Strasbourg")[0]
    assert found.code_commune == "67482"
    assert found.precision == "municipality"


def test_a_named_commune_is_not_swapped_for_a_street_elsewhere(index):
    found = index.search("1 rue tout a fait inconnue lille")[0]
    assert found.code_commune == "59350" and found.precision == "municipality"


def test_a_commune_named_like_a_street_word_does_not_capture_the_street(index):
    # "Rue" is a commune of the Somme; "rue de la Paix" is a street.
    found = index.search("rue de la paix")[0]
    assert found.precision == "street" and found.code_commune.startswith("75")


def test_gibberish_is_not_located(index):
    assert index.search("zzqx wwkj") == []


def test_prefix_suggestions(index):
    labels = [loc.label for loc in index.search("12 rue de riv", 5, prefix=True)]
    assert any(label.startswith("12 Rue de Rivoli") for label in labels)


def test_a_suggestion_keeps_the_typed_number_the_index_lacks(index):
    # The DVF addresses of Rue Nationale (Lille) hold 51 but not 15.
    found = index.search("15 rue Nationale Lille", 5, prefix=True)[0]
    assert (found.label, found.precision) == ("15 Rue Nationale 59800 Lille", "street")
    known = index.search("51 rue Nationale Lille", 5, prefix=True)[0]
    assert (known.label, known.precision) == ("51 Rue Nationale 59800 Lille", "housenumber")
    # An address looked up (not suggested) says what it found: the street.
    assert index.search("15 rue Nationale Lille")[0].label == "Rue Nationale 59800 Lille"


def test_a_postcode_other_than_the_streets_still_finds_the_street_in_the_commune(index):
    # Lille's main postcode is 59000; Rue Nationale is 59800.
    found = index.search("51 rue Nationale 59000 Lille")[0]
    assert found.precision == "housenumber" and found.postcode == "59800"
    assert found.code_commune == "59350"
    street = index.search("rue Nationale 59000 Lille", 3, prefix=True)[0]
    assert street.label == "Rue Nationale 59800 Lille"
    # Where the typed postcode has the street, that one comes first.
    assert index.search("12 rue de rivoli 75001 paris")[0].postcode == "75001"


def test_a_search_past_its_time_limit_gives_the_commune(tables, caplog):
    addresses, communes, _ = tables
    index = OfflineIndex.from_frames(addresses, communes)
    index.search_seconds = 0.0
    found = index.search("12 rue de rivoli paris")
    assert [(f.precision, f.code_commune) for f in found] == [("municipality", "75056")]
    assert "offline address search stopped" in caplog.text
    index.search_seconds = 5.0
    assert index.search("12 rue de rivoli paris")[0].precision == "housenumber"


def test_streets_read_without_a_commune_are_bounded(index, monkeypatch):
    from app.geocoding import offline

    read = []
    original = OfflineIndex._streets_where

    def counting(self, where, values):
        streets = original(self, where, values)
        read.append(len(streets))
        return streets

    monkeypatch.setattr(OfflineIndex, "_streets_where", counting)
    assert index.search("rue de la gare")[0].label.startswith("Rue de la Gare")
    many = max(read)
    read.clear()
    monkeypatch.setattr(offline, "MAX_CANDIDATES", 20)
    # Every word is common: only the rarest word's first streets are read.
    index.search("rue de la gare")
    assert many > 20 and read and max(read) <= 20


def test_an_index_of_another_layout_or_damaged_answers_with_communes(tables, tmp_path, caplog):
    addresses, communes, _ = tables
    built = OfflineIndex.from_frames(addresses.head(500), communes)
    reference = tmp_path / "reference"
    reference.mkdir()
    communes.to_parquet(reference / "communes.parquet")
    (reference / "addresses.sqlite3").write_bytes(built.path.read_bytes())
    with sqlite3.connect(reference / "addresses.sqlite3") as db:
        db.execute("UPDATE meta SET value = 'old' WHERE key = 'layout'")
    index = OfflineIndex.load(reference)
    assert "immoval addresses" in caplog.text and index.street_count == 0
    assert index.search("Lille")[0].code_commune == "59350"
    built._db().close()  # a connection gone bad: the commune still answers
    found = built.search("12 rue de rivoli 75004 paris")
    assert [(f.precision, f.code_commune) for f in found] == [("municipality", "75104")]
    assert "offline address search failed" in caplog.text


def test_a_number_the_index_lacks_is_placed_between_its_side_neighbours(tables):
    addresses, communes, _ = tables
    rivoli = addresses[(addresses["street"] == "Rue de Rivoli") & (addresses["suffix"] == "")]
    truth = rivoli[rivoli["number"] == "12"].iloc[0]
    index = OfflineIndex.from_frames(rivoli[rivoli["number"] != "12"], communes)
    found = index.search("12 rue de Rivoli 75004 Paris")[0]
    assert found.precision == "interpolated" and found.code_commune == "75104"
    assert found.label.startswith("12 Rue de Rivoli")
    # BAN's own point of n° 12, hidden from the index: the interpolation lands near it.
    metres = 111_000 * max(
        abs(found.latitude - truth["latitude"]),
        abs(found.longitude - truth["longitude"]) * 0.66,
    )
    assert metres < 40
    # Past the last odd number nothing is guessed: the street, at that last odd number.
    odd = rivoli[rivoli["number"].str.isdigit() & (rivoli["number"].str[-1].isin(list("13579")))]
    last = odd.loc[odd["number"].astype(int).idxmax()]
    beyond = index.search(f"{int(last['number']) + 2} rue de Rivoli 75001 Paris")[0]
    assert beyond.precision == "street"
    assert (beyond.latitude, beyond.longitude) == (last["latitude"], last["longitude"])
