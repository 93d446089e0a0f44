"""Features on real Paris sales: leak-free, and the same data + seed give the same model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from model import features as feats
from model.settings import layout
from training import train


@pytest.fixture(scope="module")
def sales(model_home):
    return train.read_sales(layout(model_home))


@pytest.fixture(scope="module")
def communes(model_home):
    return train.read_communes(layout(model_home))


def test_features_unchanged_when_every_later_sale_is_removed(sales, communes):
    full = train.prepare_features(sales, communes)
    # Mid-month, so that sales of the same month on both sides of the cut exist.
    cutoff = pd.Timestamp("2024-03-15")
    early = train.prepare_features(sales.loc[sales["date"] < cutoff], communes)
    assert len(early.sales) > 10_000
    left = pd.DataFrame(full.features.matrix, columns=full.features.names)
    left["mutation_id"] = full.sales["mutation_id"].to_numpy()
    left["target"] = full.target
    right = pd.DataFrame(early.features.matrix, columns=early.features.names)
    right["mutation_id"] = early.sales["mutation_id"].to_numpy()
    right["target"] = early.target
    left = left.set_index("mutation_id").loc[right["mutation_id"]]
    right = right.set_index("mutation_id")
    pd.testing.assert_frame_equal(left, right)
    # The check has teeth: sales just before the cut do have neighbours and building history.
    assert right["knn_rel_median"].notna().mean() > 0.99
    assert (right["parcel_sales"] > 0).mean() > 0.3


def test_a_sale_never_sees_itself_or_its_day(sales, communes):
    prep = train.prepare_features(sales.loc[sales["date"] < "2023-04-01"], communes)
    history = feats.History.build(prep.sales, prep.market, prep.communes)
    rows = feats.compute(prep.sales, history, prep.tranquillity).neighbours
    own_day = prep.sales["date"].to_numpy().astype("datetime64[D]")
    valid = rows >= 0
    seen = np.where(valid, history.pool.days[np.where(valid, rows, 0)], -1)
    assert (seen[valid] < own_day.astype("int64")[:, None].repeat(rows.shape[1], 1)[valid]).all()
    assert not (rows == np.arange(len(rows))[:, None]).any()


@pytest.fixture(scope="module")
def early(sales, communes):
    """Features of the sales before July 2023."""
    return train.prepare_features(sales.loc[sales["date"] < "2023-07-01"], communes)


def test_same_data_and_seed_give_the_same_model(sales, communes, early):
    first = early
    second = train.prepare_features(sales.loc[sales["date"] < "2023-07-01"], communes)
    np.testing.assert_array_equal(first.features.matrix, second.features.matrix)
    a = train.fit_booster(first.features.matrix, first.target, first.features.names, 30, seed=7)
    b = train.fit_booster(second.features.matrix, second.target, second.features.names, 30, seed=7)
    assert a.model_to_string() == b.model_to_string()
    c = train.fit_booster(first.features.matrix, first.target, first.features.names, 30, seed=8)
    assert c.model_to_string() != a.model_to_string()


def test_a_fitting_override_shapes_its_booster_only(early):
    prep = early
    default = dict(train.PARAMS)
    base = train.Fitting(20, train.SEED, 1)
    small = replace(base, overrides={"num_leaves": 4, "max_depth": 2})
    f = prep.features
    leaves = [
        tree["num_leaves"]
        for tree in small.fit(f.matrix, prep.target, f.names).dump_model()["tree_info"]
    ]
    assert max(leaves) <= 4 and small.params()["num_leaves"] == 4
    default_leaves = base.fit(f.matrix, prep.target, f.names).dump_model()["tree_info"]
    assert max(t["num_leaves"] for t in default_leaves) > 4
    assert train.PARAMS == default and base.params()["num_leaves"] == default["num_leaves"]
