"""`model_card.md` of a version: what it is for, on which data, how well, and its limits.

Written from the version's own metadata (nothing typed by hand but the words), into the
bundle next to `evaluation.md`, hence covered by its checksums (`model.integrity`); the
methodology page shows it (`app.web.methodology`). French: the site shows it to users.
"""

from __future__ import annotations

from collections.abc import Mapping

from model.geography import departement_label
from training.evaluate import fmt

CARD_FILE = "model_card.md"
METRICS = ("sales", "mdape", "pe10", "pe20", "coverage")
# The variants of the backtest shown as ablations, and what each one removes or changes.
ABLATIONS = {
    "model": "le modèle (historique à jour jusqu'à la veille de chaque vente)",
    "model_frozen_history": "le modèle tel que déployé (historique gelé au début du test)",
    "model_including_flagged": "le modèle, ventes signalées comme aberrantes comprises",
    "without_tranquillity": "sans les variables de tranquillité (tq_*)",
    "attributes_lightgbm": "LightGBM sur attributs et coordonnées seuls (référence)",
    "commune_median": "médiane €/m² de la commune × type (référence)",
}
GAPS = {
    "few_communes": "peu de communes ont des ventes dans le fichier",
    "starts_late": "le fichier commence tard",
    "no_outbuildings": "aucune dépendance déclarée (le prix les inclut pourtant)",
    "no_parcels": "aucun identifiant de parcelle (pas d'historique de la parcelle)",
}
TYPES = {"apartment": "appartements", "house": "maisons"}


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header, rows) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]


def _metrics(stats: Mapping) -> list[str]:
    return [fmt(m, stats.get(m)) for m in METRICS]


def render(version: str, meta: Mapping) -> str:
    """The card's Markdown."""
    evaluation = meta.get("evaluation") or {}
    results = evaluation.get("results") or {}
    window = meta.get("training_window") or ["?", "?"]
    used = (meta.get("sales") or {}).get("used")
    lines = [
        f"# Fiche du modèle {version}",
        "",
        "## Usage prévu",
        "",
        "Estimer le prix de vente d'un appartement ou d'une maison des départements "
        f"entraînés ({', '.join(departement_label(d) for d in meta.get('departements', []))}), "
        "avec une fourchette à 80 %, à partir des ventes publiées (DVF). Une aide à la "
        "décision, pas une expertise : le modèle ne voit pas le logement. Hors de ces "
        "départements, ou trop loin de toute vente comparable, il refuse de répondre.",
        "",
        "## Fenêtre d'entraînement",
        "",
        f"- ventes du {window[0]} au {window[1]} ({used} ventes retenues) ; données "
        f"jusqu'au {meta.get('data_until')}, indice de marché jusqu'à {meta.get('market_period')} "
        "(prolongé au même niveau au-delà) ;",
        f"- test hors période : {' – '.join(evaluation.get('test_period') or ['?'])}, "
        f"calibration des fourchettes : {' – '.join(evaluation.get('calibration_period') or [])}.",
        "",
        "## Sources et millésimes",
        "",
    ]
    found = meta.get("sources") or []
    if found:
        lines += _table(
            ["fichier", "période", "récupéré le", "sha256"],
            [[s.get("title") or s["path"], s.get("period") or "–", s.get("fetched_at") or "–",
              (s.get("sha256") or "")[:12]] for s in found],
        )  # fmt: skip
    else:
        lines.append("Non enregistrées (manifeste de téléchargement absent).")
    lines += ["", "## Mesures par département × type (période de test)", ""]
    cells = (results.get("model") or {}).get("by_departement_type") or []
    lines += _table(
        ["département", "type", "ventes", "MdAPE", "PE10", "PE20", "couverture 80 %"],
        [[departement_label(str(c["departement"])),
          TYPES.get(c["property_type"], c["property_type"]), *_metrics(c)] for c in cells],
    )  # fmt: skip
    lines += ["", "## Ablations et références (toutes les ventes test)", ""]
    lines += _table(
        ["variante", "ventes", "MdAPE", "PE10", "PE20", "couverture 80 %"],
        [[ABLATIONS.get(name, name), *_metrics(r.get("overall") or {})]
         for name, r in results.items() if name in ABLATIONS],
    )  # fmt: skip
    lines += _comparison(meta.get("champion_comparison"))
    lines += ["", "## Limites connues", ""]
    lines += _limits(meta)
    return "\n".join(lines) + "\n"


def _comparison(comparison: Mapping | None) -> list[str]:
    if not comparison:
        return []
    out = ["", f"## Face au champion {comparison.get('champion')}", ""]
    if comparison.get("error"):
        return [*out, f"Comparaison impossible : {comparison['error']}"]
    results = comparison.get("results") or {}
    out.append(
        f"Sur les mêmes {comparison.get('sales')} ventes du "
        f"{' au '.join(comparison.get('period') or [])} (après les données du champion) :"
    )
    out.append("")
    return out + _table(
        ["modèle", "ventes", "MdAPE", "PE10", "PE20", "couverture 80 %"],
        [[name, *_metrics((results.get(name) or {}).get("overall") or {})]
         for name in ("champion", "challenger")],
    )  # fmt: skip


def _limits(meta: Mapping) -> list[str]:
    out = [
        "- DVF ne dit rien de l'état, de l'étage, du DPE ni de la vue : deux logements "
        "identiques sur le papier ont le même prix estimé ;",
        "- la fourchette à 80 % laisse, par construction, une vente sur cinq en dehors ;",
        "- au-delà de la fin des données, l'indice de marché est tenu à son dernier niveau : "
        "une hausse ou une baisse depuis n'est pas vue.",
    ]
    for code, data in sorted((meta.get("departement_data") or {}).items()):
        gaps = [GAPS.get(g, g) for g in (data or {}).get("gaps") or []]
        if gaps:
            out.append(f"- {departement_label(code)} : données partielles ({'; '.join(gaps)}).")
    return out
