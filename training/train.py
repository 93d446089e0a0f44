"""`immoval train`: features → LightGBM → out-of-time evaluation → refit → register.

Steps (pure functions on tables, I/O at the edges):
1. clean sales with coordinates; the market index; leak-free features of every sale;
2. model A on sales before the calibration slice → conformal quantiles of its errors on
   that slice (per département × type);
3. model B on sales before the test period → the out-of-time test, with A's ranges,
   next to two baselines and an ablation without the tranquillity features;
4. the final model on all sales, its ranges calibrated on B's out-of-time errors;
5. a new immutable version `models/<version>/`, promoted if it is the first.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import click
import lightgbm as lgb
import numpy as np
import pandas as pd

from model import bundle as bundle_format
from model import features as feats
from model import registry
from model.market import MarketIndex, month_label, month_number
from model.property import PROPERTY_TYPES
from model.ranges import RangeTable
from model.settings import Layout
from model.settings import layout as make_layout
from training import evaluate as ev
from training.cleaning import MARKET_NATURES

N_ESTIMATORS = 300
SEED = 20240101
PARAMS = {
    # Absolute error in log space: the model aims at the median ratio (what MdAPE measures)
    # and mispriced sales left in the data pull it less than with squared error. Huber
    # (alpha 0.25) and squared error measured 0.1 point worse on the 2024 test.
    "objective": "regression_l1",
    # 300 trees of depth ≤ 10: SHAP values of one estimate take ≈3.5 ms instead of ≈7 ms
    # for 500 unbounded trees, for 0.04 point of MdAPE (measured on the 2024 test).
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
CALIBRATION_MONTHS = 6
HISTORY_COLUMNS = (
    "mutation_id",
    "date",
    "property_type",
    "living_area_m2",
    "rooms",
    "land_area_m2",
    "outbuildings",
    "price",
    "price_per_m2",
    "latitude",
    "longitude",
    "address_number",
    "street",
    "postcode",
    "code_commune",
    "commune_name",
    "code_commune_stats",
    "departement",
    "parcel_id",
)


# --- data ---------------------------------------------------------------------------------


def read_sales(layout: Layout) -> pd.DataFrame:
    """The prepared sales table."""
    from training.prepare import read_sales as read_prepared

    if not (layout.prepared / "sales").is_dir():
        raise click.ClickException(
            f"{layout.prepared / 'sales'} does not exist: run `immoval prepare` first"
        )
    return read_prepared(layout)


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


def tranquillity_columns(sales: pd.DataFrame) -> tuple[str, ...]:
    """The `tq_*` features present in the sales table, in `model.tranquillity` order."""
    try:
        from model.tranquillity import FEATURES
    except ImportError:  # the tranquillity module is optional for the model
        FEATURES = ()
    return tuple(name for name in FEATURES if name in sales.columns)


def read_communes(layout: Layout) -> pd.DataFrame:
    path = layout.reference / "communes.parquet"
    if not path.is_file():
        raise click.ClickException(f"{path} is missing: run `immoval prepare` first")
    return pd.read_parquet(path)


# --- fitting ------------------------------------------------------------------------------


def training_params(seed: int) -> dict:
    """LightGBM parameters of a training run, threads read from the environment."""
    # One thread by default: on a shared 2-core machine, LightGBM's two threads wait on
    # each other whenever one is descheduled (measured 5x slower than one thread under
    # load). IMMOVAL_TRAIN_THREADS=2 on a dedicated machine.
    threads = int(os.environ.get("IMMOVAL_TRAIN_THREADS", "1"))
    return {**PARAMS, "num_threads": threads, "seed": seed}


def fit_booster(matrix: np.ndarray, target: np.ndarray, names, n_estimators: int, seed: int):
    """A LightGBM booster on a feature matrix (deterministic for a given seed)."""
    params = training_params(seed)
    data = lgb.Dataset(
        matrix,
        label=target,
        feature_name=list(names),
        free_raw_data=True,
        params={"max_bin": PARAMS["max_bin"], "verbosity": -1},
    )
    return lgb.train(params, data, num_boost_round=n_estimators)


# --- the pipeline -------------------------------------------------------------------------


@dataclass
class Split:
    """The out-of-time periods."""

    calibration_from: date
    test_from: date
    test_until: date


def make_split(data_until: date, test_from: date | None, test_months: int) -> Split:
    """Test = last `test_months` whole months (or from `test_from`); calibration just before."""
    if test_from is None:
        end = pd.Timestamp(data_until).to_period("M")
        test_from = (end - (test_months - 1)).to_timestamp().date()
    calibration = (pd.Timestamp(test_from).to_period("M") - CALIBRATION_MONTHS).to_timestamp()
    return Split(calibration.date(), test_from, data_until)


@dataclass
class Prepared:
    """Clean sales with their leak-free features and target."""

    sales: pd.DataFrame
    history: feats.History
    batch: feats.FeatureBatch
    target: np.ndarray
    tranquillity: tuple[str, ...]
    left_out: dict[str, int] = field(default_factory=dict)
    # Sales flagged as outliers that pass every other rule: never trained on, evaluated
    # next to the clean test sales so that the report can show both.
    flagged: pd.DataFrame | None = None


def prepare_features(sales: pd.DataFrame, communes: pd.DataFrame) -> Prepared:
    """Clean the sales, fit the market index, compute every sale's features."""
    clean, left_out = clean_sales(sales)
    if clean.empty:
        raise click.ClickException("no clean sale to train on")
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
    history = feats.History.build(clean, market, feats.Communes.from_frame(communes))
    tq = tranquillity_columns(clean)
    batch = feats.compute(clean, history, tq)
    return Prepared(clean, history, batch, target, tq, left_out, flagged_sales(sales))


def flagged_sales(sales: pd.DataFrame) -> pd.DataFrame:
    """Flagged outliers that are otherwise usable market sales, sorted by date."""
    flagged = sales["is_outlier"].fillna(False).to_numpy(dtype=bool)
    return clean_sales(sales.loc[flagged].assign(is_outlier=False))[0]


def estimate_from(prediction: np.ndarray, level: np.ndarray, area) -> np.ndarray:
    """Price from a predicted market-relative log €/m²."""
    return np.exp(level + prediction) * np.asarray(area, dtype="float64")


def add_range(frame: pd.DataFrame, ranges: RangeTable, spread) -> pd.DataFrame:
    """`low` and `high` columns around `estimate`, as serving computes them."""
    lo, hi = ranges.multipliers(frame["departement"], frame["property_type"], spread)
    frame["low"], frame["high"] = frame["estimate"] * np.exp(lo), frame["estimate"] * np.exp(hi)
    return frame


def select(matrix_names, names, matrix):
    idx = [matrix_names.index(n) for n in names]
    return matrix[:, idx]


def run_evaluation(prep: Prepared, split: Split, n_estimators: int, seed: int, log) -> dict:
    """Models A and B, baselines, ablation; returns the evaluation and B's test errors."""
    sales, batch = prep.sales, prep.batch
    days = sales["date"].to_numpy().astype("datetime64[D]")
    cal_from = np.datetime64(split.calibration_from, "D")
    test_from = np.datetime64(split.test_from, "D")
    train_a = days < cal_from
    calib = (days >= cal_from) & (days < test_from)
    train_b = days < test_from
    test = days >= test_from
    if train_a.sum() == 0 or calib.sum() == 0 or test.sum() == 0:
        raise click.ClickException(
            f"not enough data for the split (train {train_a.sum()}, calibration "
            f"{calib.sum()}, test {test.sum()} sales): check --test-from / --test-months"
        )
    names = batch.names
    level = batch.level
    area = sales["living_area_m2"].to_numpy(dtype="float64")
    price = sales["price"].to_numpy(dtype="float64")

    log(f"model A: {train_a.sum()} sales before {split.calibration_from}")
    model_a = fit_booster(batch.matrix[train_a], prep.target[train_a], names, n_estimators, seed)
    est_cal = estimate_from(model_a.predict(batch.matrix[calib]), level[calib], area[calib])
    quantiles = RangeTable.fit(
        np.log(price[calib] / est_cal),
        sales.loc[calib, "departement"].to_numpy(),
        sales.loc[calib, "property_type"].to_numpy(),
        batch.column("knn_rel_spread")[calib],
    )

    log(f"model B: {train_b.sum()} sales before {split.test_from}")
    model_b = fit_booster(batch.matrix[train_b], prep.target[train_b], names, n_estimators, seed)
    test_frame = sales.loc[test, ["departement", "property_type", "price", "code_commune"]].copy()
    test_frame["estimate"] = estimate_from(
        model_b.predict(batch.matrix[test]), level[test], area[test]
    )
    spread = batch.column("knn_rel_spread")
    add_range(test_frame, quantiles, spread[test])
    results = {"model": ev.evaluate(test_frame)}
    notes = [
        "`model` et les autres colonnes excluent les ventes test signalées comme aberrantes "
        "par `immoval prepare` (is_outlier : prix symbolique, €/m² extrême, surface "
        "improbable) ; `model_including_flagged` les inclut, estimées par le même modèle."
    ]
    flagged = flagged_test_frame(prep, split, model_b, quantiles)
    if flagged is not None:
        log(f"model B on the {len(flagged)} flagged test sales too")
        results["model_including_flagged"] = ev.evaluate(
            pd.concat([test_frame, flagged], ignore_index=True)
        )

    log("model B as deployed: history and market index frozen at the test start")
    frozen = frozen_features(prep, split)
    frame = test_frame.copy()
    frame["estimate"] = estimate_from(model_b.predict(frozen.matrix), frozen.level, area[test])
    add_range(frame, quantiles, frozen.column("knn_rel_spread"))
    results["model_frozen_history"] = ev.evaluate(frame)

    if prep.tranquillity:
        log("ablation: without tranquillity features")
        base = [n for n in names if n not in prep.tranquillity]
        ablated = fit_booster(
            select(names, base, batch.matrix[train_b]),
            prep.target[train_b],
            base,
            n_estimators,
            seed,
        )
        frame = test_frame.copy()
        frame["estimate"] = estimate_from(
            ablated.predict(select(names, base, batch.matrix[test])), level[test], area[test]
        )
        add_range(frame, quantiles, spread[test])
        results["without_tranquillity"] = ev.evaluate(frame)

    log("baseline: LightGBM on attributes and coordinates")
    attrs = list(feats.ATTRIBUTE_FEATURES)
    plain_target = np.log(sales["price_per_m2"].to_numpy(dtype="float64"))
    plain = fit_booster(
        select(names, attrs, batch.matrix[train_b]),
        plain_target[train_b],
        attrs,
        n_estimators,
        seed,
    )
    frame = test_frame.drop(columns=["low", "high"]).copy()
    frame["estimate"] = np.exp(plain.predict(select(names, attrs, batch.matrix[test]))) * area[test]
    results["attributes_lightgbm"] = ev.evaluate(frame)

    log("baseline: commune × type median €/m²")
    frame["estimate"] = commune_median_estimate(sales.loc[train_b], sales.loc[test])
    results["commune_median"] = ev.evaluate(frame)

    # Final ranges: B's out-of-time errors on the test year (the latest behaviour).
    final_quantiles = RangeTable.fit(
        np.log(test_frame["price"] / test_frame["estimate"]),
        test_frame["departement"].to_numpy(),
        test_frame["property_type"].to_numpy(),
        batch.column("knn_rel_spread")[test],
    )
    importance = pd.DataFrame({"feature": names, "gain": model_b.feature_importance("gain")})
    return {
        "test_period": [split.test_from.isoformat(), split.test_until.isoformat()],
        "calibration_period": [
            split.calibration_from.isoformat(),
            (split.test_from - pd.Timedelta(days=1)).isoformat(),
        ],
        "train_until": (split.calibration_from - pd.Timedelta(days=1)).isoformat(),
        "results": results,
        "notes": notes,
        "calibration_quantiles": quantiles,
        "final_quantiles": final_quantiles,
        "importance": importance,
        "test_frame": test_frame,
    }


def flagged_test_frame(
    prep: Prepared, split: Split, booster, quantiles: RangeTable
) -> pd.DataFrame | None:
    """Estimates and ranges of the flagged test sales (features from the clean history)."""
    if prep.flagged is None:
        return None
    sales = prep.flagged.loc[prep.flagged["date"] >= pd.Timestamp(split.test_from)]
    sales = sales.reset_index(drop=True)
    if sales.empty:
        return None
    batch = feats.compute(sales, prep.history, prep.tranquillity)
    frame = sales.loc[:, ["departement", "property_type", "price", "code_commune"]].copy()
    frame["estimate"] = estimate_from(
        booster.predict(batch.matrix), batch.level, sales["living_area_m2"]
    )
    add_range(frame, quantiles, batch.column("knn_rel_spread"))
    return frame.loc[np.isfinite(frame["estimate"].to_numpy())]


def frozen_features(prep: Prepared, split: Split) -> feats.FeatureBatch:
    """Test sales' features as a model deployed at the test start would see them: only
    sales before it, the market level held at its last month (months of lag included)."""
    sales = prep.sales
    before = (sales["date"] < pd.Timestamp(split.test_from)).to_numpy()
    pool = sales.loc[before]
    market = prep.history.market.until(int(month_number(np.datetime64(split.test_from, "M"))) - 1)
    history = feats.History.build(pool.reset_index(drop=True), market, prep.history.communes)
    return feats.compute(sales.loc[~before].reset_index(drop=True), history, prep.tranquillity)


def commune_median_estimate(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Median €/m² of the commune × type before the test (else département × type) × surface."""
    by_commune = train.groupby(["code_commune", "property_type"])["price_per_m2"].median()
    by_dep = train.groupby(["departement", "property_type"])["price_per_m2"].median()
    keys = pd.MultiIndex.from_arrays([test["code_commune"], test["property_type"]])
    ppm2 = by_commune.reindex(keys).to_numpy()
    fallback = by_dep.reindex(
        pd.MultiIndex.from_arrays([test["departement"], test["property_type"]])
    ).to_numpy()
    ppm2 = np.where(np.isnan(ppm2), fallback, ppm2)
    return ppm2 * test["living_area_m2"].to_numpy(dtype="float64")


def commune_history(sales: pd.DataFrame) -> pd.DataFrame:
    """Median €/m² and number of sales per commune × type (and all types) × quarter."""
    quarter = sales["date"].dt.to_period("Q").astype(str).str.replace("Q", "-Q", regex=False)
    frame = sales.assign(quarter=quarter)
    by_type = frame.groupby(["code_commune", "property_type", "quarter"]).agg(
        median_price_per_m2=("price_per_m2", "median"), sales=("price_per_m2", "size")
    )
    every = frame.groupby(["code_commune", "quarter"]).agg(
        median_price_per_m2=("price_per_m2", "median"), sales=("price_per_m2", "size")
    )
    every = every.reset_index().assign(property_type="all")
    out = pd.concat([by_type.reset_index(), every], ignore_index=True)
    return out.loc[:, ["code_commune", "property_type", "quarter", "median_price_per_m2", "sales"]]


# --- metadata -----------------------------------------------------------------------------


def git_commit() -> str | None:
    """The commit of the code that trained (None outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            timeout=5,
        )
        commit = out.stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            timeout=5,
        ).stdout.strip()
        return (commit + ("-dirty" if dirty else "")) if commit else None
    except (OSError, subprocess.SubprocessError):
        return None


