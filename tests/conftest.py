"""Fixtures shared by every layer of tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real open data mirror (`../shared/data`, or IMMOVAL_TEST_DATA)."""
    path = Path(os.environ.get("IMMOVAL_TEST_DATA") or ROOT.parent / "shared" / "data").resolve()
    if not (path / "geo-dvf").is_dir():
        pytest.fail(f"real data mirror not found at {path}: set IMMOVAL_TEST_DATA")
    return path
