"""The model being served: the champion bundle, loaded once, swapped when the pointer moves."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from flask import Flask, current_app

from model.settings import layout

# How often a worker looks at the champion pointer (one stat call).
POINTER_CHECK_SECONDS = 2.0


class ModelUnavailable(RuntimeError):
    """No model has been trained and promoted yet."""


class ModelStore:
    """Holds the champion `Estimator`; reloads it when `models/champion` names another version."""

    def __init__(self, models_dir: Path):
        self.models_dir = Path(models_dir)
        self._lock = threading.Lock()
        self._estimator = None
        self._version: str | None = None
        self._checked_at = 0.0

    def _champion_version(self) -> str | None:
        from model.registry import read_champion

        return read_champion(self.models_dir)

    def get(self):
        """The current estimator; raises `ModelUnavailable` when there is none."""
        now = time.monotonic()
        if self._estimator is None or now - self._checked_at > POINTER_CHECK_SECONDS:
            self._refresh(now)
        if self._estimator is None:
            raise ModelUnavailable("no model has been promoted yet: run `immoval train`")
        return self._estimator

    def _refresh(self, now: float) -> None:
        with self._lock:
            self._checked_at = now
            version = self._champion_version()
            if version is None or version == self._version:
                return
            from model.estimator import Estimator

            # Load fully before swapping: requests in flight keep the old estimator.
            estimator = Estimator.load(self.models_dir / version)
            self._estimator, self._version = estimator, version


def init_app(app: Flask) -> None:
    """Attach a model store to the app; the bundle loads on first use (or at preload)."""
    app.extensions["immoval.models"] = ModelStore(layout(app.config["HOME"]).models)


def get_estimator():
    """The estimator serving the current request."""
    return current_app.extensions["immoval.models"].get()
