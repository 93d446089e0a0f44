"""A new version's name and its metadata.json: what, on which data, with which code."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model import features as feats
from model.market import month_label
from model.property import PROPERTY_TYPES
from model.ranges import RangeTable
from model.settings import Layout

if TYPE_CHECKING:  # types only: train imports this module
    from training.completeness import DepartementData
    from training.train import Prepared

TARGET = "log(price_per_m2) - market level before the sale's month"
RANGES_CALIBRATED_ON = "out-of-time errors of model B on the test period"


def build_metadata(
    layout: Layout,
    now: datetime,
    prep: Prepared,
    coverage: dict[str, DepartementData],
    evaluation: dict,
    ranges: RangeTable,
    params: dict,
) -> dict:
    """metadata.json of a version (`training_seconds` is filled in last, by the caller)."""
    pool = prep.sales
    data_until = pool["date"].max().date().isoformat()
    return {
        "created": now.isoformat(timespec="seconds"),
        "data_until": data_until,
        "training_window": [pool["date"].min().date().isoformat(), data_until],
        "market_period": month_label(prep.market.last_month),
        "departements": sorted(pool["departement"].unique().tolist()),
        "property_types": list(PROPERTY_TYPES),
        "features": list(prep.features.names),
        "feature_dtypes": {name: "float32" for name in prep.features.names},
        "tranquillity_features": list(prep.tranquillity),
        "surroundings_features": list(prep.surroundings),
        "target": TARGET,
        "params": params,
        "k_neighbours": feats.K_NEIGHBOURS,
        "max_neighbour_distance_m": feats.MAX_NEIGHBOUR_DISTANCE_M,
        "ranges": {**ranges.to_dict(), "calibrated_on": RANGES_CALIBRATED_ON},
        "sales": {
            "read": sum(data.sales for data in coverage.values()),
            "used": int(len(pool)),
            "left_out": prep.left_out,
        },
        # Per département: volume, period, communes with sales, and what its file lacks.
        "departement_data": {dep: data.to_dict() for dep, data in coverage.items()},
        "evaluation": evaluation,
        "data": data_manifest(layout),
        "libraries": library_versions(),
        "git_commit": git_commit(),
        "training_seconds": None,
    }


def new_version(models_dir: Path, now: datetime) -> str:
    """A sortable, unused version name."""
    base = now.strftime("%Y%m%d-%H%M%S")
    version, n = base, 1
    while (models_dir / version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


def git_commit() -> str | None:
    """The commit of the code that trained (None outside a git checkout)."""
    here = Path(__file__).resolve().parent
    try:
        commit = _git(["rev-parse", "HEAD"], here)
        dirty = _git(["status", "--porcelain", "--untracked-files=no"], here)
        return (commit + ("-dirty" if dirty else "")) if commit else None
    except (OSError, subprocess.SubprocessError):
        return None


def _git(args: list[str], folder: Path) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=folder, timeout=5)
    return done.stdout.strip()


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model's figures depend on."""
    import lightgbm as lgb
    import pandas as pd
    import sklearn

    return {
        "python": platform.python_version(),
        "lightgbm": lgb.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }


def data_manifest(layout: Layout) -> dict:
    """Checksums of the prepared inputs the model was trained on."""
    out = {"files": {}}
    manifest = layout.prepared / "manifest.json"
    if manifest.is_file():
        try:
            out["prepare_manifest"] = json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError:
            out["prepare_manifest"] = None
    for path in sorted((layout.prepared / "sales").rglob("*.parquet")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        out["files"][str(path.relative_to(layout.prepared))] = digest
    return out


def jsonable(value):
    """`value` with numpy numbers as Python ones and NaN as None, for JSON."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value
