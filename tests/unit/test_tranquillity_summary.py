"""The pieces of a summary and of the one-point features, as pure functions."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from model.tranquillity import CAMERA_FEATURES, FEATURES, GROUPS, NEAREST_CAP_M
from model.tranquillity.features import day_and_year, point_count
from model.tranquillity.summary import camera_counts, copy_figures, incident_figures
from model.tranquillity.tables import IncidentTables


def test_features_are_rates_then_ages_then_cameras():
    assert FEATURES[: len(GROUPS)] == tuple(f"tq_{g}_rate" for g in GROUPS)
    assert FEATURES[len(GROUPS) : 2 * len(GROUPS)] == tuple(f"tq_{g}_age" for g in GROUPS)
    assert FEATURES[2 * len(GROUPS) :] == CAMERA_FEATURES
    assert CAMERA_FEATURES[-2:] == ("tq_cameras_250m_undated", "tq_camera_nearest_m")


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ([date(1970, 1, 2)], (1, 1970)),
        ([datetime(2024, 2, 29, 23, 59)], (19782, 2024)),
        ([pd.Timestamp("2024-02-29")], (19782, 2024)),
        (np.array(["2024-02-29"], dtype="datetime64[D]"), (19782, 2024)),
        (["2024-02-29"], (19782, 2024)),
        ([None], (None, -1)),
        ([pd.NaT], (None, -1)),
    ],
)
def test_day_and_year_of_one_date(dates, expected):
    assert day_and_year(dates) == expected


def test_one_point_means_four_inputs_of_length_one():
    assert point_count([1.0], [2.0], ["2024-01-01"], ["75056"]) == 1
    assert point_count([1.0, 2.0], [2.0, 3.0], ["2024-01-01"] * 2, ["75056"] * 2) == 2
    assert point_count(1.0, 2.0, "2024-01-01", "75056") is None
    assert point_count([1.0, 2.0], [2.0], ["2024-01-01"] * 2, ["75056"] * 2) is None


def test_camera_counts_are_unknown_outside_the_coverage():
    counts = camera_counts([math.nan] * len(CAMERA_FEATURES), covered=False)
    assert counts == {
        "covered": False,
        "within_100m": None,
        "within_250m": None,
        "within_500m": None,
        "undated_within_250m": None,
        "nearest_m": None,
        "nearest_capped_at_m": NEAREST_CAP_M,
    }


def test_camera_counts_are_integers_and_the_distance_is_rounded():
    counts = camera_counts([1.0, 3.0, 7.0, 2.0, 123.456], covered=True)
    assert counts["within_100m"] == 1 and counts["within_500m"] == 7
    assert counts["undated_within_250m"] == 2 and counts["nearest_m"] == 123.0
    assert isinstance(counts["within_250m"], int)


@pytest.fixture()
def tables():
    communes = pd.DataFrame(
        [
            {"code": "34172", "year": y}
            | {f"{g}_rate": rate for g in GROUPS}
            | {f"{g}_percentile": 42.04 for g in GROUPS}
            for y, rate in [(2018, 4.0), (2020, 5.0), (2021, 6.0), (2022, np.nan), (2023, 8.0)]
        ]
    )
    departements = pd.DataFrame(
        [{"code": c, "year": y} | {f"{g}_rate": rate for g in GROUPS}
         for c, rate in (("34", 4.0), ("FR", 5.0)) for y in range(2018, 2024)]
    )  # fmt: skip
    return IncidentTables.build(communes, departements)


def test_incident_figures_compare_with_the_departement_france_and_five_years_before(tables):
    violence = incident_figures(tables, "34172", True, 2024)["violence"]
    assert violence == {
        "rate": 8.0,
        "year": 2023,
        "percentile": 42.0,
        "departement_rate": 4.0,
        "ratio_to_departement": 2.0,
        "france_rate": 5.0,
        "trend_5y_pct": 100.0,  # against 4.0 in 2018
        "history": {"2018": 4.0, "2020": 5.0, "2021": 6.0, "2023": 8.0},
    }


def test_incident_figures_fall_back_and_say_unknown_as_none(tables):
    fallback = incident_figures(tables, "34172", True, 2023)["damage"]
    assert fallback["year"] == 2021 and fallback["rate"] == 6.0
    assert fallback["trend_5y_pct"] is None  # nothing published in 2016: no trend, not 0
    unknown = incident_figures(tables, "99999", True, 2024)["burglary"]
    assert unknown["rate"] is None and unknown["year"] is None and unknown["history"] == {}
    undated = incident_figures(tables, "34172", False, 2024)["violence"]
    assert undated["rate"] is None


def test_copies_of_figures_share_nothing_a_caller_may_edit(tables):
    figures = incident_figures(tables, "34172", True, 2024)
    copy = copy_figures(figures)
    copy["violence"]["rate"] = -1
    copy["violence"]["history"].clear()
    assert figures["violence"]["rate"] == 8.0 and figures["violence"]["history"]
