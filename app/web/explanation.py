""" "Ce qui fait le prix": the contributions in an owner's words (pure functions, no Flask).

Lines that do not apply are not listed on their own but added to "Autres facteurs", so the
amounts still add up to the estimate: land for an apartment, a field the owner left empty
(the model counts it as none: said once, in a note), the exact position when the address
was placed at the commune's centre (then it is part of the commune's line). The rest is
split between the home and its neighbourhood ("Quartier").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.labels.contributions import LabelledContribution
from app.web import french

# How many lines are listed; the rest are summed up in one line.
TOP_CONTRIBUTIONS = 6
NEIGHBOURHOOD_GROUPS = (
    "location",
    "neighbourhood",
    "commune",
    "tranquillity",
    "transport",
    "geography",
    "income",
    "equipment",
)
# Form fields and the contribution group each feeds.
FIELD_GROUPS = {"land_area_m2": "land", "outbuildings": "outbuildings"}
FIELD_WORDS = {"land_area_m2": "le terrain", "outbuildings": "les dépendances"}
TRANQUILLITY_NOTE = (
    "Les chiffres de délinquance enregistrée sont plus élevés dans les communes et les "
    "quartiers centraux et animés, qui sont aussi souvent plus chers : le modèle s'en sert "
    "comme d'un repère du type de lieu. Ce montant ne veut pas dire que la délinquance fait "
    "monter (ou baisser) le prix."
)


@dataclass(frozen=True)
class Context:
    """What the page knows beyond the contributions."""

    property_type: str
    living_area_m2: float
    market_period: str  # "YYYY-MM"
    empty_fields: frozenset[str] = frozenset()  # form fields left empty
    approximate_place: bool = False  # placed at the commune's centre or a postcode's


def _applies(feature: str, ctx: Context) -> bool:
    if feature == "land" and ctx.property_type == "apartment":
        return False
    return not any(FIELD_GROUPS[f] == feature for f in ctx.empty_fields if f in FIELD_GROUPS)


def _merge_approximate(items: list[LabelledContribution], ctx: Context):
    """At the commune's centre, the exact position is part of the commune's line."""
    if not ctx.approximate_place:
        return items
    location = sum(c.euros for c in items if c.feature == "location")
    rest = [c for c in items if c.feature != "location"]
    for k, c in enumerate(rest):
        if c.feature == "commune":
            rest[k] = LabelledContribution(c.feature, c.label, c.euros + location)
            return rest
    if location:
        rest.append(LabelledContribution("commune", "Commune", location))
    return rest


def _line(c: LabelledContribution) -> dict:
    up = c.euros >= 0
    verb = "augmente" if up else "diminue"
    return {
        "feature": c.feature,
        "label": c.label,
        "euros": french.signed_euros(c.euros),
        "direction": "up" if up else "down",
        "sentence": f"{c.label} — {verb} l'estimation de {french.euros(abs(c.euros), 100)}.",
    }


def explanation(
    contributions: Iterable[LabelledContribution], baseline: float, value: float, ctx: Context
) -> dict:
    """The starting point, the largest lines by section, then the others summed up."""
    items = _merge_approximate(list(contributions), ctx)
    shown = [c for c in items if _applies(c.feature, ctx)]
    folded = [c for c in items if not _applies(c.feature, ctx)]
    shown.sort(key=lambda c: abs(c.euros), reverse=True)
    top, rest = shown[:TOP_CONTRIBUTIONS], shown[TOP_CONTRIBUTIONS:] + folded
    home = [_line(c) for c in top if c.feature not in NEIGHBOURHOOD_GROUPS]
    quarter = [_line(c) for c in top if c.feature in NEIGHBOURHOOD_GROUPS]
    empty = [FIELD_WORDS[f] for f in sorted(ctx.empty_fields) if f in FIELD_WORDS]
    if ctx.property_type == "apartment":
        empty = [w for w in empty if w != "le terrain"]
    per_m2 = baseline / ctx.living_area_m2 if ctx.living_area_m2 else None
    kind = "appartement" if ctx.property_type == "apartment" else "maison"
    return {
        "start": {
            "price_per_m2": french.euros(per_m2, 10),
            "area": french.number(ctx.living_area_m2),
            "total": french.euros(baseline, 100),
            "sentence": (
                f"le prix au m² d'{'un' if kind == 'appartement' else 'une'} {kind} typique "
                f"du département au marché de {french.month(ctx.market_period)}"
            ),
        },
        "home": home,
        "quarter": quarter,
        "others": french.signed_euros(sum(c.euros for c in rest)) if rest else None,
        "others_count": len(rest),
        "empty_note": _empty_note(empty),
        "tranquillity_note": TRANQUILLITY_NOTE
        if any(c.feature == "tranquillity" for c in top)
        else None,
        "value": french.euros(value, 1000),
    }


def _empty_note(words: list[str]) -> str | None:
    if not words:
        return None
    what = " et ".join(words)
    return (
        f"Vous n'avez pas renseigné {what} : le modèle compte qu'il n'y en a pas, et cet "
        "effet est inclus dans « Autres facteurs ». Si votre bien en a, indiquez-le pour "
        "une estimation plus juste."
    )
