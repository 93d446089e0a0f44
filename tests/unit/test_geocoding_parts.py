"""The parts of the geocoder on small tables: words, communes, the BAN client, the app glue."""

from __future__ import annotations

import logging
import time

import pandas as pd
import pytest

from app.geocoding import BanClient, Geocoder, Location, OfflineIndex, reference_dir_for
from app.geocoding.ban import BAN_RETRY_AFTER_SECONDS
from app.geocoding.communes import CommuneIndex
from model.address_text import normalise_suffixes, parse_query, without_last
from model.settings import layout

COMMUNES = pd.DataFrame(
    {
        "code_commune": ["75056", "75101", "75104", "80688", "59350", "62350"],
        "code_commune_stats": ["75056", "75056", "75056", "80688", "59350", "62350"],
        "name": ["Paris", "Paris 1er", "Paris 4e", "Rue", "Lille", "Lille"],
        "postcode": ["75001", "75001", "75004", "80120", "59000", "62000"],
        "population": [2_100_000, 16_000, 28_000, 3_000, 236_000, 50],
        "latitude": [48.86, 48.86, 48.85, 50.27, 50.63, 50.5],
        "longitude": [2.35, 2.34, 2.36, 1.67, 3.06, 2.5],
    },
    index=[10, 11, 12, 13, 14, 15],  # any index: the index is positional inside
)


def test_without_last_removes_the_last_occurrence_of_each_word():
    assert without_last(("rue", "de", "paris", "paris"), {"paris"}) == ["rue", "de", "paris"]
    assert without_last(("lille",), {"lille", "absent"}) == []


def test_suffixes_are_normalised_whatever_their_spelling():
    out = normalise_suffixes(pd.Series(["B", "bis", None, "T", "Q", "x"]))
    assert out.tolist() == ["bis", "bis", "", "ter", "quater", "x"]


def test_a_postcode_names_its_communes_first():
    places = CommuneIndex(COMMUNES)
    found, words = places.places(parse_query("rue de rivoli 75001"))
    assert sorted(found) == [0, 1] and words == set()
    assert places.location(found[0], "postcode").source == "commune-centroid"


def test_the_longest_then_most_populous_name_wins():
    places = CommuneIndex(COMMUNES)
    found, words = places.places(parse_query("10 rue nationale lille"))
    assert found[0] == 4 and words == {"lille"}  # Lille (Nord) before its small homonym
    found, _ = places.places(parse_query("rue de rivoli paris 4e"))
    assert found == [2]
    assert places.places(parse_query("nowhere at all")) == ([], set())


def test_a_whole_city_contains_its_arrondissements():
    places = CommuneIndex(COMMUNES)
    assert places.codes([0]) == {"75056", "75101", "75104"}
    assert places.codes([3]) == {"80688"}


def test_streets_add_the_other_postcodes_of_a_commune():
    places = CommuneIndex(COMMUNES)
    places.add_postcode("59800", "59350")
    places.add_postcode("59800", "59350")  # once only
    places.add_postcode("99999", "00000")  # unknown commune: nothing
    assert places.places(parse_query("59800"))[0] == [4]
    assert places.places(parse_query("99999"))[0] == []


def test_centroid_label_is_postcode_and_name():
    location = CommuneIndex(COMMUNES).location(4, "municipality")
    assert location == Location(50.63, 3.06, "municipality", "commune-centroid",
                                "59000 Lille", "59350", "59000")  # fmt: skip


def test_without_address_file_the_index_answers_with_centroids(tmp_path, caplog):
    COMMUNES.to_parquet(tmp_path / "communes.parquet")
    with caplog.at_level(logging.WARNING):
        index = OfflineIndex.load(tmp_path)
    assert "commune centroids only" in caplog.text
    assert index.street_count == 0
    found = index.search("3 rue de la gare 59000 Lille")
    assert [(f.precision, f.code_commune) for f in found] == [("municipality", "59350")]
    assert index.search("zzqx") == []


