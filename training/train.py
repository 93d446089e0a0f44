"""`immoval train`'s core: features → LightGBM → out-of-time backtest → refit → new version.

Steps (pure functions on tables, I/O at the edges):
1. clean sales with coordinates; the market index; leak-free features of every sale;
2. model A on sales before the calibration slice → conformal quantiles of its errors on
   that slice (per département × type), see `training.calibration`;
3. model B on sales before the test period → the out-of-time test, with A's ranges,
   next to two baselines and an ablation without the tranquillity features, see
   `training.backtest`;
4. the final model on all sales, its calibration by level (`model.equity`) and its ranges
   learnt on B's out-of-time errors;
5. a new immutable version `models/<version>/`, promoted if it is the first.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from model import features as feats
from model import registry
from model.geography import departement_label
from model.market import MarketIndex
from model.property import PROPERTY_TYPES
from model.settings import Layout
from training import settings
from training.backtest import make_split, run_backtest
from training.champion import against_champion
from training.cleaning import MARKET_NATURES
from training.completeness import departement_data
from training.errors import PipelineError
from training.feature_partitions import FeatureMatrix, Runner, features_by_departement, run_here
from training.surroundings import add_features as add_surroundings
from training.surroundings import known_shares as surroundings_summary
from training.version import write_version

N_ESTIMATORS = settings.N_ESTIMATORS
SEED = settings.SEED
PARAMS = {
    # Absolute error in log space: the model aims at the median ratio (what MdAPE measures)
    # and mispriced sales left in the data pull it less than with squared error. Huber
    # (alpha 0.25) and squared error measured 0.1 point worse on the 2024 test.
    "objective": "regression_l1",
    # 300 trees of depth ≤ 10: SHAP values of one estimate take ≈3.5 ms instead of ≈7 ms
    # for 500 unbounded trees, for 0.04 point of MdAPE (measured on the 2024 test). Measured
    # again (benchmarks/booster_size.py): fewer rounds or leaves cut SHAP by 30-50 % for
    # 0.01-0.1 point of MdAPE and 0.1-0.3 of PE10; 600 rounds or 127 leaves gain at most
    # 0.02 point of MdAPE for 2.5-3.5 times the SHAP cost.
    "learning_rate": 0.1,
    "num_leaves": 63,
    "max_depth": 10,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "deterministic": True,
    "force_row_wise": True,
    "verbosity": -1,
}


# --- data ---------------------------------------------------------------------------------


def read_sales(layout: Layout) -> pd.DataFrame:
    """The prepared sales table."""
    from training.prepare import read_sales as read_prepared

    if not (layout.prepared / "sales").is_dir():
        raise PipelineError(
            f"{layout.prepared / 'sales'} does not exist: run `immoval prepare` first"
        )
    return read_prepared(layout)


def read_communes(layout: Layout) -> pd.DataFrame:
    """The communes reference table written by `immoval prepare`."""
    path = layout.reference / "communes.parquet"
    if not path.is_file():
        raise PipelineError(f"{path} is missing: run `immoval prepare` first")
    return pd.read_parquet(path)


def clean_sales(sales: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Market sales usable for training and as comparables, sorted by date; counts left out."""
    reasons = {
        "flagged_outlier": sales["is_outlier"].fillna(False).to_numpy(dtype=bool),
        "not_a_market_sale": ~sales["nature"].astype(str).isin(MARKET_NATURES).to_numpy(),
        "no_coordinates": ~(
            sales["has_coordinates"].fillna(False).to_numpy(dtype=bool)
            & sales["latitude"].notna().to_numpy()
            & sales["longitude"].notna().to_numpy()
        ),
        "no_price_or_surface": ~((sales["price"] > 0) & (sales["living_area_m2"] > 0)).to_numpy(),
        "unknown_type": ~sales["property_type"].astype(str).isin(PROPERTY_TYPES).to_numpy(),
    }
    left_out = np.zeros(len(sales), dtype=bool)
    counts = {}
    for name, mask in reasons.items():
        counts[name] = int((mask & ~left_out).sum())
        left_out |= mask
    clean = sales.loc[~left_out].copy()
    clean["property_type"] = clean["property_type"].astype(str)
    clean["departement"] = clean["departement"].astype(str)
    clean["price_per_m2"] = clean["price"] / clean["living_area_m2"].astype("float64")
    clean = clean.sort_values(["date", "mutation_id"], kind="stable").reset_index(drop=True)
    return clean, counts


def flagged_sales(sales: pd.DataFrame) -> pd.DataFrame:
    """Flagged outliers that are otherwise usable market sales, sorted by date."""
    flagged = sales["is_outlier"].fillna(False).to_numpy(dtype=bool)
    return clean_sales(sales.loc[flagged].assign(is_outlier=False))[0]


