"""Pipeline settings: code defaults, overridden by `IMMOVAL_*` variables, checked once."""

from __future__ import annotations

import pytest

from training import settings
from training.errors import PipelineError, SettingsError
from training.fetch.run import Settings as FetchSettings
from training.settings import PipelineSettings


def test_defaults_without_any_variable():
    got = PipelineSettings.from_env({})
    assert got == PipelineSettings()
    assert got.source is None and got.n_estimators == settings.N_ESTIMATORS == 300
    assert got.train_threads == 1 and got.fetch_retries == 4
    assert (got.fetch_timeout, got.fetch_backoff, got.fetch_deadline) == (60.0, 1.0, 1800.0)
    # The fetch run has the same defaults: written once, in training.settings.
    fetch = FetchSettings(raw_dir=None)
    assert (fetch.timeout, fetch.retries, fetch.backoff, fetch.deadline) == (
        got.fetch_timeout,
        got.fetch_retries,
        got.fetch_backoff,
        got.fetch_deadline,
    )


def test_every_variable_is_read():
    got = PipelineSettings.from_env(
        {
            "IMMOVAL_SOURCE": "../shared/data",
            "IMMOVAL_FETCH_TIMEOUT": "2.5",
            "IMMOVAL_FETCH_RETRIES": " 0 ",
            "IMMOVAL_FETCH_BACKOFF": "0",
            "IMMOVAL_FETCH_DEADLINE": "30",
            "IMMOVAL_N_ESTIMATORS": "60",
            "IMMOVAL_TRAIN_THREADS": "2",
        }
    )
    assert got == PipelineSettings("../shared/data", 2.5, 0, 0.0, 30.0, 60, 2)
    assert isinstance(got.fetch_retries, int) and isinstance(got.fetch_timeout, float)


def test_empty_values_mean_the_defaults_and_a_zero_deadline_no_limit():
    got = PipelineSettings.from_env(
        {"IMMOVAL_SOURCE": "", "IMMOVAL_FETCH_TIMEOUT": " ", "IMMOVAL_FETCH_DEADLINE": "0"}
    )
    assert got.source is None and got.fetch_timeout == 60.0
    assert got.fetch_deadline is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("IMMOVAL_FETCH_TIMEOUT", "abc", "IMMOVAL_FETCH_TIMEOUT='abc' is not a non-negative float"),
        ("IMMOVAL_FETCH_RETRIES", "1.5", "IMMOVAL_FETCH_RETRIES='1.5' is not a non-negative int"),
        ("IMMOVAL_FETCH_BACKOFF", "-1", "IMMOVAL_FETCH_BACKOFF='-1' is not a non-negative float"),
        ("IMMOVAL_TRAIN_THREADS", "two", "IMMOVAL_TRAIN_THREADS='two' is not a non-negative int"),
        ("IMMOVAL_N_ESTIMATORS", "0", "IMMOVAL_N_ESTIMATORS=0 is not between 1 and 20000"),
        ("IMMOVAL_N_ESTIMATORS", "20001", "is not between 1 and 20000"),
    ],
)
def test_bad_values_are_named(name, value, message):
    with pytest.raises(SettingsError, match=message) as raised:
        PipelineSettings.from_env({name: value})
    assert isinstance(raised.value, PipelineError)


def test_train_threads_alone_ignores_the_other_variables(monkeypatch):
    monkeypatch.setenv("IMMOVAL_FETCH_TIMEOUT", "not read here")
    monkeypatch.setenv("IMMOVAL_TRAIN_THREADS", "3")
    assert settings.train_threads() == 3
    assert settings.train_threads({}) == 1
