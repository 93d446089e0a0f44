"""A version's `evaluation.md` and its PNG plots, from `training.evaluate`'s figures; the
report of the two scoring paths (DVF's coordinates, the typed address) and of the ranges
per location precision.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from training.evaluate import meets, table, targets_table


def write_plots(
    test: pd.DataFrame, results: Mapping, importance: pd.DataFrame, folder: Path
) -> list[str]:
    """PNG plots of the evaluation; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    cells = pd.DataFrame(results["model"]["by_departement_type"])
    plots = {
        "ratio_by_price_decile.png": (lambda ax: _ratio_by_decile(ax, results), (7, 4)),
        "error_by_departement_type.png": (lambda ax: _error_by_cell(ax, cells), (7, 4)),
        "range_coverage.png": (lambda ax: _coverage_by_cell(ax, cells), (7, 4)),
        "feature_importance.png": (lambda ax: _importance(ax, importance), (7, 6)),
    }
    for name, (draw, size) in plots.items():
        fig, ax = plt.subplots(figsize=size)
        draw(ax)
        fig.tight_layout()
        fig.savefig(folder / name, dpi=90)
        plt.close(fig)
    return list(plots)


def _ratio_by_decile(ax, results: Mapping) -> None:
    deciles = pd.DataFrame(results["model"]["by_price_decile"])
    ax.plot(deciles["decile"], deciles["median_ratio"], marker="o", label="modèle")
    for other in ("commune_median", "attributes_lightgbm"):
        if other in results:
            d = pd.DataFrame(results[other]["by_price_decile"])
            ax.plot(d["decile"], d["median_ratio"], marker=".", alpha=0.6, label=other)
    if results["model"].get("by_estimate_decile"):
        d = pd.DataFrame(results["model"]["by_estimate_decile"])
        ax.plot(
            d["decile"],
            d["median_ratio"],
            marker="s",
            ls="--",
            label="modèle, par décile d'estimation",
        )
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set(
        xlabel="décile de prix de vente (ou d'estimation)",
        ylabel="ratio médian estimation / prix",
        title="Ratio par décile de prix (et d'estimation)",
    )
    ax.legend()


def _cell_labels(cells: pd.DataFrame) -> pd.Series:
    return cells["departement"] + " " + cells["property_type"]


def _error_by_cell(ax, cells: pd.DataFrame) -> None:
    x = np.arange(len(cells))
    ax.bar(x - 0.2, 100 * cells["mdape"], width=0.4, label="MdAPE")
    ax.bar(x + 0.2, 100 * (1 - cells["pe20"]), width=0.4, label="part hors ±20 %")
    ax.set_xticks(x, _cell_labels(cells), rotation=30)
    ax.set(ylabel="%", title="Erreur par département × type")
    ax.legend()


def _coverage_by_cell(ax, cells: pd.DataFrame) -> None:
    x = np.arange(len(cells))
    ax.bar(x, 100 * cells["coverage"].astype(float))
    ax.axhline(80, color="black", lw=0.8)
    ax.axhspan(75, 85, color="green", alpha=0.1)
    ax.set_xticks(x, _cell_labels(cells), rotation=30)
    ax.set(ylabel="% des ventes dans la fourchette", title="Couverture de la fourchette à 80 %")


def _importance(ax, importance: pd.DataFrame) -> None:
    top = importance.sort_values("gain", ascending=True).tail(25)
    ax.barh(top["feature"], top["gain"] / top["gain"].sum() * 100)
    ax.set(xlabel="part du gain (%)", title="Importance des variables")


def render_report(version: str, evaluation: Mapping, plots: list[str]) -> str:
    """evaluation.md of a version."""
    results = evaluation["results"]
    period = evaluation["test_period"]
    lines = [
        f"# Évaluation du modèle {version}",
        "",
        f"Test hors période : ventes du {period[0]} au {period[1]} "
        f"({results['model']['overall']['sales']} ventes), modèle entraîné sur les ventes "
        f"antérieures au test (jusqu'au {evaluation['calibration_period'][1]}). Fourchette à "
        f"80 % : quantiles des erreurs, par département × type, d'un modèle entraîné jusqu'au "
        f"{evaluation['train_until']} sur les ventes du {evaluation['calibration_period'][0]} au "
        f"{evaluation['calibration_period'][1]}, qui précèdent le test. Le modèle enregistré est "
        "ensuite réentraîné sur toutes les ventes, ses fourchettes calibrées sur les erreurs "
        "hors période de l'année de test.",
        "",
        "Variables de chaque vente calculées uniquement à partir des ventes strictement "
        "antérieures à sa date (ventes voisines, immeuble, revente, indice de marché).",
        "",
        "## Résultats globaux et cibles",
        "",
        targets_table(results),
        "",
        "- `model` : le modèle complet, chaque vente test voyant les ventes antérieures à sa "
        "date, hors ventes signalées aberrantes ; `model_including_flagged` : le même, ventes "
        "signalées aberrantes comprises ; `model_frozen_history` : le même modèle tel que "
        "déployé au début du test "
        "(ventes et indice de marché arrêtés à cette date, indice maintenu à son dernier "
        "mois) ; `without_tranquillity` : le même sans les variables "
        "`tq_*` (ablation) ; `without_<groupe>` : le même sans les variables `sr_*` "
        "d'un groupe d'environnement (`transport` : gares ; `geography` : mer, centre de la "
        "commune ; `income` : revenu médian Filosofi ; `equipment` : écoles, commerces, santé "
        "BPE — millésimes 2016-2018, antérieurs aux ventes) ; `with_surroundings` : le "
        "même avec les variables `sr_*` que le modèle n'utilise pas (mesure) ; "
        "`attributes_lightgbm` : LightGBM sur attributs et coordonnées "
        "seulement ; `commune_median` : médiane €/m² commune × type × surface.",
        "",
        "## Modèle, par département × type",
        "",
        table(results["model"]["by_departement_type"], ["departement", "property_type"]),
        "",
        "## Modèle, par décile de prix",
        "",
        table(results["model"]["by_price_decile"], ["decile"]),
        "",
    ]
    optional = {
        "by_estimate_decile": (
            "décile d'estimation (ce que le service connaît ; les déciles du prix de vente "
            "mêlent au biais le bruit des prix : régression vers la moyenne)",
            "decile",
        ),
        "by_confidence": (
            "niveau de confiance affiché (couverture : part des ventes dans la fourchette)",
            "confidence",
        ),
    }
    for key, (title, column) in optional.items():
        if results["model"].get(key):
            lines += [f"## Modèle, par {title}", "", table(results["model"][key], [column]), ""]
    for name in results:
        if name == "model":
            continue
        lines += [
            f"## {name}, par département × type",
            "",
            table(results[name]["by_departement_type"], ["departement", "property_type"]),
            "",
        ]
    if evaluation.get("placement"):
        lines += placement_section(evaluation["placement"])
    if evaluation.get("notes"):
        lines += ["## Notes", ""] + [f"- {note}" for note in evaluation["notes"]] + [""]
    lines += ["## Graphiques", ""] + [f"![{name}](plots/{name})" for name in plots] + [""]
    return "\n".join(lines)


