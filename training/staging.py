"""prepared/ built aside and swapped in whole: a failed prepare leaves the previous one intact.

`Staging` is a folder under prepared/ (same file system, so a rename is atomic) holding the
new sales partitions, the reference tables prepare builds, and scratch files. `commit`
swaps each into place; leaving the `with` block removes what is left, whatever happened.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from model.settings import Layout

# Built by prepare itself, replaced as a whole (the address index is written afterwards).
STAGED_REFERENCES = ("communes.parquet", "tranquillity")


class Staging:
    """A scratch copy of prepared/'s tables: `sales/`, `reference/`, `spool/`."""

    def __init__(self, paths: Layout) -> None:
        self.layout = paths
        paths.prepared.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=".prepare-", dir=paths.prepared))
        self.sales = self.root / "sales"
        self.reference = self.root / "reference"
        self.spool = self.root / "spool"  # the raw national files, split by département
        # Even with no sale, so that the swap below has a folder.
        self.sales.mkdir()
        self.reference.mkdir()

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
        """Swap the staged sales and references into prepared/; the sales folder."""
        target = self.layout.prepared / "sales"
        _swap(self.sales, target)
        for name in STAGED_REFERENCES:
            staged = self.reference / name
            if staged.exists():
                self.layout.reference.mkdir(parents=True, exist_ok=True)
                _swap(staged, self.layout.reference / name)
        return target


def _swap(staged: Path, target: Path) -> None:
    # Whole folders change places, so a reader never sees half a table.
    if staged.is_file():
        os.replace(staged, target)
        return
    old = target.with_name(f".{target.name}-old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staged.rename(target)
    shutil.rmtree(old, ignore_errors=True)
