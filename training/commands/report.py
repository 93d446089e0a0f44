"""`immoval report [VERSION]`: the data team's HTML report (see `training.report`)."""

from __future__ import annotations

from pathlib import Path

import click

from training.commands.context import Pipeline, pass_pipeline
from training.errors import PipelineError


@click.command()
@click.argument("version", required=False)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write it (default: IMMOVAL_HOME/reports/report-<version>.html).",
)
@click.option(
    "--against",
    default=None,
    metavar="VERSION",
    help="The version to compare with (default: the champion, or the one served before).",
)
@pass_pipeline
def report(pipeline: Pipeline, version: str | None, output: Path | None, against) -> None:
    """Write one self-contained HTML report on VERSION (default: the newest) against the
    champion: releases, market index, feature drift, accuracy over versions, API usage."""
    from model import registry
    from training.report import write_report

    try:
        path = write_report(pipeline.layout, version, output, against)
    except registry.BadVersion as exc:
        raise PipelineError(str(exc)) from exc
    click.echo(f"report: {path}")
