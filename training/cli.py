"""The `immoval` command line: one subcommand per pipeline step."""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from model.settings import DEFAULT_HOME


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    envvar="IMMOVAL_HOME",
    default=DEFAULT_HOME,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Working directory for data and models (IMMOVAL_HOME).",
)
@click.pass_context
def main(ctx: click.Context, home: str) -> None:
    """immoval: estimate French home prices from open data."""
    ctx.obj = {"home": home}


def _register_plugins(group: click.Group) -> None:
    # The app contributes its own commands (api keys, usage, serve) through entry points,
    # so that the pipeline never imports the web application.
    for entry in entry_points(group="immoval.commands"):
        group.add_command(entry.load(), name=entry.name)


_register_plugins(main)

from training.up import up  # noqa: E402

main.add_command(up)

from training.prepare import prepare  # noqa: E402

main.add_command(prepare)

from training.fetch import fetch  # noqa: E402

main.add_command(fetch)

from training.addresses import addresses  # noqa: E402

main.add_command(addresses)

from training.train import models, promote, train  # noqa: E402

main.add_command(train)
main.add_command(models)
main.add_command(promote)

from training.predict import predict  # noqa: E402

main.add_command(predict)
