"""DPE certificates and BDNB buildings joined to sales, from fixtures in the official layouts."""

import numpy as np
import pandas as pd
import pytest

from training.surroundings import bdnb, dpe

SALES = pd.DataFrame(
    {
        "code_commune": ["75113", "75113", "75118", "75118"],
        "street_code": ["2756", "2756", "3440", "3440"],
        "address_number": ["62", "62", "32", "32"],
        "address_suffix": ["", "", "B", "B"],
        "date": pd.to_datetime(["2024-03-01", "2021-01-15", "2024-05-01", "2024-05-01"]),
        "living_area_m2": [28.0, 28.0, 60.0, 120.0],
        "property_type": ["apartment", "apartment", "apartment", "apartment"],
        "parcel_id": ["75113000AB0012", "75113000AB0012", "75118000CD0001", None],
    }
)


@pytest.fixture
def certificates(tmp_path):
    path = tmp_path / "dpe.csv"
    pd.DataFrame(
        {
            "numero_dpe": ["2375E1", "2375E2", "2475E3", "2475E4"],
            "identifiant_ban": [
                "75113_2756_00062",
                "75113_2756_00062",
                "75118_3440_00032_bis",
                "75118_3440_00032_bis",
            ],
            "date_etablissement_dpe": ["2023-06-01", "2022-01-10", "2024-01-02", "2024-08-01"],
            "etiquette_dpe": ["F", "D", "C", "A"],
            "periode_construction": ["avant 1948", "avant 1948", "1989-2000", "1989-2000"],
            "numero_etage_appartement": ["3", "3", "0", "5"],
            "surface_habitable_logement": ["27.7", "35.0", "61.5", "60.0"],
            "type_batiment": ["appartement", "appartement", "appartement", "appartement"],
        }
    ).to_csv(path, index=False)
    return dpe.read_dpe(path)


def test_a_sale_gets_the_certificate_of_its_address_and_surface_dated_before(certificates):
    found = dpe.match(SALES, certificates)
    # 28 m² in 2024: the 27.7 m² certificate (the 35 m² one is another home).
    assert found.loc[0].tolist() == [6.0, 1930.0, 3.0]
    # The same home sold in 2021: both certificates are later, so none.
    assert found.loc[1].isna().all()
    # Suffix B is BAN's "bis"; the certificate of August 2024 comes after the May sale.
    assert found.loc[2].tolist() == [3.0, 1995.0, 0.0]
    # 120 m² matches no certificate of the address (beyond 10 %).
    assert found.loc[3].isna().all()


def test_the_match_report_counts_what_each_step_keeps(certificates):
    report = dpe.match_report(SALES, certificates)
    assert report["address_in_sales"] == 4
    assert report["same_surface_sale"] == 3  # the 35 m² certificate fits no sale
    assert report["dated_before_a_sale"] == 2
    assert report["sales_matched"] == 2


def test_a_dpe_file_without_energy_class_is_refused(tmp_path):
    path = tmp_path / "dpe.csv"
    pd.DataFrame({"identifiant_ban": ["x"]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="etiquette_dpe|date_etablissement_dpe"):
        dpe.read_dpe(path)


def test_bdnb_facts_by_parcel_from_the_largest_building(tmp_path):
    pd.DataFrame(
        {
            "batiment_groupe_id": ["bdnb-bg-1", "bdnb-bg-2", "bdnb-bg-3"],
            "parcelle_id": ["75113000AB0012", "75113000AB0012", "75118000CD0001"],
            "code_departement_insee": ["75", "75", "75"],
        }
    ).to_csv(tmp_path / "rel_batiment_groupe_parcelle.csv", index=False)
    pd.DataFrame(
        {
            "batiment_groupe_id": ["bdnb-bg-1", "bdnb-bg-2", "bdnb-bg-3"],
            "code_departement_insee": ["75", "75", "75"],
            "annee_construction": ["1890", "1975", ""],
            "nb_niveau": ["6", "2", "4"],
            "nb_log": ["24", "1", "8"],
        }
    ).to_csv(tmp_path / "batiment_groupe_ffo_bat.csv", index=False)
    found = bdnb.match(SALES, bdnb.read_bdnb(tmp_path))
    assert found.loc[0].tolist() == [1890.0, 6.0, 24.0]
    assert np.isnan(found.loc[2, "bdnb_year"]) and found.loc[2, "bdnb_dwellings"] == 8.0
    assert found.loc[3].isna().all()  # no parcel
