"""On real sales of the mirror, one-point look-ups equal the vectorised ones of prepare."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.tranquillity import FEATURES, GROUPS, Tranquillity
from training.tranquillity import build_reference

# (year, département, sales drawn): Paris and elsewhere, several years of the mirror.
SLICES = [(2020, "75", 120), (2022, "75", 120), (2024, "75", 60), (2023, "59", 60),
          (2021, "34", 60), (2024, "76", 60)]  # fmt: skip


@pytest.fixture(scope="module")
def reference(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("tranquillity-fastpath")
    build_reference(shared_data, out)
    return out


@pytest.fixture(scope="module")
def tranquillity(reference):
    return Tranquillity.load(reference)


@pytest.fixture(scope="module")
def points(shared_data):
    """Real sales with coordinates; half keep their date, half get one from 2016 to 2026."""
    rng = np.random.default_rng(4)
    parts = []
    for year, departement, n in SLICES:
        path = shared_data / f"geo-dvf/latest/csv/{year}/departements/{departement}.csv.gz"
        sales = pd.read_csv(
            path,
            usecols=["date_mutation", "code_commune", "longitude", "latitude"],
            dtype={"code_commune": str},
        ).dropna(subset=["longitude", "latitude"])
        parts.append(sales.sample(n, random_state=int(rng.integers(1 << 31))))
    points = pd.concat(parts, ignore_index=True)
    dates = pd.to_datetime(points["date_mutation"]).to_numpy().astype("datetime64[D]")
    other = np.datetime64("2016-01-01") + rng.integers(0, 11 * 365, len(points))
    points["date"] = np.where(rng.random(len(points)) < 0.5, dates, other)
    return points.rename(columns={"code_commune": "code"})


def test_one_point_equals_the_vectorised_path_on_real_sales(tranquillity, points):
    batch = tranquillity.features(points["longitude"], points["latitude"], points["date"],
                                  points["code"])  # fmt: skip
    single = pd.concat(
        [
            tranquillity.features([p.longitude], [p.latitude], [p.date], [p.code])
            for p in points.itertuples()
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(single, batch, check_exact=True)
    # The comparison covers what matters: cameras around Paris sales, rates elsewhere,
    # fallback years and unknown figures.
    paris = points["code"].str.startswith("751").to_numpy()
    assert (batch.loc[paris, "tq_cameras_250m"] > 0).mean() > 0.5
    assert (batch.loc[paris, "tq_cameras_250m_undated"] > 0).any()
    assert batch.loc[~paris, "tq_cameras_250m"].isna().all()
    assert batch.loc[~paris, "tq_property_rate"].notna().mean() > 0.7
    assert (batch["tq_burglary_age"] > 1).any() and batch["tq_violence_rate"].isna().any()


def test_summary_shows_the_features_of_the_point(tranquillity, points, reference):
    communes = pd.read_parquet(reference / "communes.parquet").set_index(["code", "year"])
    batch = tranquillity.features(points["longitude"], points["latitude"], points["date"],
                                  points["code"])  # fmt: skip
    for p, row in zip(points.itertuples(), batch.itertuples(index=False), strict=True):
        on = pd.Timestamp(p.date).date()
        summary = tranquillity.summary(p.longitude, p.latitude, p.code, on)
        row = row._asdict()
        code = summary["code_commune_stats"]
        for group in GROUPS:
            entry, rate = summary["incidents"][group], row[f"tq_{group}_rate"]
            if np.isnan(rate):
                assert entry["rate"] is None and entry["year"] is None
                continue
            assert entry["rate"] == round(float(rate), 2)
            assert entry["year"] == on.year - int(row[f"tq_{group}_age"])
            published = communes.loc[(code, entry["year"])]
            assert entry["percentile"] == round(float(published[f"{group}_percentile"]), 1)
        cameras = summary["cameras"]
        if np.isnan(row["tq_cameras_250m"]):
            assert cameras["within_250m"] is None and cameras["nearest_m"] is None
        else:
            assert cameras["within_500m"] == int(row["tq_cameras_500m"])
            assert cameras["undated_within_250m"] == int(row["tq_cameras_250m_undated"])
            assert cameras["nearest_m"] == round(float(row["tq_camera_nearest_m"]))
    assert set(FEATURES) == set(batch.columns)
