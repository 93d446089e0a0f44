"""Features by département partition, here and on a Dask cluster, are those of one national
computation; `immoval train --scheduler` fits with LightGBM's Dask interface."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model import features as feats
from model.market import MarketIndex
from model.settings import layout
from training import train
from training.feature_partitions import features_by_departement


@pytest.fixture(scope="module")
def arrondissements(model_home):
    """Half a year of Paris sales, each arrondissement standing for a département: twenty
    partitions whose halos cross the borders of each other everywhere."""
    home = layout(model_home)
    sales = train.read_sales(home)
    clean, _ = train.clean_sales(sales.loc[sales["date"] < "2023-07-01"])
    clean["departement"] = clean["code_commune"].astype(str)
    market = MarketIndex.fit(
        clean["departement"], clean["property_type"], clean["date"], clean["price_per_m2"]
    )
    clean = clean.loc[np.isfinite(feats.relative_price(clean, market))].reset_index(drop=True)
    communes = feats.Communes.from_frame(train.read_communes(home))
    return clean, market, communes, train.tranquillity_columns(clean)


def _same(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_array_equal(a, b)  # NaN at the same places counts as equal


def test_partitioned_features_are_exactly_the_national_ones(arrondissements, tmp_path):
    sales, market, communes, tq = arrondissements
    assert sales["departement"].nunique() == 20
    national = feats.compute(sales, feats.History.build(sales, market, communes), tq)
    logged = []
    parts = features_by_departement(
        sales, sales, market, communes, tq, path=tmp_path / "features.npy", log=logged.append
    )
    _same(parts.matrix, national.matrix)
    _same(parts.level, national.level)
    assert len(logged) == 20 and "75115" in " ".join(logged)
    # The check has teeth: most sales have neighbours across their "border".
    assert (parts.column("knn_rel_median") == parts.column("knn_rel_median")).mean() > 0.95
    assert np.load(tmp_path / "features.npy", mmap_mode="r").shape == national.matrix.shape


def test_the_partitions_on_a_dask_cluster_give_the_same_features(arrondissements, cluster):
    from dask.distributed import Client

    from training.dask_training import runner_on

    sales, market, communes, tq = arrondissements
    here = features_by_departement(sales, sales, market, communes, tq)
    with Client(cluster.scheduler_address) as client:
        there = features_by_departement(
            sales, sales, market, communes, tq, runner=runner_on(client)
        )
    _same(there.matrix, here.matrix)
    _same(there.level, here.level)


def test_training_on_a_dask_cluster_scores_as_the_local_path(model_home, tmp_path, cluster):
    from click.testing import CliRunner

    from model import registry
    from training.cli import main

    # The same prepared sales as the local model of `model_home`, trained the same way.
    home = tmp_path / "dask-home"
    home.mkdir()
    (home / "prepared").symlink_to(model_home / "prepared", target_is_directory=True)
    args = ["--home", str(home), "train", "--n-estimators", "60"]
    result = CliRunner().invoke(main, [*args, "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 0, result.output
    assert f"training on the Dask cluster at {cluster.scheduler_address}" in result.output

    def overall(models, version):
        meta = registry.read_metadata(models, version)
        return meta["evaluation"]["results"]["model"]["overall"], meta

    local_models = layout(model_home).models
    local, local_meta = overall(local_models, registry.read_champion(local_models))
    dask, dask_meta = overall(layout(home).models, registry.read_champion(layout(home).models))
    assert dask_meta["evaluation"]["test_period"] == local_meta["evaluation"]["test_period"]
    assert dask["sales"] == local["sales"]
    assert abs(dask["mdape"] - local["mdape"]) <= 0.002, json.dumps([dask, local])
    # Its boosters are LightGBM's distributed ones, not the local path run again.
    assert dask["mdape"] != local["mdape"] or dask["pe10"] != local["pe10"]
    assert not list(home.glob(".train-*"))  # the memory-mapped features are removed