# --- placement: the coordinates path and the user's path -------------------------------

PATH_METRICS = ("sales", "mdape", "pe10", "pe20", "median_ratio", "coverage", "width")
# As a user: within this many points of MdAPE of the coordinates path; the range's
# coverage within the coverage target in every precision class.
AS_USER_MAX_GAP = 0.003


def placement_section(placement: Mapping) -> list[str]:
    """Model B's error on the test sales placed at their street or commune (the backtest's
    `placement`: fitted ranges, so no coverage), for `render_report`."""
    rows = [{"placement": name, **stats} for name, stats in placement.items()]
    return [
        "## Ventes test placées comme le géocodeur les placerait",
        "",
        "Erreurs du modèle B sur les ventes test qu'un index d'adresses antérieur ignorerait "
        "(adresse sans vente antérieure : `interpolated` à leur point, `street` au centre de "
        "leur rue ; rue sans vente antérieure : `municipality` au centre de la commune ; sans "
        "parcelle hors `interpolated`) ; leurs quantiles sont les fourchettes servies à ces "
        "précisions (couverture mesurée par `benchmarks/accuracy.py --as-user`).",
        "",
        table(rows, ["placement"], ("sales", "mdape", "pe10", "pe20", "median_ratio", "width")),
        "",
    ]


def as_user_report(summary: Mapping) -> str:
    """Both scoring paths, the gap, and the as-user figures per location precision."""
    paths = [{"path": name, **stats} for name, stats in summary["paths"].items()]
    gap = summary["gap"]
    mdape_ok = gap["mdape"] is not None and gap["mdape"] <= AS_USER_MAX_GAP
    lines = [
        "## Deux chemins : coordonnées DVF et adresse saisie géocodée",
        "",
        f"{summary['sales']} ventes test ; adresse introuvable : {summary['not_found']} ; "
        f"hors couverture : {summary['refused']} ; comparées : {summary['scored']}.",
        "",
        table(paths, ["path"], PATH_METRICS),
        "",
        f"Écart (adresse − coordonnées) : MdAPE {_points(gap['mdape'])} "
        f"(cible ≤ {_points(AS_USER_MAX_GAP)} : {'✓' if mdape_ok else '✗'}), "
        f"PE10 {_points(gap['pe10'])}, PE20 {_points(gap['pe20'])}, "
        f"couverture {_points(gap['coverage'])}.",
        "",
        "## Adresse saisie, par précision de la localisation",
        "",
        _precision_table(summary["by_precision"], "precision"),
        "",
        "## Adresse saisie, par classe de précision des fourchettes",
        "",
        _precision_table(summary["by_precision_class"], "precision_class"),
        "",
        "## Adresse saisie, par département",
        "",
        _precision_table(summary["by_departement"], "departement"),
        "",
        "## Adresse saisie, par classe et niveau de confiance",
        "",
        table(summary["confidence"], ["precision_class", "confidence"], PATH_METRICS),
        "",
    ]
    return "\n".join(lines)


def _precision_table(rows: list[Mapping], key: str) -> str:
    """As-user figures per precision, the coverage's target met or not, and the same
    sales' MdAPE through their coordinates."""
    marked = []
    for row in rows:
        ok = meets("coverage", row.get("coverage"))
        marked.append(
            {
                **row,
                key: f"{row[key]}{'' if ok is None else (' ✓' if ok else ' ✗')}",
                "mdape_coordinates": row["coordinates"]["mdape"],
            }
        )
    metrics = (*PATH_METRICS, "mdape_coordinates")
    return table(marked, [key], metrics).replace("mdape_coordinates |", "mdape (coordinates) |", 1)


def _points(value) -> str:
    return "–" if value is None else f"{100 * value:+.2f} pt"
