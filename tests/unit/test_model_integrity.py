"""Bundle files checked against the checksums written with them."""

from __future__ import annotations

import os

import pytest

from model import integrity


def _bundle(tmp_path):
    folder = tmp_path / "v1"
    (folder / "reference").mkdir(parents=True)
    (folder / "model.txt").write_text("tree\n" * 100)
    (folder / "reference" / "communes.parquet").write_bytes(b"PAR1...")
    (folder / "metadata.json").write_text("{}")
    return folder, {"checksums": integrity.checksums(folder)}


def test_checksums_cover_every_file_but_the_metadata(tmp_path):
    folder, meta = _bundle(tmp_path)
    assert sorted(meta["checksums"]) == ["model.txt", "reference/communes.parquet"]
    assert integrity.problems(folder, meta) == []
    integrity.verify(folder, meta)


def test_a_cut_changed_or_missing_file_is_named(tmp_path):
    folder, meta = _bundle(tmp_path)
    text = (folder / "model.txt").read_bytes()
    (folder / "model.txt").write_bytes(text[: len(text) // 2])
    (folder / "reference" / "communes.parquet").unlink()
    found = integrity.problems(folder, meta)
    assert found == [
        "model.txt: checksum differs (cut or changed after it was written)",
        "reference/communes.parquet: missing",
    ]
    with pytest.raises(integrity.CorruptBundle, match="model.txt: checksum differs"):
        integrity.verify(folder, meta)


def test_a_file_changed_after_a_good_check_is_refused_at_the_next(tmp_path):
    # Digests are remembered between checks: a change since must still be seen, whether
    # it cuts the file, rewrites it in place with the same size, or replaces it.
    folder, meta = _bundle(tmp_path)
    model = folder / "model.txt"
    integrity.verify(folder, meta)
    stat = model.stat()
    with open(model, "r+b") as handle:  # same size, in place
        handle.write(b"TREE")
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert integrity.problems(folder, meta) == [
        "model.txt: checksum differs (cut or changed after it was written)"
    ]
    replacement = folder / "model.new"
    replacement.write_text("tree\n" * 100)
    replacement.replace(model)  # the good content again, as a new file
    assert integrity.problems(folder, meta) == []


@pytest.mark.parametrize("meta", [{}, {"checksums": {}}, {"checksums": ["model.txt"]}, []])
def test_a_bundle_without_checksums_is_refused(tmp_path, meta):
    folder, _ = _bundle(tmp_path)
    with pytest.raises(integrity.CorruptBundle, match="no checksums"):
        integrity.verify(folder, meta)


def test_recorded_names_never_lead_out_of_the_bundle(tmp_path):
    folder, meta = _bundle(tmp_path)
    (tmp_path / "secret").write_text("x")
    sums = {"../secret": integrity.file_sha256(tmp_path / "secret"), "/etc/hostname": "0"}
    found = integrity.problems(folder, {"checksums": {**meta["checksums"], **sums}})
    assert found == ["../secret: outside the bundle", "/etc/hostname: outside the bundle"]
