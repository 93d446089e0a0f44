"""French wording of what a département's data lacks (`departement_data` of a bundle)."""

from __future__ import annotations

from collections.abc import Mapping

from app.labels.formats import month
from model.geography import departement_label


def gap_phrase(gap: str, data: Mapping) -> str:
    """One gap, as a phrase of the note."""
    phrases = {
        "few_communes": lambda: (
            f"les ventes de {data['communes_with_sales']} communes seulement sur {data['communes']}"
        ),
        "starts_late": lambda: f"des ventes depuis {month(data['first_sale'])} seulement",
        "ends_early": lambda: f"des ventes jusqu'à {month(data['last_sale'])} seulement",
        "no_outbuildings": lambda: "les dépendances (caves, parkings, garages) non renseignées",
        "no_parcels": lambda: "les parcelles non renseignées (pas d'historique par immeuble)",
    }
    return phrases[gap]() if gap in phrases else gap


def partial_data_note(data: Mapping | None) -> str | None:
    """ "Données partielles pour Eure-et-Loir (28) : …", or None when nothing is missing."""
    if not data or not data.get("gaps"):
        return None
    phrases = " ; ".join(gap_phrase(gap, data) for gap in data["gaps"])  # French: space before ;
    return (
        f"Données partielles pour {departement_label(data['code'])} : {phrases}. "
        "L'estimation repose sur ces seules ventes, et sa fourchette en tient compte."
    )
