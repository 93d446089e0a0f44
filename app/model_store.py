"""The model being served: the champion bundle, loaded once, swapped when the pointer moves.

Each worker looks at `models/champion` at most every `MODEL_CHECK_SECONDS`. When it
names another version, a background thread loads that bundle while requests keep
being answered by the current one; then one assignment swaps them. A request holds
the estimator it started with, so nothing in flight is dropped or mixed. Under
gunicorn with `preload_app`, the first bundle is loaded in the master before the
fork (see `preload`), so workers share its memory; a bundle switched to later is
loaded by each worker until the next restart. (A gunicorn HUP would share it again
but closes keep-alive connections of the old workers: clients would see errors.)

Every load checks the bundle's files against their checksums before LightGBM parses
them (`model.integrity`) and prices two homes (`model.probe`). A new champion that fails
is logged with its version and why, and the current model keeps serving (tried again
after `RETRY_FAILED_SECONDS`). A start whose champion fails serves the last good version
(`model.registry.fallbacks`) and logs it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app

from model.settings import layout

log = logging.getLogger(__name__)

# How often a worker looks at the champion pointer (one small file read).
POINTER_CHECK_SECONDS = 2.0
# How long to wait before trying again a version whose bundle failed to load.
RETRY_FAILED_SECONDS = 60.0


class ModelUnavailable(RuntimeError):
    """No model has been trained and promoted yet."""


class ModelStore:
    """Holds the champion `Estimator`; reloads it when `models/champion` names another version."""

    def __init__(self, models_dir: Path, check_seconds: float = POINTER_CHECK_SECONDS):
        self.models_dir = Path(models_dir)
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._current: tuple[str, object] | None = None  # (version, estimator), swapped whole
        self._checked_at = 0.0
        self._loading: tuple[str, int] | None = None  # (version, pid of the loading process)
        self._failed: tuple[str, float] | None = None
        # Run in the loading thread after each swap (gunicorn: `app.memory.settle_long_lived`).
        self.after_swap: Callable[[], object] | None = None

    @property
    def version(self) -> str | None:
        current = self._current
        return current[0] if current else None

    def get(self):
        """The current estimator; raises `ModelUnavailable` when there is none."""
        current = self._current
        if current is None:
            return self._load_first()
        now = time.monotonic()
        if now - self._checked_at > self.check_seconds:
            self._checked_at = now
            self._switch_if_moved()
        return current[1]

    def _champion_version(self) -> str | None:
        from model.registry import read_champion

        return read_champion(self.models_dir)

    def _load(self, version: str):
        from model.estimator import Estimator

        return Estimator.load(self.models_dir / version)

    def _load_first(self):
        # Nothing to serve meanwhile: load in this request (others wait on the lock).
        with self._lock:
            if self._current is None:
                version = self._champion_version()
                if version is None:
                    raise ModelUnavailable("no model has been promoted yet: run `immoval train`")
                self._current = self._first_servable(version)
                self._checked_at = time.monotonic()
            return self._current[1]

    def _first_servable(self, champion: str) -> tuple[str, object]:
        """The champion, or when it cannot serve the last good version, saying so."""
        try:
            estimator = self._load_checked(champion)
        except Exception as exc:
            self._failed = (champion, time.monotonic())
            log.error("cannot load the champion %s: %s", champion, _why(exc), exc_info=_trace(exc))
        else:
            log.info("serving model %s", champion)
            return champion, estimator
        for version in self._fallbacks(champion):
            try:
                estimator = self._load_checked(version)
            except Exception as exc:
                log.error("cannot load model %s either: %s", version, _why(exc))
                continue
            log.warning(
                "serving model %s, the last good version, instead of the champion %s",
                version,
                champion,
            )
            return version, estimator
        raise ModelUnavailable(f"the champion {champion} cannot be loaded, nor any other version")

    def _fallbacks(self, broken: str) -> list[str]:
        from model.registry import fallbacks

        return fallbacks(self.models_dir, broken)

    def _load_checked(self, version: str):
        estimator = self._load(version)
        self._check(version, estimator)
        return estimator

    def _switch_if_moved(self) -> None:
        try:
            version = self._champion_version()
        except Exception:  # a pointer being rewritten must not fail a request
            log.exception("cannot read the champion pointer")
            return
        if version is None or version == self.version:
            return
        with self._lock:
            if self._loading is not None and self._loading[1] == os.getpid():
                return  # this process is already loading a version
            if (
                self._failed
                and self._failed[0] == version
                and (time.monotonic() - self._failed[1] < RETRY_FAILED_SECONDS)
            ):
                return
            self._loading = (version, os.getpid())
        threading.Thread(
            target=self._load_and_swap, args=(version,), name=f"load-model-{version}", daemon=True
        ).start()

    def _check(self, version: str, estimator) -> None:
        """Estimate two homes with a freshly loaded bundle; raises if it cannot serve.

        A bundle may load yet fail on every estimate (e.g. built by other feature code):
        better to keep serving the previous model than to answer 500s.
        """
        from model.probe import check_estimates

        check_estimates(self.models_dir / version, estimator)

    def _load_and_swap(self, version: str) -> None:
        try:
            estimator = self._load_checked(version)
        except Exception as exc:
            log.error(
                "cannot load model %s: %s; still serving %s",
                version,
                _why(exc),
                self.version,
                exc_info=_trace(exc),
            )
            self._failed = (version, time.monotonic())
        else:
            previous, self._current = self.version, (version, estimator)
            log.info("switched to model %s (was %s)", version, previous)
            if self.after_swap is not None:
                self.after_swap()
        finally:
            with self._lock:
                self._loading = None

    def wait_for(self, version: str, timeout: float = 30.0) -> bool:
        """Block until `version` is served (for tests and warm-up); whether it is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._checked_at = 0.0
            try:
                self.get()
            except ModelUnavailable:
                pass
            if self.version == version:
                return True
            time.sleep(0.05)
        return False


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def _trace(exc: Exception) -> bool:
    """A traceback only for the unexpected: a corrupt bundle is explained by its message."""
    from model.bundle import BundleError
    from model.integrity import CorruptBundle
    from model.probe import BundleUnusable

    return not isinstance(exc, BundleError | CorruptBundle | BundleUnusable)


def init_app(app: Flask) -> None:
    """Attach a model store to the app; the bundle loads on first use (or at preload)."""
    app.extensions["immoval.models"] = ModelStore(
        layout(app.config["HOME"]).models, float(app.config["MODEL_CHECK_SECONDS"])
    )


def preload(app: Flask) -> str | None:
    """Load the champion now (in gunicorn's master, before workers fork); its version."""
    store: ModelStore = app.extensions["immoval.models"]
    try:
        store.get()
    except ModelUnavailable:
        log.warning("no champion model yet: the API answers 503 until one is promoted")
    return store.version


def get_estimator():
    """The estimator serving the current request."""
    return current_app.extensions["immoval.models"].get()
