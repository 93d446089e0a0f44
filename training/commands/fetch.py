"""`immoval fetch`: download the raw data from its official publishers or from a mirror."""

from __future__ import annotations

from datetime import date

import click

from model.geography import departement_label
from model.settings import DEFAULT_DEPARTEMENTS
from training import settings as defaults
from training import sources
from training.commands.context import Pipeline, pass_pipeline
from training.fetch import transport
from training.fetch.progress import Progress
from training.fetch.run import (
    CURRENT,
    FETCHED,
    MISSING,
    SKIPPED,
    Settings,
    Summary,
    default_years,
    fetch_all,
)


@click.command()
@click.option(
    "--departements",
    metavar="CODES",
    help="Comma-separated département codes, or `all` (every département DVF publishes) "
    f"[default: {','.join(DEFAULT_DEPARTEMENTS)}].",
)
@click.option(
    "--years",
    metavar="YEARS",
    help="DVF years, e.g. 2020-2024 or 2022,2024 [default: the source's rolling window].",
)
@click.option(
    "--only",
    metavar="SOURCES",
    help=f"Comma-separated sources among {','.join(sources.GROUPS)} [default: all].",
)
@click.option("--force", is_flag=True, help="Download again even files already fetched and intact.")
@click.option(
    "--source",
    metavar="PATH_OR_URL",
    envvar="IMMOVAL_SOURCE",
    help="A mirror laid out like ../shared/data (folder or http(s) URL) instead of the "
    "official publishers (IMMOVAL_SOURCE).",
)
@click.option(
    "--timeout",
    type=float,
    envvar="IMMOVAL_FETCH_TIMEOUT",
    help="Seconds without data before a request fails (IMMOVAL_FETCH_TIMEOUT) "
    f"[default: {defaults.FETCH_TIMEOUT:g}].",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    envvar="IMMOVAL_FETCH_RETRIES",
    help="Retries of a failed transfer, with exponential backoff (IMMOVAL_FETCH_RETRIES) "
    f"[default: {defaults.FETCH_RETRIES}].",
)
@pass_pipeline
def fetch(pipeline: Pipeline, **options) -> None:
    """Download DVF, SSMSI, cameras, communes, BAN and IRIS files into IMMOVAL_HOME/raw.

    Every file is verified before it replaces anything; files already fetched and intact
    are kept. Sources a mirror lacks are reported as skipped.
    """
    if run_fetch(pipeline, **options).failures:
        click.get_current_context().exit(1)


def run_fetch(
    pipeline: Pipeline,
    departements: str | None = None,
    years: str | None = None,
    only: str | None = None,
    force: bool = False,
    source: str | None = None,
    timeout: float | None = None,
    retries: int | None = None,
) -> Summary:
    """The fetch step with the command's options (None: the settings'); prints as it goes."""
    env = pipeline.settings
    settings = Settings(
        raw_dir=pipeline.layout.raw,
        source=check_source(source or env.source),
        force=force,
        timeout=timeout or env.fetch_timeout,
        retries=retries if retries is not None else env.fetch_retries,
        backoff=env.fetch_backoff,
        deadline=env.fetch_deadline,
    )
    try:
        groups = sources.parse_groups(only)
        codes = sources.parse_departements(departements, groups)
        this_year = date.today().year
        year_list = sources.parse_years(years, this_year) if years else []
    except ValueError as error:
        raise click.UsageError(str(error)) from None

    session = transport.make_session(settings.retries, settings.backoff)
    if "dvf" in groups and not year_list:
        year_list, warning = default_years(settings, session, this_year)
        if warning:
            click.echo(f"warning: {warning}", err=True)
    items = sources.catalogue(codes, year_list, groups)
    click.echo(
        f"immoval fetch: {len(items)} file{'s' if len(items) != 1 else ''} from "
        f"{settings.source or 'official publishers'} into {settings.raw_dir} "
        f"(départements {','.join(codes)}"
        + (f"; DVF {describe_years(year_list)}" if "dvf" in groups and year_list else "")
        + ")"
    )
    progress = Progress(len(items), echo=click.echo)
    try:
        summary = fetch_all(items, settings, progress, session)
    finally:
        progress.close()
    if (departements or "").strip().lower() != "all":
        summary.require_each_departement()
    report(summary, settings)
    return summary


def report(summary: Summary, settings: Settings) -> None:
    """The counts of a run, then what failed and why."""
    click.echo(
        f"immoval fetch: {summary.count(FETCHED)} fetched, {summary.count(CURRENT)} up to date, "
        f"{summary.count(SKIPPED)} skipped, {summary.count(MISSING)} missing, "
        f"{len(summary.failures)} failed; "
        f"manifest: {settings.raw_dir / 'manifest.json'}"
    )
    report_missing(summary)
    if summary.failures:
        click.echo("Failed:", err=True)
        for outcome in summary.failures:
            click.echo(f"  - {outcome.item.title}: {outcome.message}", err=True)


def report_missing(summary: Summary) -> None:
    """DVF files the mirror lacks, per département (a partial mirror is not an error)."""
    years: dict[str, list[str]] = {}
    for outcome in summary.missing:
        years.setdefault(outcome.item.departement, []).append(str(outcome.item.year))
    if not years:
        return
    absent = [dep for dep in summary.absent_departements() if dep in years]
    partly = [dep for dep in years if dep not in absent]
    if partly:
        click.echo("Not in the mirror (DVF years):")
        for dep in partly:
            click.echo(f"  - {departement_label(dep)}: {', '.join(years[dep])}")
    if absent:
        names = ", ".join(departement_label(dep) for dep in absent)
        click.echo(f"Not in the mirror at all ({len(absent)} départements): {names}")


def check_source(source: str | None) -> str | None:
    """The mirror as given, once known to be usable; None for the official publishers."""
    if source is None:
        return None
    if transport.is_url(source):
        return source
    folder = transport.local_path(source)
    if not folder.is_dir():
        raise click.UsageError(
            f"source {source!r} is neither an http(s) URL nor an existing folder "
            "(set IMMOVAL_SOURCE or --source to a mirror laid out like ../shared/data)"
        )
    return str(folder.resolve())


def describe_years(years: list[int]) -> str:
    """[2020, 2021, 2022] -> '2020-2022'; [2021, 2023] -> '2021,2023'."""
    if years == list(range(years[0], years[-1] + 1)):
        return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    return ",".join(map(str, years))
