"""The reference tables built from the real mirror, and the features read from them."""

from __future__ import annotations

import csv
import json
from datetime import date

import pandas as pd
import pytest

from model.tranquillity import FEATURES, Tranquillity
from training.tranquillity import add_features, build_reference

MONTPELLIER = (3.8767, 43.6108, "34172")
LILLE = (3.0573, 50.6292, "59350")
ROUEN = (1.0993, 49.4431, "76540")
NOTRE_DAME = (2.3499, 48.8530, "75104")


@pytest.fixture(scope="module")
def reference(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("tranquillity")
    report = build_reference(shared_data, out)
    return out, report


@pytest.fixture(scope="module")
def tranquillity(reference):
    return Tranquillity.load(reference[0])


def grouped_row(shared_data, code, year):
    with open(
        shared_data / "ssmsi" / "delinquance-communes-groupes-2016-2024.csv", encoding="utf-8"
    ) as f:
        return next(
            r for r in csv.DictReader(f) if r["code_commune"] == code and r["annee"] == str(year)
        )


def test_a_communes_2023_rates_come_from_the_shared_file(shared_data, tranquillity):
    expected = grouped_row(shared_data, "34172", 2023)
    # A sale in 2024 uses the figures of 2023.
    out = tranquillity.features([MONTPELLIER[0]], [MONTPELLIER[1]], ["2024-02-10"], ["34172"]).iloc[
        0
    ]
    assert out["tq_violence_rate"] == pytest.approx(float(expected["violences_personnes_p1000"]))
    assert out["tq_property_rate"] == pytest.approx(float(expected["atteintes_biens_p1000"]))
    assert out["tq_damage_rate"] == pytest.approx(
        float(expected["destructions_degradations_p1000"])
    )
    assert out["tq_violence_age"] == 1


def test_paris_arrondissement_reads_paris_figures(shared_data, tranquillity):
    expected = grouped_row(shared_data, "75056", 2023)
    out = tranquillity.features([NOTRE_DAME[0]], [NOTRE_DAME[1]], ["2024-06-01"], ["75104"]).iloc[0]
    assert out["tq_violence_rate"] == pytest.approx(float(expected["violences_personnes_p1000"]))
    # The burglary layer ends in 2021: the latest earlier year, flagged by its age.
    assert out["tq_burglary_age"] == 3
    assert out["tq_cameras_250m"] >= 1


def test_unpublished_small_commune_is_unknown_not_zero(shared_data, tranquillity):
    # 01001 (767 inhabitants) shows 0 in the derived file: unpublished small counts.
    assert grouped_row(shared_data, "01001", 2022)["violences_personnes_p1000"] == "0"
    out = tranquillity.features([4.93], [46.15], ["2023-06-01"], ["01001"]).iloc[0]
    assert pd.isna(out["tq_violence_rate"])


def test_departement_and_france_rates(reference):
    departements = pd.read_parquet(reference[0] / "departements.parquet").set_index(
        ["code", "year"]
    )
    paris_2023 = departements.loc[("75", 2023)]
    # 6218 + 10109 + 5236 + 478 + 9809 victims for 2,103,778 inhabitants (2025 edition).
    assert paris_2023["violence_rate"] == pytest.approx(31850 / 2103778 * 1000)
    france = departements.loc[("FR", 2023)]
    assert 5 < france["violence_rate"] < paris_2023["violence_rate"]


def test_cameras_merged_and_coverage(reference, shared_data):
    folder, report = reference
    cameras = pd.read_parquet(folder / "cameras.parquet")
    assert report["cameras"]["cameras_merged"] < report["cameras"]["cameras_read"]
    assert len(cameras) == report["cameras"]["cameras_merged"]
    assert cameras["in_service"].notna().sum() > 500
    assert set(pd.read_parquet(folder / "coverage.parquet")["code"]) == {"75056"}
    # Each row of a list becomes a camera or is reported with a reason, never dropped.
    for name in ("annexe1-prefecture", "annexe2-ville"):
        name = f"paris-videoprotection-2019-{name}.csv"
        with open(shared_data / "cameras" / name, encoding="utf-8") as lines:
            rows = sum(1 for _ in lines) - 1
        rejected = report["cameras"]["rejected"][name]["rows"]
        assert report["cameras"]["files"][name] + rejected == rows


@pytest.mark.parametrize("place", [MONTPELLIER, LILLE, ROUEN, NOTRE_DAME])
def test_summary_for_each_departement(tranquillity, place):
    summary = tranquillity.summary(*place, on_date=date(2024, 6, 1))
    json.dumps(summary)
    for group in ("violence", "property", "damage"):
        entry = summary["incidents"][group]
        assert entry["year"] == 2023 and entry["rate"] > 0
        assert 0 < entry["percentile"] < 100 and entry["ratio_to_departement"] > 0
        assert entry["trend_5y_pct"] is not None
    assert summary["sources"]
    assert (summary["cameras"]["within_250m"] is None) == (place[2] != "75104")


def test_add_features_to_sales(reference):
    sales = pd.DataFrame(
        {
            "mutation_id": ["a", "b", "c"],
            "date": pd.to_datetime(["2022-03-01", "2023-07-14", "2021-01-05"]),
            "longitude": [NOTRE_DAME[0], MONTPELLIER[0], float("nan")],
            "latitude": [NOTRE_DAME[1], MONTPELLIER[1], float("nan")],
            "code_commune_stats": ["75056", "34172", "75056"],
        },
        index=[10, 11, 12],
    )
    out = add_features(sales, reference[0])
    assert list(out.index) == [10, 11, 12] and set(FEATURES) <= set(out.columns)
    assert out.loc[10, "tq_cameras_500m"] > 0
    assert pd.isna(out.loc[11, "tq_cameras_500m"]) and pd.isna(out.loc[12, "tq_cameras_500m"])
    assert out.loc[12, "tq_violence_rate"] > 0  # rates need no coordinates
