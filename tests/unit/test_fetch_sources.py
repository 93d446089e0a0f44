"""The source catalogue: argument parsing, paths in the mirror and under raw/, official URLs."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from training import sources
from training.fetch.run import plan, unreachable_message


def test_departements_are_normalised_and_deduplicated():
    assert sources.parse_departements(" 1, 2a,75,75 ", ["dvf"]) == ["01", "2A", "75"]
    assert sources.parse_departements(None, ["dvf"]) == ["34", "59", "75", "76"]


def test_unknown_departement_lists_the_valid_codes():
    with pytest.raises(ValueError) as error:
        sources.parse_departements("75,20,100", ["dvf"])
    message = str(error.value)
    assert "20, 100" in message and "2A and 2B" in message
    assert "Valid codes: 01, 02" in message and "976" in message


@pytest.mark.parametrize("code", ["57", "67", "68", "976"])
def test_departements_outside_dvf_are_explained(code):
    with pytest.raises(ValueError, match="not covered by DVF|Livre foncier"):
        sources.parse_departements(f"75,{code}", ["dvf", "ban"])
    # Without DVF, their other sources can still be fetched.
    assert sources.parse_departements(code, ["ban"]) == [code]


def test_departements_outside_dvf_agree_with_the_estimator():
    # Two copies until the set moves to one light module in model/ (the estimator's is a set).
    from model.geography import NOT_IN_DVF

    assert set(sources.NOT_IN_DVF) == set(NOT_IN_DVF)


def test_years_ranges_lists_and_bounds():
    assert sources.parse_years("2020-2022", 2026) == [2020, 2021, 2022]
    assert sources.parse_years("2024,2021, 2024", 2026) == [2021, 2024]
    for bad in ("2024-2020", "twenty", "2013", "2027", ","):
        with pytest.raises(ValueError):
            sources.parse_years(bad, 2026)


def test_groups():
    assert sources.parse_groups(None) == list(sources.GROUPS)
    assert sources.parse_groups("ban, DVF") == ["dvf", "ban"]
    with pytest.raises(ValueError, match="Valid: dvf"):
        sources.parse_groups("dvf,osm")


def test_official_urls():
    (dvf,) = sources.dvf_items(["2A"], [2023])
    assert (
        dvf.official_url
        == "https://files.data.gouv.fr/geo-dvf/latest/csv/2023/departements/2A.csv.gz"
    )
    assert dvf.path == "geo-dvf/latest/csv/2023/departements/2A.csv.gz"
    (ban,) = sources.ban_items(["59"])
    assert ban.official_url.endswith("/adresses/latest/csv/adresses-59.csv.gz")
    overpass = next(i for i in sources.camera_items(["76"]) if i.official_url)
    query = parse_qs(urlparse(overpass.official_url).query)["data"][0]
    assert '"ref:INSEE"="76"' in query and '"man_made"="surveillance"' in query
    contours = [i for i in sources.commune_items(["2B"]) if i.departement == "2B"][0]
    assert contours.path == "communes/contours-2018/communes-2B-haute-corse.geojson.gz"
    assert contours.official_url.endswith("/2B-haute-corse/communes-2B-haute-corse.geojson")
    assert contours.store_gzip


def test_plan_from_mirror_or_official():
    items = {item.title: item for item in sources.catalogue(["75"], [2023], list(sources.GROUPS))}
    dvf = items["DVF 2023 département 75"]
    assert plan(dvf, "/mirror") == ("/mirror/" + dvf.path, dvf.path, "")
    assert plan(dvf, "http://host/data") == ("http://host/data/" + dvf.path, dvf.path, "")
    assert plan(dvf, None) == (dvf.official_url, dvf.path, "")
    departmental = items["SSMSI departmental base (latest edition, official)"]
    location, raw_path, reason = plan(departmental, "/mirror")
    assert location is None and "not in mirror" in reason and "geographie2025" in reason
    assert plan(departmental, None)[1] == "ssmsi/donnee-dep-data.gouv-latest.csv"
    paris_cameras = items["Paris: Préfecture de police camera plan (mirror copy)"]
    assert plan(paris_cameras, None)[2].startswith("mirror only")


def test_unreachable_official_host_says_to_set_immoval_source():
    message = unreachable_message("files.data.gouv.fr", "Name or service not known", None)
    assert "files.data.gouv.fr" in message and "IMMOVAL_SOURCE" in message
    assert "IMMOVAL_SOURCE" in unreachable_message("127.0.0.1:9", "refused", "http://127.0.0.1:9/")
