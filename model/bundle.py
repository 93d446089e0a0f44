"""A model bundle: `models/<version>/` with everything serving needs, never a pickle.

Layout: `model.txt` (LightGBM `Booster.save_model`), `metadata.json`, the tables below as
Parquet, `serving/` (what serving searches, as memory-mapped columns: `model.prebuilt`),
`shap/` (the model's SHAP tables, memory-mapped: `model.tree_shap`),
`evaluation.md` and `plots/`, and `reference/` (a copy of prepared/reference).
metadata.json records the sha256 of every other file (`model.integrity`), checked before
anything is parsed.
A bundle is written in a hidden staging folder and renamed into place: an interrupted
training leaves no partial version.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import pandas as pd

from model import integrity, mapped

MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
# Comparable sales (the features' history and the comparables shown to users).
SALES_TABLE = "sales.parquet"
MARKET_TABLE = "market_index.parquet"
# Median €/m² per commune × type × quarter (market history pages).
HISTORY_TABLE = "commune_history.parquet"
# The same sales and history, ready to search, as memory-mapped columns (optional).
SERVING_TABLE = "serving"
# The model's exact SHAP tables, as memory-mapped columns (`model.tree_shap`, optional).
SHAP_TABLE = "shap"
REFERENCE_DIR = "reference"
FORMAT_VERSION = 1


class BundleError(RuntimeError):
    """A bundle is missing, incomplete or of an unknown format."""


@dataclass
class Bundle:
    """A bundle read back from disk."""

    path: Path
    metadata: dict
    booster: lgb.Booster

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.path / name)

    def columns(self, name: str) -> mapped.Columns | None:
        """A table stored as columns, memory-mapped; None when the bundle has none."""
        folder = self.path / name
        return mapped.open_columns(folder) if folder.is_dir() else None

    @property
    def reference(self) -> Path:
        return self.path / REFERENCE_DIR


def write_bundle(
    models_dir: Path,
    version: str,
    booster: lgb.Booster,
    metadata: Mapping,
    tables: Mapping[str, pd.DataFrame | mapped.Columns],
    reference_dir: Path | None = None,
    files: Mapping[str, bytes | str] | None = None,
) -> Path:
    """Write a complete version atomically and return its folder; refuse to overwrite one."""
    models_dir = Path(models_dir)
    target = models_dir / version
    if target.exists():
        raise BundleError(f"version {version} already exists: versions are immutable")
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = models_dir / f".{version}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        booster.save_model(str(staging / MODEL_FILE))
        for name, table in tables.items():
            if isinstance(table, mapped.Columns):
                mapped.write_columns(staging / name, table)
            else:
                table.to_parquet(staging / name, index=False)
        if reference_dir is not None and Path(reference_dir).is_dir():
            shutil.copytree(reference_dir, staging / REFERENCE_DIR)
        for name, content in (files or {}).items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        meta = {"format_version": FORMAT_VERSION, "version": version, **metadata}
        meta[integrity.CHECKSUMS_KEY] = integrity.checksums(staging)
        # metadata.json last: its presence marks a complete bundle.
        (staging / METADATA_FILE).write_text(
            json.dumps(meta, indent=1, ensure_ascii=False, default=str), encoding="utf-8"
        )
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def read_bundle(path: str | Path) -> Bundle:
    """Open a bundle folder; `BundleError` if it is not a complete bundle."""
    path = Path(path)
    meta_path = path / METADATA_FILE
    if not meta_path.is_file() or not (path / MODEL_FILE).is_file():
        raise BundleError(f"{path} is not a complete model bundle")
    metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    if metadata.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{path}: unknown bundle format {metadata.get('format_version')}")
    integrity.verify(path, metadata)  # before LightGBM parses (it crashes on a cut file)
    return Bundle(path, metadata, lgb.Booster(model_file=str(path / MODEL_FILE)))


def clean_staging(models_dir: Path) -> list[Path]:
    """Remove staging folders left by interrupted trainings; returns what was removed."""
    removed = []
    for folder in Path(models_dir).glob(".*.partial-*"):
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
