"""`immoval predict`: estimates for a CSV of homes described with DVF column names."""

from __future__ import annotations

from pathlib import Path

import click

from training.commands.context import Pipeline, pass_pipeline
from training.errors import PipelineError


@click.command()
@click.option("--input", "source", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--output", "target", required=True, type=click.Path(dir_okay=False))
@click.option("--model", "version", default=None, help="Model version (default: the champion).")
@pass_pipeline
def predict(pipeline: Pipeline, source: str, target: str, version: str | None) -> None:
    """Estimate every home of a CSV with DVF column names."""
    from model.bundle import BundleError
    from model.estimator import Estimator
    from model.integrity import CorruptBundle
    from model.registry import BadVersion, read_champion, version_dir
    from training.predict import run_predict

    models_dir = pipeline.layout.models
    version = version or read_champion(models_dir)
    if version is None:
        raise PipelineError("no champion model: run `immoval train` first")
    try:
        estimator = Estimator.load(version_dir(models_dir, version))
    except (BadVersion, BundleError, CorruptBundle) as exc:
        raise PipelineError(f"model {version} cannot be used: {exc}") from exc
    counts = run_predict(estimator, Path(source), Path(target))
    click.echo(
        f"{counts['rows']} rows: {counts['estimated']} estimated, {counts['errors']} "
        f"with an error (see the `error` column) → {target} (model {version})"
    )
