"""A bundle round-trips, and an interrupted write leaves no version behind."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from model import bundle as bundle_format


def _booster(seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(500, 4))
    y = x[:, 0] * 2 + np.sin(x[:, 1]) + rng.normal(0, 0.1, 500)
    params = {
        "objective": "regression",
        "verbosity": -1,
        "seed": seed,
        "deterministic": True,
        "num_threads": 1,
    }
    return lgb.train(params, lgb.Dataset(x, y), num_boost_round=20), x


def test_round_trip(tmp_path):
    booster, x = _booster()
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "communes.parquet").write_bytes(b"not really parquet")
    table = pd.DataFrame({"a": [1, 2], "b": ["x", None]})
    path = bundle_format.write_bundle(
        tmp_path / "models",
        "v1",
        booster,
        {"features": ["f"]},
        {"t.parquet": table},
        reference_dir=reference,
        files={"evaluation.md": "# hi", "plots/p.png": b"\x89PNG"},
    )
    loaded = bundle_format.read_bundle(path)
    np.testing.assert_array_equal(loaded.booster.predict(x), booster.predict(x))
    assert loaded.metadata["version"] == "v1" and loaded.metadata["features"] == ["f"]
    pd.testing.assert_frame_equal(loaded.table("t.parquet"), table)
    assert (loaded.reference / "communes.parquet").read_bytes() == b"not really parquet"
    assert (path / "plots" / "p.png").read_bytes() == b"\x89PNG"
    with pytest.raises(bundle_format.BundleError, match="immutable"):
        bundle_format.write_bundle(tmp_path / "models", "v1", booster, {}, {})


def test_interrupted_write_leaves_nothing(tmp_path):
    booster, _ = _booster()

    class Boom(pd.DataFrame):
        def to_parquet(self, *args, **kwargs):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bundle_format.write_bundle(tmp_path, "v1", booster, {}, {"t.parquet": Boom({"a": [1]})})
    assert list(tmp_path.iterdir()) == []


def test_incomplete_folder_is_not_a_bundle(tmp_path):
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "model.txt").write_text("tree")
    with pytest.raises(bundle_format.BundleError):
        bundle_format.read_bundle(tmp_path / "v1")
