"""Where immoval keeps its data, and the settings every part reads.

Code defaults, overridden by `IMMOVAL_*` environment variables. Nothing here touches
the disk: directories are created by the step that writes into them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "var"
DEFAULT_DEPARTEMENTS = ("34", "59", "75", "76")


@dataclass(frozen=True)
class Layout:
    """The folders under `IMMOVAL_HOME`."""

    home: Path

    @property
    def raw(self) -> Path:
        """Downloaded files, exactly as published (never edited)."""
        return self.home / "raw"

    @property
    def prepared(self) -> Path:
        """Cleaned tables built by `immoval prepare`."""
        return self.home / "prepared"

    @property
    def reference(self) -> Path:
        """Prepared tables that serving needs; copied into every model bundle."""
        return self.prepared / "reference"

    @property
    def models(self) -> Path:
        """Registered model versions and the `champion` pointer."""
        return self.home / "models"


def home_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """The working directory: `IMMOVAL_HOME`, or `./var`."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("IMMOVAL_HOME") or DEFAULT_HOME)


def layout(home: str | Path | None = None) -> Layout:
    """The folder layout under `home` (default: `IMMOVAL_HOME`)."""
    return Layout(Path(home) if home is not None else home_from_env())
