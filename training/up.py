"""`immoval up`: from nothing to a served site — fetch, prepare, train, serve."""

from __future__ import annotations

import click

from model.settings import DEFAULT_DEPARTEMENTS, layout

STEPS = ("fetch", "prepare", "train", "serve")


@click.command()
@click.option(
    "--departements",
    default=",".join(DEFAULT_DEPARTEMENTS),
    show_default=True,
    help="Départements to fetch and train on.",
)
@click.option("--port", default=8000, show_default=True, envvar="PORT", help="Port to serve on.")
@click.option("--retrain", is_flag=True, help="Train a new version even if a champion exists.")
@click.pass_context
def up(ctx: click.Context, departements: str, port: int, retrain: bool) -> None:
    """Run the whole service: fetch data, prepare it, train a model, serve the site."""
    group = ctx.parent.command
    paths = layout(ctx.obj["home"])
    for step in STEPS:
        command = group.get_command(ctx, step)
        if command is None:
            click.echo(f"immoval up: step '{step}' is not available; stopped before it.")
            return
        if step == "train" and not retrain and (paths.models / "champion").exists():
            click.echo("immoval up: a champion model exists; not retraining (use --retrain).")
            continue
        click.echo(f"immoval up: {step}")
        if step == "fetch":
            ctx.invoke(command, departements=departements)
        elif step == "serve":
            ctx.invoke(command, port=port)
        else:
            ctx.invoke(command)
