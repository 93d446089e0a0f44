"""`immoval models` and `immoval promote`: the registered versions and the champion pointer."""

from __future__ import annotations

import click

from training.commands.context import Pipeline, pass_pipeline
from training.errors import PipelineError


@click.command()
@pass_pipeline
def models(pipeline: Pipeline) -> None:
    """List model versions with their key metrics."""
    from model import registry
    from training.evaluate import fmt

    versions = registry.list_versions(pipeline.layout.models)
    if not versions:
        click.echo("no model version yet: run `immoval train`")
        return
    click.echo(
        f"{'':2}{'version':<20} {'data until':<11} {'test period':<23} "
        f"{'MdAPE':>7} {'PE10':>7} {'PE20':>7} {'cover':>7}"
    )
    for v in versions:
        if v["error"]:
            click.echo(f"{'*' if v['champion'] else ' ':2}{v['version']:<20} {v['error']}")
            continue
        period = "–".join(v["test_period"] or ["?", "?"])
        click.echo(
            f"{'*' if v['champion'] else ' ':2}{v['version']:<20} {v['data_until'] or '':<11} "
            f"{period:<23} {fmt('mdape', v['mdape']):>7} {fmt('pe10', v['pe10']):>7} "
            f"{fmt('pe20', v['pe20']):>7} {fmt('coverage', v['coverage']):>7}"
        )


@click.command()
@click.argument("version")
@click.option(
    "--force", is_flag=True, help="Promote even if worse than the champion (or not comparable)."
)
@pass_pipeline
def promote(pipeline: Pipeline, version: str, force: bool) -> None:
    """Serve VERSION: move the champion pointer (guarded against a worse model).

    The bundle must match its checksums and price two homes in a child process first,
    with or without --force.
    """
    from model import probe, registry

    try:
        previous = registry.promote(pipeline.layout.models, version, force=force)
    except registry.BadVersion as exc:
        raise PipelineError(str(exc)) from exc
    except registry.PromotionRefused as exc:
        raise PipelineError(f"promotion of {version} refused: {exc}") from exc
    except probe.BundleUnusable as exc:
        message = f"promotion of {version} refused, the bundle cannot serve: {exc}"
        raise PipelineError(message) from exc
    click.echo(f"champion: {version} (was {previous or 'none'})")
