"""Versions, the champion pointer and the promotion guard."""

from __future__ import annotations

import json
import os
from functools import partial

import pytest

from model import registry

# Bundle checks (checksums, a child loading it) are the integration tests' business:
# here the versions are metadata only, and every check passes but is recorded.
CHECKED: list[str] = []
promote = partial(registry.promote, check=lambda path, meta: CHECKED.append(path.name))


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
    assert promote(tmp_path, "v1") is None
    assert registry.read_champion(tmp_path) == "v1"
    assert (tmp_path / "champion").read_text().strip() == "v1"


def test_guard_refuses_a_clearly_worse_candidate(tmp_path):
    _version(tmp_path, "v1", 0.120)
    _version(tmp_path, "v2", 0.1251)  # 0.51 point worse
    _version(tmp_path, "v3", 0.1249)  # within 0.5 point
    promote(tmp_path, "v1")
    with pytest.raises(registry.PromotionRefused, match="worse"):
        promote(tmp_path, "v2")
    assert registry.read_champion(tmp_path) == "v1"
    assert promote(tmp_path, "v3") == "v1"
    assert registry.read_champion(tmp_path) == "v3"
    assert promote(tmp_path, "v2", force=True) == "v3"
    assert registry.read_champion(tmp_path) == "v2"


def test_guard_refuses_different_test_periods_without_force(tmp_path):
    _version(tmp_path, "v1", 0.12)
    _version(tmp_path, "v2", 0.10, period=("2025-01-01", "2025-12-31"))
    promote(tmp_path, "v1")
    with pytest.raises(registry.PromotionRefused, match="test periods differ"):
        promote(tmp_path, "v2")
    promote(tmp_path, "v2", force=True)
    assert registry.read_champion(tmp_path) == "v2"


def test_unknown_version_and_partial_folders(tmp_path):
    _version(tmp_path, "v1", 0.12)
    (tmp_path / ".v2.partial-123").mkdir()
    (tmp_path / "v3").mkdir()  # no metadata: not a version
    with pytest.raises(registry.BadVersion, match="no model version 'v3'"):
        promote(tmp_path, "v3")
    promote(tmp_path, "v1")
    listed = registry.list_versions(tmp_path)
    assert [v["version"] for v in listed] == ["v1"]
    assert listed[0]["champion"] and listed[0]["mdape"] == 0.12
    # No staging file is left next to the pointer.
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "champion",
        "promotions.jsonl",
    ]


def test_pointer_to_a_vanished_version_reads_as_none(tmp_path):
    (tmp_path / "champion").write_text("gone\n")
    assert registry.read_champion(tmp_path) is None


@pytest.mark.parametrize("name", ["../v1", "/abs/v1", "sub/v1", ".hidden", "..", "", "outside"])
def test_only_versions_inside_the_models_folder_are_promoted(tmp_path, name):
    models = tmp_path / "models"
    _version(models, "v1", 0.12)
    _version(tmp_path, "elsewhere", 0.12)
    (models / "sub").mkdir()
    _version(models / "sub", "v1", 0.12)
    _version(models, ".hidden", 0.12)
    os.symlink(tmp_path / "elsewhere", models / "outside")  # a link out of models/
    with pytest.raises(registry.BadVersion):
        promote(models, name if name != "/abs/v1" else str(models / "v1"), force=True)
    assert registry.read_champion(models) is None
    assert "outside" not in [v["version"] for v in registry.list_versions(models) if not v["error"]]


@pytest.mark.parametrize(
    "content", [b"{not json", b"[1, 2]", b"\xff\xfe", b'{"evaluation": [1], "created": 3}']
)
def test_bad_metadata_is_reported_not_raised(tmp_path, content):
    _version(tmp_path, "v1", 0.12)
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "metadata.json").write_bytes(content)
    listed = {v["version"]: v for v in registry.list_versions(tmp_path)}
    assert listed["v1"]["error"] is None and listed["v1"]["mdape"] == 0.12
    promote(tmp_path, "v1")
    if content.startswith(b'{"evaluation'):  # readable, only oddly shaped: no figures
        assert listed["v2"]["error"] is None and listed["v2"]["mdape"] is None
        with pytest.raises(registry.PromotionRefused):
            promote(tmp_path, "v2")
        return
    assert "v2" in listed["v2"]["error"] and "metadata.json" in listed["v2"]["error"]
    with pytest.raises(registry.BadVersion, match="metadata.json"):
        promote(tmp_path, "v2", force=True)
    assert registry.read_champion(tmp_path) == "v1"


def test_a_champion_with_bad_metadata_is_not_compared_without_force(tmp_path):
    _version(tmp_path, "v1", 0.12)
    _version(tmp_path, "v2", 0.12)
    promote(tmp_path, "v1")
    (tmp_path / "v1" / "metadata.json").write_text("{cut")
    with pytest.raises(registry.PromotionRefused, match="cannot compare.*--force"):
        promote(tmp_path, "v2")
    assert promote(tmp_path, "v2", force=True) == "v1"


def test_a_check_that_fails_leaves_the_pointer(tmp_path):
    from model.probe import BundleUnusable

    _version(tmp_path, "v1", 0.12)
    _version(tmp_path, "v2", 0.11)
    promote(tmp_path, "v1")

    def broken(path, meta):
        raise BundleUnusable("cut model.txt")

    for force in (False, True):
        with pytest.raises(BundleUnusable):
            registry.promote(tmp_path, "v2", force=force, check=broken)
    assert registry.read_champion(tmp_path) == "v1"


def test_fallbacks_are_the_versions_served_before_latest_first(tmp_path):
    for name in ("v1", "v2", "v3", "v4"):
        _version(tmp_path, name, 0.12)
    assert registry.fallbacks(tmp_path, "v4") == ["v3", "v2", "v1"]  # no history: newest first
    for name in ("v2", "v1", "v4"):
        promote(tmp_path, name, force=True)
    with open(tmp_path / registry.HISTORY_FILE, "a") as handle:
        handle.write('{"version": "v3"')  # a line cut by a crash counts for nothing
    assert registry.fallbacks(tmp_path, "v4") == ["v1", "v2", "v3"]
    history = [
        json.loads(line) for line in (tmp_path / "promotions.jsonl").read_text().splitlines()[:3]
    ]
    assert [(h["version"], h["previous"]) for h in history] == [
        ("v2", None),
        ("v1", "v2"),
        ("v4", "v1"),
    ]


def test_the_guard_is_injected_and_what_force_overrode_is_recorded(tmp_path):
    _version(tmp_path, "v1", 0.12)
    _version(tmp_path, "v2", 0.10)

    def refuse(candidate, champion):
        raise registry.PromotionRefused(f"{candidate['version']} is not {champion['version']}")

    promote(tmp_path, "v1", guard=refuse)  # no champion: no guard
    with pytest.raises(registry.PromotionRefused, match="v2 is not v1"):
        promote(tmp_path, "v2", guard=refuse)
    assert registry.read_champion(tmp_path) == "v1"
    promote(tmp_path, "v2", force=True, guard=refuse)
    history = [
        json.loads(line) for line in (tmp_path / "promotions.jsonl").read_text().splitlines()
    ]
    assert [(h["version"], h["forced"], h["guard"]) for h in history] == [
        ("v1", False, None),
        ("v2", True, "overridden by --force: v2 is not v1"),
    ]
