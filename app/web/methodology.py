"""The methodology page, written from the served bundle's own metadata and evaluation.

Every figure comes from `metadata.json` of the champion (`evaluation.results`: the
out-of-time test of `immoval train`); nothing here is typed by hand but the words. A
figure the bundle does not hold is said to be unmeasured, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from app.web import french
from model import pricing
from model.features import K_CLOSE
from model.geography import DEPARTEMENT_NAMES

TYPE_PLURAL = {"apartment": "appartements", "house": "maisons"}
# Fewer test sales than this make a cell's figures too uncertain to state as facts.
MIN_CELL_SALES = 200
# What DVF does not say about a home, so neither does the model.
UNKNOWN_TO_THE_MODEL = (
    "l'étage et la présence d'un ascenseur",
    "l'état du logement et les travaux à prévoir",
    "le diagnostic de performance énergétique (DPE)",
    "la vue, l'exposition, le bruit, un balcon ou une terrasse",
    "les prestations (parking privatif, cave, piscine) au-delà de leur nombre déclaré",
    "ce que le vendeur et l'acheteur ont négocié (meubles, urgence, vente entre proches)",
)
CONFIDENCE_RULES = {
    "high": f"fourchette étroite (le haut au plus {french.number(pricing.HIGH_MAX_RATIO, 2)} "
    f"fois le bas) et ventes voisines proches (la {K_CLOSE}e à moins de "
    f"{french.number(pricing.HIGH_MAX_METRES)} m)",
    "medium": "entre les deux",
    "low": f"fourchette large (le haut à plus de {french.number(pricing.LOW_MIN_RATIO, 1)} fois "
    f"le bas), ventes voisines lointaines (la {K_CLOSE}e à plus de "
    f"{french.number(pricing.LOW_MIN_METRES)} m) ou adresse connue seulement au niveau de "
    "la commune",
}


def percent(share: float | None, digits: int = 0) -> str:
    """`0.1137` -> `11 %` ("—" when unknown)."""
    if share is None:
        return "—"
    return f"{french.number(100 * share, digits)}{french.NBSP}%"


def _place(departement: str) -> str:
    name = DEPARTEMENT_NAMES.get(departement, departement)
    return "à Paris" if departement == "75" else f"dans le département {name} ({departement})"


def cell_sentence(cell: Mapping) -> str:
    """ "À Paris, la moitié des estimations d'appartements tombent à moins de 11 % …"."""
    kind = french.OF_TYPE.get(cell["property_type"], cell["property_type"])
    place = _place(str(cell["departement"]))
    return (
        f"{place[0].upper()}{place[1:]}, la moitié des estimations {kind} tombent à moins "
        f"de {percent(cell.get('mdape'))} du prix de vente ; {percent(cell.get('pe10'))} "
        f"à moins de 10 %, {percent(cell.get('pe20'))} à moins de 20 %."
    )


def accuracy_rows(results: Mapping) -> list[dict]:
    """One row per département × type of the test, in plain French."""
    rows = []
    for cell in results.get("by_departement_type") or []:
        sales = int(cell.get("sales") or 0)
        rows.append(
            {
                "departement": str(cell["departement"]),
                "departement_name": DEPARTEMENT_NAMES.get(
                    str(cell["departement"]), cell["departement"]
                ),
                "type": TYPE_PLURAL.get(cell["property_type"], cell["property_type"]),
                "sales": french.number(sales),
                "mdape": percent(cell.get("mdape"), 1),
                "pe10": percent(cell.get("pe10")),
                "pe20": percent(cell.get("pe20")),
                "coverage": percent(cell.get("coverage")),
                "few": sales < MIN_CELL_SALES,
                "sentence": cell_sentence(cell),
            }
        )
    return rows


def ablation(results: Mapping) -> dict | None:
    """What the tranquillity features change, measured on the same test, whatever its sign."""
    full = (results.get("model") or {}).get("overall") or {}
    without = (results.get("without_tranquillity") or {}).get("overall") or {}
    if full.get("mdape") is None or without.get("mdape") is None:
        return None
    diff = 100 * (without["mdape"] - full["mdape"])  # points of median error they save
    if abs(diff) < 0.05:
        verdict = "ne change pratiquement rien à la précision"
    elif diff > 0:
        verdict = f"réduit l'erreur médiane de {french.number(diff, 1)} point"
    else:
        verdict = f"augmente l'erreur médiane de {french.number(-diff, 1)} point"
    return {
        "with": percent(full["mdape"], 1),
        "without": percent(without["mdape"], 1),
        "verdict": verdict,
    }


def confidence_levels(results: Mapping) -> list[dict]:
    """The three levels, what makes each, and how often each held (if the bundle measured it)."""
    measured = {
        str(row.get("confidence")): row for row in (results.get("by_confidence") or [])
    }  # produced by training when it evaluates per level; absent in older bundles
    levels = []
    for key in ("high", "medium", "low"):
        word, text = french.CONFIDENCE[key]
        row = measured.get(key)
        levels.append(
            {
                "key": key,
                "word": word,
                "text": text,
                "rule": CONFIDENCE_RULES[key],
                "coverage": percent(row.get("coverage")) if row else None,
                "mdape": percent(row.get("mdape"), 1) if row else None,
            }
        )
    return levels


def methodology_view(metadata: Mapping, today: date | None = None) -> dict:
    """Everything the methodology page shows, from one bundle's metadata."""
    evaluation = metadata.get("evaluation") or {}
    results = evaluation.get("results") or {}
    model = results.get("model") or {}
    overall = model.get("overall") or {}
    test = evaluation.get("test_period") or [None, None]
    data_until = metadata.get("data_until")
    window = metadata.get("training_window") or [None, None]
    return {
        "version": metadata.get("version"),
        "created": _day(metadata.get("created")),
        "departements": [
            {"code": d, "name": DEPARTEMENT_NAMES.get(d, d)}
            for d in metadata.get("departements", [])
        ],
        "test_from": _day(test[0]),
        "test_to": _day(test[1]),
        "overall": {
            "sales": french.number(overall.get("sales")),
            "mdape": percent(overall.get("mdape"), 1),
            "pe10": percent(overall.get("pe10")),
            "pe20": percent(overall.get("pe20")),
            "coverage": percent(overall.get("coverage")),
        },
        "rows": accuracy_rows(model),
        "confidence": confidence_levels(model),
        "confidence_measured": bool(model.get("by_confidence")),
        "ablation": ablation(results),
        "unknown": UNKNOWN_TO_THE_MODEL,
        "data_from": _day(window[0]),
        "data_until": _day(data_until),
        "market_period": french.month(metadata.get("market_period")),
        "sales_used": french.number((metadata.get("sales") or {}).get("used")),
    }


def _day(value) -> str:
    try:
        return french.long_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return "date inconnue"
