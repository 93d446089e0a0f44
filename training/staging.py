"""prepared/ built aside and swapped in at the end: a failed prepare leaves the previous one.

`Staging` is a home of its own under prepared/ (same file system, so renames are atomic):
its `layout` has the real raw/ (a link) and a fresh prepared/, where every step writes as
it would into the real one. `commit` moves each table into the real prepared/, the
manifest last; leaving the `with` block removes what is left, whatever happened.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from model.settings import Layout

MANIFEST = "manifest.json"
PREFIX = ".prepare-"  # then the pid of the run, then a random part


class Staging:
    """A scratch prepared/ (`layout.prepared`), and `spool/` for files of the run only."""

    def __init__(self, paths: Layout) -> None:
        self.target = paths
        paths.prepared.mkdir(parents=True, exist_ok=True)
        remove_abandoned(paths.prepared)
        prefix = f"{PREFIX}{os.getpid()}-"
        self.root = Path(tempfile.mkdtemp(prefix=prefix, dir=paths.prepared))
        self.layout = Layout(self.root)
        self.layout.raw.symlink_to(paths.raw.absolute(), target_is_directory=True)
        self.sales = self.layout.prepared / "sales"
        self.spool = self.root / "spool"  # the raw national files split by département, …
        # Even with no sale, so that the swap below has a folder.
        self.sales.mkdir(parents=True)
        self.spool.mkdir()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *_) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def write_partition(self, departement: str, table: pa.Table) -> Path:
        """sales/departement=<dep>/part-0.parquet."""
        folder = self.sales / f"departement={departement}"
        folder.mkdir()
        path = folder / "part-0.parquet"
        pq.write_table(table, path, compression="zstd")
        return path

    def commit(self) -> Path:
        """Move what was written into the real prepared/; the sales folder there."""
        staged, target = self.layout.prepared, self.target.prepared
        # Reference tables one by one: others than prepare's own stay where they are.
        names = [Path("reference") / p.name for p in sorted((staged / "reference").glob("*"))]
        names += [Path(p.name) for p in sorted(staged.iterdir()) if p.name != "reference"]
        # The manifest last: with it, the next run sees this one as complete.
        for name in sorted(names, key=lambda n: n.name == MANIFEST):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            _swap(staged / name, target / name)
        return target / "sales"


def remove_abandoned(prepared: Path) -> None:
    """Remove the staging folders of runs that were killed (their process is gone)."""
    for folder in prepared.glob(f"{PREFIX}*-*"):
        pid = folder.name.removeprefix(PREFIX).split("-")[0]
        if pid.isdigit() and not _is_running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's
    return True


def _swap(staged: Path, target: Path) -> None:
    # A file is replaced atomically; whole folders change places, so a reader never sees
    # half a table.
    if staged.is_file():
        os.replace(staged, target)
        return
    old = target.with_name(f".{target.name}-old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staged.rename(target)
    shutil.rmtree(old, ignore_errors=True)
