"""French wording of the tranquillity summary: group labels, units and notes.

`describe_tranquillity` turns the model's `Summary` (group ids and numbers) into the
object the API answers and the site's panel reads: the same values, each incident group
with its label and unit, and the notes that go with the figures.
"""

from __future__ import annotations

from typing import Any

from model.tranquillity import Summary

GROUP_LABELS = {
    "violence": "Atteintes aux personnes",
    "property": "Atteintes aux biens",
    "damage": "Destructions et dégradations volontaires",
    "burglary": "Cambriolages de logement",
}
GROUP_UNITS = {
    "violence": "pour 1000 habitants",
    "property": "pour 1000 habitants",
    "damage": "pour 1000 habitants",
    "burglary": "pour 1000 logements",
}

# Shown with every summary.
NOTES = (
    "Faits enregistrés par la police et la gendarmerie, comptés au lieu de l'infraction : "
    "ils dépendent des plaintes et de l'activité des services, et les centres animés où "
    "peu de gens habitent ont des taux élevés par habitant.",
    "Chiffres de l'année précédant la date ; si elle n'est pas publiée, la dernière année "
    "publiée (indiquée). Une valeur absente signifie « non publié », pas zéro.",
)
# Added where no complete camera list is published.
NOTE_NOT_COVERED = (
    "Caméras : aucune liste complète n'est publiée pour cette commune ; leur nombre est inconnu."
)


def group_label(group: str) -> str:
    """The French name of an incident group (its id when unknown)."""
    return GROUP_LABELS.get(group, group)


def group_unit(group: str) -> str:
    """What a group's rate is counted per ("" when unknown)."""
    return GROUP_UNITS.get(group, "")


def notes(covered: bool) -> list[str]:
    """The notes shown with a summary; one more where cameras are not listed."""
    return list(NOTES) + ([] if covered else [NOTE_NOT_COVERED])


def describe_tranquillity(summary: Summary | None) -> dict[str, Any] | None:
    """The summary as the API and the site show it; None when unknown."""
    if summary is None:
        return None
    incidents = {
        group: {"label": group_label(group), "unit": group_unit(group), **figures}
        for group, figures in summary["incidents"].items()
    }
    return {
        **summary,
        "incidents": incidents,
        "cameras": dict(summary["cameras"]),
        "sources": list(summary["sources"]),
        "notes": notes(summary["cameras"]["covered"]),
    }
