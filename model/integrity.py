"""A bundle's files checked against the sha256 sums its metadata recorded when it was written.

LightGBM crashes the whole process (segfault) on a cut `model.txt`, and a cut Parquet
table fails later, in the middle of a load. So every process that loads a bundle first
compares each file with `metadata["checksums"]` (path inside the bundle → sha256), and
refuses the bundle, naming the files at fault, before anything parses them.

A national bundle holds ≈ 2 GiB: each digest is remembered by the file's identity and
stat (device, inode, size, modification time), so a process re-checking a bundle — a
worker retrying a refused champion, a reload — reads only files that changed since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

CHECKSUMS_KEY = "checksums"
# Not summed: it holds the sums (and is parsed by the JSON reader, which cannot crash).
UNSUMMED = frozenset({"metadata.json"})


class CorruptBundle(ValueError):
    """A bundle's files do not match the checksums its metadata recorded."""


# (path, device, inode, size, mtime in ns) -> sha256 of what was read then.
_digests: dict[tuple, str] = {}


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def current_sha256(path: Path) -> str:
    """`file_sha256`, read again only if the file changed since this process last read it."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    digest = _digests.get(key)
    if digest is None:
        digest = _digests[key] = file_sha256(path)
    return digest


def checksums(folder: str | Path) -> dict[str, str]:
    """sha256 of every file under `folder` (but metadata.json), by POSIX path inside it."""
    folder = Path(folder)
    return {
        path.relative_to(folder).as_posix(): file_sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).as_posix() not in UNSUMMED
    }


def problems(folder: str | Path, metadata: Mapping) -> list[str]:
    """What is wrong with the files of the bundle in `folder`: empty when all match."""
    folder = Path(folder)
    recorded = metadata.get(CHECKSUMS_KEY) if isinstance(metadata, Mapping) else None
    if not isinstance(recorded, Mapping) or not recorded:
        return ["metadata.json records no checksums (written before they existed: retrain)"]
    found = []
    for name, expected in sorted(recorded.items()):
        path = folder / name
        # Recorded names come from a file: never follow one out of the bundle.
        if not _plain(name):
            found.append(f"{name}: outside the bundle")
        elif not path.is_file():
            found.append(f"{name}: missing")
        elif current_sha256(path) != expected:
            found.append(f"{name}: checksum differs (cut or changed after it was written)")
    return found


def verify(folder: str | Path, metadata: Mapping) -> None:
    """Raise `CorruptBundle` naming each bad file, unless every recorded file matches."""
    found = problems(folder, metadata)
    if found:
        shown = "; ".join(found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
        raise CorruptBundle(f"{folder}: {shown}")


def _plain(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts
