"""Assessors' accuracy statistics of estimates against sale prices, and the report.

On the ratio r = estimate / price: MdAPE, PE10, PE20, median ratio, COD, PRD, PRB
(IAAO: COD, PRD and PRB without the ratios outside Q1 − 3·IQR, Q3 + 3·IQR; the untrimmed
figures are kept as `*_untrimmed`), plus the coverage and median relative width of the
80 % ranges; overall, per département × type, per decile of the sale price and per decile
of the estimate (what serving knows: deciles of the price alone exaggerate regressivity).
How they are shown (`evaluation.md`, its plots, the as-user report): `training.evaluation_report`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

METRICS = (
    "sales",
    "mdape",
    "pe10",
    "pe20",
    "median_ratio",
    "cod",
    "prd",
    "prb",
    "coverage",
    "width",
)


def ratio_metrics(estimate, price, low=None, high=None) -> dict:
    """The statistics of one set of estimates (NaN estimates are counted as missing)."""
    estimate = np.asarray(estimate, dtype="float64")
    price = np.asarray(price, dtype="float64")
    ok = np.isfinite(estimate) & (estimate > 0) & np.isfinite(price) & (price > 0)
    out = {name: None for name in METRICS}
    out["sales"] = int(ok.sum())
    out["missing"] = int((~ok).sum())
    if not ok.any():
        return out
    e, p = estimate[ok], price[ok]
    r = e / p
    error = np.abs(r - 1)
    out.update(
        mdape=float(np.median(error)),
        pe10=float(np.mean(error <= 0.10)),
        pe20=float(np.mean(error <= 0.20)),
        median_ratio=float(np.median(r)),
    )
    kept = iaao_kept(r)
    out["trimmed"] = int((~kept).sum())
    out.update(_uniformity(e[kept], p[kept]))
    out.update({f"{k}_untrimmed": v for k, v in _uniformity(e, p).items()})
    if low is not None and high is not None:
        lo = np.asarray(low, dtype="float64")[ok]
        hi = np.asarray(high, dtype="float64")[ok]
        out["coverage"] = float(np.mean((p >= lo) & (p <= hi)))
        out["width"] = float(np.median((hi - lo) / e))
    return out


# IAAO's fences for extreme ratios, in interquartile ranges beyond the quartiles.
TRIM_IQR = 3.0


def iaao_kept(ratio: np.ndarray) -> np.ndarray:
    """The ratios inside [Q1 − 3·IQR, Q3 + 3·IQR]: IAAO computes COD, PRD and PRB on them."""
    q1, q3 = np.quantile(ratio, [0.25, 0.75])
    spread = TRIM_IQR * (q3 - q1)
    return (ratio >= q1 - spread) & (ratio <= q3 + spread)


def _uniformity(e: np.ndarray, p: np.ndarray) -> dict:
    """COD, PRD and PRB of estimates `e` against prices `p`."""
    r = e / p
    median_r = float(np.median(r))
    return {
        "cod": float(100 * np.mean(np.abs(r - median_r)) / median_r),
        # Mean ratio over the price-weighted mean ratio.
        "prd": float(np.mean(r) / (e.sum() / p.sum())),
        "prb": _prb(r, e, p, median_r),
    }


def _prb(r, e, p, median_r) -> float | None:
    """IAAO price-related bias: slope of the ratio's deviation on log2 of a value proxy."""
    if len(r) < 3:
        return None
    proxy = 0.5 * e / median_r + 0.5 * p
    x = np.log2(proxy)
    y = (r - median_r) / median_r
    if np.ptp(x) == 0:
        return None
    slope = np.polyfit(x, y, 1)[0]
    return float(slope)


def breakdown(frame: pd.DataFrame, by) -> pd.DataFrame:
    """Statistics per group of `frame` (columns price, estimate, optional low and high)."""
    rows = []
    for key, part in frame.groupby(by, observed=True, sort=True):
        stats = ratio_metrics(part["estimate"], part["price"], part.get("low"), part.get("high"))
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip([by] if isinstance(by, str) else by, key, strict=True)), **stats})
    return pd.DataFrame(rows)


