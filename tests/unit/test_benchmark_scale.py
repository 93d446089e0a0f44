"""The replication of sales in benchmarks/scale.py: codes rewritten together, places moved."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import scale  # noqa: E402


@pytest.fixture()
def communes() -> pd.DataFrame:
    """Communes in the reference's layout: two in the source 34, three in the target 62."""
    rows = [
        ("34172", "34", "Montpellier", "34000", "43.6", "3.87", "300000", ""),
        ("34057", "34", "Castelnau-le-Lez", "34170", "43.63", "3.9", "20000", ""),
        ("62041", "62", "Arras", "62000", "50.29", "2.78", "40000", ""),
        ("62193", "62", "Calais", "62100", "50.95", "1.86", "67000", ""),
        ("62001", "62", "Ablain", "62153", "50.4", "2.7", "900", ""),
    ]
    names = ("insee_com", "insee_dep", "commune", "code_postal", "lat", "lng",
             "population_2021", "insee_parente")  # fmt: skip
    return pd.DataFrame(rows, columns=names)


def sales() -> pd.DataFrame:
    """Three lot lines of two mutations, all text as the script reads them."""
    return pd.DataFrame(
        {
            "id_mutation": ["2023-1", "2023-1", "2023-2"],
            "code_departement": ["34", "34", "34"],
            "code_commune": ["34172", "34172", "34057"],
            "nom_commune": ["Montpellier", "Montpellier", "Castelnau-le-Lez"],
            "code_postal": ["34000", "34000", "34170"],
            "id_parcelle": ["34172000AB0001", "34172000AB0002", ""],
            "ancien_code_commune": ["", "", "34999"],
            "valeur_fonciere": ["250000", "250000", "410000"],
            "longitude": ["3.870000", "3.871000", ""],
            "latitude": ["43.600000", "43.601000", "43.630000"],
        }
    )


def test_replicate_rewrites_codes_together_and_moves_places(communes):
    table = scale.commune_table(communes)
    centres = scale.centroids(table)
    shift = (centres["62"][0] - centres["34"][0], centres["62"][1] - centres["34"][1])

    moved = scale.replicate(sales(), 3, "62", table, shift)

    assert len(moved) == 3
    assert set(moved["code_departement"]) == {"62"}
    # By population rank: Montpellier → Calais, Castelnau-le-Lez → Arras.
    assert moved["code_commune"].tolist() == ["62193", "62193", "62041"]
    assert moved["nom_commune"].tolist() == ["Calais", "Calais", "Arras"]
    assert moved["code_postal"].tolist() == ["62100", "62100", "62000"]
    assert moved["id_parcelle"].tolist() == ["62193000AB0001", "62193000AB0002", ""]
    assert moved["id_mutation"].tolist() == ["3-2023-1", "3-2023-1", "3-2023-2"]
    assert set(moved["ancien_code_commune"]) == {""}
    assert moved["valeur_fonciere"].tolist() == sales()["valeur_fonciere"].tolist()
    latitude = pd.to_numeric(moved["latitude"]) - pd.to_numeric(sales()["latitude"])
    assert latitude.round(5).eq(round(shift[0], 5)).all()
    assert float(moved["longitude"][0]) == pytest.approx(3.87 + shift[1], abs=1e-6)
    assert moved["longitude"][2] == ""  # no place stays no place


def test_copies_multiply_rows_and_keep_mutations_apart(communes):
    table = scale.commune_table(communes)
    copies = [scale.replicate(sales(), k, "62", table, (0.0, 0.0)) for k in (1, 2)]
    every = pd.concat([sales(), *copies])

    assert len(every) == 3 * len(sales())
    assert every["id_mutation"].nunique() == 3 * sales()["id_mutation"].nunique()


def test_targets_are_stable_and_outside_the_sources(communes):
    table = scale.commune_table(communes)
    plan = scale.targets(table, ["34", "62", "59"], 0)
    assert plan == {}
    with pytest.raises(SystemExit):
        scale.targets(table, ["34", "62"], 1)  # one target for four sources
