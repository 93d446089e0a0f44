"""The one-point path of `Tranquillity` gives exactly what the vectorised path gives."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from model.tranquillity import FEATURES, GROUPS, RADII_M, Tranquillity
from model.tranquillity.features import FEW_POINTS, point_count

# Camera clusters where the one-point search has edge cases: Paris, the southern hemisphere,
# both sides of the antimeridian, close to the pole.
CENTRES = [(2.35, 48.85), (55.45, -20.9), (179.995, -14.3), (-179.995, -14.3), (10.0, 89.99)]
CODES = ["75056", "97411", "98611", "98612", "99999"]


def synthetic(seed: int = 0) -> tuple[Tranquillity, pd.DataFrame]:
    """Tables with cameras scattered around CENTRES, all of them covered, and query points."""
    rng = np.random.default_rng(seed)
    cameras, points = [], []
    for (lon, lat), code in zip(CENTRES, CODES, strict=True):
        n = 300
        # ~2 km around the centre, some cameras sharing a position (merged lists do that).
        dlat = rng.normal(0, 0.01, n)
        dlon = rng.normal(0, 0.01, n) / max(np.cos(np.radians(lat)), 0.05)
        dlat[:20], dlon[:20] = dlat[0], dlon[0]
        days = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
        cameras.append(
            pd.DataFrame(
                {
                    "longitude": (lon + dlon + 180) % 360 - 180,
                    "latitude": np.clip(lat + dlat, -90, 90),
                    "in_service": pd.Series(days).mask(rng.random(n) < 0.3),
                }
            )
        )
        m = 80
        points.append(
            pd.DataFrame(
                {
                    "longitude": (
                        lon + rng.normal(0, 0.012, m) / max(np.cos(np.radians(lat)), 0.05) + 180
                    )
                    % 360
                    - 180,
                    "latitude": np.clip(lat + rng.normal(0, 0.012, m), -90, 90),
                    "date": pd.Timestamp("2014-06-01")
                    + pd.to_timedelta(rng.integers(0, 4000, m), unit="D"),
                    "code": code,
                }
            )  # fmt: skip
        )
    cameras = pd.concat(cameras, ignore_index=True)
    communes = pd.DataFrame(
        [
            {"code": code, "year": year, "population": 1000.0}
            | {f"{g}_rate": float(year - 2000 + i) for i, g in enumerate(GROUPS)}
            | {f"{g}_percentile": 40.0 for g in GROUPS}
            for code in CODES
            for year in range(2016, 2024)
            if not (code == "97411" and year == 2021)  # a gap: the fallback year
        ]
    )
    departements = pd.DataFrame(
        [{"code": "FR", "year": y} | {f"{g}_rate": 20.0 for g in GROUPS} for y in range(2016, 2024)]
    )
    coverage = pd.DataFrame({"code": CODES})
    points = pd.concat(points, ignore_index=True)
    return Tranquillity(communes, departements, cameras, coverage), points


def one_by_one(tranquillity: Tranquillity, points: pd.DataFrame, as_dates=lambda d: [d]):
    rows = [
        tranquillity.features([p.longitude], [p.latitude], as_dates(p.date), [p.code])
        for p in points.itertuples()
    ]
    return pd.concat(rows, ignore_index=True)


def test_one_point_equals_the_vectorised_path_everywhere_on_the_globe():
    tranquillity, points = synthetic()
    batch = tranquillity.features(points["longitude"], points["latitude"], points["date"],
                                  points["code"])  # fmt: skip
    single = one_by_one(tranquillity, points)
    pd.testing.assert_frame_equal(single, batch, check_exact=True)
    # Not a vacuous comparison: cameras are found, and some only at the far end of the range.
    assert (batch["tq_cameras_500m"] > 0).mean() > 0.5
    assert ((batch["tq_camera_nearest_m"] > 500) & (batch["tq_camera_nearest_m"] < 1000)).any()
    assert (batch["tq_violence_age"] == 2).any()


def test_a_few_points_read_one_by_one_equal_the_vectorised_path():
    # Homes valued together at serving (2 to FEW_POINTS) take the one-point path per home.
    tranquillity, points = synthetic()
    columns = ["longitude", "latitude", "date", "code"]
    batch = tranquillity.features(*(points[c] for c in columns))
    for size in (2, 5, FEW_POINTS):
        for start in range(0, len(points) - size, 53):
            part = points.iloc[start : start + size]
            assert 1 < point_count(*(part[c] for c in columns)) <= FEW_POINTS
            few = tranquillity.features(*(part[c] for c in columns))
            expected = batch.iloc[start : start + size].reset_index(drop=True)
            pd.testing.assert_frame_equal(few, expected, check_exact=True)
    assert point_count(*(points[c].iloc[: FEW_POINTS + 1] for c in columns)) > FEW_POINTS
    with pytest.raises(ValueError, match="differ in length"):
        tranquillity.features([2.35, 2.36], [48.85], ["2020-01-01"] * 2, ["75056"] * 2)


def test_cameras_at_the_edges_of_the_radii_are_counted_alike():
    # One lone camera per place; points due north and due east at distances around each
    # radius and around the 1000 m cap of the nearest distance.
    places = [(2.35, 48.85), (179.9999, -14.3), (-61.5, 16.25)]
    cameras = pd.DataFrame(
        {"longitude": [p[0] for p in places], "latitude": [p[1] for p in places],
         "in_service": pd.to_datetime(["2019-01-01"] * len(places))}
    )  # fmt: skip
    coverage = pd.DataFrame({"code": ["75056"]})
    empty = pd.DataFrame(columns=["code", "year", *(f"{g}_rate" for g in GROUPS)])
    tranquillity = Tranquillity(empty, empty, cameras, coverage)
    radius = 6_371_008.8
    rows = []
    for lon, lat in places:
        for metres in (99.9, 100.0, 100.1, 249.9, 250.0, 250.1, 499.9, 500.1, 999.5, 1000.5):
            d = metres / radius
            east = 2 * np.arcsin(np.sin(d / 2) / np.cos(np.radians(lat)))
            rows.append((lon, lat + np.degrees(d), metres))
            rows.append(((lon + np.degrees(east) + 180) % 360 - 180, lat, metres))
    points = pd.DataFrame(rows, columns=["longitude", "latitude", "metres"])
    points["date"], points["code"] = pd.Timestamp("2020-01-01"), "75056"
    batch = tranquillity.features(points["longitude"], points["latitude"], points["date"],
                                  points["code"])  # fmt: skip
    pd.testing.assert_frame_equal(one_by_one(tranquillity, points), batch, check_exact=True)
    nearest = batch["tq_camera_nearest_m"].to_numpy(float)
    expected = np.minimum(points["metres"].to_numpy(), 1000.0)
    np.testing.assert_allclose(nearest, expected, atol=0.01)
    clear = ~points["metres"].isin([100.0, 250.0])  # on the radius: either side, alike
    for r in RADII_M:
        counted = batch.loc[clear, f"tq_cameras_{r}m"].to_numpy()
        assert (counted == (points.loc[clear, "metres"] <= r).to_numpy()).all()


@pytest.mark.parametrize(
    "as_dates",
    [
        lambda d: [d],  # pd.Timestamp
        lambda d: [d.date()],
        lambda d: [d.to_pydatetime()],
        lambda d: np.array([d], dtype="datetime64[D]"),
        lambda d: np.array([d], dtype="datetime64[ns]"),
        lambda d: pd.Series([d], index=[7]),
        lambda d: [d.isoformat()],
        lambda d: [d.tz_localize("Europe/Paris")],
    ],
    ids=["timestamp", "date", "datetime", "datetime64-D", "datetime64-ns", "series", "text", "tz"],
)
def test_every_kind_of_date_reads_as_in_the_vectorised_path(as_dates):
    tranquillity, points = synthetic()
    points = points.iloc[::4].reset_index(drop=True)
    dates = [next(iter(as_dates(d))) for d in points["date"]]
    batch = tranquillity.features(points["longitude"], points["latitude"], dates, points["code"])
    pd.testing.assert_frame_equal(one_by_one(tranquillity, points, as_dates), batch,
                                  check_exact=True)  # fmt: skip


def test_unknown_inputs_give_nan_in_both_paths():
    tranquillity, _ = synthetic()
    args = (
        [2.35, float("nan"), None, 2.35, 2.35],
        [48.85, 48.85, 48.85, 48.85, 48.85],
        [date(2022, 1, 1), date(2022, 1, 1), date(2022, 1, 1), None, pd.NaT],
        ["75101", "75056", "75056", "75056", "75056"],
    )
    batch = tranquillity.features(*args)
    single = pd.concat(
        [tranquillity.features(*([a[i]] for a in args)) for i in range(5)], ignore_index=True
    )
    pd.testing.assert_frame_equal(single, batch, check_exact=True)
    assert batch.iloc[0].notna().all()  # the arrondissement reads as Paris, inside the coverage
    assert batch.iloc[1:3][[f for f in FEATURES if "camera" in f]].isna().all().all()
    assert batch.iloc[3:].isna().all().all()


def test_without_any_camera_counts_are_zero_in_the_coverage():
    rates = {f"{g}_{kind}": 1.0 for g in GROUPS for kind in ("rate", "percentile")}
    empty = Tranquillity(
        pd.DataFrame([{"code": "75056", "year": 2020} | rates]),
        pd.DataFrame(columns=["code", "year", *(f"{g}_rate" for g in GROUPS)]),
        pd.DataFrame({"longitude": [], "latitude": [], "in_service": pd.to_datetime([])}),
        pd.DataFrame({"code": ["75056"]}),
    )
    batch = empty.features([2.35, 2.36], [48.85, 48.86], ["2021-01-01"] * 2, ["75056"] * 2)
    one = empty.features([2.35], [48.85], ["2021-01-01"], ["75056"])
    pd.testing.assert_frame_equal(one, batch.iloc[:1], check_exact=True)
    assert one.iloc[0]["tq_cameras_500m"] == 0 and one.iloc[0]["tq_camera_nearest_m"] == 1000
    assert one.iloc[0]["tq_violence_rate"] == 1.0


def test_summary_agrees_with_the_features_and_is_not_shared_between_calls():
    tranquillity, _ = synthetic()
    on = date(2022, 9, 1)
    first = tranquillity.summary(2.35, 48.85, "75108", on)
    row = tranquillity.features([2.35, 2.35], [48.85, 48.85], [on, on], ["75056"] * 2).iloc[0]
    violence = first["incidents"]["violence"]
    assert violence["rate"] == round(float(row["tq_violence_rate"]), 2)
    assert violence["year"] == on.year - int(row["tq_violence_age"])
    assert violence["history"][str(violence["year"])] == violence["rate"]
    assert first["cameras"]["within_250m"] == int(row["tq_cameras_250m"])
    assert first["cameras"]["nearest_m"] == round(float(row["tq_camera_nearest_m"]), 0)
    # A caller editing its answer must not change the next one (the commune part is cached).
    first["incidents"]["violence"]["rate"] = -1
    first["incidents"]["violence"]["history"].clear()
    second = tranquillity.summary(2.35, 48.85, "75056", on)
    assert second["incidents"]["violence"]["rate"] == round(float(row["tq_violence_rate"]), 2)
    assert second["incidents"]["violence"]["history"]
    # Another year is another entry of the cache, not the first one's figures.
    later = tranquillity.summary(2.35, 48.85, "75056", date(2023, 9, 1))
    assert later["incidents"]["violence"]["year"] == violence["year"] + 1
