"""The bundle's serving and SHAP tables, memory-mapped, answer exactly as the tables built
from its sales and booster (bundles written before `serving/` and `shap/` existed), on the
small real model."""

from __future__ import annotations

import json
import shutil
from datetime import date

import numpy as np
import pytest

from model import bundle as bundle_format
from model import integrity
from model.estimator import Estimator
from model.mapped import is_mapped
from model.property import Property
from model.registry import read_champion
from model.settings import layout


@pytest.fixture(scope="module")
def bundle_dir(model_home):
    models = layout(model_home).models
    return models / read_champion(models)


@pytest.fixture(scope="module")
def mapped_estimator(bundle_dir):
    return Estimator.load(bundle_dir)


@pytest.fixture(scope="module")
def built_estimator(bundle_dir, tmp_path_factory):
    """The same bundle without its `serving/` and `shap/` folders, as older bundles are."""
    copy = tmp_path_factory.mktemp("older") / bundle_dir.name
    older = shutil.ignore_patterns(bundle_format.SERVING_TABLE, bundle_format.SHAP_TABLE)
    shutil.copytree(bundle_dir, copy, ignore=older)
    return Estimator.load(resealed(copy))


def resealed(folder):
    """A bundle edited on purpose, its checksums recorded again (as its training would)."""
    path = folder / bundle_format.METADATA_FILE
    meta = json.loads(path.read_text())
    meta[integrity.CHECKSUMS_KEY] = integrity.checksums(folder)
    path.write_text(json.dumps(meta))
    return folder


def _homes(estimator: Estimator, n: int) -> list[Property]:
    """Homes a few metres from real sales, of both types."""
    rng = np.random.default_rng(8)
    rows = rng.choice(len(estimator.sales), n, replace=False)
    s = estimator.sales
    return [
        Property(
            "apartment" if k % 3 else "house",
            float(25 + rng.integers(0, 150)),
            int(rng.integers(1, 7)),
            float(s.latitude[r]) + rng.normal(0, 2e-4),
            float(s.longitude[r]) + rng.normal(0, 2e-4),
            # Most after the data's end; some within it (trees before their month).
            date(2024, 6, 15) if k % 10 == 0 else date(2025, 6, 1),
            land_area_m2=float(rng.integers(0, 400)) if k % 3 == 0 else None,
        )
        for k, r in enumerate(rows)
    ]


def test_the_bundle_carries_memory_mapped_serving_tables(bundle_dir, mapped_estimator):
    assert (bundle_dir / bundle_format.SERVING_TABLE / "columns.json").is_file()
    assert is_mapped(mapped_estimator.history.pool.xyz)
    assert is_mapped(mapped_estimator.sales.price)
    assert is_mapped(mapped_estimator.places._addresses.codes.codes)
    assert not mapped_estimator.history.rel.flags.writeable
    # The SHAP tables too: a worker builds nothing at a model switch.
    assert (bundle_dir / bundle_format.SHAP_TABLE / "columns.json").is_file()
    assert is_mapped(mapped_estimator.pricer.explainer.table)


def test_estimates_are_identical_from_mapped_and_built_tables(mapped_estimator, built_estimator):
    homes = _homes(built_estimator, 120)
    s = built_estimator.sales
    parcels = [None if k % 2 else s.parcel_id[k * 37] for k in range(len(homes))]
    built = built_estimator.estimate_many(homes, comparables=10, parcel_ids=parcels)
    mapped = mapped_estimator.estimate_many(homes, comparables=10, parcel_ids=parcels)
    assert sum(not isinstance(e, Exception) for e in built) > 100
    assert [repr(e) for e in mapped] == [repr(e) for e in built]
    for home in homes[:5]:
        assert mapped_estimator.estimate(home) == built_estimator.estimate(home)


def test_places_and_indicators_are_identical(mapped_estimator, built_estimator):
    s = built_estimator.sales
    for row in np.random.default_rng(3).choice(len(s), 8, replace=False):
        lat, lon = float(s.latitude[row]), float(s.longitude[row])
        for kwargs in ({}, {"property_type": "house", "rooms_range": (2, None)}):
            assert mapped_estimator.comparables(lat, lon, radius_m=600, **kwargs) == (
                built_estimator.comparables(lat, lon, radius_m=600, **kwargs)
            )
        assert mapped_estimator.neighbourhood(lat, lon) == built_estimator.neighbourhood(lat, lon)
        code = s.code_commune[row]
        assert mapped_estimator.market_history(code) == built_estimator.market_history(code)
        assert mapped_estimator.market_history(code, "apartment") == (
            built_estimator.market_history(code, "apartment")
        )
    assert mapped_estimator.market_history("00000") == []


def test_bundles_with_the_same_reference_share_its_tranquillity(mapped_estimator, built_estimator):
    assert mapped_estimator.tranquillity is not None
    assert mapped_estimator.tranquillity is built_estimator.tranquillity


def test_serving_tables_of_another_layout_are_built_from_the_sales(
    bundle_dir, built_estimator, tmp_path, caplog
):
    copy = tmp_path / bundle_dir.name
    shutil.copytree(bundle_dir, copy)
    meta = copy / bundle_format.SERVING_TABLE / "columns.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "layout": 99}))
    estimator = Estimator.load(resealed(copy))
    assert "serving tables not usable" in caplog.text
    assert not is_mapped(estimator.history.pool.xyz)
    homes = _homes(built_estimator, 10)
    assert [repr(e) for e in estimator.estimate_many(homes)] == [
        repr(e) for e in built_estimator.estimate_many(homes)
    ]
