"""Verification of downloaded files: real mirror files pass, damaged copies fail with a reason."""

from __future__ import annotations

import gzip
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from training.fetch.manifest import is_current, read_manifest, sha256_of, write_manifest
from training.fetch.run import FetchFailed, fetch_lock
from training.fetch.verify import VerificationError, parse_header, verify
from training.sources import ban_items, camera_items, commune_items, dvf_items, ssmsi_items

DVF = dvf_items(["75"], [2023])[0]
BAN = ban_items(["75"])[0]


def truncated_copy(source, target, fraction=0.5):
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def test_real_dvf_file_passes_and_tells_its_dates(shared_data):
    facts = verify(shared_data / DVF.path, DVF.check)
    assert facts["dates"]["first"] < facts["dates"]["last"]
    assert facts["dates"]["first"].startswith("2023-")


def test_every_mirror_file_of_paris_passes_its_check(shared_data):
    items = ssmsi_items() + camera_items(["75"]) + commune_items(["75"]) + [BAN]
    checked = 0
    for item in items:
        if item.path and (shared_data / item.path).exists():
            verify(shared_data / item.path, item.check)
            checked += 1
    assert checked >= 15


def test_truncated_gzip_is_refused(shared_data, tmp_path):
    broken = truncated_copy(shared_data / BAN.path, tmp_path / "adresses-75.csv.gz")
    with pytest.raises(VerificationError, match="gzip"):
        verify(broken, BAN.check)


def test_truncated_dvf_gzip_is_refused(shared_data, tmp_path):
    broken = truncated_copy(shared_data / DVF.path, tmp_path / "75.csv.gz", 0.9)
    with pytest.raises(VerificationError, match="gzip"):
        verify(broken, DVF.check)


def test_wrong_layout_is_refused_naming_missing_columns(shared_data):
    with pytest.raises(VerificationError, match="id_mutation"):
        verify(shared_data / BAN.path, DVF.check)


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


def test_truncated_geojson_and_osm_are_refused(shared_data, tmp_path):
    cameras = {item.path: item for item in camera_items(["75"])}
    for path in ("cameras/paris-prefecture-police-2012.geojson",
                 "cameras/osm-man_made-surveillance-france-2011-03-31.osm"):  # fmt: skip
        broken = truncated_copy(shared_data / path, tmp_path / path.split("/")[-1])
        with pytest.raises(VerificationError, match="truncated"):
            verify(broken, cameras[path].check)


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


def test_manifest_round_trip_and_currency(shared_data, tmp_path):
    raw = tmp_path / "raw"
    target = raw / BAN.path
    target.parent.mkdir(parents=True)
    shutil.copyfile(shared_data / BAN.path, target)
    entry = {"size": target.stat().st_size, "sha256": sha256_of(target)}
    write_manifest(raw, {BAN.path: entry})
    assert read_manifest(raw) == {BAN.path: entry}
    assert is_current(raw, BAN.path, entry)
    # A file altered on disk (same size) is no longer current.
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    assert not is_current(raw, BAN.path, entry)
    assert not is_current(raw, "ban/absent.csv.gz", entry)
    assert not is_current(raw, BAN.path, None)


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
