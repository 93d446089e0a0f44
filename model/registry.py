"""Registered model versions and the `champion` pointer naming the one served.

Versions are immutable folders `models/<version>/`; promotion rewrites only the text
file `models/champion`, atomically (write aside, then rename over), after the candidate
passed its checksums and served two estimates in a child process (`model.probe`). Each
promotion is appended to `models/promotions.jsonl`: the versions served before, newest
last, are where a server falls back when the champion cannot be loaded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from model import integrity, probe

CHAMPION_FILE = "champion"
HISTORY_FILE = "promotions.jsonl"
METADATA_FILE = "metadata.json"
# A candidate may be at most this much worse (MdAPE, as a fraction) than the champion.
MDAPE_TOLERANCE = 0.005


class PromotionRefused(Exception):
    """The candidate may not replace the champion (without --force); `decision`: what the
    guard compared, when it says more than the message (`training.guard.Decision`)."""

    def __init__(self, message: str, decision=None):
        super().__init__(message)
        self.decision = decision


class BadVersion(LookupError):
    """Not a version of this models folder, or one whose metadata.json cannot be read."""


def version_dir(models_dir: str | Path, version: str) -> Path:
    """The folder of `version`, a plain name inside `models_dir`; `BadVersion` otherwise."""
    models_dir = Path(models_dir)
    name = str(version).strip()
    plain = name and name == Path(name).name and not name.startswith(".") and "\\" not in name
    # A symlinked version must not lead out of models/ either.
    if not plain or (models_dir / name).resolve().parent != models_dir.resolve():
        raise BadVersion(
            f"{version!r} is not a version name: give one of `immoval models` (a folder of "
            f"{models_dir})"
        )
    if not (models_dir / name / METADATA_FILE).is_file():
        raise BadVersion(f"no model version {name!r} in {models_dir}")
    return models_dir / name


def read_champion(models_dir: str | Path) -> str | None:
    """The served version's name, or None when nothing has been promoted (or it vanished)."""
    path = Path(models_dir) / CHAMPION_FILE
    try:
        version = path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    try:
        return version_dir(models_dir, version).name
    except BadVersion:
        return None


def read_metadata(models_dir: str | Path, version: str) -> dict:
    """metadata.json of a version; `BadVersion` if there is no such version or it is unreadable."""
    path = version_dir(models_dir, version) / METADATA_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: bad UTF-8 or bad JSON
        raise BadVersion(f"{version}: unreadable {METADATA_FILE} ({exc})") from None
    if not isinstance(meta, dict):
        raise BadVersion(f"{version}: {METADATA_FILE} is not a JSON object")
    return meta


def list_versions(models_dir: str | Path) -> list[dict]:
    """Every version, oldest first, with its key metrics and whether it is served.

    A version whose metadata.json cannot be read is listed with its `error`.
    """
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    champion = read_champion(models_dir)
    out = []
    for folder in sorted(models_dir.iterdir()):
        # Hidden folders are trainings in progress (or interrupted): not versions.
        if folder.name.startswith(".") or not (folder / METADATA_FILE).is_file():
            continue
        row = {"version": folder.name, "champion": folder.name == champion, "error": None}
        try:
            meta = read_metadata(models_dir, folder.name)
        except BadVersion as exc:
            out.append({**row, "error": str(exc)})
            continue
        evaluation = _dict(meta.get("evaluation"))
        overall = _overall(evaluation)
        out.append(
            {
                **row,
                "created": meta.get("created"),
                "data_until": meta.get("data_until"),
                "test_period": evaluation.get("test_period"),
                **{k: overall.get(k) for k in ("mdape", "pe10", "pe20", "coverage", "sales")},
            }
        )
    return out


def check_promotion(candidate: dict, champion: dict | None) -> None:
    """Raise `PromotionRefused` if the candidate is not comparable or clearly worse."""
    if champion is None:
        return
    new, old = _dict(candidate.get("evaluation")), _dict(champion.get("evaluation"))
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


def _dict(value) -> dict:
    # metadata.json is written by us, but may have been edited by hand.
    return value if isinstance(value, dict) else {}


def _overall(evaluation: dict) -> dict:
    """Overall test figures of the model in a version's evaluation."""
    return _dict(_dict(_dict(evaluation.get("results")).get("model")).get("overall"))


def _start(evaluation: dict) -> str | None:
    period = evaluation.get("test_period") or [None]
    return period[0]


def check_bundle(path: Path, metadata: dict) -> None:
    """Checksums here, then loading and two estimates in a child process; `BundleUnusable`."""
    try:
        integrity.verify(path, metadata)
    except integrity.CorruptBundle as exc:
        raise probe.BundleUnusable(str(exc)) from None
    probe.check_in_child(path)


def promote(
    models_dir: str | Path,
    version: str,
    force: bool = False,
    check: Callable[[Path, dict], None] = check_bundle,
    guard: Callable[[dict, dict], object] = check_promotion,
) -> str | None:
    """Make `version` the champion; returns the previous champion.

    `BadVersion` for a name outside `models_dir` or an unreadable metadata.json;
    `PromotionRefused` when `guard(candidate, champion)` (their metadata) refuses, unless
    `force` (its verdict is then recorded in the history: what was overridden);
    `probe.BundleUnusable` when the bundle fails `check` (whatever `force` says: it would
    not serve).
    """
    models_dir = Path(models_dir)
    path = version_dir(models_dir, version)
    candidate = read_metadata(models_dir, path.name)
    previous = read_champion(models_dir)
    verdict = None
    if previous is not None and previous != path.name:
        try:
            champion = read_metadata(models_dir, previous)
            guard(candidate, champion)
            verdict = "passed"
        except (BadVersion, PromotionRefused) as exc:
            if not force:
                if isinstance(exc, PromotionRefused):
                    raise
                message = f"cannot compare with the champion: {exc}; use --force"
                raise PromotionRefused(message) from None
            verdict = f"overridden by --force: {exc}"
    check(path, candidate)
    write_pointer(models_dir, path.name)
    entry = {"version": path.name, "previous": previous, "forced": force, "guard": verdict}
    _record(models_dir, entry)
    return previous


def _record(models_dir: Path, entry: dict) -> None:
    line = json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry})
    with open(models_dir / HISTORY_FILE, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def fallbacks(models_dir: str | Path, broken: str | None) -> list[str]:
    """Versions to serve instead of `broken`: those promoted before, the latest first, then
    the other versions, newest first (names sort by training time)."""
    models_dir = Path(models_dir)
    promoted = []
    try:
        lines = (models_dir / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError):
        lines = []
    for line in lines:
        try:
            promoted.append(str(json.loads(line)["version"]))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a crash: the others still count
    others = sorted(
        (p.name for p in models_dir.iterdir() if p.is_dir()) if models_dir.is_dir() else [],
        reverse=True,
    )
    out: list[str] = []
    for name in [*reversed(promoted), *others]:
        if name != broken and name not in out and _readable(models_dir, name):
            out.append(name)
    return out


def _readable(models_dir: Path, version: str) -> dict | None:
    try:
        return read_metadata(models_dir, version)
    except BadVersion:
        return None


def write_pointer(models_dir: Path, version: str) -> None:
    """Replace `models/champion` atomically: readers see the old name or the new one."""
    staging = models_dir / f".{CHAMPION_FILE}.{os.getpid()}"
    with open(staging, "w", encoding="utf-8") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, models_dir / CHAMPION_FILE)
