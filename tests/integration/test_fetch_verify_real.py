"""The checks of downloaded files, on the real files of the mirror."""

from __future__ import annotations

import shutil

import pytest

from tests.unit.test_fetch_verify import BAN, DVF, truncated_copy
from training.fetch.manifest import is_current, read_manifest, sha256_of, write_manifest
from training.fetch.verify import VerificationError, verify
from training.sources import camera_items, commune_items, ssmsi_items


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


def test_truncated_geojson_and_osm_are_refused(shared_data, tmp_path):
    cameras = {item.path: item for item in camera_items(["75"])}
    for path in ("cameras/paris-prefecture-police-2012.geojson",
                 "cameras/osm-man_made-surveillance-france-2011-03-31.osm"):  # fmt: skip
        broken = truncated_copy(shared_data / path, tmp_path / path.split("/")[-1])
        with pytest.raises(VerificationError, match="truncated"):
            verify(broken, cameras[path].check)


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
