"""Malformed DVF rows are reported with their reason, and every row is accounted for."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from training import cleaning
from training.dvf import GEO_DVF_COLUMNS, DvfLayoutError, read_geo_dvf
from training.prepare import sales_of_rows

HEADER = ",".join(GEO_DVF_COLUMNS)
# Real rows of ../shared/data (2020/75): 2020-814517 (an apartment and two outbuildings) and
# 2020-821742 (a VEFA apartment), then copies of them with one field damaged each.
GOOD = [
    "2020-814517,2020-07-02,000001,Vente,1670000,20,,RUE DES BONS ENFANTS,1105,75001,75101,Paris 1er Arrondissement,75,,,75101000AU0018,,,34,,9,107.29,,,,,,,2,2,Appartement,120,5,,,,,,2.338875,48.86343",  # noqa: E501
    "2020-814517,2020-07-02,000001,Vente,1670000,20,,RUE DES BONS ENFANTS,1105,75001,75101,Paris 1er Arrondissement,75,,,75101000AU0018,,,75,,,,,,,,,,1,3,Dépendance,,0,,,,,,2.338875,48.86343",  # noqa: E501
    "2020-814517,2020-07-02,000001,Vente,1670000,20,,RUE DES BONS ENFANTS,1105,75001,75101,Paris 1er Arrondissement,75,,,75101000AU0018,,,20,,,,,,,,,,1,3,Dépendance,,0,,,,,,2.338875,48.86343",  # noqa: E501
    "2020-821742,2020-07-01,000001,Vente en l'état futur d'achèvement,556000,8,,RUE LEREDDE,5597,75013,75113,Paris 13e Arrondissement,75,,,75113000CG0067,,,26,,,,,,,,,,1,2,Appartement,46,2,,,,,,2.373506,48.828378",  # noqa: E501
]
DAMAGED = [
    # line 6: price with a currency sign
    "X-1,2020-07-02,000001,Vente,1670000€,20,,RUE DES BONS ENFANTS,1105,75001,75101,Paris 1er Arrondissement,75,,,75101000AU0018,,,34,,9,107.29,,,,,,,2,2,Appartement,120,5,,,,,,2.338875,48.86343",  # noqa: E501
    # line 7: impossible date
    "X-2,2020-13-45,000001,Vente,556000,8,,RUE LEREDDE,5597,75013,75113,Paris 13e Arrondissement,75,,,75113000CG0067,,,26,,,,,,,,,,1,2,Appartement,46,2,,,,,,2.373506,48.828378",  # noqa: E501
    # line 8: no commune code
    "X-3,2020-07-01,000001,Vente,556000,8,,RUE LEREDDE,5597,75013,,Paris 13e Arrondissement,75,,,75113000CG0067,,,26,,,,,,,,,,1,2,Appartement,46,2,,,,,,2.373506,48.828378",  # noqa: E501
    # line 9: a field lost (39 instead of 40)
    "X-4,2020-07-01,000001,Vente,556000,8,,RUE LEREDDE,5597,75013,75113,Paris 13e Arrondissement,75,,75113000CG0067,,,26,,,,,,,,,,1,2,Appartement,46,2,,,,,,2.373506,48.828378",  # noqa: E501
    # line 10: a surface typed as text
    "X-5,2020-07-01,000001,Vente,556000,8,,RUE LEREDDE,5597,75013,75113,Paris 13e Arrondissement,75,,,75113000CG0067,,,26,,,,,,,,,,1,2,Appartement,quarante,2,,,,,,2.373506,48.828378",  # noqa: E501
]


@pytest.fixture()
def dvf_file(tmp_path):
    folder = tmp_path / "2020" / "departements"
    folder.mkdir(parents=True)
    path = folder / "75.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join([HEADER, *GOOD, *DAMAGED]) + "\n")
    return path


def test_malformed_rows_are_reported_with_their_reason(dvf_file):
    rows, bad_lines = read_geo_dvf(dvf_file, source="x/75.csv.gz")
    sales, verdicts, rejected = sales_of_rows(rows)
    reasons = dict(zip(rejected["mutation_id"], rejected["reason"], strict=True))
    assert reasons == {
        "X-1": "malformed_valeur_fonciere",
        "X-2": "malformed_date",
        "X-3": "missing_commune",
        "X-5": "malformed_surface_reelle_bati",
    }
    lines = dict(zip(rejected["mutation_id"], rejected["source_line"], strict=True))
    assert lines == {"X-1": 6, "X-2": 7, "X-3": 8, "X-5": 10}
    assert rejected.set_index("mutation_id").loc["X-1", "detail"] == "1670000€"
    assert list(bad_lines["reason"]) == ["wrong_field_count"]
    assert list(bad_lines["source_line"]) == [9]
    # The damaged sales are removed and counted; the good ones are kept.
    assert set(verdicts.index[verdicts["rule"] == "malformed_row"]) == {"X-1", "X-2", "X-3", "X-5"}
    assert set(sales["mutation_id"]) == {"2020-814517", "2020-821742"}


def test_every_row_is_counted_once(dvf_file):
    rows, bad_lines = read_geo_dvf(dvf_file)
    _, verdicts, _ = sales_of_rows(rows)
    verdicts = verdicts.assign(departement="75", year=2020)
    counts = cleaning.count_rules(verdicts, bad_lines)
    assert counts["rows"].sum() == len(GOOD) + len(DAMAGED)
    by_rule = counts.groupby("rule")[["rows", "sales"]].sum()
    assert by_rule.loc["kept"].tolist() == [4, 2]
    assert by_rule.loc["malformed_row"].tolist() == [4, 4]
    assert by_rule.loc["malformed_line"].tolist() == [1, 0]
    assert "malformed_line" in cleaning.report_table(counts)


def test_a_file_in_another_layout_is_refused_by_name(tmp_path):
    folder = tmp_path / "2020" / "departements"
    folder.mkdir(parents=True)
    path = folder / "75.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(HEADER.replace("valeur_fonciere", "prix") + "\n")
    with pytest.raises(DvfLayoutError, match="valeur_fonciere"):
        read_geo_dvf(path)


def test_rules_apply_in_order_first_match_wins():
    mutations = pd.DataFrame(
        {
            "malformed": [False, False, False, False, True],
            "nature": ["Vente", "Adjudication", "Vente", "Vente", "Echange"],
            "price": [100_000.0, 50_000.0, 0.0, 200_000.0, 1.0],
            "prices": [1, 1, 1, 2, 1],
            "commercial": [0, 1, 0, 0, 0],
            "dwellings": [1, 1, 1, 1, 1],
            "living_area_m2": [50.0, 50.0, 50.0, 50.0, 50.0],
        }
    )
    assert list(cleaning.exclusion_rule(mutations)) == [
        "kept",
        "auction",
        "no_price",
        "inconsistent_price",
        "malformed_row",
    ]


# 2020-606999 (Bonsecours, 2020/76): a house repeated on the two land lines of its parcel.
HOUSE = [
    "2020-606999,2020-07-10,000001,Vente,271950,,,RUE DU GENERAL LECLERC,3200,76240,76103,Bonsecours,76,,,76103000AE0486,,,,,,,,,,,,,0,,,,,S,sols,,,48,1.116828,49.427029",  # noqa: E501
    "2020-606999,2020-07-10,000001,Vente,271950,13,,RUE DU GENERAL LECLERC,3200,76240,76103,Bonsecours,76,,,76103000AE0606,,,,,,,,,,,,,0,1,Maison,160,6,AG,terrains d'agrément,,,2277,1.116798,49.426645",  # noqa: E501
    "2020-606999,2020-07-10,000001,Vente,271950,13,,RUE DU GENERAL LECLERC,3200,76240,76103,Bonsecours,76,,,76103000AE0606,,,,,,,,,,,,,0,1,Maison,160,6,S,sols,,,1000,1.116798,49.426645",  # noqa: E501
]


def sales_of_lines(tmp_path, lines):
    folder = tmp_path / "2020" / "departements"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "76.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join([HEADER, *lines]) + "\n")
    return sales_of_rows(read_geo_dvf(path)[0])


def test_a_house_repeated_per_land_line_is_one_house(tmp_path):
    sales, verdicts, _ = sales_of_lines(tmp_path, HOUSE)
    assert verdicts.loc["2020-606999", "rule"] == "kept"
    assert sales.loc[0, "land_area_m2"] == 48 + 2277 + 1000


def test_two_identical_houses_on_each_land_line_are_two_houses(tmp_path):
    # The same mutation with a second, identical house: each land line now carries two rows.
    doubled = [HOUSE[0], HOUSE[1], HOUSE[1], HOUSE[2], HOUSE[2]]
    sales, verdicts, _ = sales_of_lines(tmp_path, doubled)
    assert verdicts.loc["2020-606999", "rule"] == "several_dwellings"
    assert sales.empty
