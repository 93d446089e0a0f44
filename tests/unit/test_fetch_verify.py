"""Verification of downloaded files: real mirror files pass, damaged copies fail with a reason."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from training.fetch.manifest import read_manifest
from training.fetch.run import FetchFailed, fetch_lock
from training.fetch.verify import VerificationError, parse_header, verify
from training.sources import ban_items, camera_items, dvf_items, ssmsi_items

DVF = dvf_items(["75"], [2023])[0]
BAN = ban_items(["75"])[0]


def truncated_copy(source, target, fraction=0.5):
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def test_header_only_or_empty_files_are_refused(tmp_path):
    header_only = tmp_path / "h.csv.gz"
    header_only.write_bytes(gzip.compress(b"id;numero;nom_voie;code_postal;code_insee;lon;lat\n"))
    with pytest.raises(VerificationError, match="no data row"):
        verify(header_only, BAN.check)
    empty = tmp_path / "e.csv.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(VerificationError, match="empty"):
        verify(empty, BAN.check)


def test_an_html_error_page_is_not_a_gzip(tmp_path):
    page = tmp_path / "75.csv.gz"
    page.write_text("<html><body>Service unavailable</body></html>")
    with pytest.raises(VerificationError):
        verify(page, DVF.check)


def test_parquet_long_format(tmp_path):
    communes_long = ssmsi_items()[0]
    table = pa.table(
        {
            "CODGEO_2025": ["75056", "59350"],
            "annee": [2023, 2023],
            "indicateur": ["Cambriolages de logement", "Cambriolages de logement"],
            "unite_de_compte": ["Infraction", "Infraction"],
            "nombre": [9000, 1500],
            "taux_pour_mille": [6.5, 7.1],
            "est_diffuse": ["diff", "diff"],
            "insee_pop": [2100000, 236000],
        }
    )
    good = tmp_path / "communes-long.parquet"
    pq.write_table(table, good)
    assert verify(good, communes_long.check) == {"rows": 2}
    with pytest.raises(VerificationError, match="Parquet"):
        verify(truncated_copy(good, tmp_path / "cut.parquet", 0.8), communes_long.check)
    pq.write_table(table.drop(["est_diffuse"]), tmp_path / "old.parquet")
    with pytest.raises(VerificationError, match="est_diffuse"):
        verify(tmp_path / "old.parquet", communes_long.check)


def test_header_parsing_handles_bom_hash_and_delimiters():
    assert parse_header("\ufeffa;b;c\r\n".encode()) == ["a", "b", "c"]
    assert parse_header(b"#Code_commune_INSEE;Code_postal\n") == [
        "Code_commune_INSEE",
        "Code_postal",
    ]
    assert parse_header(b'"x","y, z"\n') == ["x", "y, z"]


def test_unreadable_manifest_is_reported(tmp_path):
    (tmp_path / "manifest.json").write_text("{ not json")
    with pytest.raises(ValueError, match="delete it"):
        read_manifest(tmp_path)


def test_one_fetch_at_a_time(tmp_path):
    with fetch_lock(tmp_path):
        with pytest.raises(FetchFailed, match="another immoval fetch"):
            with fetch_lock(tmp_path):
                pass


def test_overpass_answer_with_a_runtime_error_is_refused(tmp_path):
    overpass = next(item for item in camera_items(["75"]) if item.official_url)
    answer = tmp_path / "osm-overpass-75.json"
    answer.write_text(json.dumps({"elements": [], "remark": "runtime error: Query timed out"}))
    with pytest.raises(VerificationError, match="Query timed out"):
        verify(answer, overpass.check)
    answer.write_text(json.dumps({"elements": [{"type": "node", "lat": 48.8, "lon": 2.3}]}))
    assert verify(answer, overpass.check) == {"elements": 1}
