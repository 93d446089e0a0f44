"""One definition of each geographic rule: one code and a column give the same answers."""

from __future__ import annotations

import pandas as pd
import pytest

from model.geography import (
    DVF_DEPARTEMENTS,
    NOT_IN_DVF,
    departement_label,
    departement_of,
    departement_slug,
    departements_of,
    statistics_commune,
    statistics_communes,
)

CODES = ["75101", "75120", "75121", "69381", "69389", "69390", "13201", "13216", "13200",
         "2A004", "2B033", "97411", "97101", "59350", "75056"]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("59350", "59"),
        ("2A004", "2A"),
        ("97411", "974"),
        (" 97101 ", "971"),
        ("", None),
        (None, None),
        (float("nan"), None),
    ],  # fmt: skip
)
def test_departement_of_one_code(code, expected):
    assert departement_of(code) == expected


def test_one_code_and_a_column_agree():
    column = pd.Series(CODES, index=range(10, 10 + len(CODES)))
    assert departements_of(column).tolist() == [departement_of(c) for c in CODES]
    stats = statistics_communes(column)
    assert stats.tolist() == [statistics_commune(c) for c in CODES]
    assert stats.index.equals(column.index)
    assert statistics_communes(CODES).tolist() == stats.tolist()


def test_only_the_arrondissements_move_to_their_whole_commune():
    moved = {c: statistics_commune(c) for c in CODES if statistics_commune(c) != c}
    assert moved == {"75101": "75056", "75120": "75056", "69381": "69123", "69389": "69123",
                     "13201": "13055", "13216": "13055"}  # fmt: skip


def test_a_column_with_missing_codes_keeps_them_missing():
    column = pd.Series(["75105", None, "34172"], dtype="string")
    out = statistics_communes(column)
    assert out.iloc[0] == "75056" and pd.isna(out.iloc[1]) and out.iloc[2] == "34172"
    assert statistics_commune(None) == ""


def test_departements_outside_dvf_say_why():
    assert set(NOT_IN_DVF) == {"57", "67", "68", "976"}
    assert all(reason.strip() for reason in NOT_IN_DVF.values())


def test_every_departement_dvf_publishes():
    assert len(DVF_DEPARTEMENTS) == 97  # 96 metropolitan − Alsace-Moselle + 4 overseas
    assert {"2A", "2B", "971", "972", "973", "974"} <= set(DVF_DEPARTEMENTS)
    assert not set(DVF_DEPARTEMENTS) & set(NOT_IN_DVF) and "20" not in DVF_DEPARTEMENTS


def test_names_and_file_slugs():
    assert departement_label("28") == "Eure-et-Loir (28)"
    assert departement_label("974") == "La Réunion (974)"
    assert departement_label("99") == "99"
    assert (
        departement_slug("21") == "cote-d-or" and departement_slug("90") == "territoire-de-belfort"
    )
