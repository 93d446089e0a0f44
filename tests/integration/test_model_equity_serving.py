"""The trained bundle's calibration by level: checksummed, and applied by serving exactly as
the evaluation applies it (real Paris sales, the small real model)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest

from model.bundle import read_bundle
from model.equity import EQUITY_FILE, EquityCalibration
from model.estimator import Estimate, Estimator
from model.integrity import CorruptBundle
from model.pricing import Pricer
from model.property import Property
from model.ranges import RangeTable
from model.registry import read_champion
from model.settings import layout
from training.calibration import Calibration


@pytest.fixture(scope="module")
def estimator(model_home):
    models = layout(model_home).models
    return Estimator.load(models / read_champion(models))


def _flats(estimator: Estimator) -> list[Property]:
    """Flats from a studio to a very large one, at real sale places across Paris."""
    s = estimator.sales
    rows = np.flatnonzero(s.property_type == "apartment")[::997][:12]
    return [
        Property.from_mapping(
            {
                "property_type": "apartment",
                "living_area_m2": area,
                "rooms": max(1, int(area // 25)),
                "latitude": float(s.latitude[r]),
                "longitude": float(s.longitude[r]),
                "valuation_date": "2024-12-31",
            },
            today=date(2026, 1, 1),
        )
        for r in rows
        for area in (9.0, 45.0, 180.0)
    ]


def test_serving_prices_with_the_bundles_calibration_as_the_evaluation_does(estimator, monkeypatch):
    stored = (estimator.path / EQUITY_FILE).read_text(encoding="utf-8")
    equity = EquityCalibration.from_json(stored)
    assert estimator.equity == equity
    assert ("75", "apartment") in equity.by_cell  # learnt on the test year, not the identity
    priced = []
    price = Pricer.price

    def record(self, *args, **kwargs):
        priced.append(price(self, *args, **kwargs))
        return priced[-1]

    monkeypatch.setattr(Pricer, "price", record)
    props = _flats(estimator)
    answers = estimator.estimate_many(props, explain=False)
    assert all(isinstance(a, Estimate) for a in answers)
    (raw,) = priced  # one pass for the batch: the booster's prices before the calibration
    # What the evaluation computes from the same raw prices: `Calibration.apply`.
    frame = pd.DataFrame({"departement": raw.subjects["departement"],
                          "property_type": raw.subjects["property_type"]})  # fmt: skip
    ranges = RangeTable.from_dict(estimator.metadata["ranges"])
    Calibration(equity, ranges).apply(frame, raw.value, raw.batch.column("knn_rel_spread"))
    for answer, row in zip(answers, frame.itertuples(), strict=True):
        assert (answer.value, answer.low, answer.high) == (
            round(row.estimate, -2),
            round(row.low, -2),
            round(row.high, -2),
        )
    # The check has teeth: the calibration moves these prices, in both directions.
    shift = np.log(frame["estimate"].to_numpy() / raw.value)
    assert shift.min() < -0.001 and shift.max() > 0.001


def test_a_changed_calibration_file_is_refused_before_serving(estimator, tmp_path):
    # The bundle's files as links, but its calibration: every Paris flat 10 % dearer.
    copy = shutil.copytree(estimator.path, tmp_path / "bundle", copy_function=os.symlink)
    data = json.loads((copy / EQUITY_FILE).read_text(encoding="utf-8"))
    curve = data["cell"]["75|apartment"]
    curve[1] = [m + 0.1 for m in curve[1]]
    (copy / EQUITY_FILE).unlink()
    (copy / EQUITY_FILE).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CorruptBundle, match=EQUITY_FILE):
        read_bundle(copy)
