"""The note of a département whose data is partial, in French."""

from __future__ import annotations

from app.labels.coverage import partial_data_note

CHARTRES = {
    "code": "28", "sales": 4786, "first_sale": "2021-01-04", "last_sale": "2024-12-30",
    "communes_with_sales": 7, "communes": 365,
    "gaps": ["few_communes", "starts_late", "no_outbuildings", "no_parcels"],
}  # fmt: skip


def test_each_gap_is_said_with_its_figures():
    note = partial_data_note(CHARTRES)
    assert note.startswith("Données partielles pour Eure-et-Loir (28) : ")
    assert "les ventes de 7 communes seulement sur 365" in note
    assert "des ventes depuis janvier 2021 seulement" in note
    assert "dépendances (caves, parkings, garages) non renseignées" in note
    assert "parcelles non renseignées" in note


def test_complete_or_unknown_data_says_nothing():
    assert partial_data_note({**CHARTRES, "gaps": []}) is None
    assert partial_data_note(None) is None
    ends = partial_data_note({**CHARTRES, "gaps": ["ends_early"]})
    assert "des ventes jusqu'à décembre 2024 seulement" in ends
