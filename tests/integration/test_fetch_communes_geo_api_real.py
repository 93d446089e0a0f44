"""The geo API's communes against the mirror's COG file."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from tests.unit.test_fetch_communes_geo_api import SAMPLE, api_record, geo_api_check, write_records
from training.communes import (
    COMMUNES_FILE,
    build_communes,
    communes_table,
    read_communes,
    read_communes_csv,
)
from training.communes_geo_api import GEO_API_FILE, read_communes_geo_api
from training.fetch.verify import VerificationError, verify


@pytest.fixture(scope="module")
def cog(shared_data):
    return read_communes_csv(shared_data / COMMUNES_FILE)


@pytest.fixture()
def api_file(cog, tmp_path):
    """The sample communes as the geo API answers them."""
    rows = cog.loc[cog["insee_com"].isin(SAMPLE) & cog["commune_type"].isin(["COM", "ARM"])]
    records = [api_record(group) for _, group in rows.groupby("insee_com", sort=False)]
    path = tmp_path / "communes-geo-api.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def test_reader_gives_the_csv_readers_columns_and_the_same_communes_table(cog, api_file):
    api = read_communes_geo_api(api_file)
    assert list(api.columns) == list(cog.columns)
    from_csv = build_communes(cog.loc[cog["insee_com"].isin(SAMPLE)]).set_index("code_commune")
    from_api = build_communes(api).set_index("code_commune")
    assert sorted(from_api.index) == sorted(from_csv.index)
    assert {"75056", "69123", "13055"} <= set(from_api.index)  # cities rebuilt from arrondissements
    pd.testing.assert_frame_equal(from_api, from_csv.loc[from_api.index], check_dtype=False)
    assert communes_table(from_api.reset_index()).num_rows == len(from_api)


def test_read_communes_prefers_the_mirror_csv_then_the_geo_api(shared_data, api_file, tmp_path):
    raw = tmp_path / "raw"
    assert read_communes(raw) is None
    (raw / GEO_API_FILE).parent.mkdir(parents=True)
    (raw / GEO_API_FILE).write_bytes(api_file.read_bytes())
    assert len(build_communes(read_communes(raw))) == len(SAMPLE) + 3
    (raw / COMMUNES_FILE).write_bytes((shared_data / COMMUNES_FILE).read_bytes())
    assert len(build_communes(read_communes(raw))) > 30_000


def test_check_accepts_an_answer_and_refuses_errors_gaps_and_truncation(api_file, tmp_path):
    check = geo_api_check().check
    assert verify(api_file, check)["records"] > 20
    cases = {
        "not a list": {"code": 400, "message": "Requête mal formée"},
        "without records": [],
        "record 1 lacks key(s) codeDepartement": [
            {
                "code": "01001",
                "nom": "A",
                "codeDepartement": "01",
                "centre": {},
                "surface": 1,
                "population": 1,
                "codesPostaux": [],
            },
            {"code": "01002", "nom": "B"},
        ],  # fmt: skip
        "no record holds centre, surface": [
            {
                "code": "01001",
                "nom": "A",
                "codeDepartement": "01",
                "population": 1,
                "codesPostaux": [],
            },
        ],  # fmt: skip
    }
    for reason, document in cases.items():
        with pytest.raises(VerificationError, match=re.escape(reason)):
            verify(write_records(tmp_path, document), check)
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(api_file.read_bytes()[:-40])
    with pytest.raises(VerificationError, match="not valid JSON"):
        verify(truncated, check)
