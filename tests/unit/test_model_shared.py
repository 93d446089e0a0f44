"""Objects built from reference files are shared while alive, only between identical files."""

from __future__ import annotations

import gc

from model.shared import built_once, digest


class Built:
    """Something weakly referable that counts its builds."""

    count = 0

    def __init__(self):
        Built.count += 1


def _folder(tmp_path, name: str, content: bytes):
    folder = tmp_path / name
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "table.parquet").write_bytes(content)
    return folder


def test_the_same_files_give_the_same_object_while_it_lives(tmp_path):
    a, b = _folder(tmp_path, "a", b"rates"), _folder(tmp_path, "b", b"rates")
    other = _folder(tmp_path, "c", b"other rates")
    assert digest(a) == digest(b) != digest(other)
    first = built_once("test", a, Built)
    assert built_once("test", b, Built) is first and Built.count == 1
    assert built_once("test", other, Built) is not first and Built.count == 2
    assert built_once("another kind", a, Built) is not first
    del first
    gc.collect()
    built_once("test", b, Built)
    assert Built.count == 4  # nobody held it any more: built again
