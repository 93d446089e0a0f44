"""The `immoval` command line: one subcommand per pipeline step (see `training.commands`)."""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

import click

from model.settings import DEFAULT_HOME, layout
from training.commands.context import Pipeline

# name -> "module:attribute". A command's module is imported only when that command runs
# (or help lists it): `immoval fetch` must not pay for geopandas or lightgbm.
PIPELINE_COMMANDS = {
    "up": "training.commands.up:up",
    "fetch": "training.commands.fetch:fetch",
    "prepare": "training.commands.prepare:prepare",
    "addresses": "training.commands.prepare:addresses",
    "train": "training.commands.train:train",
    "models": "training.commands.models:models",
    "promote": "training.commands.models:promote",
    "refresh": "training.commands.refresh:refresh",
    "report": "training.commands.report:report",
    "predict": "training.commands.predict:predict",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use.

    The pipeline's commands come from `PIPELINE_COMMANDS`; the app contributes its own
    (api keys, usage, serve) through the `immoval.commands` entry points, so that the
    pipeline never imports the web application. A pipeline command wins a name clash.
    """

    def _plugins(self) -> dict:
        return {entry.name: entry for entry in entry_points(group="immoval.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *PIPELINE_COMMANDS, *self._plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        if name in PIPELINE_COMMANDS:
            module, attribute = PIPELINE_COMMANDS[name].split(":")
            command = getattr(import_module(module), attribute)
        else:
            entry = self._plugins().get(name)
            if entry is None:
                return None
            command = entry.load()
        self.add_command(command, name=name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    ctx.obj = Pipeline(layout(home))
