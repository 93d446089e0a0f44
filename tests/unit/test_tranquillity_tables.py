"""The rate tables per area × year, and reading them from `reference/tranquillity/`."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from model.tranquillity.tables import (
    GROUPS,
    MAX_AGE_YEARS,
    IncidentTables,
    YearTable,
    read_reference,
    tranquillity_folder,
)


@pytest.fixture()
def table():
    frame = pd.DataFrame(
        {
            "code": ["a", "a", "a", "b"],
            "year": [2018, 2019, 2021, 2020],
            "rate": [1.0, 2.0, 4.0, np.nan],
        }
    )
    return YearTable.build(frame, ["rate"])


def test_rows_are_minus_one_for_absent_codes(table):
    assert table.row("a") == 0 and table.row("zz") == -1
    assert table.rows(["b", "zz", "a"]).tolist() == [1, -1, 0]


def test_values_outside_the_table_are_nan(table):
    rows, years = np.array([0, 0, 0, -1]), np.array([2019, 2017, 2022, 2019])
    out = table.at("rate", rows, years)
    assert out[0] == 2.0 and np.isnan(out[1:]).all()
    assert table.value("rate", 0, 2021) == 4.0
    assert math.isnan(table.value("rate", 0, 2020)) and math.isnan(table.value("rate", -1, 2021))


def test_latest_falls_back_to_an_earlier_year_in_both_paths(table):
    rows, years = np.array([0, 0, 1, -1]), np.array([2020, 2021, 2021, 2021])
    value, used = table.latest("rate", rows, years)
    assert value[:2].tolist() == [2.0, 4.0] and used.tolist() == [2019, 2021, -1, -1]
    assert np.isnan(value[2:]).all()  # unpublished (NaN) or unknown code
    for row, year, expected in [(0, 2020, (2.0, 2019)), (0, 2021, (4.0, 2021))]:
        assert table.latest_one("rate", row, year) == expected
    found, year = table.latest_one("rate", 1, 2021)
    assert math.isnan(found) and year == -1


def test_figures_older_than_the_limit_are_not_used(table):
    late = 2021 + MAX_AGE_YEARS
    value, used = table.latest("rate", np.array([0, 0]), np.array([late - 1, late]))
    assert value[0] == 4.0 and np.isnan(value[1]) and used.tolist() == [2021, -1]
    assert table.latest_one("rate", 0, late)[1] == -1


def test_an_empty_frame_gives_an_empty_table():
    empty = YearTable.build(pd.DataFrame(columns=["code", "year", "rate"]), ["rate"])
    assert np.isnan(empty.at("rate", np.array([0]), np.array([2020]))).all()
    assert math.isnan(empty.value("rate", 0, 2020))


def write_reference(folder, sources=None):
    folder.mkdir(parents=True)
    rates = {f"{g}_rate": 1.0 for g in GROUPS}
    percentiles = {f"{g}_percentile": 50.0 for g in GROUPS}
    commune = {"code": "75056", "year": 2022, **rates, **percentiles}
    pd.DataFrame([commune]).to_parquet(folder / "communes.parquet")
    pd.DataFrame([{"code": "FR", "year": 2022, **rates}]).to_parquet(
        folder / "departements.parquet"
    )
    pd.DataFrame(
        {"longitude": [2.35], "latitude": [48.85], "in_service": pd.to_datetime([None])}
    ).to_parquet(folder / "cameras.parquet")
    pd.DataFrame({"code": ["75056"]}).to_parquet(folder / "coverage.parquet")
    if sources is not None:
        (folder / "sources.json").write_text(json.dumps(sources), encoding="utf-8")


def test_reference_is_read_from_its_folder_or_its_parent(tmp_path):
    write_reference(tmp_path / "reference" / "tranquillity", {"sources": [{"name": "x"}]})
    for folder in (tmp_path / "reference", tmp_path / "reference" / "tranquillity"):
        assert tranquillity_folder(folder) == tmp_path / "reference" / "tranquillity"
        tables = read_reference(folder)
        assert tables.sources == {"sources": [{"name": "x"}]}
        assert tables.communes["code"].tolist() == ["75056"] and len(tables.cameras) == 1
    incidents = IncidentTables.build(tables.communes, tables.departements)
    assert incidents.communes.value("burglary_percentile", 0, 2022) == 50.0
    assert incidents.departements.row("FR") == 0


def test_reference_without_sources_reads_as_no_sources(tmp_path):
    write_reference(tmp_path / "tranquillity")
    assert read_reference(tmp_path).sources == {}


def test_latest_agrees_with_the_one_point_path_on_a_table_with_holes():
    rng = np.random.default_rng(7)
    codes, years = [f"c{i}" for i in range(30)], range(2012, 2024)
    frame = pd.DataFrame(
        [(c, y, rng.uniform(1, 9)) for c in codes for y in years if rng.uniform() < 0.6],
        columns=["code", "year", "rate"],
    )
    table = YearTable.build(frame, ["rate"])
    rows = rng.integers(-1, 30, 2_000)
    asked = rng.integers(2005, 2035, 2_000)  # before, inside and after the table's years
    value, used = table.latest("rate", rows, asked)
    expected = [table.latest_one("rate", int(r), int(y)) for r, y in zip(rows, asked, strict=True)]
    assert used.tolist() == [year for _, year in expected]
    np.testing.assert_array_equal(value, [found for found, _ in expected])
    assert (used >= 0).sum() > 500 and (used < 0).sum() > 200  # both outcomes exercised
