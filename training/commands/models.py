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

    The guard compares VERSION with the champion on the same newest sales (the champion
    as deployed, see `immoval train`) and prints what it compared and why it decides.
    The bundle must match its checksums and price two homes in a child process first,
    with or without --force (which is recorded in models/promotions.jsonl).
    """
    decision = run_promote(pipeline, version, force=force)
    click.echo(decision)


def explain(pipeline: Pipeline, version: str) -> tuple[str, bool]:
    """The guard's table and verdict for VERSION against the champion, and whether it passes
    (a champion whose metadata cannot be read: not comparable)."""
    from model import registry
    from training import guard

    models = pipeline.layout.models
    try:
        candidate = registry.read_metadata(models, version)
    except registry.BadVersion as exc:
        raise PipelineError(str(exc)) from exc
    champion = registry.read_champion(models)
    if champion is None or champion == candidate.get("version", version):
        return ("guard: no champion yet" if champion is None else "guard: already served"), True
    try:
        old = registry.read_metadata(models, champion)
    except registry.BadVersion as exc:
        return f"guard: cannot compare with the champion: {exc}", False
    decision = guard.decide(candidate, old, version, champion)
    return decision.explain(), decision.passed


def run_promote(pipeline: Pipeline, version: str, force: bool = False) -> str:
    """Promote VERSION (guard explained on stdout); returns the line saying what is served.
    `PipelineError` when refused or the bundle cannot serve."""
    from model import probe, registry
    from training import guard

    explanation, passed = explain(pipeline, version)
    click.echo(explanation)
    if force and not passed:
        click.echo(f"--force: promoting {version} although the guard refuses (recorded)")
    try:
        previous = registry.promote(pipeline.layout.models, version, force=force, guard=guard.check)
    except registry.BadVersion as exc:
        raise PipelineError(str(exc)) from exc
    except registry.PromotionRefused as exc:
        raise PipelineError(f"promotion of {version} refused: {exc}") from exc
    except probe.BundleUnusable as exc:
        message = f"promotion of {version} refused, the bundle cannot serve: {exc}"
        raise PipelineError(message) from exc
    return f"champion: {version} (was {previous or 'none'})"
