"""The French label of a contribution to the price, from the facts the model returns with it.

One wording for the site's explanation and the API's `label` field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.labels.formats import number
from model.explain import HomeFacts


@dataclass(frozen=True)
class LabelledContribution:
    """A contribution with its French label, as the site lists it."""

    feature: str
    label: str
    euros: float


def _rooms(f: HomeFacts) -> str:
    return "Nombre de pièces" if f.rooms is None else f"Nombre de pièces : {f.rooms}"


def _land(f: HomeFacts) -> str:
    return f"Terrain : {number(f.land_area_m2)} m²" if f.land_area_m2 > 0 else "Sans terrain"


def _outbuildings(f: HomeFacts) -> str:
    if f.outbuildings == 0:
        return "Sans dépendance (cave, parking, garage)"
    return f"Dépendances (cave, parking, garage) : {f.outbuildings}"


def _neighbourhood(f: HomeFacts) -> str:
    if not f.neighbours:
        return "Ventes voisines"
    return (
        f"Prix des {f.neighbours} ventes voisines les plus proches : "
        f"{number(f.neighbours_price_per_m2)} €/m² (médiane, au prix du marché actuel), "
        f"à {number(f.neighbours_distance_m)} m en médiane"
    )


def _building(f: HomeFacts) -> str:
    if f.parcel_sales == 0:
        return "Aucune vente antérieure connue sur la même parcelle"
    return f"Ventes antérieures sur la même parcelle (immeuble) : {f.parcel_sales}"


def _repeat(f: HomeFacts) -> str:
    if f.previous_sale is None:
        return "Pas de vente antérieure connue de ce logement"
    return f"Vente précédente de ce logement : {f.previous_sale.strftime('%m/%Y')}"


def _commune(f: HomeFacts) -> str:
    return f.code_commune if f.commune_name is None else f.commune_name


_LABELS: dict[str, Callable[[HomeFacts], str]] = {
    "surface": lambda f: f"Surface habitable : {number(f.living_area_m2)} m²",
    "rooms": _rooms,
    "land": _land,
    "outbuildings": _outbuildings,
    "type": lambda f: (
        "Type de bien : " + ("maison" if f.property_type == "house" else "appartement")
    ),
    "new_build": lambda f: "Logement ancien (pas une vente sur plan)",
    "location": lambda f: "Emplacement exact dans la commune",
    "neighbourhood": _neighbourhood,
    "building": _building,
    "repeat": _repeat,
    "commune": lambda f: f"Commune : {_commune(f)}",
    "tranquillity": lambda f: "Repères de tranquillité (délinquance enregistrée, caméras)",
    "transport": lambda f: "Gares et stations de métro, RER ou tram à proximité",
    "geography": lambda f: "Distance à la mer et au centre de la commune",
    "income": lambda f: "Revenu médian de la commune et du quartier (INSEE, 2016-2017)",
    "equipment": lambda f: "Écoles, commerces et professionnels de santé (INSEE, 2018)",
}


def contribution_label(contribution) -> str:
    """`Surface habitable : 65 m²`, `Sans terrain`…; an unknown group is named as is."""
    wording = _LABELS.get(contribution.feature)
    return contribution.feature if wording is None else wording(contribution.facts)


def labelled(contributions: Iterable) -> list[LabelledContribution]:
    """Each contribution with its label, in the same order."""
    return [LabelledContribution(c.feature, contribution_label(c), c.euros) for c in contributions]
