"""The features of every sale and the backtest's periods, for benchmarks that fit models
out of time themselves (as `training.backtest` does)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.settings import layout  # noqa: E402
from training import train  # noqa: E402
from training.backtest import Periods, Split, make_split  # noqa: E402


@contextmanager
def prepared_periods(home, test_from: str) -> Iterator[tuple[train.Prepared, Split, Periods]]:
    """(features of the prepared sales, the split with a 12-month test from `test_from`, its
    periods); the features' scratch files last as long as the block."""
    lay = layout(home)
    with train.scratch_folder(lay) as scratch:
        prep = train.prepare_features(
            train.read_sales(lay), train.read_communes(lay), scratch=scratch, log=print
        )
        split = make_split(prep.sales["date"].max().date(), date.fromisoformat(test_from), 12)
        yield prep, split, Periods.of(prep.sales, split)