def price_decile(price) -> np.ndarray:
    """Decile (1–10) of each price within the set."""
    ranks = pd.Series(price).rank(method="first", pct=True).to_numpy()
    return np.minimum(np.ceil(ranks * 10), 10).astype("int64")


def evaluate(test: pd.DataFrame) -> dict:
    """Overall, per département × type, per price decile and per estimate decile."""
    test = test.assign(decile=price_decile(test["price"]))
    # Unknown estimates are missing from every figure, and have no decile.
    by_estimate = test.loc[np.isfinite(test["estimate"].to_numpy(dtype="float64"))]
    by_estimate = by_estimate.assign(decile=price_decile(by_estimate["estimate"]))
    return {
        "overall": ratio_metrics(
            test["estimate"], test["price"], test.get("low"), test.get("high")
        ),
        "by_departement_type": breakdown(test, ["departement", "property_type"]).to_dict("records"),
        "by_price_decile": breakdown(test, "decile").to_dict("records"),
        "by_estimate_decile": breakdown(by_estimate, "decile").to_dict("records"),
    }


def by_confidence(test: pd.DataFrame, levels) -> list[dict]:
    """Statistics per confidence level shown with each estimate: how often its range holds."""
    return breakdown(test.assign(confidence=np.asarray(levels)), "confidence").to_dict("records")


# --- report -------------------------------------------------------------------------------

TARGETS = {
    "mdape": ("≤", 0.125),
    "pe10": ("≥", 0.42),
    "pe20": ("≥", 0.68),
    "median_ratio": ("in", (0.98, 1.02)),
    "cod": ("≤", 20.0),
    "prd": ("in", (0.98, 1.03)),
    "prb": ("in", (-0.05, 0.05)),
    "coverage": ("in", (0.78, 0.82)),
}


def meets(name: str, value) -> bool | None:
    """Whether a figure meets its target (None when there is no target or no figure)."""
    if name not in TARGETS or value is None:
        return None
    how, bound = TARGETS[name]
    if how == "≤":
        return value <= bound
    if how == "≥":
        return value >= bound
    return bound[0] <= value <= bound[1]


def fmt(name: str, value) -> str:
    """A figure as printed in reports."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if name in ("mdape", "pe10", "pe20", "coverage", "width", "mdape_coordinates"):
        return f"{100 * value:.1f} %"
    if name in ("median_ratio", "prd", "prd_untrimmed"):
        return f"{value:.3f}"
    if name in ("prb", "prb_untrimmed"):
        return f"{value:+.3f}"
    if name in ("cod", "cod_untrimmed"):
        return f"{value:.1f}"
    return str(value)


def table(rows: list[Mapping], keys: list[str], metrics=METRICS) -> str:
    """A Markdown table of metric rows."""
    head = "| " + " | ".join([*keys, *metrics]) + " |"
    rule = "|" + "---|" * (len(keys) + len(metrics))
    lines = [head, rule]
    for row in rows:
        cells = [str(row.get(k, "")) for k in keys] + [fmt(m, row.get(m)) for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets_table(results: Mapping[str, Mapping]) -> str:
    """Overall figures of each estimator next to the targets."""
    names = list(results)
    lines = ["| metric | target | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for metric in (*METRICS[1:], "sales"):  # the figures first, the count of sales last
        how, bound = TARGETS.get(metric, ("", None))
        target = (
            ""
            if bound is None
            else (
                f"{fmt(metric, bound[0])}–{fmt(metric, bound[1])}"
                if how == "in"
                else f"{how} {fmt(metric, bound)}"
            )
        )
        cells = []
        for name in names:
            value = results[name]["overall"].get(metric)
            ok = meets(metric, value)
            mark = "" if ok is None else (" ✓" if ok else " ✗")
            cells.append(fmt(metric, value) + mark)
        lines.append(f"| {metric} | {target} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
