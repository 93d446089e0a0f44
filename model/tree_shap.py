"""Exact SHAP values of a LightGBM model, computed from tables built once per model.

The values are those of `Booster.predict(pred_contrib=True)`: path-dependent TreeSHAP
(Lundberg et al., 2020), one value per feature and the expected value last. LightGBM
walks every tree for every row with O(depth²) work per leaf (≈ 8 ms a home for 300
trees of 63 leaves). Fast TreeSHAP v2 (Yang, 2021) moves that work to the model: for a
leaf, what it adds to each feature depends on the row only through which of the leaf's
path features the row "follows" (the hot set H), so a table per leaf over all the
subsets of its path features leaves a row with O(depth) look-ups per leaf. Here the
look-ups are numpy passes over all the leaves of all the trees at once.

For a leaf of value v whose path splits on d distinct features, feature k with zero
fraction z_k (the product of the covers' ratios of the path's nodes on k) and
w(s) = s!(d-s-1)!/d!, the Shapley formula for that leaf gives
    feature i not in H:  -R(H)
    feature i in H:      (1 - z_i) / z_i · R(H without i)
with R(H) = v · Π_{k ∉ H} z_k · Σ_{S ⊆ H} w(|S|) Π_{k ∈ H∖S} z_k.
Σ_{S ⊆ H} is a sum over the elementary symmetric polynomials of the z in H, built for
all the subsets of a path at once. Tables: Σ_leaves 2^d floats (3.6 M, 29 MB, for
300 trees of 63 leaves and depth 10).

Numerical splits only, one tree per iteration, no linear trees: `TreeShap.of` returns
None for any other model and the caller keeps `pred_contrib`.

Training builds the tables once and stores them in the bundle (`store`, as `model.mapped`
columns); serving maps them (`open`), so that every worker shares one copy in the page
cache and a model switch builds nothing, and checks them against `pred_contrib` on a few
rows (`agrees_with`) before it serves them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields

import lightgbm as lgb
import numpy as np

from model.allocator import keep_freed_memory
from model.bundle import SHAP_TABLE, Bundle
from model.mapped import Columns

log = logging.getLogger(__name__)

# LightGBM's `kZeroThreshold`: values this close to 0 are "zero" for missing_type Zero.
ZERO_THRESHOLD = 1e-35
LARGEST = 1e300
MISSING_TYPES = {"None": 0, "Zero": 1, "NaN": 2}
# Leaves whose tables are built together (bounds the memory the build uses).
BUILD_CHUNK = 1024
# What `open` reads; tables of another layout are built again from the booster.
LAYOUT = 1
# Agreement with `pred_contrib` at load (values are log prices: 1e-9 is far below a euro).
AGREEMENT_TOLERANCE = 1e-9
# Rows read together: more rows per numpy pass, but past ≈ 8 the (rows, slots) arrays
# leave the CPU's caches and each row costs more (2.6 ms a row by 8, 3.5-3.9 by 16-64).
ROW_CHUNK = 8


class Unsupported(ValueError):
    """A model whose trees this module does not read (categorical or linear splits...)."""


@dataclass(frozen=True, eq=False)
class _Paths:
    """Every leaf's path, read from `Booster.dump_model()`."""

    node_feature: list[int]
    node_threshold: list[float]
    node_default_left: list[bool]
    node_missing: list[int]
    leaves: list[tuple[float, list[tuple[int, bool]], list[tuple[int, float]]]]
    # (value, [(node, goes left)], [(feature, zero fraction)] per distinct feature)
    constant: float  # the expected value of the trees without splits


