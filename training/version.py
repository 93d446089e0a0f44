"""A training run written as a new registered version: its metadata (with the release it
was trained on and the champion comparison), its report and plots, model card, the
calibration files and the tables serving needs (`model.bundle.write_bundle`)."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import lightgbm as lgb

from model import bundle as bundle_format
from model import tree_shap
from model.equity import EQUITY_FILE
from model.ranges import PRECISION_RANGES_FILE
from model.settings import Layout
from training import evaluation_report as report
from training import model_card, release
from training.backtest import Backtest
from training.completeness import DepartementData
from training.history import bundle_tables
from training.metadata import RANGES_CALIBRATED_ON, build_metadata, jsonable, new_version

if TYPE_CHECKING:
    from training.train import Fitting, Prepared


def write_version(
    layout: Layout,
    final: lgb.Booster,
    prep: Prepared,
    coverage: dict[str, DepartementData],
    backtest: Backtest,
    fitting: Fitting,
    started: float,
    comparison: dict | None = None,
) -> Path:
    """The new version's bundle: model, metadata, report, plots, model card and tables
    (`comparison`: the champion against this challenger, `training.champion`)."""
    layout.models.mkdir(parents=True, exist_ok=True)
    bundle_format.clean_staging(layout.models)
    now = datetime.now(UTC)
    version = new_version(layout.models, now)
    evaluation = backtest.to_dict()
    metadata = build_metadata(
        layout, now, prep, coverage, evaluation, backtest.final_ranges, fitting.params()
    )
    metadata["sources"] = release.sources(layout.raw)
    metadata["cleaning"] = release.cleaning_counts(layout.prepared)
    if comparison is not None:
        metadata["champion_comparison"] = jsonable(comparison)
    files = report_files(version, evaluation, backtest)
    # The estimate's calibration by level, a file of its own: checksummed like the model.
    files[EQUITY_FILE] = backtest.final_equity.to_json()
    metadata["equity"] = {"file": EQUITY_FILE, "calibrated_on": RANGES_CALIBRATED_ON}
    tables = {
        **bundle_tables(prep.sales, prep.market),
        "feature_importance.parquet": backtest.importance,
        **tree_shap.stored_tables(final),
    }
    metadata["training_seconds"] = round(time.monotonic() - started, 1)
    files[model_card.CARD_FILE] = model_card.render(version, metadata)
    return bundle_format.write_bundle(
        layout.models, version, final, metadata, tables, reference_dir=layout.reference, files=files
    )


def report_files(version: str, evaluation: dict, backtest: Backtest) -> dict[str, bytes | str]:
    """`evaluation.md` and its plots, by path in the bundle."""
    files: dict[str, bytes | str] = {}
    with tempfile.TemporaryDirectory(prefix="immoval-plots-") as folder:
        tmp = Path(folder)
        results, importance = evaluation["results"], backtest.importance
        plots = report.write_plots(backtest.test_frame, results, importance, tmp)
        for name in plots:
            files[f"plots/{name}"] = (tmp / name).read_bytes()
    files["evaluation.md"] = report.render_report(version, evaluation, plots)
    if backtest.precision_ranges is not None:
        files[PRECISION_RANGES_FILE] = json.dumps(backtest.precision_ranges.to_dict(), indent=1)
    return files
