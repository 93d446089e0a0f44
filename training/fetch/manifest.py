"""`raw/manifest.json`: what was fetched, from where, when, and its checksum."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

MANIFEST_NAME = "manifest.json"
VERSION = 1


def read_manifest(raw_dir: Path) -> dict:
    """The manifest's file entries keyed by path under raw/ (empty when there is none)."""
    path = raw_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path} is unreadable ({error}); delete it to fetch everything again"
        ) from None
    return dict(document.get("files", {}))


def write_manifest(raw_dir: Path, files: dict) -> None:
    """Write the manifest atomically: readers see the old one or the new one, never half."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    document = {"version": VERSION, "files": dict(sorted(files.items()))}
    write_atomic(raw_dir / MANIFEST_NAME, json.dumps(document, indent=2, ensure_ascii=False))


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` through a temporary file in the same folder."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, shared_mode())  # mkstemp makes 0600
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def shared_mode() -> int:
    """The mode a plain `open` would give a new file (0666 less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def is_current(raw_dir: Path, raw_path: str, entry: dict | None) -> bool:
    """True when the file on disk is exactly the one the manifest recorded."""
    if not entry:
        return False
    path = raw_dir / raw_path
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    return size == entry.get("size") and sha256_of(path) == entry.get("sha256")
