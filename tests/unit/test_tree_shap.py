"""The SHAP tables give LightGBM's own SHAP values (`pred_contrib`), row for row."""

from __future__ import annotations

import logging

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from model import mapped
from model.bundle import SHAP_TABLE, Bundle
from model.tree_shap import TreeShap, Unsupported, for_bundle, stored_tables

COLUMNS = ["surface_reelle_bati", "nombre_pieces_principales", "house", "longitude",
           "latitude", "code_type_local"]  # fmt: skip


@pytest.fixture(scope="module")
def sales(shared_data) -> pd.DataFrame:
    """Real sales of Eure-et-Loir: houses (with land) and flats (land missing)."""
    path = shared_data / "geo-dvf/latest/csv/2023/departements/28.csv.gz"
    read = ["valeur_fonciere", *(column for column in COLUMNS if column != "house")]
    frame = pd.read_csv(path, usecols=read, nrows=30_000)
    frame = frame[frame["code_type_local"].isin([1, 2]) & (frame["valeur_fonciere"] > 1_000)]
    # A feature known (1, a house) or missing (a flat): LightGBM splits such a feature at
    # its largest threshold (1e300), where ±inf rows must go as LightGBM sends them.
    frame["house"] = np.where(frame["code_type_local"] == 1, 1.0, np.nan)
    return frame.reset_index(drop=True)


def _train(sales: pd.DataFrame, **params) -> lgb.Booster:
    settings = {"objective": "regression_l1", "num_leaves": 31, "min_data_in_leaf": 20,
                "verbosity": -1, "seed": 7, "num_threads": 1, **params}  # fmt: skip
    x = sales[COLUMNS].to_numpy(dtype="float64")
    y = np.log(sales["valeur_fonciere"].to_numpy())
    return lgb.train(settings, lgb.Dataset(x, y), num_boost_round=40)


def _hard_rows(sales: pd.DataFrame, booster: lgb.Booster) -> np.ndarray:
    """Real rows, then the same rows with values exactly at the model's thresholds,
    missing, zero and infinite: every branch of LightGBM's decision."""
    rows = sales[COLUMNS].to_numpy(dtype="float64")[:300].copy()
    rng = np.random.default_rng(0)
    shap = TreeShap.build(booster.dump_model())
    at_threshold = rows.copy()
    nodes = rng.integers(0, len(shap.node_feature), size=len(rows))
    at_threshold[np.arange(len(rows)), shap.node_feature[nodes]] = shap.node_threshold[nodes]
    odd = rows.copy()
    cells = rng.random(odd.shape)
    odd[cells < 0.15] = np.nan
    odd[(cells >= 0.15) & (cells < 0.3)] = 0.0
    odd[(cells >= 0.3) & (cells < 0.35)] = np.inf
    odd[(cells >= 0.35) & (cells < 0.4)] = -np.inf
    return np.vstack([rows, at_threshold, odd])


@pytest.mark.parametrize(
    ("params", "missing_types", "split_at_largest"),
    [
        ({}, {"NaN", "None"}, True),
        ({"zero_as_missing": True}, {"Zero"}, False),
        ({"max_depth": 4, "num_leaves": 15}, {"NaN", "None"}, True),
        ({"use_missing": False}, {"None"}, False),
    ],
    ids=["missing-nan", "missing-zero", "shallow", "no-missing"],
)
def test_values_are_lightgbms_own(sales, params, missing_types, split_at_largest):
    booster = _train(sales, **params)
    nodes = [node for node in _all_nodes(booster) if "split_feature" in node]
    # The model has the kinds of missing values the case is about, on both sides.
    assert {node["missing_type"] for node in nodes} >= missing_types
    if missing_types != {"None"}:
        assert {node["default_left"] for node in nodes} == {True, False}
    if split_at_largest:
        assert max(abs(node["threshold"]) for node in nodes) == 1e300
    # Paths that split twice on a feature, the case TreeSHAP merges.
    assert any(_repeats(tree["tree_structure"], ()) for tree in booster.dump_model()["tree_info"])
    rows = _hard_rows(sales, booster)
    expected = booster.predict(rows, pred_contrib=True)
    got = TreeShap.of(booster).contributions(rows)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # They add up to the prediction, as SHAP values do.
    np.testing.assert_allclose(got.sum(axis=1), booster.predict(rows), rtol=0, atol=1e-12)


def test_float32_rows_read_as_lightgbm_reads_them(sales):
    booster = _train(sales)
    rows = _hard_rows(sales, booster).astype("float32")
    expected = booster.predict(rows, pred_contrib=True)
    np.testing.assert_allclose(TreeShap.of(booster).contributions(rows), expected, atol=1e-12)


