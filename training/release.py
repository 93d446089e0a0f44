"""What a data release held, recorded in each version's metadata at training: the fetched
files and their vintages (`raw/manifest.json`) and prepare's cleaning counts
(`prepared/cleaning_report.json`). The model card and `immoval report` read them back, so
that a version still says what it was trained on after the next release replaced both."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

SOURCE_KEYS = ("group", "title", "period", "fetched_at", "sha256")


def _read(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def sources(raw_dir: Path) -> list[dict]:
    """The fetched files and their vintages (empty without a manifest)."""
    files = (_read(Path(raw_dir) / "manifest.json") or {}).get("files")
    if not isinstance(files, Mapping):
        return []
    return [
        {"path": path, **{k: entry.get(k) for k in SOURCE_KEYS}}
        for path, entry in sorted(files.items())
        if isinstance(entry, Mapping)
    ]


def cleaning_counts(prepared_dir: Path) -> list[dict]:
    """Rows and sales per rule × département × year of the last prepare (empty if none)."""
    counts = (_read(Path(prepared_dir) / "cleaning_report.json") or {}).get("counts")
    return [dict(row) for row in counts if isinstance(row, Mapping)] if counts else []
