"""`immoval up`: from nothing to a served site — fetch, prepare, train, serve."""

from __future__ import annotations

import click

from model.settings import DEFAULT_DEPARTEMENTS
from training.commands.context import Pipeline, pass_pipeline
from training.commands.fetch import run_fetch
from training.commands.prepare import run_prepare
from training.commands.train import run_train


@click.command()
@click.option(
    "--departements",
    default=",".join(DEFAULT_DEPARTEMENTS),
    show_default=True,
    help="Départements to fetch and train on: codes (28,34,75) or `all` (every département "
    "DVF publishes; against a mirror, those it holds).",
)
@click.option("--port", default=8000, show_default=True, envvar="PORT", help="Port to serve on.")
@click.option("--retrain", is_flag=True, help="Train a new version even if a champion exists.")
@pass_pipeline
def up(pipeline: Pipeline, departements: str, port: int, retrain: bool) -> None:
    """Run the whole service: fetch data, prepare it, train a model, serve the site."""
    ctx = click.get_current_context()
    click.echo("immoval up: fetch")
    if run_fetch(pipeline, departements=departements).failures:
        ctx.exit(1)
    click.echo("immoval up: prepare")
    run_prepare(pipeline)
    if not retrain and (pipeline.layout.models / "champion").exists():
        click.echo("immoval up: a champion model exists; not retraining (use --retrain).")
    else:
        click.echo("immoval up: train")
        run_train(pipeline)
    # The app contributes `serve` through an entry point: training does not import the app.
    serve = ctx.parent.command.get_command(ctx, "serve") if ctx.parent else None
    if serve is None:
        click.echo("immoval up: step 'serve' is not available; stopped before it.")
        return
    click.echo("immoval up: serve")
    ctx.invoke(serve, port=port)