def test_an_unconfigured_or_resting_api_is_not_asked(monkeypatch):
    assert BanClient("", 1.0).search("12 rue de Rivoli", 1, False) is None
    client = BanClient("http://127.0.0.1:9/search/", 0.2)

    def refuse(*args, **kwargs):
        raise AssertionError("the API was asked while resting")

    client.down_until = float("inf")
    monkeypatch.setattr(client._session, "get", refuse)
    assert client.search("12 rue de Rivoli", 1, False) is None


def test_a_failure_rests_the_api_for_a_while():
    client = BanClient("http://127.0.0.1:9/search/", 0.2)  # nothing listens on port 9
    assert client.search("12 rue de Rivoli", 1, False) is None
    rest = client.down_until - time.monotonic()
    assert BAN_RETRY_AFTER_SECONDS - 5 < rest <= BAN_RETRY_AFTER_SECONDS


def test_the_geocoder_finds_its_reference_when_first_needed(tmp_path):
    home = tmp_path / "home"
    calls = []

    def reference():
        calls.append(1)
        return reference_dir_for(home)

    geocoder = Geocoder("", 1.0, reference)
    assert geocoder.index is None  # nothing prepared yet
    paths = layout(home)
    paths.reference.mkdir(parents=True)
    COMMUNES.to_parquet(paths.reference / "communes.parquet")
    assert geocoder.index is not None and geocoder.index is geocoder.index
    assert geocoder.geocode("Lille").code_commune == "59350"
    assert len(calls) == 2  # looked again until found, then kept


@pytest.mark.parametrize("champion", [True, False])
def test_reference_is_the_champions_else_the_prepared_one(tmp_path, champion):
    paths = layout(tmp_path)
    assert reference_dir_for(tmp_path) is None
    paths.reference.mkdir(parents=True)
    COMMUNES.to_parquet(paths.reference / "communes.parquet")
    bundled = paths.models / "v1" / "reference"
    bundled.mkdir(parents=True)
    (paths.models / "v1" / "metadata.json").write_text("{}", encoding="utf-8")
    COMMUNES.to_parquet(bundled / "communes.parquet")
    if champion:
        (paths.models / "champion").write_text("v1", encoding="utf-8")
    assert reference_dir_for(tmp_path) == (bundled if champion else paths.reference)


def test_a_shared_postcode_takes_the_commune_the_query_names():
    shared = pd.DataFrame(
        {
            "code_commune": ["34299", "34300"],
            "name": ["Sérignan", "Sauvian"],
            "postcode": ["34410", "34410"],
            "population": [7_000, 5_000],
            "latitude": [43.28, 43.29],
            "longitude": [3.28, 3.23],
        }
    )
    places = CommuneIndex(shared)
    # "Sauvian" names the road here, not the place: it stays a street word.
    found, words = places.places(parse_query("2 rte de Sauvian 34410 Sérignan"))
    assert found == [0] and words == {"serignan"}
    found, words = places.places(parse_query("1 rue haute 34410 Sauvian"))
    assert found == [1] and words == {"sauvian"}
    # No name given: every commune of the postcode, as before.
    assert places.places(parse_query("1 rue haute 34410"))[0] == [0, 1]


def test_the_street_explaining_the_whole_query_wins_over_a_bigger_one_it_contains():
    rows = [("Rue de Longchamp", n, 48.86) for n in range(1, 60)]
    rows += [("Rue du Bouquet de Longchamp", n, 48.87) for n in range(1, 12)]
    addresses = pd.DataFrame(
        {
            "number": [str(n) for _, n, _ in rows],
            "suffix": "",
            "street": [s for s, _, _ in rows],
            "postcode": "75004",
            "code_commune": "75104",
            "commune_name": "Paris 4e",
            "latitude": [lat for _, _, lat in rows],
            "longitude": 2.36,
            "source": "ban",
            "departement": "75",
        }
    )
    index = OfflineIndex.from_frames(addresses, COMMUNES)
    found = index.search("10 rue du Bouquet de Longchamp 75004 Paris")[0]
    assert found.label.startswith("10 Rue du Bouquet de Longchamp")
    assert index.search("10 rue de Longchamp 75004 Paris")[0].latitude == 48.86
