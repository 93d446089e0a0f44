"""The model store's hot switch: load aside, swap at once, never leave a request without a model.

The loading of bundles is replaced by a slow stand-in here; the real bundles are switched
under load by tests/integration/test_api_gunicorn.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from app.model_store import ModelStore, ModelUnavailable


class FakeBundles(ModelStore):
    """A store whose pointer and bundles live in memory; loading takes `load_seconds`."""

    def __init__(self, load_seconds: float = 0.0):
        super().__init__("/nonexistent", check_seconds=0.0)
        self.champion: str | None = None
        self.load_seconds = load_seconds
        self.broken: set[str] = set()
        self.unusable: set[str] = set()
        self.loads: list[str] = []

    def _champion_version(self):
        return self.champion

    def _load(self, version):
        self.loads.append(version)
        time.sleep(self.load_seconds)
        if version in self.broken:
            raise ValueError(f"corrupt bundle {version}")
        return f"estimator {version}"

    def _check(self, version, estimator):
        if version in self.unusable:
            raise RuntimeError(f"{version} loads but cannot estimate")


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_no_champion_means_unavailable():
    store = FakeBundles()
    with pytest.raises(ModelUnavailable):
        store.get()


def test_the_first_model_loads_in_the_request():
    store = FakeBundles()
    store.champion = "v1"
    assert store.get() == "estimator v1" and store.version == "v1"


def test_a_new_champion_loads_aside_while_the_old_one_answers():
    store = FakeBundles(load_seconds=0.3)
    store.champion = "v1"
    store.get()
    store.champion = "v2"
    started = time.monotonic()
    answers = [store.get() for _ in range(5)]
    assert time.monotonic() - started < 0.2, "requests must not wait for the new bundle"
    assert set(answers) == {"estimator v1"}
    wait_until(lambda: store.get() == "estimator v2")
    assert store.loads == ["v1", "v2"]  # loaded once, not once per request


def test_concurrent_requests_during_a_switch_all_get_a_model():
    store = FakeBundles(load_seconds=0.2)
    store.champion = "v1"
    store.get()
    seen, errors = [], []

    def request_loop():
        for _ in range(200):
            try:
                seen.append(store.get())
            except Exception as exc:  # noqa: BLE001 - any failure fails the test
                errors.append(exc)
            time.sleep(0.002)

    threads = [threading.Thread(target=request_loop) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    store.champion = "v2"
    for t in threads:
        t.join()
    assert not errors
    assert set(seen) == {"estimator v1", "estimator v2"}
    assert store.loads.count("v2") == 1


def test_a_bundle_that_fails_to_load_leaves_the_old_model_serving():
    store = FakeBundles()
    store.champion = "v1"
    store.get()
    store.broken.add("v2")
    store.champion = "v2"
    store.get()
    wait_until(lambda: store._failed is not None)
    assert store.get() == "estimator v1"
    assert store.loads.count("v2") == 1  # not retried on every request


def test_a_vanished_pointer_keeps_the_current_model():
    store = FakeBundles()
    store.champion = "v1"
    store.get()
    store.champion = None
    assert store.get() == "estimator v1"


def test_a_bundle_that_loads_but_cannot_estimate_is_not_switched_to():
    store = FakeBundles()
    store.champion = "v1"
    store.get()
    store.unusable.add("v2")
    store.champion = "v2"
    store.get()
    wait_until(lambda: store._failed is not None)
    assert store.get() == "estimator v1" and store.version == "v1"


class WithFallbacks(FakeBundles):
    def __init__(self, fallbacks):
        super().__init__()
        self.fallback_versions = fallbacks

    def _fallbacks(self, broken):
        return [v for v in self.fallback_versions if v != broken]


def test_a_start_with_a_broken_champion_serves_the_last_good_version(caplog):
    store = WithFallbacks(["v2", "v1"])
    store.champion = "v3"
    store.broken |= {"v3", "v2"}
    with caplog.at_level("INFO", logger="app.model_store"):
        assert store.get() == "estimator v1" and store.version == "v1"
    messages = [r.getMessage() for r in caplog.records]
    assert any("champion v3" in m and "corrupt bundle v3" in m for m in messages), messages
    assert any("v2 either" in m for m in messages), messages
    assert any("serving model v1, the last good version" in m for m in messages), messages
    # The broken champion is not tried again on every request.
    store.get()
    assert store.loads == ["v3", "v2", "v1"]


def test_a_start_with_nothing_servable_is_unavailable():
    store = WithFallbacks(["v1"])
    store.champion = "v2"
    store.broken |= {"v1", "v2"}
    with pytest.raises(ModelUnavailable, match="v2 cannot be loaded"):
        store.get()


def test_a_failed_switch_is_logged_with_version_and_why(caplog):
    store = FakeBundles()
    store.champion = "v1"
    store.get()
    store.broken.add("v2")
    store.champion = "v2"
    with caplog.at_level("INFO", logger="app.model_store"):
        store.get()
        wait_until(lambda: store._failed is not None)
        store.broken.clear()
        store.champion = "v3"
        store.get()
        wait_until(lambda: store.version == "v3")
    messages = [r.getMessage() for r in caplog.records]
    assert "cannot load model v2: ValueError: corrupt bundle v2; still serving v1" in messages
    assert "switched to model v3 (was v1)" in messages


def test_the_after_swap_hook_runs_once_the_new_model_is_served_and_not_after_a_failure():
    store = FakeBundles()
    store.champion = "v1"
    store.get()
    seen = []
    store.after_swap = lambda: seen.append(store.get())
    store.broken.add("v2")
    store.champion = "v2"
    store.get()
    wait_until(lambda: store.loads == ["v1", "v2"] and store._loading is None)
    assert seen == []  # the old model still serves: nothing to settle
    store.champion = "v3"
    wait_until(lambda: store.get() == "estimator v3")
    wait_until(lambda: seen)
    assert seen == ["estimator v3"]