def test_a_tree_without_splits_adds_its_value_to_the_bias(sales):
    booster = _train(sales)
    rows = _hard_rows(sales, booster)[:50]
    model = booster.dump_model()
    model["tree_info"].append({"tree_index": len(model["tree_info"]),
                               "tree_structure": {"leaf_value": 0.25}})  # fmt: skip
    expected = booster.predict(rows, pred_contrib=True)
    expected[:, -1] += 0.25
    np.testing.assert_allclose(TreeShap.build(model).contributions(rows), expected, atol=1e-12)


def test_no_rows_give_no_values(sales):
    booster = _train(sales)
    got = TreeShap.of(booster).contributions(np.empty((0, len(COLUMNS))))
    assert got.shape == (0, len(COLUMNS) + 1)


def _categorical(sales: pd.DataFrame) -> lgb.Booster:
    """A model with categorical splits (rooms, as categories)."""
    x = sales[COLUMNS].to_numpy(dtype="float64")
    y = np.log(sales["valeur_fonciere"].to_numpy())
    data = lgb.Dataset(x, y, categorical_feature=[1])
    return lgb.train({"verbosity": -1, "min_data_per_group": 5, "cat_smooth": 1}, data, 10)


def test_models_it_does_not_read_are_left_to_lightgbm(sales):
    booster = _categorical(sales)
    assert "==" in {node.get("decision_type") for node in _all_nodes(booster)}
    assert TreeShap.of(booster) is None


def _bundle(folder, booster: lgb.Booster, shap_of: lgb.Booster | None = None) -> Bundle:
    """A bundle folder holding the SHAP tables of `shap_of` (default: its own booster)."""
    for name, columns in stored_tables(shap_of or booster).items():
        mapped.write_columns(folder / name, columns)
    return Bundle(folder, {}, booster)


def test_stored_tables_are_mapped_and_give_the_same_values(sales, tmp_path):
    booster = _train(sales)
    rows = _hard_rows(sales, booster)
    tables = for_bundle(_bundle(tmp_path, booster))
    # Read from the files (shared by the workers), not built in the process.
    assert mapped.is_mapped(tables.table) and mapped.is_mapped(tables.slot_offset)
    expected = booster.predict(rows, pred_contrib=True)
    np.testing.assert_allclose(tables.contributions(rows), expected, rtol=0, atol=1e-12)


def test_tables_of_another_model_are_built_again(sales, tmp_path, caplog):
    booster, other = _train(sales), _train(sales, seed=8, bagging_fraction=0.5, bagging_freq=1)
    assert not TreeShap.of(other).agrees_with(booster)
    with caplog.at_level(logging.WARNING, logger="model.tree_shap"):
        tables = for_bundle(_bundle(tmp_path, booster, shap_of=other))
    assert "disagree" in caplog.text
    assert not mapped.is_mapped(tables.table)
    rows = _hard_rows(sales, booster)
    expected = booster.predict(rows, pred_contrib=True)
    np.testing.assert_allclose(tables.contributions(rows), expected, rtol=0, atol=1e-12)


def test_tables_of_an_unknown_layout_or_incomplete_are_built_again(sales, tmp_path, caplog):
    booster = _train(sales)
    columns = TreeShap.of(booster).store()
    with pytest.raises(Unsupported, match="layout"):
        TreeShap.open(mapped.Columns(columns.arrays, {**columns.meta, "layout": 99}))
    arrays = {name: v for name, v in columns.arrays.items() if name != "table"}
    mapped.write_columns(tmp_path / SHAP_TABLE, mapped.Columns(arrays, columns.meta))
    with caplog.at_level(logging.WARNING, logger="model.tree_shap"):
        tables = for_bundle(Bundle(tmp_path, {}, booster))
    assert "without table" in caplog.text
    assert tables is not None and not mapped.is_mapped(tables.table)


def test_a_bundle_without_tables_builds_them_and_one_they_cannot_read_has_none(sales, tmp_path):
    booster = _train(sales)
    assert not mapped.is_mapped(for_bundle(Bundle(tmp_path, {}, booster)).table)
    categorical = _categorical(sales)
    assert stored_tables(categorical) == {}
    assert for_bundle(Bundle(tmp_path, {}, categorical)) is None


def _repeats(node, features) -> bool:
    if "split_feature" not in node:
        return len(set(features)) < len(features)
    features = (*features, node["split_feature"])
    return _repeats(node["left_child"], features) or _repeats(node["right_child"], features)


def _all_nodes(booster: lgb.Booster):
    for tree in booster.dump_model()["tree_info"]:
        yield from _nodes(tree["tree_structure"])


def _nodes(node):
    yield node
    for side in ("left_child", "right_child"):
        if side in node:
            yield from _nodes(node[side])
