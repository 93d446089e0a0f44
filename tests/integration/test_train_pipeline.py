"""`immoval train` on real Paris sales: a registered, promoted bundle that serves estimates."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from app.labels.contributions import contribution_label
from model import registry
from model.estimator import Comparable, Contribution, Estimate, Estimator, OutsideCoverage
from model.property import Property
from model.settings import layout


@pytest.fixture(scope="module")
def bundle_dir(model_home):
    models = layout(model_home).models
    version = registry.read_champion(models)
    assert version is not None, "the first model is promoted automatically"
    return models / version


@pytest.fixture(scope="module")
def estimator(bundle_dir):
    return Estimator.load(bundle_dir)


def _flat(**overrides):
    data = {
        "property_type": "apartment",
        "living_area_m2": 55,
        "rooms": 3,
        "latitude": 48.8635,
        "longitude": 2.3627,
        "valuation_date": "2025-06-01",
    }
    data.update(overrides)
    return Property.from_mapping(data, today=date(2025, 6, 1))


def test_bundle_holds_what_serving_and_auditors_need(bundle_dir):
    for name in (
        "model.txt",
        "metadata.json",
        "evaluation.md",
        "sales.parquet",
        "market_index.parquet",
        "commune_history.parquet",
        "reference/communes.parquet",
        "plots/ratio_by_price_decile.png",
        "plots/range_coverage.png",
        "plots/feature_importance.png",
        "plots/error_by_departement_type.png",
    ):
        assert (bundle_dir / name).is_file(), name
    meta = json.loads((bundle_dir / "metadata.json").read_text())
    assert meta["data_until"] == "2024-12-31"
    assert meta["evaluation"]["test_period"] == ["2024-01-01", "2024-12-31"]
    assert meta["departements"] == ["75"]
    assert meta["libraries"]["lightgbm"] and meta["data"]["files"]
    assert set(meta["tranquillity_features"]) <= set(meta["features"])
    results = meta["evaluation"]["results"]
    assert {"model", "attributes_lightgbm", "commune_median"} <= set(results)
    overall = results["model"]["overall"]
    assert overall["sales"] > 1000
    # A real model on Paris flats is far better than a coin toss, even with 60 trees.
    assert overall["mdape"] < 0.3 and 0.5 < overall["coverage"] < 1.0
    report = (bundle_dir / "evaluation.md").read_text()
    assert "| mdape |" in report
    assert "commune_median" in report and "plots/range_coverage.png" in report


def test_estimate_of_a_paris_flat(estimator):
    result = estimator.estimate(_flat(), comparables=5)
    assert isinstance(result, Estimate)
    assert result.low < result.value < result.high
    assert 3_000 < result.price_per_m2 < 30_000
    assert result.market_period == "2024-12"
    assert result.model_version == estimator.version and result.data_until == date(2024, 12, 31)
    assert result.confidence in ("high", "medium", "low")
    assert len(result.comparables) == 5 and all(
        isinstance(c, Comparable) for c in result.comparables
    )
    distances = [c.distance_m for c in result.comparables]
    assert distances == sorted(distances) and distances[-1] < 1000
    assert all(c.property_type == "apartment" for c in result.comparables)
    assert all(isinstance(c, Contribution) and contribution_label(c) for c in result.contributions)
    euros = [abs(c.euros) for c in result.contributions]
    assert euros == sorted(euros, reverse=True)
    # Contributions add up from the baseline to the price (before rounding).
    assert abs(result.baseline + sum(c.euros for c in result.contributions) - result.value) < 200
    assert result.tranquillity is None or isinstance(json.dumps(result.tranquillity), str)


def test_bigger_flat_costs_more_and_batch_matches_single(estimator):
    small, big = _flat(living_area_m2=30, rooms=1), _flat(living_area_m2=90, rooms=4)
    many = estimator.estimate_many([small, big], explain=False)
    assert many[1].value > many[0].value
    single = estimator.estimate(big)
    assert single.value == many[1].value and single.low == many[1].low


def test_outside_coverage(estimator):
    strasbourg = _flat(latitude=48.5734, longitude=7.7521)
    lille = _flat(latitude=50.6292, longitude=3.0573)
    results = estimator.estimate_many([strasbourg, lille, _flat()], explain=False)
    assert isinstance(results[0], OutsideCoverage) and results[0].code == "not_in_dvf"
    assert isinstance(results[1], OutsideCoverage) and results[1].code == "departement_not_trained"
    assert isinstance(results[2], Estimate)
    with pytest.raises(OutsideCoverage):
        estimator.estimate(strasbourg)


def test_comparables_history_and_neighbourhood(estimator):
    found = estimator.comparables(
        48.8635,
        2.3627,
        property_type="apartment",
        living_area_range=(40, 70),
        rooms_range=(2, 3),
        date_from=date(2024, 1, 1),
        radius_m=600,
        limit=8,
    )
    assert 0 < len(found) <= 8
    assert all(40 <= c.living_area_m2 <= 70 and c.date >= date(2024, 1, 1) for c in found)
    assert all(c.distance_m <= 600 for c in found)
    code = estimator.locate_commune(48.8635, 2.3627)
    assert code == "75103"
    history = estimator.market_history(code, "apartment")
    assert history and history[0].quarter == "2023-Q1" and history[-1].quarter == "2024-Q4"
    assert all(h.sales > 0 and h.median_price_per_m2 > 0 for h in history)
    around = estimator.neighbourhood(48.8635, 2.3627)
    assert around.code_commune == "75103" and around.prices_nearby["apartment"].sales > 0
    json.dumps(dataclasses.asdict(around))


def test_models_and_promote_commands(model_home, runner):
    from training.cli import main

    result = runner.invoke(main, ["--home", str(model_home), "models"])
    assert result.exit_code == 0, result.output
    assert "*" in result.output and "2024-01-01" in result.output
    result = runner.invoke(main, ["--home", str(model_home), "promote", "nope"])
    assert result.exit_code != 0 and "no model version" in result.output


def test_training_threads_are_read_when_training_not_at_import(monkeypatch):
    from training import train

    monkeypatch.setenv("IMMOVAL_TRAIN_THREADS", "2")
    assert train.training_params(seed=3)["num_threads"] == 2
    monkeypatch.delenv("IMMOVAL_TRAIN_THREADS")
    params = train.training_params(seed=3)
    assert params["num_threads"] == 1 and params["seed"] == 3
    assert "num_threads" not in train.PARAMS
