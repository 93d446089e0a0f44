"""Registered model versions and the `champion` pointer naming the one served.

Versions are immutable folders `models/<version>/`; promotion rewrites only the text
file `models/champion`, atomically (write aside, then rename over).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

CHAMPION_FILE = "champion"
# A candidate may be at most this much worse (MdAPE, as a fraction) than the champion.
MDAPE_TOLERANCE = 0.005


class PromotionRefused(Exception):
    """The candidate may not replace the champion (without --force)."""


def read_champion(models_dir: str | Path) -> str | None:
    """The served version's name, or None when nothing has been promoted (or it vanished)."""
    path = Path(models_dir) / CHAMPION_FILE
    try:
        version = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not version or not (Path(models_dir) / version / "metadata.json").is_file():
        return None
    return version


def read_metadata(models_dir: str | Path, version: str) -> dict:
    """metadata.json of a version; FileNotFoundError if there is no such version."""
    path = Path(models_dir) / version / "metadata.json"
    if not path.is_file():
        raise FileNotFoundError(f"no model version {version!r} in {models_dir}")
    return json.loads(path.read_text(encoding="utf-8"))


def list_versions(models_dir: str | Path) -> list[dict]:
    """Every complete version, oldest first, with its key metrics and whether it is served."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    champion = read_champion(models_dir)
    out = []
    for folder in sorted(models_dir.iterdir()):
        # Hidden folders are trainings in progress (or interrupted): not versions.
        if folder.name.startswith(".") or not (folder / "metadata.json").is_file():
            continue
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        evaluation = meta.get("evaluation", {})
        overall = _overall(evaluation)
        out.append(
            {
                "version": folder.name,
                "created": meta.get("created"),
                "data_until": meta.get("data_until"),
                "test_period": evaluation.get("test_period"),
                "mdape": overall.get("mdape"),
                "pe10": overall.get("pe10"),
                "pe20": overall.get("pe20"),
                "coverage": overall.get("coverage"),
                "sales": overall.get("sales"),
                "champion": folder.name == champion,
            }
        )
    return out


def check_promotion(candidate: dict, champion: dict | None) -> None:
    """Raise `PromotionRefused` if the candidate is not comparable or clearly worse."""
    if champion is None:
        return
    new, old = candidate.get("evaluation", {}), champion.get("evaluation", {})
    if new.get("test_period") != old.get("test_period"):
        raise PromotionRefused(
            f"test periods differ ({new.get('test_period')} vs champion "
            f"{old.get('test_period')}): retrain with --test-from {_start(old)} to compare, "
            "or use --force"
        )
    new_mdape = _overall(new).get("mdape")
    old_mdape = _overall(old).get("mdape")
    if new_mdape is None or old_mdape is None:
        raise PromotionRefused("MdAPE missing from a version's metadata: use --force")
    if new_mdape > old_mdape + MDAPE_TOLERANCE:
        raise PromotionRefused(
            f"MdAPE {100 * new_mdape:.2f} % is worse than the champion's "
            f"{100 * old_mdape:.2f} % by more than {100 * MDAPE_TOLERANCE:.1f} point"
        )


def _overall(evaluation: dict) -> dict:
    """Overall test figures of the model in a version's evaluation."""
    return evaluation.get("results", {}).get("model", {}).get("overall", {})


def _start(evaluation: dict) -> str | None:
    period = evaluation.get("test_period") or [None]
    return period[0]


def promote(models_dir: str | Path, version: str, force: bool = False) -> str | None:
    """Make `version` the champion; returns the previous champion. Guarded unless `force`."""
    models_dir = Path(models_dir)
    candidate = read_metadata(models_dir, version)
    previous = read_champion(models_dir)
    if not force and previous is not None and previous != version:
        check_promotion(candidate, read_metadata(models_dir, previous))
    write_pointer(models_dir, version)
    return previous


def write_pointer(models_dir: Path, version: str) -> None:
    """Replace `models/champion` atomically: readers see the old name or the new one."""
    staging = models_dir / f".{CHAMPION_FILE}.{os.getpid()}"
    with open(staging, "w", encoding="utf-8") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, models_dir / CHAMPION_FILE)
