"""French wording and number formats for the site (pure functions)."""

from __future__ import annotations

import math
from datetime import date

from app.labels.formats import MONTHS, NBSP, month, number  # noqa: F401  (site formats too)
from model.geography import DEPARTEMENT_NAMES, MAYOTTE, NOT_IN_DVF, departement_label

FIELD_LABELS = {
    "address": "Adresse",
    "property_type": "Type de bien",
    "living_area_m2": "Surface habitable",
    "rooms": "Nombre de pièces",
    "land_area_m2": "Surface du terrain",
    "outbuildings": "Dépendances",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "valuation_date": "Date",
}
PROPERTY_TYPES = {"apartment": "Appartement", "house": "Maison"}
OF_TYPE = {"apartment": "d'appartements", "house": "de maisons"}  # "des ventes d'appartements"
CONFIDENCE = {
    "high": (
        "élevée",
        "De nombreuses ventes comparables récentes et un modèle précis pour ce type de bien ici.",
    ),
    "medium": (
        "moyenne",
        "Des ventes comparables existent, mais moins nombreuses ou moins "
        "semblables : la fourchette est plus large.",
    ),
    "low": (
        "faible",
        "Peu de ventes comparables ou un bien atypique : prenez cette estimation "
        "comme un ordre de grandeur.",
    ),
}
PRECISION = {
    "housenumber": "au numéro près",
    "interpolated": "entre les numéros connus de la rue (numéro absent de l'index, placé par "
    "interpolation)",
    "street": "à la rue (le numéro n'a pas été trouvé)",
    "municipality": "au centre de la commune seulement : précisez la rue pour une "
    "estimation plus fine",
    "postcode": "au code postal seulement : précisez la rue pour une estimation plus fine",
    "coordinates": "aux coordonnées indiquées",
}
SOURCES = {
    "ban-api": "Base Adresse Nationale (API)",
    "offline-ban": "Base Adresse Nationale",
    "offline-dvf": "adresses des ventes publiées (DVF)",
    "commune-centroid": "centre de la commune",
    "coordinates": "coordonnées",
}


def euros(value: float | None, step: int = 1) -> str:
    """An amount in euros rounded to `step`: `352 000 €`."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{number(round(value / step) * step)}{NBSP}€"


def signed_euros(value: float, step: int = 100) -> str:
    """`+12 300 €` or `−4 500 €` (a true minus sign)."""
    sign = "+" if value >= 0 else "−"
    return f"{sign}{euros(abs(value), step)}"


def long_date(day: date | None) -> str:
    """`31 décembre 2024`."""
    if day is None:
        return "date inconnue"
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def quarter(label: str) -> str:
    """`2024-Q3` (or `2024Q3`) -> `T3 2024`."""
    text = str(label).replace("-", "")
    if "Q" in text:
        year, q = text.split("Q", 1)
        return f"T{q} {year}"
    return str(label)


def field_error(error) -> str:
    """The French message for a `model.property.FieldError`."""
    params = dict(error.params or {})
    if error.field == "address":
        return {
            "required": "Indiquez l'adresse du bien.",
            "not_found": "Adresse introuvable : vérifiez le numéro, la rue et la commune "
            "(ou le code postal).",
            "range": f"Adresse trop longue ({params.get('max', 200)} caractères au plus).",
        }.get(error.code, "Adresse invalide.")
    if error.code == "required":
        return "Ce champ est obligatoire."
    if error.code == "choice":
        return (
            "Choisissez maison ou appartement."
            if error.field == "property_type"
            else "Choisissez une des valeurs proposées."
        )
    if error.code == "type":
        return "Saisissez un nombre entier." if "whole" in error.message else "Saisissez un nombre."
    if error.code == "range" and "min" in params:
        unit = f"{NBSP}m²" if error.field.endswith("_m2") else ""
        low, high = params["min"], params["max"]
        return f"Saisissez une valeur entre {number(low)}{unit} et {number(high)}{unit}."
    if error.code == "unknown":
        return "Champ inattendu."
    return "Valeur invalide."


def field_errors(errors) -> dict[str, str]:
    """One French message per field (the first error of each field)."""
    out: dict[str, str] = {}
    for error in errors:
        out.setdefault(error.field, field_error(error))
    return out


def outside_coverage(
    departement: str | None, covered: frozenset[str] | set[str], reason: str | None = None
) -> tuple[str, str]:
    """A title and an explanation for a place the model cannot value."""
    covered_list = ", ".join(sorted(covered)) or "aucun"
    if covered and len(covered) <= 12:  # names help; a national list would drown the page
        covered_list += " (" + ", ".join(DEPARTEMENT_NAMES.get(c, c) for c in sorted(covered)) + ")"
    if departement == MAYOTTE:
        return (
            "Pas d'estimation à Mayotte",
            "Les ventes de Mayotte ne sont pas publiées dans DVF. Sans ventes publiées, "
            "nous préférons ne pas inventer de prix.",
        )
    if departement in NOT_IN_DVF:
        return (
            "Pas d'estimation en Alsace-Moselle",
            "Les ventes du Bas-Rhin, du Haut-Rhin et de la Moselle ne figurent pas dans "
            "DVF : ces départements tiennent leur propre livre foncier. Sans ventes "
            "publiées, nous préférons ne pas inventer de prix.",
        )
    if departement and departement not in covered:
        return (
            "Ce département n'est pas encore couvert",
            f"Le modèle actuel a appris sur les ventes des départements {covered_list}. "
            f"Estimer un bien du département {departement_label(departement)} à partir de "
            "ventes d'ailleurs "
            "donnerait un chiffre trompeur : nous préférons ne pas en donner.",
        )
    return (
        "Estimation impossible à cet endroit",
        "Nous n'avons pas assez de ventes comparables autour de cette adresse pour "
        f"donner un prix fiable (départements couverts : {covered_list}).",
    )


# Where to look where immoval does not estimate.
DVF_APP = ("l'application DVF d'Etalab (toutes les ventes publiées, sur une carte)",
           "https://app.dvf.etalab.gouv.fr/")  # fmt: skip
NOTAIRES = ("les prix de l'immobilier des notaires de France",
            "https://www.immobilier.notaires.fr/fr/prix-immobilier")  # fmt: skip


def alternatives(departement: str | None) -> list[tuple[str, str]]:
    """Other places to look (text, URL) for a département immoval does not price."""
    if departement == MAYOTTE:
        return []
    if departement in NOT_IN_DVF:
        return [NOTAIRES]  # Alsace-Moselle's sales are in the livre foncier, not in DVF
    return [DVF_APP]
