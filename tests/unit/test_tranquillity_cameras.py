"""Camera readers and the merge of sources."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from training.tranquillity import cameras as cam


def test_overpass_json_reader(tmp_path):
    path = tmp_path / "osm-overpass-34.json"
    path.write_text(
        json.dumps(
            {
                "version": 0.6,
                "elements": [
                    {
                        "type": "node",
                        "id": 1,
                        "lat": 43.61,
                        "lon": 3.87,
                        "tags": {"man_made": "surveillance", "surveillance:type": "camera"},
                    },
                    {
                        "type": "node",
                        "id": 2,
                        "lat": 43.62,
                        "lon": 3.88,
                        "tags": {"man_made": "surveillance", "start_date": "2019-05"},
                    },
                    {
                        "type": "way",
                        "id": 3,
                        "center": {"lat": 43.63, "lon": 3.89},
                        "tags": {"man_made": "surveillance"},
                    },
                    {
                        "type": "node",
                        "id": 4,
                        "lat": 43.64,
                        "lon": 3.9,
                        "tags": {"man_made": "surveillance", "surveillance:type": "guard"},
                    },
                    {"type": "node", "id": 5, "tags": {"man_made": "surveillance"}},
                ],
            }
        ),
        encoding="utf-8",
    )
    read = cam.read_overpass_json(path)
    assert read.table["longitude"].tolist() == [3.87, 3.88, 3.89]
    assert read.table["in_service"].isna().tolist() == [True, False, True]
    # A partial date is the end of its month: never counted before it could exist.
    assert read.table["in_service"].iloc[1] == pd.Timestamp("2019-05-31")
    assert sorted(read.rejected["reason"]) == [
        "no coordinates",
        "surveillance:type is not a camera",
    ]


@pytest.mark.parametrize("start_date", ["2019-13", "2019-02-30", "2019-00", "soon"])
def test_impossible_osm_start_date_is_unknown(tmp_path, start_date):
    # Mappers' typos must not stop the build: the camera is kept, its date unknown.
    path = tmp_path / "osm-overpass-34.json"
    tags = {"man_made": "surveillance", "start_date": start_date}
    element = {"type": "node", "id": 1, "lat": 43.61, "lon": 3.87, "tags": tags}
    path.write_text(json.dumps({"elements": [element]}), encoding="utf-8")
    read = cam.read_overpass_json(path)
    assert read.table["longitude"].tolist() == [3.87]
    assert read.table["in_service"].isna().tolist() == [True]


def test_osm_xml_reader(tmp_path):
    path = tmp_path / "x.osm"
    path.write_text(
        "<?xml version='1.0'?><osm version='0.6'>"
        "<node id='1' lat='48.85' lon='2.35'><tag k='man_made' v='surveillance'/></node>"
        "<node id='2' lat='48.86' lon='2.36'/>"
        "</osm>",
        encoding="utf-8",
    )
    read = cam.read_osm_xml(path)
    assert read.table[["longitude", "latitude"]].values.tolist() == [[2.35, 48.85]]
    assert read.rejected["reason"].tolist() == ["not man_made=surveillance"]


def test_paris_dates():
    values = pd.Series(["08/07/16", "40898", "Début 2012", "inconnue", "#N/A"])
    dates, why = cam.parse_paris_dates(values)
    assert dates.iloc[0] == pd.Timestamp("2016-07-08")
    assert dates.iloc[1] == pd.Timestamp("2011-12-21")  # Excel serial
    assert dates.iloc[2] == pd.Timestamp("2012-03-31")
    assert dates.iloc[3:].isna().all()
    assert why.iloc[3] == "date in service unknown: inconnue"


def test_paris_list_without_coordinates_is_reported(tmp_path):
    path = tmp_path / "annexe.csv"
    path.write_text(
        "Code postal;Numéro;Implantation;Date de mise en service;lon;lat\n"
        "75001;1;Rue A;08/07/16;2.3475;48.8587\n"
        "75001;2;Rue B;inconnue;;\n",
        encoding="utf-8",
    )
    read = cam.read_paris_list(path, "paris")
    assert len(read.table) == 1 and read.table["in_service"].iloc[0] == pd.Timestamp("2016-07-08")
    assert read.rejected["line"].tolist() == [3]


def _cameras(points, dates, source):
    lon, lat = zip(*points, strict=True)
    return cam._cameras(lon, lat, pd.to_datetime(pd.Series(dates)), source)


def test_duplicate_cameras_across_sources_are_merged():
    # ~5 m apart (same camera) and ~40 m apart (another one).
    best = _cameras([(2.35, 48.85)], ["2017-01-01"], "prefecture")
    other = _cameras([(2.35005, 48.85002), (2.3505, 48.8502)], [None, "2015-06-01"], "osm")
    merged = cam.merge_cameras([best, other])
    assert len(merged) == 2
    kept = merged[merged["source"] == "prefecture"].iloc[0]
    assert kept["sources"] == "prefecture+osm"
    assert kept["in_service"] == pd.Timestamp("2017-01-01")
    # Metric coordinates come from Lambert-93 (EPSG:2154): Paris is near x=652 km.
    assert 640_000 < kept["x"] < 660_000


def test_merge_takes_the_earliest_known_date():
    best = _cameras([(2.35, 48.85)], [None], "plan")
    other = _cameras([(2.35001, 48.85001)], ["2014-02-01"], "list")
    merged = cam.merge_cameras([best, other])
    assert len(merged) == 1 and merged["in_service"].iloc[0] == pd.Timestamp("2014-02-01")


def test_merge_of_nothing_is_empty():
    assert cam.merge_cameras([]).empty


def test_merge_is_one_to_one():
    # Two cameras of one source near one kept camera: only the closest is its duplicate.
    best = _cameras([(2.35, 48.85)], ["2017-01-01"], "prefecture")
    other = _cameras([(2.35003, 48.85), (2.35, 48.85008)], [None, None], "osm")
    assert len(cam.merge_cameras([best, other])) == 2


def test_precision_widens_the_duplicate_radius():
    # ~30 m apart: two cameras for exact positions, one when both are crossing estimates.
    best = _cameras([(2.35, 48.85)], ["2017-01-01"], "list")
    other = _cameras([(2.3504, 48.85)], [None], "plan")
    assert len(cam.merge_cameras([best, other])) == 2
    best["precision_m"], other["precision_m"] = 10.0, 10.0
    assert len(cam.merge_cameras([best, other])) == 1


BAN = (
    "nom_voie;x;y;lon;lat\n"
    # Rue A runs east-west at y=0; rue B north-south at x=100; rue C far away.
    + "".join(f"Rue de l'Abbé A;{x};6862000;{2.33 + x / 73000:.6f};48.86\n" for x in (0, 50, 90))
    + "".join(
        f"Rue Bé;110;{6862000 + y};{2.33 + 110 / 73000:.6f};{48.86 + y / 111000:.6f}\n"
        for y in (10, 60)
    )
    + "Rue C;5000;6865000;2.4;48.9\n"
)


def test_crossings_are_placed_with_the_ban(tmp_path):
    from training.tranquillity.crossings import StreetIndex, street_key

    (tmp_path / "ban.csv").write_text(BAN, encoding="utf-8")
    streets = StreetIndex.read(tmp_path / "ban.csv")
    assert street_key("Rue de l'Abbé A") == street_key("rue abbe  A")
    lon, lat, why = streets.crossing("rue Abbé A", "rue Be")
    assert why is None
    # Midpoint of (90, 0) and (110, 10): x=100 -> 2.33 + 100/73000.
    assert lon == pytest.approx(2.33 + 100 / 73000, abs=1e-6)
    assert streets.crossing("Rue de l'Abbé A", "Rue C")[2] == "streets do not meet within 80 m"
    assert streets.crossing("Rue A", "Rue Inconnue")[2].startswith("street not found")


def test_paris_lists_share_sites_and_place_crossings(tmp_path):
    from training.tranquillity.crossings import StreetIndex

    (tmp_path / "ban.csv").write_text(BAN, encoding="utf-8")
    streets = StreetIndex.read(tmp_path / "ban.csv")
    header = (
        "Code postal;Numéro;Implantation;Rue croisement 1;Rue croisement 2;Rue croisement 3;"
        "Précision de l’implantation;Date de mise en service\n"
    )
    first = tmp_path / "annexe1.csv"
    first.write_text(header + "75001;0012;A, B;Rue de l'Abbé A; rue Bé;;croisement;20/01/12\n")
    second = tmp_path / "annexe2.csv"
    second.write_text(
        header + "75001;12;A, B;Rue de l'Abbé A; rue Bé;;croisement;20/01/12\n"
        "75001;13;Place X;Place X;;;adresse imprécise;inconnue\n"
    )
    sites: set[str] = set()
    one = cam.read_paris_list(first, "a1", streets, sites)
    two = cam.read_paris_list(second, "a2", streets, sites)
    assert len(one.table) == 1 and one.table["precision_m"].iloc[0] > 0
    assert one.table["in_service"].iloc[0] == pd.Timestamp("2012-01-20")
    assert two.table.empty
    assert sorted(two.rejected["reason"]) == [
        "not a crossing (adresse imprécise)",
        "site already listed in an earlier list (same Numéro)",
    ]