def _read_paths(model: dict) -> _Paths:
    if model.get("num_tree_per_iteration", 1) != 1:
        raise Unsupported("several trees per iteration")
    node_feature, node_threshold, node_default_left, node_missing = [], [], [], []
    leaves = []
    constant = 0.0

    def walk(node, count, path, fractions):
        if "split_feature" not in node:
            if "leaf_coeff" in node:
                raise Unsupported("linear trees")
            leaves.append((float(node["leaf_value"]), path, list(fractions.items())))
            return
        if node["decision_type"] != "<=":
            raise Unsupported(f"decision type {node['decision_type']}")
        index = len(node_feature)
        feature = int(node["split_feature"])
        node_feature.append(feature)
        node_threshold.append(float(node["threshold"]))
        node_default_left.append(bool(node["default_left"]))
        node_missing.append(MISSING_TYPES[node["missing_type"]])
        for side, left in (("left_child", True), ("right_child", False)):
            child = node[side]
            child_count = child.get("internal_count", child.get("leaf_count"))
            share = fractions.get(feature, 1.0) * child_count / count
            walk(child, child_count, [*path, (index, left)], {**fractions, feature: share})

    for tree in model["tree_info"]:
        root = tree["tree_structure"]
        if "split_feature" not in root:
            constant += float(root["leaf_value"])
            continue
        walk(root, root["internal_count"], [], {})
    return _Paths(node_feature, node_threshold, node_default_left, node_missing, leaves, constant)


def _tables(values: np.ndarray, zeros: np.ndarray, d: int) -> np.ndarray:
    """R over all the subsets (bit masks) of d path features, for leaves of `values`
    (n,) and zero fractions `zeros` (n, d): (n, 2^d)."""
    n, size = len(values), 1 << d
    # symmetric[:, mask, t]: the elementary symmetric polynomial of degree t of the z in mask.
    symmetric = np.zeros((n, size, d + 1))
    symmetric[:, 0, 0] = 1.0
    for bit in range(d):
        low = symmetric[:, : 1 << bit]
        high = symmetric[:, 1 << bit : 2 << bit]
        high[:] = low
        high[:, :, 1:] += zeros[:, bit, None, None] * low[:, :, :-1]
    sizes = np.array([bin(mask).count("1") for mask in range(size)])
    weight = np.zeros((size, d + 1))
    for mask, members in enumerate(sizes):
        for t in range(members + 1):
            s = members - t  # features of S, which follow the row
            if s <= d - 1:
                weight[mask, t] = math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d)
    summed = np.einsum("nmt,mt->nm", symmetric, weight)
    product = symmetric[:, np.arange(size), sizes]  # Π z over each mask
    outside = product[:, (size - 1) ^ np.arange(size)]  # Π z over the features not in it
    return values[:, None] * outside * summed


