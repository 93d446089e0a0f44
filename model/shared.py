"""Objects built from reference files, shared by every bundle whose files are the same.

Each bundle carries its own copy of `reference/`; most versions copy the same files. A
worker that switches bundles would otherwise build a second private copy of, e.g., the
tranquillity tables (≈ 100 MB in memory for 3 MB on disk): here the new bundle gets the
object already built from files of the same content, as long as one is alive.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_built: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_lock = threading.Lock()


def digest(folder: Path) -> str:
    """The content of a folder's files (names and bytes), as one sha256."""
    total = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        total.update(path.relative_to(folder).as_posix().encode() + b"\0")
        total.update(hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def built_once(kind: str, folder: Path, build: Callable[[], T]) -> T:
    """`build()`, or what it built earlier from a folder of the same content (still alive).
    The object must not change once built: several estimators hold it."""
    key = (kind, digest(folder))
    with _lock:
        found = _built.get(key)
    if found is not None:
        return found
    value = build()
    with _lock:
        return _built.setdefault(key, value)
