"""French labels of contributions, from the structured facts the model returns."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from app.labels.contributions import LabelledContribution, contribution_label, labelled
from model.explain import Contribution, HomeFacts
from model.features import FEATURE_GROUPS

NB = "\u202f"
FACTS = HomeFacts(
    property_type="apartment",
    living_area_m2=1065.4,
    rooms=3,
    land_area_m2=1250.0,
    outbuildings=2,
    neighbours=15,
    neighbours_price_per_m2=10_432.6,
    neighbours_distance_m=87.2,
    parcel_sales=4,
    previous_sale=date(2019, 3, 28),
    code_commune="75103",
    commune_name="Paris 3e Arrondissement",
)


def _label(group: str, **facts) -> str:
    return contribution_label(Contribution(group, 1234.0, dataclasses.replace(FACTS, **facts)))


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("surface", f"Surface habitable : 1{NB}065 m²"),
        ("rooms", "Nombre de pièces : 3"),
        ("land", f"Terrain : 1{NB}250 m²"),
        ("outbuildings", "Dépendances (cave, parking, garage) : 2"),
        ("type", "Type de bien : appartement"),
        ("new_build", "Logement ancien (pas une vente sur plan)"),
        ("location", "Emplacement exact dans la commune"),
        (
            "neighbourhood",
            f"Prix des 15 ventes voisines les plus proches : 10{NB}433 €/m² (médiane, au prix "
            "du marché actuel), à 87 m en médiane",
        ),
        ("building", "Ventes antérieures sur la même parcelle (immeuble) : 4"),
        ("repeat", "Vente précédente de ce logement : 03/2019"),
        ("commune", "Commune : Paris 3e Arrondissement"),
        ("tranquillity", "Repères de tranquillité (délinquance enregistrée, caméras)"),
    ],
)
def test_each_group_is_worded_from_its_numbers(group, expected):
    assert _label(group) == expected


@pytest.mark.parametrize(
    ("group", "facts", "expected"),
    [
        ("rooms", {"rooms": None}, "Nombre de pièces"),
        ("land", {"land_area_m2": 0.0}, "Sans terrain"),
        ("outbuildings", {"outbuildings": 0}, "Sans dépendance (cave, parking, garage)"),
        ("type", {"property_type": "house"}, "Type de bien : maison"),
        (
            "neighbourhood",
            {"neighbours": 0, "neighbours_price_per_m2": None, "neighbours_distance_m": None},
            "Ventes voisines",
        ),
        ("building", {"parcel_sales": 0}, "Aucune vente antérieure connue sur la même parcelle"),
        ("repeat", {"previous_sale": None}, "Pas de vente antérieure connue de ce logement"),
        ("commune", {"commune_name": None}, "Commune : 75103"),
        ("surface", {"living_area_m2": 65.0}, "Surface habitable : 65 m²"),
    ],
)
def test_missing_or_empty_values_have_their_own_wording(group, facts, expected):
    assert _label(group, **facts) == expected


def test_every_group_of_the_model_has_a_wording_and_unknown_ones_keep_their_name():
    for group in {*FEATURE_GROUPS.values(), "tranquillity"}:
        assert _label(group) != group, group
    assert _label("something_new") == "something_new"


def test_labelled_keeps_order_group_and_euros():
    contributions = [Contribution("surface", 5000.0, FACTS), Contribution("land", -300.0, FACTS)]
    assert labelled(contributions) == [
        LabelledContribution("surface", f"Surface habitable : 1{NB}065 m²", 5000.0),
        LabelledContribution("land", f"Terrain : 1{NB}250 m²", -300.0),
    ]
