"""The report's figures (matplotlib, Agg) as PNG bytes, and the drift statistic.

Pure functions of tables: no file is read here (`training.report` gathers the data).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever written to bytes
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# PSI thresholds in use in credit scoring and valuation monitoring.
PSI_MODERATE, PSI_LARGE = 0.1, 0.25
PSI_BINS = 10
OLD, NEW = "#8a8a8a", "#1f5fbf"
MAX_MARKETS = 12


def psi(expected, actual, bins: int = PSI_BINS) -> float:
    """Population stability index of `actual` against `expected`: bins at the expected
    deciles (NaN its own bin), Σ (a − e) · ln(a / e) over bin shares (floored at 1e-4)."""
    e, a = np.asarray(expected, "float64"), np.asarray(actual, "float64")
    finite = e[np.isfinite(e)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1))) if finite.size else []

    def shares(x):
        counts = [np.isnan(x).sum()]
        if len(edges) > 1:
            inner = np.searchsorted(edges[1:-1], x[np.isfinite(x)], side="right")
            counts += np.bincount(inner, minlength=len(edges) - 1).tolist()
        else:
            counts.append(np.isfinite(x).sum())
        return np.maximum(np.asarray(counts, "float64") / max(len(x), 1), 1e-4)

    pe, pa = shares(e), shares(a)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


def png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return out.getvalue()


def volumes(kept: pd.DataFrame) -> bytes:
    """Sales kept by prepare per year, one bar per version (columns version, year, sales)."""
    table = kept.pivot_table(index="year", columns="version", values="sales", aggfunc="sum")
    fig, ax = plt.subplots(figsize=(8, 3.6))
    table.fillna(0).plot.bar(ax=ax, width=0.8, color=[OLD, NEW, "#d98c1f", "#3a9a4f"])
    ax.set_xlabel("année de vente")
    ax.set_ylabel("ventes retenues")
    ax.set_title("Ventes retenues par année, par version (release)")
    ax.legend(title="version", fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
    ax.tick_params(axis="x", rotation=0)
    return png(fig)


def markets(indexes: dict[str, pd.DataFrame], until: str) -> bytes:
    """€/m² level per département × type and month for each version (`indexes`: version →
    its market_index table, oldest first); a dotted line carries each index at its last
    level up to `until` (YYYY-MM), as serving does past the data's end."""
    cells = sorted(
        {
            (d, t)
            for f in indexes.values()
            for d, t in zip(f["departement"], f["property_type"], strict=True)
        }
    )
    cells = cells[:MAX_MARKETS]
    cols = min(2, len(cells)) or 1
    rows = max(1, -(-len(cells) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.0 * rows), squeeze=False)
    end = np.datetime64(until, "M")
    colours = [OLD, NEW, "#d98c1f", "#3a9a4f"]
    for ax, (dep, kind) in zip(axes.flat, cells, strict=False):
        for (version, frame), colour in zip(indexes.items(), colours, strict=False):
            part = frame[(frame["departement"] == dep) & (frame["property_type"] == kind)]
            if part.empty:
                continue
            months = part["month"].to_numpy().astype("datetime64[M]")
            ppm2 = np.exp(part["level"].to_numpy())
            ax.plot(months, ppm2, color=colour, label=version)
            if months[-1] < end:
                carried = np.array([months[-1], end])
                ax.plot(carried, [ppm2[-1]] * 2, color=colour, linestyle=":", linewidth=2)
        ax.set_title(f"{dep} · {'appartements' if kind == 'apartment' else 'maisons'}")
        ax.set_ylabel("€/m² (niveau)")
        ax.tick_params(axis="x", rotation=30, labelsize=8)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(cells) :]:
        ax.set_visible(False)
    fig.suptitle("Indice de marché ; en pointillé, le niveau prolongé après la fin des données")
    fig.tight_layout()
    return png(fig)


def drift(values: pd.Series) -> bytes:
    """PSI per feature (index: feature names), largest first, with the thresholds."""
    values = values.sort_values()
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.22 * len(values))))
    colours = [
        ("#c0392b" if v > PSI_LARGE else "#d98c1f" if v > PSI_MODERATE else NEW) for v in values
    ]
    ax.barh(values.index, values.to_numpy(), color=colours)
    for x in (PSI_MODERATE, PSI_LARGE):
        ax.axvline(x, color="black", linestyle="--", linewidth=0.8)
    ax.set_xlabel("indice de stabilité (PSI) ; 0,1 : modérée, 0,25 : forte")
    ax.set_title("Dérive des variables entre les deux données d'entraînement")
    ax.tick_params(axis="y", labelsize=7)
    return png(fig)


def accuracy(frame: pd.DataFrame) -> bytes:
    """MdAPE, PE10 and coverage of each version's test (columns version, mdape, pe10,
    coverage), in training order."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = np.arange(len(frame))
    for key, label, colour in (
        ("mdape", "erreur médiane (MdAPE)", "#c0392b"),
        ("pe10", "à moins de 10 % (PE10)", NEW),
        ("coverage", "prix dans la fourchette 80 %", "#3a9a4f"),
    ):
        ax.plot(x, 100 * frame[key].astype("float64"), marker="o", label=label, color=colour)
    ax.axhline(80, color="#3a9a4f", linestyle=":", linewidth=0.8)
    ax.set_xticks(
        x, [f"{v}\n{p}" for v, p in zip(frame["version"], frame["test"], strict=True)], fontsize=7
    )
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.set_title("Précision et couverture au test de chaque version")
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
    return png(fig)


def usage(daily: pd.DataFrame) -> bytes:
    """Requests per day by outcome (index: days; columns: outcomes), stacked."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    # Answers green, refusals amber, errors red: the same colour whatever the column order.
    tones = {"répondu": "#3a9a4f", "refus : hors couverture": "#d98c1f",
             "limite atteinte": "#e8c547", "erreur serveur": "#c0392b"}  # fmt: skip
    daily.plot.bar(ax=ax, stacked=True, width=0.9,
                   color=[tones.get(c, OLD) for c in daily.columns])  # fmt: skip
    ax.set_xlabel("jour")
    ax.set_ylabel("requêtes")
    ax.set_title("Requêtes de l'API par jour et par issue")
    ax.tick_params(axis="x", rotation=45, labelsize=7)
    ax.legend(fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
    return png(fig)
