"""Ablations of the place-level feature groups: model B refitted without a group's columns,
or with the surroundings groups the model leaves out.

One variant per surroundings group in the model (`without_transport`, …), next to
`without_tranquillity`, and `with_surroundings` (model B plus every `sr_*` column the
sales carry that the model does not use): how much each moves the out-of-time test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model import features as feats
from training.calibration import estimate_from, rows_of

if TYPE_CHECKING:  # types only: train imports backtest, which imports this module
    from training.backtest import Periods
    from training.train import Fitting, Prepared


def surroundings_ablations(prep: Prepared) -> list[tuple[str, tuple[str, ...]]]:
    """(variant name, features left out) of each surroundings group the model holds."""
    out = []
    for group, names in feats.SURROUNDINGS_GROUPS.items():
        dropped = tuple(name for name in names if name in prep.surroundings)
        if dropped:
            out.append((f"without_{group}", dropped))
    return out


def columns_of(names: Sequence[str], wanted: Sequence[str], matrix: np.ndarray) -> np.ndarray:
    """The columns `wanted` of a feature matrix whose columns are `names`."""
    names = list(names)
    return matrix[:, [names.index(n) for n in wanted]]


def without_features(
    prep: Prepared,
    periods: Periods,
    fitting: Fitting,
    test_frame: pd.DataFrame,
    dropped: Sequence[str],
) -> pd.DataFrame:
    """Test estimates of model B refitted without the `dropped` features (no range yet)."""
    names, matrix = prep.features.names, prep.features.matrix
    kept = [n for n in names if n not in set(dropped)]
    train, test = periods.train_b, periods.test
    ablated = fitting.fit(columns_of(names, kept, rows_of(matrix, train)), prep.target[train], kept)
    frame = test_frame.copy()
    area = prep.sales["living_area_m2"].to_numpy(dtype="float64")[test]
    frame["estimate"] = estimate_from(
        ablated.predict(columns_of(names, kept, rows_of(matrix, test))),
        prep.features.level[test],
        area,
    )
    return frame


def unused_surroundings(prep: Prepared) -> tuple[str, ...]:
    """The `sr_*` columns the sales carry that the model does not use."""
    return tuple(
        name
        for name in feats.SURROUNDINGS
        if name in prep.sales.columns and name not in prep.surroundings
    )


def with_features(
    prep: Prepared,
    periods: Periods,
    fitting: Fitting,
    test_frame: pd.DataFrame,
    added: Sequence[str],
) -> pd.DataFrame:
    """Test estimates of model B refitted with the sales' `added` columns (no range yet)."""
    names = [*prep.features.names, *added]
    extra = prep.sales.loc[:, list(added)].to_numpy(dtype="float32")
    train, test = periods.train_b, periods.test
    matrix = prep.features.matrix

    def rows(mask: np.ndarray) -> np.ndarray:
        return np.hstack([rows_of(matrix, mask), extra[mask]])

    fitted = fitting.fit(rows(train), prep.target[train], names)
    frame = test_frame.copy()
    area = prep.sales["living_area_m2"].to_numpy(dtype="float64")[test]
    frame["estimate"] = estimate_from(fitted.predict(rows(test)), prep.features.level[test], area)
    return frame


def surroundings_variants(
    prep: Prepared,
    periods: Periods,
    fitting: Fitting,
    test_frame: pd.DataFrame,
    log: Callable[[str], None],
) -> Iterator[tuple[str, pd.DataFrame]]:
    """(variant name, test estimates) of every surroundings ablation of this run."""
    for name, dropped in surroundings_ablations(prep):
        log(f"ablation: {name.replace('_', ' ')} features")
        yield name, without_features(prep, periods, fitting, test_frame, dropped)
    added = unused_surroundings(prep)
    if added:
        log(f"variant: with the {len(added)} surroundings features the model leaves out")
        yield "with_surroundings", with_features(prep, periods, fitting, test_frame, added)
