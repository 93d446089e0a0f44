"""Which surroundings groups training uses, and the files the catalogue fetches for them."""

import pytest

from model import features as feats
from training.errors import SettingsError
from training.settings import surroundings_groups
from training.sources import catalogue


def test_groups_default_none_and_a_bad_name():
    assert surroundings_groups({}) == feats.DEFAULT_SURROUNDINGS
    assert surroundings_groups({"IMMOVAL_SURROUNDINGS": "none"}) == ()
    assert surroundings_groups({"IMMOVAL_SURROUNDINGS": "all"}) == tuple(feats.SURROUNDINGS_GROUPS)
    assert surroundings_groups({"IMMOVAL_SURROUNDINGS": "income, transport"}) == (
        "income",
        "transport",
    )
    with pytest.raises(SettingsError, match="trains"):
        surroundings_groups({"IMMOVAL_SURROUNDINGS": "transport,trains"})


def test_features_of_groups_keep_the_model_order():
    assert feats.surroundings_of(["income", "transport"]) == (
        "sr_rail_station_m",
        "sr_urban_station_m",
        "sr_income_commune",
        "sr_income_iris",
    )
    names = feats.feature_names(("tq_a",), feats.surroundings_of(["geography"]))
    assert names[-3:] == ("tq_a", "sr_sea_m", "sr_centre_m")


def test_a_contour_two_groups_need_is_fetched_once():
    items = catalogue(["34", "28"], [2024], ["communes", "surroundings"])
    paths = [item.path for item in items]
    # What the catalogue knows a file by: its mirror path, else (official only) its URL.
    keys = [item.path or item.official_url for item in items]
    assert len(keys) == len(set(keys))
    assert "communes/contours-2018/communes-34-herault.geojson.gz" in paths
    # The coast needs every coastal département's contours, not only those served.
    assert "communes/contours-2018/communes-29-finistere.geojson.gz" in paths
    assert "insee/filosofi-activite-2017-iris-paris.csv.gz" not in paths  # Paris only
