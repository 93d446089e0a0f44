"""The communes reference built from the real COG 2024 file."""

from __future__ import annotations

import pytest

from training.communes import COMMUNES_FILE, build_communes, communes_table, read_communes_csv


@pytest.fixture(scope="module")
def communes(shared_data):
    return build_communes(read_communes_csv(shared_data / COMMUNES_FILE)).set_index("code_commune")


def test_one_row_per_commune_with_its_smallest_postcode(communes):
    assert communes.index.is_unique
    montpellier = communes.loc["34172"]
    assert (montpellier["name"], montpellier["departement"], montpellier["postcode"]) == (
        "Montpellier",
        "34",
        "34000",
    )
    assert montpellier["population"] == 302454
    assert montpellier["code_commune_stats"] == "34172"


def test_arrondissements_point_to_their_city_which_is_a_row_too(communes):
    assert communes.loc["75101", "code_commune_stats"] == "75056"
    assert communes.loc["69381", "code_commune_stats"] == "69123"
    assert communes.loc["13201", "code_commune_stats"] == "13055"
    paris = communes.loc["75056"]
    arrondissements = communes.loc[communes.index.str.match(r"^751(0[1-9]|1\d|20)$")]
    assert len(arrondissements) == 20
    assert paris["population"] == arrondissements["population"].sum()
    assert paris["name"] == "Paris"
    assert 48.8 < paris["latitude"] < 48.9 and 2.3 < paris["longitude"] < 2.4


def test_codes_keep_their_letters_and_leading_zeros(communes):
    assert "2A004" in communes.index
    assert communes.loc["01001", "departement"] == "01"
    assert communes_table(communes.reset_index()).schema.field("code_commune").type == "string"
