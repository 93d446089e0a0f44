"""The k nearest EARLIER sales of a point, in metres, without ever looking ahead.

Sales are points on the sphere (x, y, z in metres) in a scikit-learn KDTree: the
straight-line (chord) distance orders points exactly as the great-circle distance does,
and is converted back to metres along the surface. "Earlier" is strict: a sale never
sees itself nor a sale of the same day or later. The same search serves training
(every sale against the sales before it) and serving (a point today against them all).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.neighbors import KDTree

from model.property import PROPERTY_TYPES

EARTH_RADIUS_M = 6_371_008.8
# Query groups (type, month) are keyed type * _BLOCK_KEY + (first day - _FIRST_BLOCK).
_FIRST_BLOCK = -1_000_000  # keys hold any day number in [-1_000_000, 9_000_000)
_BLOCK_KEY = 10_000_000


def to_xyz(latitude, longitude) -> np.ndarray:
    """Cartesian coordinates in metres of WGS84 points on a spherical Earth."""
    lat = np.radians(np.asarray(latitude, dtype="float64"))
    lon = np.radians(np.asarray(longitude, dtype="float64"))
    cos_lat = np.cos(lat)
    return EARTH_RADIUS_M * np.column_stack(
        [cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)]
    )


def chord_to_metres(chord) -> np.ndarray:
    """Great-circle distance (metres) for a chord length (metres)."""
    ratio = np.clip(np.asarray(chord, dtype="float64") / (2 * EARTH_RADIUS_M), 0.0, 1.0)
    return 2 * EARTH_RADIUS_M * np.arcsin(ratio)


def metres_to_chord(metres: float) -> float:
    """Chord length (metres) of a great-circle distance (metres)."""
    return 2 * EARTH_RADIUS_M * np.sin(min(metres, np.pi * EARTH_RADIUS_M) / (2 * EARTH_RADIUS_M))


def day_number(dates) -> np.ndarray:
    """Days since 1970-01-01 (int64) of datetime64 values or `date`s."""
    return np.asarray(dates, dtype="datetime64[D]").astype("int64")


def first_day_of_month(days: np.ndarray) -> np.ndarray:
    """Day number of the first day of each day's month."""
    months = np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]")
    return months.astype("datetime64[D]").astype("int64")


@dataclass
class SalesPool:
    """Sales that may serve as comparables, sorted by day, with one tree cache per type."""

    xyz: np.ndarray  # (n, 3) metres
    days: np.ndarray  # int64
    type_code: np.ndarray  # int8, index in PROPERTY_TYPES
    _trees: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, latitude, longitude, dates, property_type) -> SalesPool:
        """A pool from arrays; rows must already be sorted by date (checked)."""
        days = day_number(dates)
        if len(days) > 1 and np.any(np.diff(days) < 0):
            raise ValueError("pool sales must be sorted by date")
        types = np.asarray(property_type, dtype=object).astype(str)
        return cls(to_xyz(latitude, longitude), days, type_codes(types))

    def __len__(self) -> int:
        return len(self.days)

    def _tree_before(self, kind: int, cutoff: int) -> tuple[KDTree | None, np.ndarray]:
        """Tree over sales of type `kind` strictly before day `cutoff`, and their pool rows."""
        end = int(np.searchsorted(self.days, cutoff, side="left"))
        # Past the last sale every cutoff gives the same tree: cache it once.
        key = (kind, end)
        if key not in self._trees:
            rows = np.flatnonzero(self.type_code[:end] == kind)
            tree = KDTree(self.xyz[rows], leaf_size=40) if len(rows) else None
            if end == len(self.days):
                self._trees[key] = (tree, rows)
            else:
                # Training walks month by month: keep only the latest per type.
                self._trees = {k: v for k, v in self._trees.items() if k[1] == len(self.days)}
                self._trees[key] = (tree, rows)
        return self._trees[key]

    def warm(self) -> None:
        """Build the trees over every sale (what serving after the data's end uses)."""
        for kind in range(len(PROPERTY_TYPES)):
            self._tree_before(kind, np.iinfo("int64").max)

    def full_trees(self) -> dict[int, tuple[KDTree | None, np.ndarray]]:
        """By type code: the tree over every sale of that type and their pool rows."""
        self.warm()
        return {kind: self._trees[(kind, len(self))] for kind in range(len(PROPERTY_TYPES))}

    def adopt(self, trees: dict[int, tuple[KDTree | None, np.ndarray]]) -> None:
        """Search with trees built elsewhere (a bundle's), as `full_trees` gave them."""
        for kind, found in trees.items():
            self._trees[(kind, len(self))] = found


