"""Raw DGFiP files against geo-DVF, on the real mirror."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.test_sales_raw_dgfip import RAW_ROWS, SHARED_FIELDS, write_raw
from training.dvf import read_geo_dvf, read_raw_dgfip
from training.prepare import sales_of_rows


@pytest.fixture()
def raw_sales(tmp_path):
    path = tmp_path / "valeursfoncieres-2020.txt"
    write_raw(path, RAW_ROWS)
    rows, bad = read_raw_dgfip(path)
    assert bad.empty
    sales, _, rejected = sales_of_rows(rows)
    assert rejected.empty
    return sales


@pytest.fixture(scope="module")
def geo_sales(shared_data):
    frames = []
    for dep in ("75", "76"):
        rows, _ = read_geo_dvf(shared_data / f"geo-dvf/latest/csv/2020/departements/{dep}.csv.gz")
        frames.append(sales_of_rows(rows)[0])
    return pd.concat(frames, ignore_index=True)


def test_raw_layout_gives_the_same_sales_as_geo_dvf(raw_sales, geo_sales):
    assert len(raw_sales) == 3
    geo = geo_sales.set_index("mutation_id").loc[["2020-814517", "2020-821742", "2020-606999"]]
    raw = raw_sales.sort_values("date")
    geo = geo.sort_values("date")
    pd.testing.assert_frame_equal(
        raw[SHARED_FIELDS].reset_index(drop=True),
        geo[SHARED_FIELDS].reset_index(drop=True),
        check_categorical=False,
    )
    # The raw file has no coordinates: flagged, never guessed.
    assert not raw["has_coordinates"].any()
    assert raw["longitude"].isna().all()


def test_real_raw_extract_is_read_without_loss(shared_data):
    rows, bad = read_raw_dgfip(shared_data / "dvf-brut/valeursfoncieres-2020-extrait.txt")
    assert bad.empty
    assert len(rows) == 172
    _, verdicts, rejected = sales_of_rows(rows)
    assert rejected.empty
    assert verdicts["rows"].sum() == 172
    # "01" Ain, commune 72 of section AK plan 216 on the first line.
    first = rows.iloc[0]
    assert (first["code_commune"], first["id_parcelle"]) == ("01072", "01072000AK0216")
    assert (first["code_postal"], first["valeur_fonciere"]) == ("01250", "8000.00")
