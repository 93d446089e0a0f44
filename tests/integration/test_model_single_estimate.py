"""One home valued alone gets exactly what it gets in a batch, and what training computes.

Real Paris sales (the small real model): several valuation dates inside and after the
data, flats and houses, with and without a known commune or parcel, on a sale's own
point (ties with every sale of its parcel) and a little away from it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from model import features as feats
from model.estimator import Estimate, Estimator
from model.property import Property
from model.registry import read_champion
from model.settings import layout
from training import train

DATES = ("2023-05-17", "2023-11-30", "2024-06-03", "2024-12-31", "2025-04-01")


@pytest.fixture(scope="module")
def estimator(model_home):
    models = layout(model_home).models
    return Estimator.load(models / read_champion(models))


def _homes(estimator: Estimator, n: int = 240, seed: int = 3):
    """Homes at real sale places (half the flats, half the houses), and their parcels."""
    s = estimator.sales
    rng = np.random.default_rng(seed)
    rows = np.concatenate(
        [
            rng.choice(np.flatnonzero(s.property_type == kind), n // 2, replace=False)
            for kind in ("apartment", "house")
        ]
    )
    props, parcels = [], []
    for j, r in enumerate(rows):
        moved = j % 3 != 0  # one in three exactly on the sale's point
        rooms = s.rooms[r]
        data = {
            "property_type": s.property_type[r],
            "living_area_m2": float(s.living_area_m2[r]),
            "rooms": int(rooms) if np.isfinite(rooms) and rooms >= 1 else 3,
            "land_area_m2": float(s.land_area_m2[r]),
            "latitude": float(s.latitude[r] + (rng.normal(0, 3e-4) if moved else 0.0)),
            "longitude": float(s.longitude[r] + (rng.normal(0, 3e-4) if moved else 0.0)),
            "valuation_date": DATES[j % len(DATES)],
        }
        if j % 2 == 0:
            data["code_commune"] = s.code_commune[r]
        props.append(Property.from_mapping(data, today=date(2026, 1, 1)))
        parcels.append(s.parcel_id[r] if j % 4 == 1 else None)
    return props, parcels


def _recording(monkeypatch) -> list[np.ndarray]:
    """Feature matrices the estimator computes, in call order."""
    seen: list[np.ndarray] = []
    compute = feats.compute

    def record(*args, **kwargs):
        batch = compute(*args, **kwargs)
        seen.append(batch.matrix.copy())
        return batch

    monkeypatch.setattr(feats, "compute", record)
    return seen


def _same_answer(one: Estimate, other: Estimate) -> None:
    # The tranquillity summary is only made for single estimates.
    assert one.__dict__ | {"tranquillity": None} == other.__dict__ | {"tranquillity": None}


def test_single_estimates_equal_the_batch_bit_for_bit(estimator, monkeypatch):
    props, parcels = _homes(estimator)
    seen = _recording(monkeypatch)
    many = estimator.estimate_many(props, parcel_ids=parcels, comparables=10)
    (batch,) = seen
    seen.clear()
    singles = []
    for prop, parcel in zip(props, parcels, strict=True):
        found = estimator.estimate_many([prop], parcel_ids=[parcel], comparables=10)[0]
        singles.append(found)
    np.testing.assert_array_equal(np.vstack(seen), batch)
    for one, other in zip(singles, many, strict=True):
        assert type(one) is type(other)
        if isinstance(one, Estimate):
            _same_answer(one, other)
    # The public single estimate (no parcel given) is the same path.
    sample = props[::8]
    for prop, other in zip(sample, estimator.estimate_many(sample, comparables=10), strict=True):
        _same_answer(estimator.estimate(prop, comparables=10), other)

    # The check has teeth: both types, homes on a parcel with earlier sales and homes
    # without, neighbours at equal distances.
    names = feats.feature_names(estimator.tq_features)
    column = dict(zip(names, batch.T, strict=True))
    assert set(column["is_house"]) == {0.0, 1.0}
    assert (column["parcel_sales"] > 0).sum() > 20 and (column["parcel_sales"] == 0).sum() > 20
    assert sum(isinstance(r, Estimate) for r in many) > 0.9 * len(props)
    # On a sale's own point: every sale of that parcel is at 0 m, a tie to order.
    assert (column["knn_dist_nearest"] == 0).sum() > 20


def test_one_row_equals_its_row_in_the_training_table(model_home):
    home = layout(model_home)
    sales = train.read_sales(home)
    prep = train.prepare_features(sales, train.read_communes(home))
    table = prep.sales
    # Serving's history holds every sale, training's features come by département.
    history = feats.History.build(table, prep.market, prep.communes)
    every = feats.compute(table, history, prep.tranquillity)
    rows = np.random.default_rng(5).choice(len(table), 200, replace=False)
    columns = [c for c in table.columns if c != "mutation_id"]
    for i in rows:
        # One row as serving passes it: plain numpy arrays of length one.
        one = {
            c: (
                table[c].to_numpy(dtype=object)[i : i + 1]
                if isinstance(table[c].dtype, pd.StringDtype | pd.CategoricalDtype)
                or table[c].dtype == object
                else table[c].to_numpy()[i : i + 1]
            )
            for c in columns
        }
        found = feats.compute(one, history, prep.tranquillity)
        np.testing.assert_array_equal(found.matrix[0], prep.features.matrix[i], err_msg=str(i))
        np.testing.assert_array_equal(found.neighbours[0], every.neighbours[i])


def test_a_bundle_with_other_features_is_refused(model_home, tmp_path):
    import json

    from model.bundle import METADATA_FILE, BundleError

    models = layout(model_home).models
    source = models / read_champion(models)
    copy = tmp_path / "other"
    copy.mkdir()
    for entry in source.iterdir():
        if entry.name != METADATA_FILE:
            (copy / entry.name).symlink_to(entry)
    meta = json.loads((source / METADATA_FILE).read_text(encoding="utf-8"))
    # Same features, another order: LightGBM would still predict, from the wrong columns.
    meta["features"] = meta["features"][::-1]
    (copy / METADATA_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(BundleError, match="features differ"):
        Estimator.load(copy)
