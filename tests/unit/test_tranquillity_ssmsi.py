"""SSMSI readers: the official long format, the derived layers, arrondissements."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from model.geography import departements_of, statistics_communes
from training.tranquillity import ssmsi

HEADER = ";".join(ssmsi.OFFICIAL_COLUMNS)
VIOLENCE, PROPERTY = ssmsi.GROUP_INDICATORS["violence"], ssmsi.GROUP_INDICATORS["property"]


def official_row(code, year, indicator, count, rate, status="diff", pop="2500", log="1200"):
    """One line in the official layout: `;`, decimal commas."""
    return ";".join(
        [
            code,
            str(year),
            indicator,
            "Victime",
            count,
            rate,
            status,
            pop,
            "2021",
            log,
            "2021",
            "",
            "",
        ]
    )


@pytest.fixture()
def official_file(tmp_path):
    lines = [HEADER]
    # Commune 34999: every indicator published.
    for i, indicator in enumerate(VIOLENCE):
        lines.append(official_row("34999", 2023, indicator, str(i + 1), "0,4"))
    for indicator in PROPERTY:
        count = "12" if indicator == ssmsi.BURGLARY_INDICATOR else "10"
        rate = "10,0" if indicator == ssmsi.BURGLARY_INDICATOR else "4,0"
        lines.append(official_row("34999", 2023, indicator, count, rate))
    lines.append(
        official_row("34999", 2023, "Destructions et dégradations volontaires", "5", "2,0")
    )
    # Commune 76998: one violence indicator not published; its cells are not to be trusted.
    for indicator in VIOLENCE:
        status, count = ("ndiff", "0") if indicator == "Violences sexuelles" else ("diff", "7")
        lines.append(official_row("76998", 2023, indicator, count, "2,8", status=status))
    # Paris arrondissement rows belong to Paris.
    lines.append(
        official_row("75112", 2023, "Destructions et dégradations volontaires", "40", "2,5")
    )
    # A malformed row: reported, not dropped silently.
    lines.append(official_row("34999", 2023, "Vols avec armes", "1", "0,4", status="peut-être"))
    path = tmp_path / "communes-long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_official_reader_keeps_ndiff_unknown_and_reports_bad_rows(official_file):
    read = ssmsi.read_official_communes(official_file)
    assert len(read.rejected) == 1
    assert "neither diff nor ndiff" in read.rejected["reason"].iloc[0]
    sexual = read.table[
        (read.table["code"] == "76998") & (read.table["indicator"] == "Violences sexuelles")
    ]
    assert not sexual["published"].iloc[0]
    assert math.isnan(sexual["count"].iloc[0])  # the 0 in an ndiff row is not a zero
    assert read.table["rate_per_1000"].max() == pytest.approx(10.0)  # decimal comma read
    assert set(read.table["code"]) == {"34999", "76998", "75056"}


def test_group_rates_from_official_rows(official_file):
    rates = ssmsi.group_rates(ssmsi.read_official_communes(official_file).table).set_index("code")
    # 1+2+3+4+5 victims for 2500 inhabitants.
    assert rates.loc["34999", "violence_rate"] == pytest.approx(15 / 2500 * 1000)
    assert rates.loc["34999", "property_rate"] == pytest.approx(62 / 2500 * 1000)
    assert rates.loc["34999", "damage_rate"] == pytest.approx(5 / 2500 * 1000)
    # Burglary is per 1000 dwellings.
    assert rates.loc["34999", "burglary_rate"] == pytest.approx(12 / 1200 * 1000)
    # One unpublished indicator makes the group unknown, not a smaller number.
    assert math.isnan(rates.loc["76998", "violence_rate"])
    # A group with no row at all is unknown too.
    assert math.isnan(rates.loc["76998", "property_rate"])


def test_official_reader_accepts_parquet_and_other_geography_years(official_file, tmp_path):
    frame = pd.read_csv(official_file, sep=";", dtype=str).rename(
        columns={"CODGEO_2025": "CODGEO_2026"}
    )
    path = tmp_path / "communes-long.parquet"
    frame.to_parquet(path)
    read = ssmsi.read_official_communes(path)
    assert len(read.table) == len(frame) - 1 and len(read.rejected) == 1


def test_official_reader_refuses_another_layout(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="official communal layout"):
        ssmsi.read_official_communes(path)


def test_derived_layers_read_zero_and_empty_as_unpublished(tmp_path):
    grouped = tmp_path / "groupes.csv"
    grouped.write_text(
        "code_commune,annee,insee_pop,violences_personnes_p1000,atteintes_biens_p1000,"
        "destructions_degradations_p1000,indice_global_percentile,niveau_0_4,completude\n"
        "01001,2023,767,0,12.5,,0,0,0.6666666666666666\n"
        "751AB,2023,1,1,1,1,0,0,1\n",
        encoding="utf-8",
    )
    read = ssmsi.read_grouped_communes(grouped)
    row = read.table.iloc[0]
    assert math.isnan(row["violence_rate"]) and math.isnan(row["damage_rate"])
    assert row["property_rate"] == 12.5
    assert read.rejected["reason"].tolist() == ["bad commune code"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("75101", "75056"),
        ("75120", "75056"),
        ("69385", "69123"),
        ("13216", "13055"),
        ("13200", "13200"),
        ("34172", "34172"),
        ("75056", "75056"),
    ],  # fmt: skip
)
def test_arrondissements_map_to_their_commune(code, expected):
    assert statistics_communes([code]).iloc[0] == expected


def test_departement_of_overseas_and_corsica():
    assert departements_of(pd.Series(["97411", "2A004", "59350"])).tolist() == ["974", "2A", "59"]


def test_indicators_missing_from_a_whole_year_are_reported(official_file):
    facts = ssmsi.read_official_communes(official_file).table
    # The fixture has every indicator for 2023.
    assert ssmsi.missing_indicators(facts) == {}
    renamed = facts.replace({"indicator": {"Vols avec armes": "Vols à main armée"}})
    assert ssmsi.missing_indicators(renamed) == {"2023": ["Vols avec armes"]}
