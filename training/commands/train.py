"""`immoval train`: train, evaluate out of time and register a new model version."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from training import settings as defaults
from training.commands.context import Pipeline, pass_pipeline
from training.commands.prepare import SCHEDULER_VARIABLE


@click.command()
@click.option(
    "--test-from",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First day of the out-of-time test period (default: last --test-months).",
)
@click.option(
    "--test-months",
    type=click.IntRange(1, 60),
    default=12,
    show_default=True,
    help="Months at the end of the data used as the test period.",
)
@click.option(
    "--n-estimators",
    type=click.IntRange(1, defaults.MAX_ESTIMATORS),
    default=defaults.N_ESTIMATORS,
    show_default=True,
    envvar="IMMOVAL_N_ESTIMATORS",
    help="Boosting rounds.",
)
@click.option("--seed", type=int, default=defaults.SEED, show_default=True)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Address of a dask.distributed scheduler (tcp://host:8786): features one task "
    "per département and boosters with LightGBM's Dask interface on its workers "
    f"({SCHEDULER_VARIABLE}; default: here).",
)
@pass_pipeline
def train(pipeline: Pipeline, test_from, test_months, n_estimators, seed, scheduler) -> None:
    """Train, evaluate out of time and register a new model version."""
    run_train(
        pipeline,
        test_from=test_from.date() if test_from else None,
        test_months=test_months,
        n_estimators=n_estimators,
        seed=seed,
        scheduler=scheduler,
    )


def run_train(
    pipeline: Pipeline,
    test_from: date | None = None,
    test_months: int = 12,
    n_estimators: int | None = None,
    seed: int = defaults.SEED,
    scheduler: str | None = None,
) -> Path:
    """The train step (rounds and scheduler: the settings' if None); prints its progress and
    its figures."""
    from training.train import run_training

    path = run_training(
        pipeline.layout,
        test_from=test_from,
        test_months=test_months,
        n_estimators=n_estimators or pipeline.settings.n_estimators,
        seed=seed,
        threads=pipeline.settings.train_threads,
        scheduler=scheduler or pipeline.settings.dask_scheduler,
        log=click.echo,
    )
    summarise(pipeline, path)
    return path


def summarise(pipeline: Pipeline, path: Path) -> None:
    """The new version's headline figures, and how to serve it if it is not the champion."""
    from model import registry
    from training import evaluate as ev

    models = pipeline.layout.models
    meta = registry.read_metadata(models, path.name)
    overall = meta["evaluation"]["results"]["model"]["overall"]
    click.echo(
        f"registered {path.name} in {meta['training_seconds']} s: "
        f"MdAPE {ev.fmt('mdape', overall['mdape'])}, PE10 {ev.fmt('pe10', overall['pe10'])}, "
        f"PE20 {ev.fmt('pe20', overall['pe20'])}, coverage "
        f"{ev.fmt('coverage', overall['coverage'])} (report: {path / 'evaluation.md'})"
    )
    if registry.read_champion(models) != path.name:
        from training.commands.models import explain

        click.echo(explain(pipeline, path.name)[0])
        click.echo(f"champion unchanged; to serve this version: immoval promote {path.name}")
