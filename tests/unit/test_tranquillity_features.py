"""Per-sale features and the display summary, on small reference tables."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from model.tranquillity import FEATURES, GROUPS, Tranquillity

PARIS = (2.3522, 48.8566)
# 0.001° of latitude ≈ 111 m.
NORTH_111M = (2.3522, 48.8576)
NORTH_333M = (2.3522, 48.8596)


def commune_rows(code, rates_by_year):
    rows = []
    for year, rate in rates_by_year.items():
        row = {"code": code, "year": year, "population": 1000.0}
        for g in GROUPS:
            row[f"{g}_rate"] = rate
            row[f"{g}_percentile"] = 50.0 if rate == rate else np.nan
        rows.append(row)
    return rows


@pytest.fixture()
def tranquillity():
    communes = pd.DataFrame(
        commune_rows(
            "75056",
            {
                2016: 8.0,
                2017: 9.0,
                2018: 10.0,
                2019: 11.0,
                2020: 12.0,
                2021: 13.0,
                2022: 14.0,
                2023: 15.0,
            },
        )  # fmt: skip
        + commune_rows("34172", {2020: 5.0, 2021: 6.0, 2022: np.nan, 2023: 7.0})
    )
    departements = pd.DataFrame(
        [
            {"code": c, "year": y, **{f"{g}_rate": 10.0 for g in GROUPS}}
            for c in ("75", "34", "FR")
            for y in range(2016, 2024)
        ]  # fmt: skip
    )
    cameras = pd.DataFrame(
        {
            "longitude": [NORTH_111M[0], NORTH_333M[0], NORTH_333M[0] + 0.0001],
            "latitude": [NORTH_111M[1], NORTH_333M[1], NORTH_333M[1]],
            "in_service": pd.to_datetime(["2018-01-01", "2022-06-15", None]),
            "source": "list",
        }
    )
    coverage = pd.DataFrame({"code": ["75056"], "source": ["list"]})
    return Tranquillity(communes, departements, cameras, coverage, {"sources": [{"name": "x"}]})


def features(t, points, dates, codes):
    lon, lat = zip(*points, strict=True)
    return t.features(list(lon), list(lat), pd.to_datetime(dates), codes)


def test_feature_columns_are_float32_in_order(tranquillity):
    out = features(tranquillity, [PARIS], ["2023-01-01"], ["75056"])
    assert list(out.columns) == list(FEATURES)
    assert (out.dtypes == np.float32).all()


def test_uses_previous_year_never_the_year_of_the_sale(tranquillity):
    out = features(tranquillity, [PARIS], ["2023-12-31"], ["75056"]).iloc[0]
    assert out["tq_violence_rate"] == 14.0  # 2022, not 2023
    assert out["tq_violence_age"] == 1


def test_falls_back_to_the_latest_earlier_year_with_a_flag(tranquillity):
    out = features(tranquillity, [PARIS], ["2023-05-01"], ["34172"]).iloc[0]
    assert out["tq_violence_rate"] == 6.0  # 2022 unpublished -> 2021
    assert out["tq_violence_age"] == 2


def test_unknown_commune_or_too_old_figures_are_nan(tranquillity):
    out = features(tranquillity, [PARIS, PARIS], ["2023-05-01", "2030-01-01"], ["99999", "34172"])
    assert out["tq_violence_rate"].isna().all() and out["tq_violence_age"].isna().all()


def test_arrondissement_code_is_read_as_paris(tranquillity):
    out = features(tranquillity, [PARIS], ["2021-03-01"], ["75115"]).iloc[0]
    assert out["tq_violence_rate"] == 12.0


def test_camera_put_in_service_after_the_sale_is_not_counted(tranquillity):
    out = features(tranquillity, [PARIS, PARIS], ["2022-06-14", "2022-06-15"], ["75056"] * 2)
    # Undated camera near the 333 m one is counted (and flagged) at both dates.
    assert out["tq_cameras_500m"].tolist() == [2.0, 3.0]
    assert out["tq_cameras_100m"].tolist() == [0.0, 0.0]
    assert out["tq_cameras_250m"].tolist() == [1.0, 1.0]
    assert out["tq_camera_nearest_m"].iloc[0] == pytest.approx(111.2, abs=1)


def test_before_any_camera_counts_are_zero_and_distance_capped(tranquillity):
    out = features(tranquillity, [PARIS], ["2017-01-01"], ["75056"]).iloc[0]
    assert out["tq_cameras_250m"] == 0.0
    assert out["tq_camera_nearest_m"] == pytest.approx(333.6, abs=1)  # the undated one
    far = features(tranquillity, [(2.40, 48.80)], ["2023-01-01"], ["75056"]).iloc[0]
    assert far["tq_cameras_500m"] == 0.0 and far["tq_camera_nearest_m"] == 1000.0


def test_undated_cameras_are_flagged(tranquillity):
    out = features(tranquillity, [NORTH_333M], ["2020-01-01"], ["75056"]).iloc[0]
    assert out["tq_cameras_100m"] == 1.0  # the undated camera 7 m away
    assert out["tq_cameras_250m_undated"] == 1.0


def test_outside_coverage_or_without_coordinates_camera_features_are_nan(tranquillity):
    out = features(
        tranquillity, [PARIS, (float("nan"), float("nan"))], ["2023-01-01"] * 2, ["34172", "75056"]
    )
    camera_columns = [c for c in FEATURES if "camera" in c]
    assert out[camera_columns].isna().all().all()
    assert out["tq_violence_rate"].notna().all()


def plain_json(value) -> bool:
    """Only JSON's own Python types (no numpy scalar, no NaN): the API sends a summary as it is."""
    if isinstance(value, dict):
        return all(type(k) is str and plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain_json(v) for v in value)
    if type(value) is float:
        return math.isfinite(value)
    return value is None or type(value) in (str, int, bool)


def test_summary_is_json_and_says_unknown_as_none(tranquillity):
    summary = tranquillity.summary(*PARIS, "75104", date(2024, 3, 1))
    json.dumps(summary, allow_nan=False)
    violence = summary["incidents"]["violence"]
    assert violence["rate"] == 15.0 and violence["year"] == 2023
    assert violence["ratio_to_departement"] == 1.5
    assert violence["trend_5y_pct"] == pytest.approx(100 * (15 / 10 - 1))
    assert summary["cameras"]["within_250m"] == 1
    outside = tranquillity.summary(3.8767, 43.6108, "34172", date(2024, 3, 1))
    assert outside["cameras"]["within_250m"] is None and not outside["cameras"]["covered"]
    assert outside["incidents"]["violence"]["trend_5y_pct"] is None  # no 2018 figure
    unknown = tranquillity.summary(3.0, 45.0, "63113", date(2024, 3, 1))
    assert unknown["incidents"]["violence"]["rate"] is None
    assert all(plain_json(s) for s in (summary, outside, unknown))
    assert not plain_json({"year": np.int64(2023)}) and not plain_json([math.nan])
    assert math.isnan(tranquillity.features([3.0], [45.0], ["2024-03-01"], ["63113"]).iloc[0, 0])


def test_inputs_of_different_lengths_are_refused(tranquillity):
    with pytest.raises(ValueError, match="differ in length"):
        tranquillity.features([2.35], [48.85, 48.86], ["2023-01-01"], ["75056"])
