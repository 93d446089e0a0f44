"""Columns in files that processes map instead of reading: `.npy` for numbers, dates and
fixed-width keys, Arrow IPC (uncompressed) for text.

Written once at training, opened with `mmap`: the pages live in the page cache, shared by
every gunicorn worker and by every bundle switch, and only the pages a query touches are
ever read. Nothing here copies a column into a process.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

META_FILE = "columns.json"
# Text with at most this many distinct values is stored as codes + values (communes, types):
# indexing it is a numpy take; other text (ids, streets) is an Arrow take.
MAX_DICTIONARY = 1 << 16


class TextColumn:
    """Text values (None for missing), indexed like a numpy object array."""

    def __init__(self, values: pa.Array | None = None, codes: np.ndarray | None = None):
        # Either `values` alone (one per row), or `codes` (int32, -1 = None) into `values`.
        self.values = values if values is not None else pa.array([], pa.large_string())
        self.codes = codes
        self._lookup = None
        if codes is not None:
            self._lookup = np.array([*self.values.to_pylist(), None], dtype=object)

    @classmethod
    def of(cls, values: Iterable) -> TextColumn:
        """From str or None values, dictionary-encoded when few are distinct."""
        array = pa.array(list(values), pa.large_string())
        encoded = array.dictionary_encode()
        if len(encoded.dictionary) <= MAX_DICTIONARY:
            codes = encoded.indices.fill_null(-1).to_numpy().astype("int32")
            return cls(encoded.dictionary, codes)
        return cls(array)

    def __len__(self) -> int:
        return len(self.codes) if self.codes is not None else len(self.values)

    def __getitem__(self, rows):
        """One value (str or None) for an integer, an object array for rows or a mask."""
        if isinstance(rows, int | np.integer):
            if self.codes is not None:
                return self._lookup[self.codes[rows]]
            return self.values[int(rows)].as_py()
        rows = np.asarray(rows)
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype("int64", copy=False)
        if self.codes is not None:
            return self._lookup[self.codes[rows]]
        return self.values.take(pa.array(rows)).to_numpy(zero_copy_only=False)

    def factorized(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct values (str) and each row's position among them (-1: None), read from
        the dictionary codes when the column has them: no Python string per row."""
        if self.codes is None:
            values = np.asarray(self)
            present = np.array([v is not None for v in values], dtype=bool)
            distinct, inverse = np.unique(values[present].astype(str), return_inverse=True)
            codes = np.full(len(values), -1, dtype="int64")
            codes[present] = inverse
            return distinct, codes
        distinct = ["" if v is None else v for v in self.values.to_pylist()]
        return np.array(distinct, dtype=object).astype(str), self.codes

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """Every value, as an object array (`np.asarray(column)`): a copy, for tests and
        small tables only."""
        values = self[np.arange(len(self))]
        return values if dtype is None else values.astype(dtype)

    # Compared element-wise, as a numpy array is (`sales.property_type == "house"`).
    __hash__ = None

    def __eq__(self, other) -> np.ndarray:  # type: ignore[override]
        return np.asarray(self) == other

    def __ne__(self, other) -> np.ndarray:  # type: ignore[override]
        return np.asarray(self) != other

    def tolist(self) -> list:
        return np.asarray(self).tolist()


class SortedKeys:
    """Unique text keys found by binary search in a memory-mapped array: the part of
    `pandas.Index` (`get_loc`, `get_indexer`) a look-up needs, without a hash table."""

    def __init__(self, keys: np.ndarray, positions: np.ndarray):
        self.keys = keys  # sorted fixed-width bytes (utf-8)
        self.positions = positions  # each sorted key's position in the original index

    @classmethod
    def of(cls, index) -> SortedKeys:
        """From unique keys (e.g. a `pandas.Index` of str), keeping their positions."""
        encoded = np.array([str(k).encode() for k in index], dtype=bytes)
        if not len(encoded):
            encoded = np.zeros(0, dtype="S1")
        order = np.argsort(encoded, kind="stable")
        return cls(encoded[order], order.astype("int64"))

    def __len__(self) -> int:
        return len(self.keys)

    def get_indexer(self, keys) -> np.ndarray:
        """Position of each key in the original index, -1 when absent."""
        out = np.full(len(keys), -1, dtype="int64")
        if not len(self.keys):
            return out
        width = self.keys.dtype.itemsize
        encoded = [str(k).encode() for k in keys]
        # A longer key than any stored is absent (numpy would truncate it to a match).
        fits = np.array([len(e) <= width and not e.endswith(b"\0") for e in encoded], bool)
        wanted = np.array([e if f else b"" for e, f in zip(encoded, fits, strict=True)])
        wanted = wanted.astype(self.keys.dtype)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        found = fits & (self.keys[at] == wanted)
        out[found] = self.positions[at[found]]
        return out

    def get_loc(self, key) -> int:
        """Position of one key; `KeyError` when absent."""
        position = int(self.get_indexer([key])[0])
        if position < 0:
            raise KeyError(key)
        return position


@dataclass
class Columns:
    """Named columns (numpy arrays, `TextColumn`s) and a few JSON values, as one folder."""

    arrays: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def __getitem__(self, name: str):
        return self.arrays[name]

    def __contains__(self, name: str) -> bool:
        return name in self.arrays


def is_mapped(array: np.ndarray) -> bool:
    """Whether an array's memory is a file mapping (not the process's own)."""
    base = array
    while isinstance(base, np.ndarray):
        if isinstance(base, np.memmap):
            return True
        base = base.base
    return isinstance(base, mmap.mmap)


def write_columns(folder: Path, columns: Columns) -> None:
    """One file per column in `folder` (created), plus `columns.json`."""
    folder = Path(folder)
    folder.mkdir(parents=True)
    for name, value in columns.arrays.items():
        if isinstance(value, TextColumn):
            if value.codes is not None:
                np.save(folder / f"{name}.codes.npy", value.codes, allow_pickle=False)
            _write_arrow(folder / f"{name}.arrow", value.values)
        else:
            np.save(folder / f"{name}.npy", np.ascontiguousarray(value), allow_pickle=False)
    (folder / META_FILE).write_text(json.dumps(columns.meta, indent=1), encoding="utf-8")


def open_columns(folder: Path) -> Columns:
    """The columns of `folder`, memory-mapped (read-only)."""
    folder = Path(folder)
    arrays: dict = {}
    for path in sorted(folder.glob("*.arrow")):
        name = path.name[: -len(".arrow")]
        codes_path = folder / f"{name}.codes.npy"
        codes = _load_npy(codes_path) if codes_path.is_file() else None
        arrays[name] = TextColumn(_read_arrow(path), codes)
    for path in sorted(folder.glob("*.npy")):
        name = path.name[: -len(".npy")]
        if not name.endswith(".codes") or name[: -len(".codes")] not in arrays:
            arrays[name] = _load_npy(path)
    return Columns(arrays, json.loads((folder / META_FILE).read_text(encoding="utf-8")))


def _load_npy(path: Path) -> np.ndarray:
    # A plain ndarray over the map: `np.memmap` costs a Python call on every indexing.
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)


def _write_arrow(path: Path, values: pa.Array) -> None:
    batch = pa.record_batch([values], names=["value"])
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)


def _read_arrow(path: Path) -> pa.Array:
    return pa.ipc.open_file(pa.memory_map(str(path), "r")).get_batch(0).column(0)
