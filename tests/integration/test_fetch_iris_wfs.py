"""IRIS contours from the IGN's Géoplateforme (WFS, GeoJSON) through a real local HTTP
server standing in for it: one département per request, a cut page refused, the contours
read and a point placed in its IRIS."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from model.surroundings.areas import IrisShapes
from tests.integration.publisher import fetch
from training.fetch.run import FAILED, FETCHED
from training.sources.places import iris_items
from training.surroundings.build import read_iris


def square(lon: float, lat: float, side: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def answer(features: list[tuple[str, dict]], matched: int | None = None) -> dict:
    """A GetFeature answer as GeoServer writes it (numberMatched, numberReturned)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f"contours_iris.{i}",
                "geometry": geometry,
                "properties": {"code_insee": code[:5], "code_iris": code, "nom_iris": "Centre"},
            }
            for i, (code, geometry) in enumerate(features)
        ],
        "numberMatched": len(features) if matched is None else matched,
        "numberReturned": len(features),
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
    }


def local(item, publisher):
    query = urlsplit(item.official_url).query
    return replace(item, official_url=f"{publisher.base}/wfs?{query}")


def test_each_departement_asks_for_its_own_iris_in_longitude_first_order():
    items = {item.departement: item for item in iris_items(["34", "2A", "75"])}
    query = parse_qs(urlsplit(items["2A"].official_url).query)
    assert query["CQL_FILTER"] == ["code_insee LIKE '2A%'"]
    assert query["SRSNAME"] == ["CRS:84"] and query["OUTPUTFORMAT"] == ["application/json"]
    assert query["TYPENAMES"] == ["STATISTICALUNITS.IRIS:contours_iris"]
    # The mirror's extract for Paris; the official edition lands at a path of its own.
    assert items["75"].path == "iris/contours-iris-paris-2013.geojson"
    assert items["34"].path is None
    assert items["34"].raw_path_official == "iris/contours-iris-34-ign.geojson"


def test_the_contours_are_fetched_and_place_a_point_in_its_iris(publisher, tmp_path):
    contours = answer([("341720101", square(3.87, 43.61)), ("341720102", square(3.88, 43.61))])
    (publisher.site / "wfs").write_text(json.dumps(contours), encoding="utf-8")
    item = local(iris_items(["34"])[0], publisher)
    raw = tmp_path / "raw"
    assert [o.status for o in fetch([item], raw).outcomes] == [FETCHED]
    table = read_iris([raw / item.raw_path_official])
    shapes = IrisShapes(table["code"], table["wkb"])
    found = shapes.locate([3.875, 3.885, 2.35], [43.615, 43.615, 48.85])
    assert list(found) == ["341720101", "341720102", None]


def test_a_page_of_several_is_refused_and_the_previous_contours_kept(publisher, tmp_path):
    raw = tmp_path / "raw"
    item = local(iris_items(["59"])[0], publisher)
    full = answer([("593500101", square(3.06, 50.63))])
    (publisher.site / "wfs").write_text(json.dumps(full), encoding="utf-8")
    assert fetch([item], raw).outcomes[0].status == FETCHED
    before = (raw / item.raw_path_official).read_bytes()

    cut = answer([("593500101", square(3.06, 50.63))], matched=1450)
    (publisher.site / "wfs").write_text(json.dumps(cut), encoding="utf-8")
    outcome = fetch([item], raw, force=True).outcomes[0]
    assert outcome.status == FAILED
    assert "matched 1450 features but returned 1" in outcome.message
    assert (raw / item.raw_path_official).read_bytes() == before
