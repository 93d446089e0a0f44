"""`immoval refresh`: the scheduled data refresh (fetch → prepare → train → compare →
promote), locked, resumable, one summary line per step; see docs/REFRESH.md."""

from __future__ import annotations

import signal

import click

from training import settings as defaults
from training.commands.context import Pipeline, pass_pipeline
from training.errors import PipelineError


@click.command()
@click.option("--departements", default=None, metavar="CODES", help="As for `immoval fetch`.")
@click.option("--years", default=None, metavar="YEARS", help="DVF years, as for `immoval fetch`.")
@click.option("--source", default=None, metavar="PATH_OR_URL", help="A mirror (IMMOVAL_SOURCE).")
@click.option(
    "--refetch",
    is_flag=True,
    help="Download every file again (`fetch --force`): for sources republished in place.",
)
@click.option("--test-months", type=click.IntRange(1, 60), default=12, show_default=True)
@click.option(
    "--n-estimators",
    type=click.IntRange(1, defaults.MAX_ESTIMATORS),
    default=None,
    help="Boosting rounds (default: IMMOVAL_N_ESTIMATORS, else the training default).",
)
@click.option("--seed", type=int, default=defaults.SEED, show_default=True)
@click.option("--wait", is_flag=True, help="If another refresh runs here, wait for it to end.")
@click.option(
    "--restart", is_flag=True, help="Start a new run even if the last one was interrupted."
)
@click.pass_context
@pass_pipeline
def refresh(pipeline: Pipeline, ctx: click.Context, **options) -> None:
    """Fetch, prepare, train, compare with the champion and promote if the guard passes.

    A step whose inputs did not change since it last completed is skipped; an interrupted
    run resumes where it stopped. Exit status: 0 done (promoted, or nothing new), 1 a
    step failed, 3 the guard refused the challenger (the champion keeps serving), 75
    another refresh holds the lock (without --wait).
    """
    from training import refresh as core

    # systemd stops a unit with SIGTERM: end like Ctrl-C, so that every step's clean-up runs.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with core.lock(pipeline.layout.home, wait=options["wait"], waiting=click.echo):
            status = core.run_steps(
                pipeline.layout.home,
                steps(pipeline, options),
                restart=options["restart"],
                echo=click.echo,
            )
    except core.Locked as exc:
        click.echo(f"refresh: {exc}", err=True)
        ctx.exit(core.EXIT_LOCKED)
    click.echo(f"refresh: exit {status}")
    ctx.exit(status)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def steps(pipeline: Pipeline, options: dict) -> list:
    """The five steps over this home, with the command's options."""
    from model import registry
    from training import guard
    from training import refresh as core
    from training.commands.fetch import run_fetch
    from training.commands.models import explain
    from training.commands.train import run_train
    from training.evaluate import fmt
    from training.fetch.run import CURRENT, FETCHED, MISSING, SKIPPED
    from training.prepare import run_prepare

    paths = pipeline.layout
    fetch_options = {k: options[k] for k in ("departements", "years", "source", "refetch")}
    train_options = {k: options[k] for k in ("test_months", "n_estimators", "seed")}

    def fetch(outputs):
        summary = run_fetch(
            pipeline,
            departements=options["departements"],
            years=options["years"],
            force=options["refetch"],
            source=options["source"],
        )
        if summary.failures:
            names = ", ".join(o.item.title for o in summary.failures[:3])
            raise PipelineError(f"{len(summary.failures)} file(s) failed: {names}")
        counts = ", ".join(f"{summary.count(s)} {s}" for s in (FETCHED, CURRENT, SKIPPED, MISSING))
        return core.Outcome(counts, {"raw": core.file_digest(paths.raw / "manifest.json")})

    def prepare(outputs):
        prepared = run_prepare(paths)
        summary = (
            "inputs unchanged since the last prepare"
            if prepared is None
            else f"{prepared.sales} sales, {len(prepared.rejected)} rejected rows"
        )
        digest = core.file_digest(paths.prepared / "manifest.json")
        return core.Outcome(summary, {"prepared": digest})

    def train_inputs(outputs, record):
        trained = (record or {}).get("outputs") or {}
        if trained.get("version") and not (paths.models / trained["version"]).is_dir():
            return "version removed"
        champion = registry.read_champion(paths.models)
        if champion is not None and champion == trained.get("version"):
            champion = trained.get("against")  # promoted since: still the same inputs
        return core.fingerprint(outputs.get("prepared"), train_options, champion)

    def train(outputs):
        against = registry.read_champion(paths.models)
        path = run_train(pipeline, **train_options)
        overall = registry.read_metadata(paths.models, path.name)["evaluation"]["results"]
        overall = overall["model"]["overall"]
        figures = ", ".join(f"{k} {fmt(k, overall.get(k))}" for k in ("mdape", "pe10", "coverage"))
        summary = f"registered {path.name} ({figures})"
        return core.Outcome(summary, {"version": path.name, "against": against})

    def compare(outputs):
        version = outputs["version"]
        champion = registry.read_champion(paths.models)
        if champion == version:
            return core.Outcome(f"{version} is the champion", {"passed": True})
        if champion is None:
            return core.Outcome("no champion yet", {"passed": True})
        text, passed = explain(pipeline, version)
        meta = registry.read_metadata(paths.models, version)
        old = registry.read_metadata(paths.models, champion)
        summary = guard.decide(meta, old, version, champion).summary
        return core.Outcome(summary, {"passed": passed}, details=text)

    def promote(outputs):
        version, champion = outputs["version"], registry.read_champion(paths.models)
        if champion == version:
            return core.Outcome(f"nothing to do: {version} is served")
        if not outputs.get("passed"):
            return core.Outcome(
                f"refused: {champion} keeps serving, {version} stays registered "
                f"(immoval promote {version} --force to serve it anyway)",
                exit=core.EXIT_REFUSED,
            )
        previous = registry.promote(paths.models, version, guard=guard.check)
        return core.Outcome(f"champion: {version} (was {previous or 'none'})")

    def current(outputs, record):
        return core.fingerprint(outputs.get("version"), registry.read_champion(paths.models))

    return [
        core.Step("fetch", lambda outputs, record: core.fingerprint(fetch_options), fetch, True),
        core.Step("prepare", lambda outputs, record: core.fingerprint(outputs["raw"]), prepare),
        core.Step("train", train_inputs, train),
        core.Step("compare", current, compare),
        core.Step("promote", lambda o, r: core.fingerprint(current(o, r), o["passed"]), promote),
    ]
