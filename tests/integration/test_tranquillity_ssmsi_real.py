"""SSMSI group definitions against the mirror's own mapping."""

from __future__ import annotations

from training.tranquillity import ssmsi


def test_group_definitions_match_the_mirrors_mapping(shared_data):
    path = shared_data / "ssmsi" / "groupes-indicateurs.json"
    assert ssmsi.load_group_definitions(path) == ssmsi.GROUP_INDICATORS