@dataclass(frozen=True, eq=False)
class TreeShap:
    """The tables of one model and the index arrays a row is read through."""

    n_features: int
    constant: float  # the expected value of the model (the bias column)
    # Internal nodes of all the trees.
    node_feature: np.ndarray
    node_threshold: np.ndarray
    node_default_left: np.ndarray
    node_missing: np.ndarray
    # Path entries (depth, leaf): the node, the side the leaf is on, its feature's bit
    # (0 past the end of a shorter path).
    entry_node: np.ndarray
    entry_left: np.ndarray
    entry_bit: np.ndarray
    leaf_full: np.ndarray  # all of a leaf's bits
    # Distinct path features of each leaf ("slots"), sorted by feature for the sums.
    slot_leaf: np.ndarray
    slot_bit: np.ndarray
    slot_coefficient: np.ndarray  # (1 - z) / z
    slot_offset: np.ndarray  # where the table of the slot's leaf starts in `table`
    feature_first_slot: np.ndarray
    slot_features: np.ndarray  # the features that have slots, in order
    table: np.ndarray

    @classmethod
    def of(cls, booster: lgb.Booster) -> TreeShap | None:
        """The tables of a booster; None when its trees are of a kind this does not read."""
        try:
            return cls.build(booster.dump_model())
        except Unsupported:
            return None

    @classmethod
    def build(cls, model: dict) -> TreeShap:
        paths = _read_paths(model)
        depths = np.array([len(fractions) for _, _, fractions in paths.leaves], dtype=np.int64)
        sizes = np.left_shift(1, depths)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        table = np.zeros(int(sizes.sum()))
        values = np.array([value for value, _, _ in paths.leaves])
        for d in np.unique(depths):
            chosen = np.flatnonzero(depths == d)
            for start in range(0, len(chosen), BUILD_CHUNK):
                leaves = chosen[start : start + BUILD_CHUNK]
                zeros = np.array([[z for _, z in paths.leaves[j][2]] for j in leaves])
                tables = _tables(values[leaves], zeros.reshape(len(leaves), d), int(d))
                table[offsets[leaves][:, None] + np.arange(1 << d)] = tables
        # The expected value: each leaf's value times the share of the data reaching it.
        reach = np.array([math.prod(z for _, z in fractions) for _, _, fractions in paths.leaves])
        constant = paths.constant + float(values @ reach)

        longest = max((len(path) for _, path, _ in paths.leaves), default=0)
        shape = (longest, len(paths.leaves))
        entry_node = np.zeros(shape, dtype=np.intp)
        entry_left = np.zeros(shape, dtype=bool)
        entry_bit = np.zeros(shape, dtype=np.int32)
        slot_leaf, slot_feature, slot_bit, slot_coefficient = [], [], [], []
        for j, (_, path, fractions) in enumerate(paths.leaves):
            bit_of = {feature: 1 << k for k, (feature, _) in enumerate(fractions)}
            for depth, (node, left) in enumerate(path):
                entry_node[depth, j] = node
                entry_left[depth, j] = left
                entry_bit[depth, j] = bit_of[paths.node_feature[node]]
            for feature, z in fractions:
                slot_leaf.append(j)
                slot_feature.append(feature)
                slot_bit.append(bit_of[feature])
                slot_coefficient.append((1.0 - z) / z)
        slot_feature = np.array(slot_feature, dtype=np.int64)
        order = np.argsort(slot_feature, kind="stable")
        features, first_slot = np.unique(slot_feature[order], return_index=True)
        slot_leaf = np.array(slot_leaf, dtype=np.intp)[order]
        return cls(
            n_features=int(model["max_feature_idx"]) + 1,
            constant=constant,
            node_feature=np.array(paths.node_feature, dtype=np.intp),
            node_threshold=np.array(paths.node_threshold),
            node_default_left=np.array(paths.node_default_left),
            node_missing=np.array(paths.node_missing, dtype=np.int8),
            entry_node=entry_node.ravel(),
            entry_left=entry_left,
            entry_bit=entry_bit,
            leaf_full=(sizes - 1).astype(np.int32),
            slot_leaf=slot_leaf,
            slot_bit=np.array(slot_bit, dtype=np.int32)[order],
            slot_coefficient=np.array(slot_coefficient)[order],
            slot_offset=offsets[slot_leaf],
            feature_first_slot=first_slot,
            slot_features=features,
            table=table,
        )

    def store(self) -> Columns:
        """The tables and index arrays as columns (the bundle's `shap/` folder)."""
        arrays = {name: getattr(self, name) for name in _array_fields()}
        meta = {"layout": LAYOUT, "n_features": self.n_features, "constant": self.constant}
        return Columns(arrays, meta)

    @classmethod
    def open(cls, columns: Columns) -> TreeShap:
        """The tables `store` wrote, around its (memory-mapped) columns; `Unsupported`
        for another layout or missing arrays."""
        if columns.meta.get("layout") != LAYOUT:
            raise Unsupported(f"SHAP tables of layout {columns.meta.get('layout')}")
        missing = [name for name in _array_fields() if name not in columns]
        if missing:
            raise Unsupported(f"SHAP tables without {', '.join(missing)}")
        return cls(
            n_features=int(columns.meta["n_features"]),
            constant=float(columns.meta["constant"]),
            **{name: columns[name] for name in _array_fields()},
        )

    def agrees_with(self, booster: lgb.Booster) -> bool:
        """Whether these tables give `booster`'s own SHAP values on a few rows: each feature
        at its first split's threshold, just past it, and missing (another model's fail)."""
        if booster.num_feature() != self.n_features:
            return False
        rows = _probe_rows(self)
        try:
            own = booster.predict(rows, pred_contrib=True, num_threads=1)
        except lgb.basic.LightGBMError:
            return False
        return bool(np.allclose(self.contributions(rows), own, rtol=0, atol=AGREEMENT_TOLERANCE))

    def goes_left(self, matrix: np.ndarray) -> np.ndarray:
        """Each row's side at each node, as LightGBM decides it (`NumericalDecision`)."""
        values = np.asarray(matrix, dtype=np.float64)[:, self.node_feature]
        # LightGBM reads ±inf as its largest threshold, ±1e300.
        values = np.clip(values, -LARGEST, LARGEST)
        nan = np.isnan(values)
        values[nan & (self.node_missing != MISSING_TYPES["NaN"])] = 0.0
        missing = (self.node_missing == MISSING_TYPES["Zero"]) & (np.abs(values) <= ZERO_THRESHOLD)
        missing |= (self.node_missing == MISSING_TYPES["NaN"]) & nan
        return np.where(missing, self.node_default_left, values <= self.node_threshold)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """SHAP values of the rows of a feature matrix: (n, n_features + 1), bias last."""
        if len(matrix) <= ROW_CHUNK:
            return self._contributions(matrix)
        chunks = range(0, len(matrix), ROW_CHUNK)
        return np.vstack([self._contributions(matrix[at : at + ROW_CHUNK]) for at in chunks])

    def _contributions(self, matrix: np.ndarray) -> np.ndarray:
        n = len(matrix)
        left = self.goes_left(matrix)
        on_path = np.take(left, self.entry_node, axis=1).reshape(n, *self.entry_left.shape)
        # The bits of the features whose conditions a row breaks somewhere on the path.
        off_bits = (on_path != self.entry_left) * self.entry_bit
        cold = np.bitwise_or.reduce(off_bits, axis=1)
        hot_set = self.leaf_full ^ cold  # (n, leaves)
        slot_set = np.take(hot_set, self.slot_leaf, axis=1)
        hot_bit = slot_set & self.slot_bit
        # A hot feature reads R(H without it), a cold one R(H): offset + H - its bit if hot.
        looked_up = np.take(self.table, self.slot_offset + slot_set - hot_bit)
        hot = np.minimum(hot_bit, 1)
        values = looked_up * (hot * (self.slot_coefficient + 1.0) - 1.0)
        out = np.zeros((n, self.n_features + 1))
        out[:, self.slot_features] = np.add.reduceat(values, self.feature_first_slot, axis=1)
        out[:, -1] = self.constant
        return out