def type_codes(property_type) -> np.ndarray:
    """0 for apartment, 1 for house, -1 otherwise."""
    types = np.asarray(property_type, dtype=object).astype(str)
    out = np.full(len(types), -1, dtype="int8")
    for code, name in enumerate(PROPERTY_TYPES):
        out[types == name] = code
    return out


def nearest_earlier(
    pool: SalesPool,
    xyz: np.ndarray,
    days: np.ndarray,
    kinds: np.ndarray,
    k: int,
    max_metres: float = np.inf,
):
    """Pool rows (-1 padded) and distances in metres (inf padded) of the k nearest sales of
    the same type strictly before each query's day and at most `max_metres` away, nearest
    first."""
    n = len(days)
    rows_out = np.full((n, k), -1, dtype="int64")
    dist_out = np.full((n, k), np.inf)
    if n == 0 or len(pool) == 0:
        return rows_out, dist_out
    days = np.asarray(days, dtype="int64")
    blocks = first_day_of_month(days)
    kinds = np.asarray(kinds, dtype="int64")
    # One search per (type, month): grouped by a single key, one np.unique for all.
    group = np.where(kinds >= 0, kinds * _BLOCK_KEY + (blocks - _FIRST_BLOCK), -1)
    if len(group) == 1:  # one home: no grouping to do
        keys, owners = group, [np.zeros(1, dtype="int64")]
    else:
        keys, inverse = np.unique(group, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        owners = np.split(order, np.flatnonzero(np.diff(inverse[order])) + 1)
    for key, queries in zip(keys.tolist(), owners, strict=True):
        if key < 0:
            continue
        kind, block = divmod(key, _BLOCK_KEY)
        _search_block(
            pool,
            kind,
            block + _FIRST_BLOCK,
            xyz[queries],
            days[queries],
            k,
            rows_out,
            dist_out,
            queries,
        )
    beyond = dist_out > max_metres
    rows_out[beyond], dist_out[beyond] = -1, np.inf
    return rows_out, dist_out


def _search_block(pool, kind, block, q_xyz, q_days, k, rows_out, dist_out, where) -> None:
    """Queries of one type and month: a tree before the month, brute force within it."""
    tree, tree_rows = pool._tree_before(kind, block)
    nq = len(q_days)
    cand_rows = np.full((nq, k), -1, dtype="int64")
    cand_chord = np.full((nq, k), np.inf)
    if tree is not None:
        # One more than needed: a tie across the k-th place shows, and is settled by row.
        chord, found = tree.query(q_xyz, k=min(k + 1, len(tree_rows)), sort_results=True)
        if chord.shape[1] > k:
            _settle_boundary_ties(tree, q_xyz, chord, found, k)
            chord, found = chord[:, :k], found[:, :k]
        kk = chord.shape[1]
        cand_rows[:, :kk] = tree_rows[found]
        cand_chord[:, :kk] = chord
        _order_ties(cand_rows, cand_chord)
    # Sales of the same month before each query's own day, found in a small tree of the
    # month within each query's current k-th distance (so the merge below stays exact).
    start = int(np.searchsorted(pool.days, block, side="left"))
    stop = int(np.searchsorted(pool.days, int(q_days.max()), side="left"))
    month_rows = np.arange(start, stop)
    month_rows = month_rows[pool.type_code[month_rows] == kind]
    if len(month_rows):
        month_tree = KDTree(pool.xyz[month_rows], leaf_size=40)
        radius = np.where(np.isfinite(cand_chord[:, -1]), cand_chord[:, -1], 4 * EARTH_RADIUS_M)
        found, chords = month_tree.query_radius(q_xyz, r=radius, return_distance=True)
        lengths = np.fromiter((len(f) for f in found), dtype="int64", count=nq)
        if lengths.sum():
            owner = np.repeat(np.arange(nq), lengths)
            rows = month_rows[np.concatenate(found)]
            chord = np.concatenate(chords)
            earlier = pool.days[rows] < q_days[owner]
            owner, rows, chord = owner[earlier], rows[earlier], chord[earlier]
            if len(owner):
                cand_rows, cand_chord = _merge(cand_rows, cand_chord, owner, rows, chord, k)
    cand_rows[~np.isfinite(cand_chord)] = -1
    rows_out[where] = cand_rows
    dist_out[where] = np.where(np.isfinite(cand_chord), chord_to_metres(cand_chord), np.inf)


def _settle_boundary_ties(tree, q_xyz, chord, found, k) -> None:
    """Where sales tie at the k-th distance (a building's sales share its parcel's point),
    keep the earliest rows among them, in place: which of them the tree returns depends on
    the tree, and a département's features computed with its halo must be those of France."""
    tied = np.flatnonzero(chord[:, k] == chord[:, k - 1])
    if not len(tied):
        return
    # A hair wider: the radius search may round the boundary's distance the other way.
    radius = chord[tied, k - 1] * (1 + 1e-9) + 1e-6
    within, chords = tree.query_radius(q_xyz[tied], r=radius, return_distance=True)
    for query, rows, lengths in zip(tied.tolist(), within, chords, strict=True):
        best = np.lexsort((rows, lengths))[:k]
        found[query, :k], chord[query, :k] = rows[best], lengths[best]


def _order_ties(cand_rows: np.ndarray, cand_chord: np.ndarray) -> None:
    """Order sales at the same distance by pool row, in place, as `_merge` does.

    The tree returns equidistant sales (same parcel, same point) in an order of its own;
    without this a query's neighbours would depend on whether other queries of its batch
    needed a merge, and one home valued alone could differ from the same home in a batch.
    """
    tied = (cand_chord[:, 1:] == cand_chord[:, :-1]) & np.isfinite(cand_chord[:, 1:])
    rows = np.flatnonzero(tied.any(axis=1))
    if len(rows):
        sub_rows, sub_chord = cand_rows[rows], cand_chord[rows]
        order = np.lexsort((sub_rows, sub_chord), axis=-1)
        line = np.arange(len(rows))[:, None]
        cand_rows[rows] = sub_rows[line, order]
        cand_chord[rows] = sub_chord[line, order]


def _merge(cand_rows, cand_chord, owner, rows, chord, k):
    """Keep the k nearest of each query's candidates plus extra (owner, row, chord) triples."""
    nq = cand_rows.shape[0]
    all_owner = np.concatenate([np.repeat(np.arange(nq), k), owner])
    all_rows = np.concatenate([cand_rows.ravel(), rows])
    all_chord = np.concatenate([cand_chord.ravel(), chord])
    order = np.lexsort((all_rows, all_chord, all_owner))
    all_owner, all_rows, all_chord = all_owner[order], all_rows[order], all_chord[order]
    starts = np.searchsorted(all_owner, np.arange(nq), side="left")
    rank = np.arange(len(all_owner)) - starts[all_owner]
    keep = rank < k
    out_rows = np.full((nq, k), -1, dtype="int64")
    out_chord = np.full((nq, k), np.inf)
    out_rows[all_owner[keep], rank[keep]] = all_rows[keep]
    out_chord[all_owner[keep], rank[keep]] = all_chord[keep]
    return out_rows, out_chord
