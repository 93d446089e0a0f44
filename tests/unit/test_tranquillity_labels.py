"""The French wording of the tranquillity summary: labels, units and notes, added by the app."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from app.labels.tranquillity import (
    NOTE_NOT_COVERED,
    NOTES,
    describe_tranquillity,
    group_label,
    group_unit,
    notes,
)
from model.tranquillity import GROUPS, Tranquillity

EXPECTED = {
    "violence": ("Atteintes aux personnes", "pour 1000 habitants"),
    "property": ("Atteintes aux biens", "pour 1000 habitants"),
    "damage": ("Destructions et dégradations volontaires", "pour 1000 habitants"),
    "burglary": ("Cambriolages de logement", "pour 1000 logements"),
}


@pytest.fixture(scope="module")
def tranquillity():
    communes = pd.DataFrame(
        [
            {"code": "75056", "year": y}
            | {f"{g}_rate": 10.0 + y - 2018 for g in GROUPS}
            | {f"{g}_percentile": 60.0 for g in GROUPS}
            for y in range(2018, 2024)
        ]
    )
    departements = pd.DataFrame(
        [{"code": c, "year": y} | {f"{g}_rate": 8.0 for g in GROUPS}
         for c in ("75", "FR") for y in range(2018, 2024)]
    )  # fmt: skip
    cameras = pd.DataFrame(
        {"longitude": [2.3522], "latitude": [48.8576], "in_service": pd.to_datetime(["2018-01-01"])}
    )
    coverage = pd.DataFrame({"code": ["75056"]})
    return Tranquillity(communes, departements, cameras, coverage, {"sources": [{"name": "SSMSI"}]})


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_has_its_french_label_and_unit(group):
    assert (group_label(group), group_unit(group)) == EXPECTED[group]


def test_an_unknown_group_shows_its_id_and_no_unit():
    assert group_label("arson") == "arson" and group_unit("arson") == ""


def test_notes_add_the_camera_note_only_where_cameras_are_not_listed():
    assert notes(covered=True) == list(NOTES)
    assert notes(covered=False) == [*NOTES, NOTE_NOT_COVERED]
    assert "enregistrés par la police et la gendarmerie" in NOTES[0]
    assert "« non publié », pas zéro" in NOTES[1]
    assert NOTE_NOT_COVERED.startswith("Caméras : aucune liste complète")


def test_no_summary_is_described_as_none():
    assert describe_tranquillity(None) is None


def test_described_summary_puts_label_and_unit_before_the_figures(tranquillity):
    summary = tranquillity.summary(2.3522, 48.8566, "75104", date(2024, 3, 1))
    described = describe_tranquillity(summary)
    json.dumps(described)
    assert list(described["incidents"]) == list(GROUPS)
    for group, entry in described["incidents"].items():
        assert list(entry)[:2] == ["label", "unit"]
        assert (entry["label"], entry["unit"]) == EXPECTED[group]
        assert {k: v for k, v in entry.items() if k not in ("label", "unit")} == summary[
            "incidents"
        ][group]
    assert described["incidents"]["violence"]["rate"] == 15.0
    assert described["notes"] == list(NOTES)  # Paris is covered
    assert described["sources"] == [{"name": "SSMSI"}]
    assert list(described) == [*summary, "notes"]


def test_unknown_figures_keep_their_labels_and_unlisted_cameras_get_the_note(tranquillity):
    summary = tranquillity.summary(3.0, 45.0, "63113", date(2024, 3, 1))
    described = describe_tranquillity(summary)
    burglary = described["incidents"]["burglary"]
    assert burglary["label"] == "Cambriolages de logement" and burglary["rate"] is None
    assert burglary["history"] == {}
    assert described["cameras"]["covered"] is False
    assert described["notes"] == [*NOTES, NOTE_NOT_COVERED]


def test_describing_leaves_the_models_summary_as_it_was(tranquillity):
    summary = tranquillity.summary(2.3522, 48.8566, "75056", date(2024, 3, 1))
    before = json.dumps(summary)
    described = describe_tranquillity(summary)
    described["incidents"]["violence"]["rate"] = -1
    described["sources"].clear()
    assert json.dumps(summary) == before
    assert "label" not in summary["incidents"]["violence"] and "notes" not in summary
