"""What every pipeline command receives (`Pipeline`), and the one translation of errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping

import click

from model.settings import Layout, layout
from training.errors import PipelineError, SettingsError
from training.settings import PipelineSettings


class Pipeline(Mapping):
    """`ctx.obj` of `immoval`: the folder layout, and the settings read on first use.

    Settings are read when a step first needs them, so that a bad `IMMOVAL_*` variable
    fails the pipeline's commands, not `--help` nor the app's commands. It is also the
    mapping `{"home": …}` that the app's commands (entry points, which may not import
    `training`) read from `ctx.obj`.
    """

    def __init__(self, paths: Layout, settings: PipelineSettings | None = None) -> None:
        self.layout = paths
        self._settings = settings

    @property
    def settings(self) -> PipelineSettings:
        """The pipeline settings, read from the environment once."""
        if self._settings is None:
            self._settings = PipelineSettings.from_env()
        return self._settings

    def __getitem__(self, key: str) -> str:
        if key != "home":
            raise KeyError(key)
        return str(self.layout.home)

    def __iter__(self) -> Iterator[str]:
        return iter(("home",))

    def __len__(self) -> int:
        return 1


def find_pipeline(ctx: click.Context) -> Pipeline:
    """The `Pipeline` of the `immoval` group, else one for the home that `ctx.obj` names."""
    found = ctx.find_object(Pipeline)
    if found is None:  # a command run under another group, e.g. a test's
        obj = ctx.obj if isinstance(ctx.obj, Mapping) else {}
        found = ctx.obj = Pipeline(layout(obj.get("home")))
    return found


_pass_pipeline = click.make_pass_decorator(Pipeline)


def pass_pipeline(command: Callable) -> Callable:
    """Call `command` with the `Pipeline` first; its `PipelineError`s become click errors.

    This is the one place where the core's errors meet click: a `SettingsError` is a
    usage error (exit 2), any other `PipelineError` prints `Error: <message>` (exit 1).
    """
    passed = _pass_pipeline(command)

    @functools.wraps(command)
    def run(*args, **kwargs):
        ctx = click.get_current_context()
        find_pipeline(ctx)
        try:
            return passed(*args, **kwargs)
        except SettingsError as error:
            raise click.UsageError(str(error), ctx) from None
        except PipelineError as error:
            raise click.ClickException(str(error)) from error

    return run
