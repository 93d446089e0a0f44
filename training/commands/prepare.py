"""`immoval prepare` and `immoval addresses`: the prepared tables from the raw files."""

from __future__ import annotations

import json

import click

from training.commands.context import Pipeline, pass_pipeline

SCHEDULER_VARIABLE = "IMMOVAL_DASK_SCHEDULER"


@click.command()
@click.option("--force", is_flag=True, help="Prepare again even if the inputs are unchanged.")
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Address of a dask.distributed scheduler (tcp://host:8786): one task per "
    f"département on its workers, which must see this home at the same path "
    f"({SCHEDULER_VARIABLE}; default: here, one département at a time).",
)
@pass_pipeline
def prepare(pipeline: Pipeline, force: bool, scheduler: str | None) -> None:
    """Build the sales table and the cleaning report from the raw files."""
    run_prepare(pipeline, force=force, scheduler=scheduler)


def run_prepare(pipeline: Pipeline, force: bool = False, scheduler: str | None = None) -> None:
    """The prepare step, with a progress bar and the cleaning table at the end."""
    from training import cleaning
    from training.prepare import run_prepare as prepare_tables

    paths = pipeline.layout
    # `immoval up` calls this without the option: the variable still applies.
    scheduler = scheduler or pipeline.settings.dask_scheduler
    if scheduler:
        click.echo(f"Preparing on the Dask cluster at {scheduler}")
    prepared = prepare_tables(paths, force=force, progress=True, scheduler=scheduler)
    if prepared is None:
        click.echo("Inputs unchanged since the last prepare: nothing to do (use --force).")
        return
    click.echo(cleaning.report_table(prepared.counts))
    click.echo(
        f"{prepared.sales} sales written to {paths.prepared / 'sales'}; "
        f"{len(prepared.rejected)} rejected rows listed in "
        f"{paths.prepared / 'cleaning_report.json'}"
    )


@click.command("addresses")
@pass_pipeline
def addresses(pipeline: Pipeline) -> None:
    """Rebuild the offline address index (fetched BAN files + addresses of prepared sales)."""
    from training.addresses import write_addresses

    report = write_addresses(pipeline.layout)
    click.echo(json.dumps(report, indent=1, ensure_ascii=False))