def library_versions() -> dict[str, str]:
    import sklearn

    return {
        "python": platform.python_version(),
        "lightgbm": lgb.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }


def data_manifest(layout: Layout) -> dict:
    """Checksums of the prepared inputs the model was trained on."""
    out = {"files": {}}
    manifest = layout.prepared / "manifest.json"
    if manifest.is_file():
        try:
            out["prepare_manifest"] = json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError:
            out["prepare_manifest"] = None
    for path in sorted((layout.prepared / "sales").rglob("*.parquet")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        out["files"][str(path.relative_to(layout.prepared))] = digest
    return out


def new_version(models_dir: Path, now: datetime) -> str:
    """A sortable, unused version name."""
    base = now.strftime("%Y%m%d-%H%M%S")
    version, n = base, 1
    while (models_dir / version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def run_training(
    layout: Layout,
    *,
    test_from: date | None = None,
    test_months: int = 12,
    n_estimators: int = N_ESTIMATORS,
    seed: int = SEED,
    promote_first: bool = True,
    log=lambda message: None,
) -> Path:
    """The whole step; returns the new version's folder."""
    started = time.monotonic()
    clock = log
    log = lambda message: clock(f"[{time.monotonic() - started:5.0f} s] {message}")  # noqa: E731
    sales = read_sales(layout)
    log(f"{len(sales)} sales read")
    prep = prepare_features(sales, read_communes(layout))
    data_until = prep.sales["date"].max().date()
    split = make_split(data_until, test_from, test_months)
    log(f"features of {len(prep.sales)} sales in {time.monotonic() - started:.0f} s")
    evaluation = run_evaluation(prep, split, n_estimators, seed, log)

    log(f"final model on {len(prep.sales)} sales")
    final = fit_booster(prep.batch.matrix, prep.target, prep.batch.names, n_estimators, seed)
    layout.models.mkdir(parents=True, exist_ok=True)
    bundle_format.clean_staging(layout.models)
    now = datetime.now(UTC)
    version = new_version(layout.models, now)
    pool = prep.sales
    quantiles = evaluation.pop("final_quantiles")
    importance = evaluation.pop("importance")
    test_frame = evaluation.pop("test_frame")
    public_eval = _jsonable({k: v for k, v in evaluation.items()})
    metadata = {
        "created": now.isoformat(timespec="seconds"),
        "data_until": data_until.isoformat(),
        "training_window": [pool["date"].min().date().isoformat(), data_until.isoformat()],
        "market_period": month_label(prep.history.market.last_month),
        "departements": sorted(pool["departement"].unique().tolist()),
        "property_types": list(PROPERTY_TYPES),
        "features": list(prep.batch.names),
        "feature_dtypes": {name: "float32" for name in prep.batch.names},
        "tranquillity_features": list(prep.tranquillity),
        "target": "log(price_per_m2) - market level before the sale's month",
        "params": {**training_params(seed), "n_estimators": n_estimators},
        "k_neighbours": feats.K_NEIGHBOURS,
        "ranges": {
            **quantiles.to_dict(),
            "calibrated_on": "out-of-time errors of model B on the test period",
        },
        "sales": {"read": int(len(sales)), "used": int(len(pool)), "left_out": prep.left_out},
        "evaluation": public_eval,
        "data": data_manifest(layout),
        "libraries": library_versions(),
        "git_commit": git_commit(),
        "training_seconds": None,
    }
    files = {}
    with tempfile.TemporaryDirectory(prefix="immoval-plots-") as folder:
        tmp = Path(folder)
        plots = ev.write_plots(test_frame, public_eval["results"], importance, tmp)
        for name in plots:
            files[f"plots/{name}"] = (tmp / name).read_bytes()
    files["evaluation.md"] = ev.render_report(version, public_eval, plots)
    tables = {
        bundle_format.SALES_TABLE: pool.loc[:, [c for c in HISTORY_COLUMNS if c in pool.columns]],
        bundle_format.MARKET_TABLE: prep.history.market.to_frame(),
        bundle_format.HISTORY_TABLE: commune_history(pool),
        "feature_importance.parquet": importance,
    }
    metadata["training_seconds"] = round(time.monotonic() - started, 1)
    path = bundle_format.write_bundle(
        layout.models, version, final, metadata, tables, reference_dir=layout.reference, files=files
    )
    if promote_first and registry.read_champion(layout.models) is None:
        registry.promote(layout.models, version)
        log(f"{version} promoted: it is the first model")
    return path


# --- commands -----------------------------------------------------------------------------


def _layout(ctx: click.Context) -> Layout:
    return make_layout((ctx.obj or {}).get("home"))


@click.command()
@click.option(
    "--test-from",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="First day of the out-of-time test period (default: last --test-months).",
)
@click.option(
    "--test-months",
    type=click.IntRange(1, 60),
    default=12,
    show_default=True,
    help="Months at the end of the data used as the test period.",
)
@click.option(
    "--n-estimators",
    type=click.IntRange(1, 20000),
    default=N_ESTIMATORS,
    show_default=True,
    envvar="IMMOVAL_N_ESTIMATORS",
    help="Boosting rounds.",
)
@click.option("--seed", type=int, default=SEED, show_default=True)
@click.pass_context
def train(ctx, test_from, test_months, n_estimators, seed) -> None:
    """Train, evaluate out of time and register a new model version."""
    layout = _layout(ctx)
    path = run_training(
        layout,
        test_from=test_from.date() if test_from else None,
        test_months=test_months,
        n_estimators=n_estimators,
        seed=seed,
        log=click.echo,
    )
    meta = registry.read_metadata(layout.models, path.name)
    overall = meta["evaluation"]["results"]["model"]["overall"]
    click.echo(
        f"registered {path.name} in {meta['training_seconds']} s: "
        f"MdAPE {ev.fmt('mdape', overall['mdape'])}, PE10 {ev.fmt('pe10', overall['pe10'])}, "
        f"PE20 {ev.fmt('pe20', overall['pe20'])}, coverage "
        f"{ev.fmt('coverage', overall['coverage'])} (report: {path / 'evaluation.md'})"
    )
    if registry.read_champion(layout.models) != path.name:
        click.echo(f"champion unchanged; to serve this version: immoval promote {path.name}")


@click.command()
@click.pass_context
def models(ctx) -> None:
    """List model versions with their key metrics."""
    versions = registry.list_versions(_layout(ctx).models)
    if not versions:
        click.echo("no model version yet: run `immoval train`")
        return
    click.echo(
        f"{'':2}{'version':<20} {'data until':<11} {'test period':<23} "
        f"{'MdAPE':>7} {'PE10':>7} {'PE20':>7} {'cover':>7}"
    )
    for v in versions:
        period = "–".join(v["test_period"] or ["?", "?"])
        click.echo(
            f"{'*' if v['champion'] else ' ':2}{v['version']:<20} {v['data_until'] or '':<11} "
            f"{period:<23} {ev.fmt('mdape', v['mdape']):>7} {ev.fmt('pe10', v['pe10']):>7} "
            f"{ev.fmt('pe20', v['pe20']):>7} {ev.fmt('coverage', v['coverage']):>7}"
        )


@click.command()
@click.argument("version")
@click.option("--force", is_flag=True, help="Promote even if worse than the champion.")
@click.pass_context
def promote(ctx, version, force) -> None:
    """Serve VERSION: move the champion pointer (guarded against a worse model)."""
    models_dir = _layout(ctx).models
    try:
        previous = registry.promote(models_dir, version, force=force)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    except registry.PromotionRefused as exc:
        raise click.ClickException(f"promotion of {version} refused: {exc}") from exc
    click.echo(f"champion: {version} (was {previous or 'none'})")