def tranquillity_columns(sales: pd.DataFrame) -> tuple[str, ...]:
    """The `tq_*` features present in the sales table, in `model.tranquillity` order."""
    try:
        from model.tranquillity import FEATURES
    except ImportError:  # the tranquillity module is optional for the model
        FEATURES = ()
    return tuple(name for name in FEATURES if name in sales.columns)


# --- fitting ------------------------------------------------------------------------------


def training_params(seed: int, threads: int | None = None, overrides: dict | None = None) -> dict:
    """LightGBM parameters of a training run (threads: `IMMOVAL_TRAIN_THREADS` if None;
    `overrides` over `PARAMS`, for the benchmarks that compare boosters)."""
    threads = settings.train_threads() if threads is None else threads
    return {**PARAMS, **(overrides or {}), "num_threads": threads, "seed": seed}


def fit_booster(
    matrix: np.ndarray, target: np.ndarray, names, n_estimators: int, seed: int, threads=None
):
    """A LightGBM booster on a feature matrix (deterministic for a given seed)."""
    return _train(matrix, target, names, training_params(seed, threads), n_estimators)


def _train(matrix: np.ndarray, target: np.ndarray, names, params: dict, n_estimators: int):
    data = lgb.Dataset(
        matrix,
        label=target,
        feature_name=list(names),
        free_raw_data=True,
        params={"max_bin": params["max_bin"], "verbosity": -1},
    )
    return lgb.train(params, data, num_boost_round=n_estimators)


@dataclass(frozen=True)
class Fitting:
    """How every booster of a run is fitted: rounds, seed and threads (all given: the
    run resolves them once, from its options and the environment)."""

    n_estimators: int
    seed: int
    threads: int
    # A dask.distributed client: boosters are fitted on its cluster (`DaskLGBMRegressor`).
    client: object | None = field(default=None, compare=False)
    # LightGBM parameters over `PARAMS` (benchmarks compare boosters; training uses none).
    overrides: dict = field(default_factory=dict, hash=False)

    def params(self) -> dict:
        """The parameters recorded in the metadata."""
        return {**self._lightgbm(), "n_estimators": self.n_estimators}

    def _lightgbm(self) -> dict:
        return training_params(self.seed, self.threads, self.overrides)

    def fit(self, matrix: np.ndarray, target: np.ndarray, names) -> lgb.Booster:
        """A booster on these features."""
        if self.client is not None:
            from training.dask_training import fit_on_cluster

            return fit_on_cluster(
                self.client, matrix, target, names, self._lightgbm(), self.n_estimators
            )
        return _train(matrix, target, names, self._lightgbm(), self.n_estimators)


# --- features ---------------------------------------------------------------------------


@dataclass
class Prepared:
    """Clean sales with their leak-free features and target."""

    sales: pd.DataFrame
    features: FeatureMatrix
    target: np.ndarray
    market: MarketIndex
    communes: feats.Communes
    tranquillity: tuple[str, ...]
    left_out: dict[str, int] = field(default_factory=dict)
    # Sales flagged as outliers that pass every other rule: never trained on, evaluated
    # next to the clean test sales so that the report can show both.
    flagged: pd.DataFrame | None = None
    # How features of other sales are computed (here or on a Dask cluster).
    runner: Runner = run_here
    # code_commune, latitude, longitude of the communes: where a geocoder places a home it
    # finds only at its commune (`training.precision_ranges`).
    commune_centres: pd.DataFrame | None = None
    # The `sr_*` features (`model.surroundings`), after the tranquillity ones.
    surroundings: tuple[str, ...] = ()

    @property
    def place_columns(self) -> tuple[str, ...]:
        """The place-level features the sales carry as columns: `tq_*`, then `sr_*`."""
        return self.tranquillity + self.surroundings

    def features_of(
        self, subjects: pd.DataFrame, pool: pd.DataFrame, market: MarketIndex | None = None
    ) -> FeatureMatrix:
        """Features of other `subjects` from the `pool` sales (both sorted by date)."""
        return features_by_departement(
            subjects,
            pool,
            self.market if market is None else market,
            self.communes,
            self.place_columns,
            runner=self.runner,
        )


