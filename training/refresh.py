"""`immoval refresh`'s core: fetch → prepare → train → compare → promote, one at a time.

- **One refresh at a time per home**: an exclusive `flock` on `IMMOVAL_HOME/refresh.lock`
  (released by the kernel when the process ends, however it ends). A second refresh
  waits for it (`wait`) or stops with `Locked`, naming the holder.
- **Resumable, idempotent**: `refresh/state.json` records each step of the current run
  (`running`, `done` with its inputs' fingerprint and its outputs, `failed`), written
  atomically. A step whose inputs are those of its last completion is skipped; fetch,
  whose inputs are the publishers' files, runs in every new run and is skipped only when
  an interrupted run resumes. A run ends when promote has decided.
- **Nothing half done is seen**: each step replaces its outputs atomically (fetch file by
  file, prepare's staging folder, the bundle's hidden folder, the champion pointer), so an
  interrupted step leaves the previous state serving; the site switches when the pointer
  moves (`app.model_store`), never before.

Steps' own output (progress bars, training log) goes to `refresh/<run>.log`; the caller
gets one summary line per step.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from training.errors import PipelineError

LOCK_FILE = "refresh.lock"
STATE_DIR = "refresh"
STATE_FILE = "state.json"
STEPS = ("fetch", "prepare", "train", "compare", "promote")
# Exit statuses of `immoval refresh` (1: a step failed; 2: a usage error, as click says).
EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_LOCKED = 0, 1, 3, 75


class Locked(PipelineError):
    """Another refresh holds the lock of this home."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fingerprint(*parts) -> str:
    """A short digest of JSON-able inputs."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def file_digest(path: Path) -> str | None:
    """sha256 of a file, None when absent."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return None


# --- the lock ----------------------------------------------------------------------------


def holder(home: Path) -> str:
    """Who holds the lock, as its holder wrote it."""
    try:
        info = json.loads((Path(home) / LOCK_FILE).read_text(encoding="utf-8"))
        return f"pid {info['pid']}, since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that did not say who it is"


@contextmanager
def lock(home: Path, wait: bool = False, waiting: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the home's refresh lock; `Locked` at once when taken, unless `wait`."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_FILE, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = holder(home)
            if not wait:
                raise Locked(
                    f"another refresh is running in {home} ({who}): nothing done; "
                    "wait for it, or run with --wait"
                ) from None
            waiting(f"refresh: waiting for the refresh running in {home} ({who})")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "since": now()}))
        handle.flush()
        yield


# --- the state ---------------------------------------------------------------------------


@dataclass
class State:
    """`refresh/state.json`: the current (or last) run and each step's record."""

    path: Path
    data: dict = field(default_factory=dict)

    @classmethod
    def load(cls, home: Path) -> State:
        path = Path(home) / STATE_DIR / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except ValueError as exc:
            raise PipelineError(f"{path} is unreadable ({exc}): remove it to start anew") from None
        return cls(path, data if isinstance(data, dict) else {})

    @property
    def steps(self) -> dict:
        return self.data.setdefault("steps", {})

    def begin(self, restart: bool = False) -> bool:
        """Start a run, or resume the interrupted one; True when resuming."""
        resuming = bool(self.data.get("run")) and not self.data.get("finished") and not restart
        if not resuming:
            # To the microsecond: two runs of the same second are two runs.
            run = datetime.now(UTC).isoformat(timespec="microseconds")
            self.data.update(run=run, finished=None, exit=None)
        self.data["resumed"] = now() if resuming else None
        self.save()
        return resuming

    def record(self, step: str, **entry) -> None:
        self.steps[step] = {"run": self.data["run"], "at": now(), **entry}
        self.save()

    def finish(self, status: int) -> None:
        self.data.update(finished=now(), exit=status)
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        staging.write_text(json.dumps(self.data, indent=1), encoding="utf-8")
        os.replace(staging, self.path)


# --- steps -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a step did: its summary line, its outputs, and the run's exit status if it ends
    the run here (the guard refused)."""

    summary: str
    outputs: dict = field(default_factory=dict)
    exit: int | None = None
    # Lines printed under the summary (the guard's comparison table).
    details: str = ""


@dataclass(frozen=True)
class Step:
    """A step: a fingerprint of its inputs (from the outputs of the steps before and its own
    last record) and its work. `per_run`: its inputs are outside (the publishers), so it
    runs again each run."""

    name: str
    inputs: Callable[[dict, dict | None], str]
    run: Callable[[dict], Outcome]
    per_run: bool = False


def skippable(step: Step, record: dict | None, inputs: str, run: str) -> bool:
    """Whether `record`, the step's last, lets it be skipped with these inputs."""
    if not record or record.get("status") != "done" or record.get("inputs") != inputs:
        return False
    return not step.per_run or record.get("run") == run


def run_steps(
    home: Path,
    steps: list[Step],
    *,
    restart: bool = False,
    echo: Callable[[str], None] = print,
) -> int:
    """Run (or skip) every step in order under the state of `home`; returns the exit status.
    Each step prints one line: `refresh <step>: <done|skipped|failed> …`. The caller holds
    the lock."""
    state = State.load(home)
    if state.begin(restart):
        echo(f"refresh: resuming the run of {state.data['run']}")
    log_path = state.path.parent / f"{state.data['run'].replace(':', '')}.log"
    outputs: dict = {}
    for step in steps:
        record = state.steps.get(step.name)
        try:
            inputs = step.inputs(outputs, record)
        except Exception as exc:  # noqa: BLE001 - e.g. an unreadable file: the step fails
            state.record(step.name, status="failed", error=f"{type(exc).__name__}: {exc}")
            echo(f"refresh {step.name}: failed: its inputs cannot be read ({exc})")
            return EXIT_FAILED
        if skippable(step, record, inputs, state.data["run"]):
            outputs.update(record.get("outputs") or {})
            echo(f"refresh {step.name}: skipped, inputs unchanged since {record['at']}: "
                 f"{record.get('summary')}")  # fmt: skip
            if record.get("details"):
                echo(record["details"])
            if record.get("exit") is not None:
                state.finish(record["exit"])
                return record["exit"]
            continue
        state.record(step.name, status="running", pid=os.getpid(), inputs=inputs)
        started = time.monotonic()
        try:
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"--- {step.name} at {now()}\n")
                log.flush()
                with redirect_stdout(log), redirect_stderr(log):
                    outcome = step.run(outputs)
        except BaseException as exc:  # an interruption is recorded too, then goes on
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            state.record(step.name, status="failed", inputs=inputs, error=why)
            echo(f"refresh {step.name}: failed after {time.monotonic() - started:.1f} s: "
                 f"{why} (log: {log_path})")  # fmt: skip
            if isinstance(exc, Exception):
                return EXIT_FAILED
            raise
        seconds = round(time.monotonic() - started, 1)
        state.record(step.name, status="done", inputs=inputs, outputs=outcome.outputs,
                     summary=outcome.summary, seconds=seconds, exit=outcome.exit,
                     details=outcome.details)  # fmt: skip
        outputs.update(outcome.outputs)
        echo(f"refresh {step.name}: done in {seconds} s: {outcome.summary}")
        if outcome.details:
            echo(outcome.details)
        if outcome.exit is not None:
            state.finish(outcome.exit)
            return outcome.exit
    state.finish(EXIT_OK)
    return EXIT_OK
