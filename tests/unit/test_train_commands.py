"""The command layer: the Pipeline it passes, the one translation of errors, `immoval up`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from model.settings import layout
from training.cli import main
from training.commands import up as up_module
from training.commands.context import Pipeline, pass_pipeline
from training.errors import PipelineError, SettingsError
from training.fetch.run import FAILED, FETCHED, Outcome, Summary
from training.settings import PipelineSettings


def _group_with(command: click.Command) -> click.Group:
    """`immoval` with one more command, as a plugin would add it."""
    group = click.Group("immoval", params=main.params, callback=main.callback)
    group.add_command(command)
    return group


def test_a_pipeline_error_is_a_click_error_with_its_message(tmp_path):
    @click.command("fail")
    @pass_pipeline
    def fail(pipeline: Pipeline) -> None:
        raise PipelineError(f"nothing under {pipeline.layout.raw}: run `immoval fetch` first")

    result = CliRunner().invoke(_group_with(fail), ["--home", str(tmp_path), "fail"])
    assert result.exit_code == 1
    assert result.output == f"Error: nothing under {tmp_path / 'raw'}: run `immoval fetch` first\n"


def test_a_settings_error_is_a_usage_error(tmp_path, monkeypatch):
    @click.command("read")
    @pass_pipeline
    def read(pipeline: Pipeline) -> None:
        click.echo(pipeline.settings)

    monkeypatch.setenv("IMMOVAL_FETCH_BACKOFF", "-1")
    result = CliRunner().invoke(_group_with(read), ["--home", str(tmp_path), "read"])
    assert result.exit_code == 2
    assert "Usage: immoval read" in result.output
    assert "Error: IMMOVAL_FETCH_BACKOFF='-1' is not a non-negative float" in result.output
    assert not issubclass(SettingsError, click.ClickException)


def test_the_core_does_not_import_click():
    code = (
        "import sys\n"
        "import training.train, training.backtest, training.calibration, training.metadata\n"
        "import training.prepare, training.predict, training.addresses, training.fetch.run\n"
        "print('click' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_pipeline_is_the_layout_settings_and_the_home_mapping_of_the_apps_commands():
    pipeline = Pipeline(layout("/srv/immoval"), PipelineSettings(n_estimators=7))
    assert pipeline.layout.models == Path("/srv/immoval/models")
    assert pipeline.settings.n_estimators == 7
    # app/cli.py reads `(ctx.obj or {}).get("home")`.
    assert (
        pipeline
        and pipeline.get("home") == "/srv/immoval"
        and dict(pipeline) == {"home": "/srv/immoval"}
    )
    with pytest.raises(KeyError):
        pipeline["models"]


def test_settings_are_read_once_on_first_use(monkeypatch):
    pipeline = Pipeline(layout("/tmp/x"))
    monkeypatch.setenv("IMMOVAL_N_ESTIMATORS", "11")
    assert pipeline.settings.n_estimators == 11
    monkeypatch.setenv("IMMOVAL_N_ESTIMATORS", "12")
    assert pipeline.settings.n_estimators == 11


def test_a_command_under_another_group_gets_the_home_of_its_mapping(tmp_path):
    seen = []

    @click.command("where")
    @pass_pipeline
    def where(pipeline: Pipeline) -> None:
        seen.append(pipeline.layout.home)

    @click.group()
    @click.pass_context
    def other(ctx):
        ctx.obj = {"home": str(tmp_path)}

    other.add_command(where)
    result = CliRunner().invoke(other, ["where"])
    assert result.exit_code == 0, result.output
    assert seen == [tmp_path]


class Steps:
    """What `immoval up` ran, with the fetch's outcome chosen by the test."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.fetch_status = FETCHED

    def fetch(self, pipeline: Pipeline, departements: str) -> Summary:
        self.calls.append(("fetch", departements, pipeline.layout.home))
        return Summary([Outcome(item=None, status=self.fetch_status)])


@pytest.fixture()
def steps(monkeypatch) -> Steps:
    """`immoval up` with its steps recorded instead of run."""
    steps = Steps()
    monkeypatch.setattr(up_module, "run_fetch", steps.fetch)
    monkeypatch.setattr(up_module, "run_prepare", lambda p: steps.calls.append(("prepare",)))
    monkeypatch.setattr(up_module, "run_train", lambda p: steps.calls.append(("train",)))
    return steps


@pytest.fixture()
def group():
    """`immoval` whose `serve` records its port instead of starting gunicorn."""
    served = []

    @click.command("serve")
    @click.option("--port", type=int)
    def serve(port):
        served.append(port)

    group = _group_with(up_module.up)
    group.add_command(serve)
    group.served = served
    return group


def test_up_runs_the_steps_then_serves(tmp_path, steps, group):
    result = CliRunner().invoke(
        group, ["--home", str(tmp_path), "up", "--departements", "75", "--port", "8123"]
    )
    assert result.exit_code == 0, result.output
    assert steps.calls == [("fetch", "75", tmp_path), ("prepare",), ("train",)]
    assert group.served == [8123]
    assert [line for line in result.output.splitlines() if line.startswith("immoval up")] == [
        "immoval up: fetch",
        "immoval up: prepare",
        "immoval up: train",
        "immoval up: serve",
    ]


def test_up_keeps_the_champion_unless_retrain(tmp_path, steps, group):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "champion").write_text("v1")
    result = CliRunner().invoke(group, ["--home", str(tmp_path), "up"])
    assert result.exit_code == 0, result.output
    assert ("train",) not in steps.calls
    assert "a champion model exists; not retraining (use --retrain)." in result.output
    steps.calls.clear()
    result = CliRunner().invoke(group, ["--home", str(tmp_path), "up", "--retrain"])
    assert ("train",) in steps.calls and result.exit_code == 0


def test_up_stops_when_a_file_could_not_be_fetched(tmp_path, steps, group):
    steps.fetch_status = FAILED
    result = CliRunner().invoke(group, ["--home", str(tmp_path), "up"])
    assert result.exit_code == 1
    assert steps.calls == [("fetch", "34,59,75,76", tmp_path)] and group.served == []


def test_up_without_the_app_stops_before_serving(tmp_path, steps):
    result = CliRunner().invoke(_group_with(up_module.up), ["--home", str(tmp_path), "up"])
    assert result.exit_code == 0, result.output
    assert "immoval up: step 'serve' is not available; stopped before it." in result.output
