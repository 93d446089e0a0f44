"""The pipeline's settings: code defaults, then `IMMOVAL_*` environment variables.

Read once per run (`PipelineSettings.from_env`), then passed to the steps. The folder
layout (`IMMOVAL_HOME`) is shared with the app and stays in `model.settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from training.errors import SettingsError

N_ESTIMATORS = 300
SEED = 20240101
# One thread by default: on a shared 2-core machine, LightGBM's two threads wait on each
# other whenever one is descheduled (measured 5x slower than one thread under load).
# IMMOVAL_TRAIN_THREADS=2 on a dedicated machine.
TRAIN_THREADS = 1
FETCH_TIMEOUT = 60.0
FETCH_RETRIES = 4
FETCH_BACKOFF = 1.0
# Generous: the biggest files (BAN, SSMSI Parquet) are ~100 MB, i.e. 55 kB/s at least.
FETCH_DEADLINE = 1800.0
MAX_ESTIMATORS = 20_000


@dataclass(frozen=True)
class PipelineSettings:
    """What the steps read from the environment, with the code defaults."""

    # A mirror (folder or http(s) URL laid out like ../shared/data); None: the publishers.
    source: str | None = None
    fetch_timeout: float = FETCH_TIMEOUT
    fetch_retries: int = FETCH_RETRIES
    fetch_backoff: float = FETCH_BACKOFF
    # Seconds one file may take, retries included; None: no limit.
    fetch_deadline: float | None = FETCH_DEADLINE
    n_estimators: int = N_ESTIMATORS
    train_threads: int = TRAIN_THREADS
    # A dask.distributed scheduler's address: prepare and train run on its cluster.
    dask_scheduler: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PipelineSettings:
        """The settings of `environ` (default: the process environment); `SettingsError`."""
        env = os.environ if environ is None else environ
        n_estimators = env_number(env, "IMMOVAL_N_ESTIMATORS", int, N_ESTIMATORS)
        if not 1 <= n_estimators <= MAX_ESTIMATORS:
            raise SettingsError(
                f"IMMOVAL_N_ESTIMATORS={n_estimators} is not between 1 and {MAX_ESTIMATORS}"
            )
        return cls(
            source=env.get("IMMOVAL_SOURCE") or None,
            fetch_timeout=env_number(env, "IMMOVAL_FETCH_TIMEOUT", float, FETCH_TIMEOUT),
            fetch_retries=env_number(env, "IMMOVAL_FETCH_RETRIES", int, FETCH_RETRIES),
            fetch_backoff=env_number(env, "IMMOVAL_FETCH_BACKOFF", float, FETCH_BACKOFF),
            # 0 lifts the limit.
            fetch_deadline=env_number(env, "IMMOVAL_FETCH_DEADLINE", float, FETCH_DEADLINE) or None,
            n_estimators=n_estimators,
            train_threads=train_threads(env),
            dask_scheduler=env.get("IMMOVAL_DASK_SCHEDULER", "").strip() or None,
        )


def train_threads(environ: Mapping[str, str] | None = None) -> int:
    """LightGBM threads of a training run (`IMMOVAL_TRAIN_THREADS`, 0: OpenMP's default)."""
    env = os.environ if environ is None else environ
    return env_number(env, "IMMOVAL_TRAIN_THREADS", int, TRAIN_THREADS)


def env_number(environ: Mapping[str, str], name: str, cast: type, default: float) -> float:
    """A non-negative number from the environment, or `default` when unset or empty."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = cast(text)
    except ValueError:
        value = -1
    if value < 0:
        raise SettingsError(f"{name}={text!r} is not a non-negative {cast.__name__}")
    return value


def surroundings_groups(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The surroundings groups the model uses (`IMMOVAL_SURROUNDINGS`: "transport,income",
    "all", "none"; unset: the default groups of `model.features`); `SettingsError` on a bad one."""
    from model.features import DEFAULT_SURROUNDINGS, SURROUNDINGS_GROUPS

    env = os.environ if environ is None else environ
    text = env.get("IMMOVAL_SURROUNDINGS", "").strip().lower()
    if not text:
        return tuple(DEFAULT_SURROUNDINGS)
    if text == "none":
        return ()
    if text == "all":
        return tuple(SURROUNDINGS_GROUPS)
    groups = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [group for group in groups if group not in SURROUNDINGS_GROUPS]
    if unknown:
        raise SettingsError(
            f"IMMOVAL_SURROUNDINGS: unknown group(s) {', '.join(unknown)}; valid: "
            f"{', '.join(SURROUNDINGS_GROUPS)} or none"
        )
    return groups
