"""Versions, the champion pointer and the promotion guard."""

from __future__ import annotations

import json

import pytest

from model import registry


def _version(models, name, mdape, period=("2024-01-01", "2024-12-31")):
    folder = models / name
    folder.mkdir(parents=True)
    meta = {
        "version": name,
        "data_until": period[1],
        "evaluation": {
            "test_period": list(period),
            "results": {
                "model": {
                    "overall": {
                        "mdape": mdape,
                        "pe10": 0.5,
                        "pe20": 0.8,
                        "coverage": 0.8,
                        "sales": 100,
                    }
                }
            },
        },
    }
    (folder / "metadata.json").write_text(json.dumps(meta))
    return name


def test_no_champion_until_promoted(tmp_path):
    assert registry.read_champion(tmp_path) is None
    _version(tmp_path, "v1", 0.12)
    assert registry.read_champion(tmp_path) is None
    assert registry.promote(tmp_path, "v1") is None
    assert registry.read_champion(tmp_path) == "v1"
    assert (tmp_path / "champion").read_text().strip() == "v1"


def test_guard_refuses_a_clearly_worse_candidate(tmp_path):
    _version(tmp_path, "v1", 0.120)
    _version(tmp_path, "v2", 0.1251)  # 0.51 point worse
    _version(tmp_path, "v3", 0.1249)  # within 0.5 point
    registry.promote(tmp_path, "v1")
    with pytest.raises(registry.PromotionRefused, match="worse"):
        registry.promote(tmp_path, "v2")
    assert registry.read_champion(tmp_path) == "v1"
    assert registry.promote(tmp_path, "v3") == "v1"
    assert registry.read_champion(tmp_path) == "v3"
    assert registry.promote(tmp_path, "v2", force=True) == "v3"
    assert registry.read_champion(tmp_path) == "v2"


def test_guard_refuses_different_test_periods_without_force(tmp_path):
    _version(tmp_path, "v1", 0.12)
    _version(tmp_path, "v2", 0.10, period=("2025-01-01", "2025-12-31"))
    registry.promote(tmp_path, "v1")
    with pytest.raises(registry.PromotionRefused, match="test periods differ"):
        registry.promote(tmp_path, "v2")
    registry.promote(tmp_path, "v2", force=True)
    assert registry.read_champion(tmp_path) == "v2"


def test_unknown_version_and_partial_folders(tmp_path):
    _version(tmp_path, "v1", 0.12)
    (tmp_path / ".v2.partial-123").mkdir()
    (tmp_path / "v3").mkdir()  # no metadata: not a version
    with pytest.raises(FileNotFoundError):
        registry.promote(tmp_path, "v3")
    registry.promote(tmp_path, "v1")
    listed = registry.list_versions(tmp_path)
    assert [v["version"] for v in listed] == ["v1"]
    assert listed[0]["champion"] and listed[0]["mdape"] == 0.12
    # No staging file is left next to the pointer.
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["champion"]


def test_pointer_to_a_vanished_version_reads_as_none(tmp_path):
    (tmp_path / "champion").write_text("gone\n")
    assert registry.read_champion(tmp_path) is None
