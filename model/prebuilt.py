"""What serving builds from a bundle's sales: built once at training, memory-mapped at load.

`ServingTables.from_sales` builds, from the bundle's sales table, what serving searches:
the sales in pool order (`SaleColumns`), the features' history (`model.features.History`
with its trees), the tree over every sale and the commune history. Training stores them as
columns (`store`: the bundle's `serving/` folder, see `model.mapped`); serving wraps the
same objects around the memory-mapped files (`open`), so that a worker copies nothing that
grows with the sales: every worker, and every bundle switch, shares one copy in the page
cache. A bundle without the folder (written before it existed) is built from its sales
table as before, with the same answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from sklearn.neighbors import KDTree

from model.bundle import HISTORY_TABLE, SALES_TABLE, SERVING_TABLE, Bundle, BundleError
from model.comparables import SalesPool
from model.features.history import Communes, History, _GroupHistory
from model.indicators import MarketHistory
from model.mapped import Columns, SortedKeys
from model.market import MarketIndex
from model.property import PROPERTY_TYPES
from model.sales import SaleColumns
from model.trees import build_tree, open_tree, store_tree

log = logging.getLogger(__name__)

# What `open` expects of `store`'s columns; another layout is rebuilt from the sales.
LAYOUT = 1
# History fields not stored: small, and read from their own tables at load.
_GIVEN = ("market", "communes")
_POOL_ARRAYS = ("xyz", "days", "type_code")


@dataclass
class ServingTables:
    """The objects serving searches, over every sale of a bundle."""

    history: History
    sales: SaleColumns
    sale_tree: KDTree  # every sale, both types: locating a point, radius searches
    commune_history: MarketHistory

    @classmethod
    def from_sales(
        cls,
        sales: pd.DataFrame,
        market: MarketIndex,
        communes: Communes,
        commune_history: pd.DataFrame,
    ) -> ServingTables:
        """Built in memory from a bundle's sales and commune history tables."""
        sales = pool_order(sales)
        history = History.build(sales, market, communes)
        history.pool.warm()
        return cls(
            history,
            SaleColumns.from_frame(sales),
            build_tree(history.pool.xyz),
            MarketHistory.from_frame(commune_history),
        )

    def store(self) -> Columns:
        """Everything as columns (the bundle's `serving/` folder)."""
        columns = Columns(meta={"layout": LAYOUT})
        _store_history(self.history, columns)
        self.sales.store("sales", columns)
        store_tree(self.sale_tree, "sale_tree", columns, data="history.pool.xyz")
        self.commune_history.store("commune_history", columns)
        return columns

    @classmethod
    def open(cls, columns: Columns, market: MarketIndex, communes: Communes) -> ServingTables:
        """The tables `store` wrote, around its (memory-mapped) columns."""
        if columns.meta.get("layout") != LAYOUT:
            raise BundleError(f"serving tables of layout {columns.meta.get('layout')}")
        return cls(
            _open_history(columns, market, communes),
            SaleColumns.open("sales", columns),
            open_tree(columns, "sale_tree"),
            MarketHistory.open("commune_history", columns),
        )


def load(bundle: Bundle, market: MarketIndex, communes: Communes) -> ServingTables:
    """A bundle's serving tables: memory-mapped when stored, else built from its sales."""
    stored = bundle.columns(SERVING_TABLE)
    if stored is not None:
        try:
            return ServingTables.open(stored, market, communes)
        except (BundleError, KeyError) as error:  # written by other code: rebuild
            log.warning(
                "%s: serving tables not usable (%s): built from the sales", bundle.path, error
            )
    return ServingTables.from_sales(
        bundle.table(SALES_TABLE), market, communes, bundle.table(HISTORY_TABLE)
    )


def serving_columns(
    sales: pd.DataFrame, market: MarketIndex, commune_history: pd.DataFrame
) -> Columns:
    """At training: the serving tables of a bundle's sales, as columns."""
    no_communes = Communes.from_frame(
        pd.DataFrame({"code_commune": [], "population": [], "area_km2": []})
    )
    return ServingTables.from_sales(sales, market, no_communes, commune_history).store()


def pool_order(sales: pd.DataFrame) -> pd.DataFrame:
    """The sales sorted as the pool reads them: by date, then mutation id."""
    sales = sales.assign(date=pd.to_datetime(sales["date"]))
    return sales.sort_values(["date", "mutation_id"], kind="stable").reset_index(drop=True)


def _store_history(history: History, columns: Columns) -> None:
    kinds = {}
    for f in fields(history):
        value, key = getattr(history, f.name), f"history.{f.name}"
        if f.name in _GIVEN:
            continue
        if isinstance(value, SalesPool):
            kinds[f.name] = "pool"
            _store_pool(value, key, columns)
        elif isinstance(value, _GroupHistory):
            kinds[f.name] = "group"
            _store_group(value, key, columns)
        elif isinstance(value, np.ndarray):
            kinds[f.name] = "array"
            columns.arrays[key] = value
        else:
            raise TypeError(f"History.{f.name}: no stored form for {type(value).__name__}")
    columns.meta["history"] = kinds


def _open_history(columns: Columns, market: MarketIndex, communes: Communes) -> History:
    kinds = columns.meta["history"]
    values: dict = {"market": market, "communes": communes}
    for f in fields(History):
        if f.name in _GIVEN:
            continue
        kind, key = kinds.get(f.name), f"history.{f.name}"
        if kind == "pool":
            values[f.name] = _open_pool(key, columns)
        elif kind == "group":
            values[f.name] = _open_group(key, columns)
        elif kind == "array":
            values[f.name] = columns[key]
        else:
            raise BundleError(f"serving tables lack History.{f.name}")
    return History(**values)


def _store_pool(pool: SalesPool, key: str, columns: Columns) -> None:
    for name in _POOL_ARRAYS:
        columns.arrays[f"{key}.{name}"] = getattr(pool, name)
    for kind, (tree, rows) in pool.full_trees().items():
        columns.arrays[f"{key}.rows.{kind}"] = rows
        if tree is not None:
            store_tree(tree, f"{key}.tree.{kind}", columns)


def _open_pool(key: str, columns: Columns) -> SalesPool:
    pool = SalesPool(*(columns[f"{key}.{name}"] for name in _POOL_ARRAYS))
    trees = {}
    for kind in range(len(PROPERTY_TYPES)):
        name = f"{key}.tree.{kind}"
        tree = open_tree(columns, name) if name in columns.meta else None
        trees[kind] = (tree, columns[f"{key}.rows.{kind}"])
    pool.adopt(trees)
    return pool


def _store_group(group: _GroupHistory, key: str, columns: Columns) -> None:
    for f in fields(group):
        value = getattr(group, f.name)
        if f.name == "codes":  # a pandas Index: its keys sorted, found by binary search
            keys = SortedKeys.of(value)
            columns.arrays[f"{key}.codes.keys"] = keys.keys
            columns.arrays[f"{key}.codes.positions"] = keys.positions
        else:
            columns.arrays[f"{key}.{f.name}"] = value


def _open_group(key: str, columns: Columns) -> _GroupHistory:
    values = {}
    for f in fields(_GroupHistory):
        if f.name == "codes":
            values[f.name] = SortedKeys(
                columns[f"{key}.codes.keys"], columns[f"{key}.codes.positions"]
            )
        else:
            values[f.name] = columns[f"{key}.{f.name}"]
    return _GroupHistory(**values)