def for_bundle(bundle: Bundle) -> TreeShap | None:
    """The SHAP tables of a bundle's booster: mapped from `shap/` when stored there and
    they agree with the booster, else built (None: a model they do not read)."""
    keep_freed_memory()  # each row's temporaries would otherwise be fresh pages
    stored = bundle.columns(SHAP_TABLE)
    if stored is not None:
        try:
            tables = TreeShap.open(stored)
        except Unsupported as error:
            log.warning("%s: SHAP tables not usable (%s): built again", bundle.path, error)
        else:
            if tables.agrees_with(bundle.booster):
                return tables
            log.warning("%s: SHAP tables disagree with model.txt: built again", bundle.path)
    return TreeShap.of(bundle.booster)


def stored_tables(booster: lgb.Booster) -> dict[str, Columns]:
    """At training: the bundle's `shap/` columns of `booster`, none for a model they do
    not read. Built from the model as saved (its text), the one serving parses."""
    tables = TreeShap.of(lgb.Booster(model_str=booster.model_to_string()))
    return {} if tables is None else {SHAP_TABLE: tables.store()}


def _array_fields() -> list[str]:
    """The fields of `TreeShap` that are arrays (the others go in the columns' meta)."""
    return [f.name for f in fields(TreeShap) if f.name not in ("n_features", "constant")]


def _probe_rows(tables: TreeShap) -> np.ndarray:
    """Rows at thresholds just below and above some nodes', and one of missing values."""
    n = tables.n_features
    rows = np.full((3, n), np.nan)
    features, thresholds = tables.node_feature, tables.node_threshold
    # Each feature at its first node's threshold (goes left there), then just past it.
    seen, first = np.unique(features, return_index=True)
    rows[0, seen] = thresholds[first]
    rows[1, seen] = np.nextafter(thresholds[first], np.inf)
    return rows