def prepare_features(
    sales: pd.DataFrame,
    communes: pd.DataFrame,
    *,
    scratch: Path | None = None,
    runner: Runner = run_here,
    log: Callable[[str], None] = lambda message: None,
    surroundings: Sequence[str] | None = None,
) -> Prepared:
    """Clean the sales, fit the market index, compute every sale's features (one
    département at a time; in a memory-mapped file under `scratch` if given);
    `surroundings`: the groups of `sr_*` columns the model uses (None: all the sales carry;
    the others stay in the sales, for the backtest's `with_surroundings`)."""
    clean, left_out = clean_sales(sales)
    if clean.empty:
        raise PipelineError("no clean sale to train on")
    market = MarketIndex.fit(
        clean["departement"], clean["property_type"], clean["date"], clean["price_per_m2"]
    )
    target = feats.relative_price(clean, market)
    # The market's first month has no earlier level, hence no target nor relative price
    # for neighbours to use: those sales are left out.
    known = np.isfinite(target)
    left_out["before_market_index"] = int((~known).sum())
    clean = clean.loc[known].reset_index(drop=True)
    target = target[known]
    tq = tranquillity_columns(clean)
    wanted = feats.SURROUNDINGS if surroundings is None else feats.surroundings_of(surroundings)
    sr = tuple(name for name in wanted if name in clean.columns)
    table = feats.Communes.from_frame(communes)
    path = None if scratch is None else scratch / "features.npy"
    # Place-level columns (tq_*, sr_*) are read as they are, after the base features.
    features = features_by_departement(
        clean, clean, market, table, tq + sr, path=path, runner=runner, log=log
    )
    flagged = flagged_sales(sales)
    point = ["code_commune", "latitude", "longitude"]
    centres = (
        communes.loc[:, point].astype({"code_commune": str})
        if set(point) <= set(communes)
        else None
    )
    return Prepared(
        clean, features, target, market, table, tq, left_out, flagged, runner,
        commune_centres=centres, surroundings=sr,
    )  # fmt: skip


# --- the run ------------------------------------------------------------------------------


def run_training(
    layout: Layout,
    *,
    test_from: date | None = None,
    test_months: int = 12,
    n_estimators: int = N_ESTIMATORS,
    seed: int = SEED,
    threads: int | None = None,
    promote_first: bool = True,
    scheduler: str | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> Path:
    """The whole step; returns the new version's folder (threads: the environment's if None;
    `scheduler`: a dask.distributed address to run features and boosters on)."""
    started = time.monotonic()
    clock = log
    log = lambda message: clock(f"[{time.monotonic() - started:5.0f} s] {message}")  # noqa: E731
    threads = settings.train_threads() if threads is None else threads
    with ExitStack() as stack:
        client = None
        if scheduler:
            from training.dask_cluster import connect
            from training.dask_training import runner_on

            client = stack.enter_context(connect(scheduler))
            log(f"training on the Dask cluster at {scheduler}")
        fitting = Fitting(n_estimators, seed, threads, client)
        runner = run_here if client is None else runner_on(client)
        scratch = stack.enter_context(scratch_folder(layout))
        sales = read_sales(layout)
        log(f"{len(sales)} sales read")
        # Every group is computed: those outside the model are measured by the backtest.
        groups = settings.surroundings_groups()
        sales = add_surroundings(sales, layout.reference, tuple(feats.SURROUNDINGS_GROUPS))
        log(f"surroundings (model: {', '.join(groups) or 'none'}): {surroundings_summary(sales)}")
        communes = read_communes(layout)
        coverage = departement_data(sales, communes)
        for data in coverage.values():
            if data.is_partial:
                log(f"{departement_label(data.code)}: partial data ({', '.join(data.gaps)})")
        prep = prepare_features(
            sales, communes, scratch=scratch, runner=runner, log=log, surroundings=groups
        )
        del sales  # the clean sales and their features are all the rest needs
        split = make_split(prep.sales["date"].max().date(), test_from, test_months)
        log(f"features of {len(prep.sales)} sales in {time.monotonic() - started:.0f} s")
        backtest = run_backtest(prep, split, fitting, log)
        comparison = against_champion(layout.models, prep, backtest, log)

        log(f"final model on {len(prep.sales)} sales")
        final = fitting.fit(prep.features.matrix, prep.target, prep.features.names)
        path = write_version(
            layout, final, prep, coverage, backtest, fitting, started, comparison=comparison
        )
    if promote_first and registry.read_champion(layout.models) is None:
        registry.promote(layout.models, path.name)
        log(f"{path.name} promoted: it is the first model")
    return path


SCRATCH_PREFIX = ".train-"


@contextmanager
def scratch_folder(layout: Layout) -> Iterator[Path]:
    """A folder for the run's memory-mapped features, removed after it; those of runs that
    were interrupted are removed first (one training runs at a time per home)."""
    layout.home.mkdir(parents=True, exist_ok=True)
    for stale in layout.home.glob(f"{SCRATCH_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=layout.home) as folder:
        yield Path(folder)
