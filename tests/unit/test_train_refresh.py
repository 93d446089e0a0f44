"""The refresh's steps, state and lock (`training.refresh`) with steps that only count."""

from __future__ import annotations

import json

import pytest

from training import refresh as core


def _steps(calls, fail_at=None, inputs=None, exit_at=None):
    inputs = inputs or {}

    def step(name, per_run=False):
        def run(outputs):
            calls.append(name)
            print(f"{name} talks a lot")  # goes to the run's log, not to the caller
            if name == fail_at:
                raise RuntimeError(f"{name} broke")
            return core.Outcome(f"{name} ok", {name: len(calls)},
                                exit=3 if name == exit_at else None)  # fmt: skip

        return core.Step(name, lambda outputs, record: inputs.get(name, "same"), run, per_run)

    return [step("fetch", per_run=True), step("prepare"), step("train")]


def test_a_failed_run_resumes_where_it_stopped_and_the_next_run_refetches(tmp_path, capsys):
    calls: list[str] = []
    lines: list[str] = []
    status = core.run_steps(tmp_path, _steps(calls, fail_at="train"), echo=lines.append)
    assert status == core.EXIT_FAILED and calls == ["fetch", "prepare", "train"]
    assert lines[-1].startswith("refresh train: failed after") and "train broke" in lines[-1]
    state = json.loads((tmp_path / "refresh" / "state.json").read_text())
    assert state["steps"]["train"]["status"] == "failed" and not state["finished"]
    assert "talks a lot" not in capsys.readouterr().out

    calls.clear(), lines.clear()
    assert core.run_steps(tmp_path, _steps(calls), echo=lines.append) == core.EXIT_OK
    assert calls == ["train"]  # resumed: fetch and prepare done in this run
    assert lines[0].startswith("refresh: resuming") and "fetch: skipped" in lines[1]

    calls.clear()
    assert core.run_steps(tmp_path, _steps(calls), echo=lines.append) == core.EXIT_OK
    assert calls == ["fetch"]  # a new run fetches again; the rest is unchanged
    calls.clear()
    core.run_steps(tmp_path, _steps(calls, inputs={"prepare": "new data"}), echo=lines.append)
    assert calls == ["fetch", "prepare"]


def test_a_step_ending_the_run_keeps_its_status_when_skipped(tmp_path):
    calls: list[str] = []
    assert core.run_steps(tmp_path, _steps(calls, exit_at="prepare"), echo=print) == 3
    assert calls == ["fetch", "prepare"]
    calls.clear()
    assert core.run_steps(tmp_path, _steps(calls, exit_at="prepare"), echo=print) == 3
    assert calls == ["fetch"]


def test_an_interruption_is_recorded_and_raised(tmp_path):
    def interrupted(outputs):
        raise KeyboardInterrupt

    steps = [core.Step("train", lambda o, r: "x", interrupted)]
    with pytest.raises(KeyboardInterrupt):
        core.run_steps(tmp_path, steps, echo=print)
    state = json.loads((tmp_path / "refresh" / "state.json").read_text())
    assert state["steps"]["train"]["status"] == "failed"


def test_the_lock_refuses_a_second_holder_with_who_holds_it(tmp_path):
    with core.lock(tmp_path):
        with pytest.raises(core.Locked, match=r"another refresh is running .*\(pid \d+, since"):
            with core.lock(tmp_path):
                pass
    with core.lock(tmp_path):  # released
        pass


def test_an_unreadable_state_is_an_error_not_a_fresh_start(tmp_path):
    (tmp_path / "refresh").mkdir()
    (tmp_path / "refresh" / "state.json").write_text("{cut")
    with pytest.raises(core.PipelineError, match="unreadable"):
        core.run_steps(tmp_path, _steps([]), echo=print)
