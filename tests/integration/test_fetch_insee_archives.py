"""INSEE's zip archives fetched from a real local HTTP server standing in for insee.fr: the
one member kept (gzip-compressed), what cannot be read refused, and the vintages read."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import zipfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from model.surroundings.areas import AreaValues
from tests.integration.publisher import fetch
from training.fetch.progress import Progress
from training.fetch.run import FAILED, FETCHED, SKIPPED, Settings, fetch_all, plan, unpack_member
from training.fetch.verify import VerificationError
from training.sources.surroundings import (
    FILOSOFI_COMMUNES_OFFICIAL,
    FILOSOFI_IRIS_OFFICIAL,
    filosofi_official_items,
    surroundings_items,
)
from training.surroundings.insee import bpe, filosofi_communes, filosofi_iris

# The 2019 commune file as INSEE writes it: a byte-order mark, `;`, the median as Q219
# (its second quartile), an unpublished (secret) median left empty.
FILO_2019 = (
    "\ufeffCODGEO;LIBGEO;NBMEN19;NBPERS19;NBUC19;Q119;Q219;Q319;Q3_Q119\n"
    "34172;Montpellier;143000;262000;180000;11200;19490;28800;17600\n"
    "75101;Paris 1er Arrondissement;9100;16000;11500;19000;32790,5;52000;33000\n"
    "01004;Ambérieu-en-Bugey;6500;14000;9300;15000;;26000;11000\n"
)
MEMBER_2019 = FILOSOFI_COMMUNES_OFFICIAL[2019][1]


def zip_of(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def filosofi_2019(publisher, archive: bytes, name: str = "filo2019.zip"):
    """The catalogue's 2019 Filosofi item, published by the local stand-in."""
    (publisher.site / name).write_bytes(archive)
    item = next(i for i in filosofi_official_items() if i.year == 2019)
    return replace(item, official_url=f"{publisher.base}/{name}")


def test_the_member_is_kept_compressed_and_read_as_its_vintage(publisher, tmp_path):
    archive = zip_of({MEMBER_2019: FILO_2019, "FILO2019_DISP_Pauvres_COM.csv": "CODGEO\n1\n"})
    item = filosofi_2019(publisher, archive)
    raw = tmp_path / "raw"
    summary = fetch([item], raw)
    assert [o.status for o in summary.outcomes] == [FETCHED], summary.outcomes

    stored = raw / "insee/filosofi-2019-communes.csv.gz"
    assert gzip.decompress(stored.read_bytes()).decode("utf-8") == FILO_2019
    entry = json.loads((raw / "manifest.json").read_text())["files"][item.raw_path_official]
    assert entry["archive_member"] == MEMBER_2019
    assert entry["published_sha256"] == hashlib.sha256(archive).hexdigest()
    assert entry["published_size"] == len(archive)
    assert entry["sha256"] == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert not [p.name for p in stored.parent.iterdir() if p.name.endswith(".part")]

    table = filosofi_communes(stored)
    # The secret median stays unknown; a decimal comma is a decimal point.
    assert table.to_dict("records") == [
        {"code": "34172", "name": "sr_income_commune", "year": 2019, "value": 19490.0},
        {"code": "75101", "name": "sr_income_commune", "year": 2019, "value": 32790.5},
    ]
    # Beside the mirror's 2016 base, a sale of 2020 still reads 2016, one of 2021 reads 2019.
    older = tmp_path / "filosofi-2016-communes.csv"
    older.write_text("CODGEO,LIBGEO,MED16\n34172,Montpellier,18000\n", encoding="utf-8")
    values = AreaValues(pd.concat([filosofi_communes(older), table], ignore_index=True))
    found = values.lookup("sr_income_commune", ["34172"] * 3, np.array([2018, 2020, 2021]))
    assert found.tolist() == [18000.0, 18000.0, 19490.0]


def test_an_archive_without_the_member_is_refused_and_the_previous_copy_kept(publisher, tmp_path):
    raw = tmp_path / "raw"
    good = filosofi_2019(publisher, zip_of({MEMBER_2019: FILO_2019}), "good.zip")
    assert fetch([good], raw).outcomes[0].status == FETCHED
    stored = raw / good.raw_path_official
    before = stored.read_bytes()

    renamed = filosofi_2019(publisher, zip_of({"FILO2019_COM.csv": FILO_2019}), "renamed.zip")
    outcome = fetch([renamed], raw.parent / "other-raw").outcomes[0]
    assert outcome.status == FAILED
    assert f"holds no {MEMBER_2019}" in outcome.message and "FILO2019_COM.csv" in outcome.message

    # Asked again (forced) into the first raw/: the bad archive replaces nothing.
    summary = fetch([renamed], raw, force=True)
    assert summary.outcomes[0].status == FAILED
    assert stored.read_bytes() == before
    assert not [p.name for p in stored.parent.iterdir() if p.name.endswith(".part")]


def test_a_cut_or_foreign_archive_is_refused(publisher, tmp_path):
    archive = zip_of({MEMBER_2019: FILO_2019 * 50})
    cut = filosofi_2019(publisher, archive[: len(archive) // 2], "cut.zip")
    page = filosofi_2019(publisher, b"<html>Maintenance</html>", "page.zip")
    summary = fetch([cut, page], tmp_path / "raw")
    assert [o.status for o in summary.outcomes] == [FAILED, FAILED]
    for outcome in summary.outcomes:
        assert "corrupt or truncated zip archive" in outcome.message
    assert not (tmp_path / "raw" / cut.raw_path_official).exists()
    leftovers = [p.name for p in (tmp_path / "raw" / "insee").iterdir()]
    assert leftovers == []


# The 2021 IRIS table as the archive holds it: in a folder, beside its description
# (`meta_…`), a member name of its own (…_IRIS_2021_DISP.csv), a secret median left empty.
IRIS_2021 = (
    "IRIS;LIBIRIS;COM;LIBCOM;DISP_MED21;DISP_Q121\n"
    "751010101;Saint-Germain l'Auxerrois 1;75101;Paris 1er;41250;21000\n"
    "593500104;Vieux Lille 4;59350;Lille;;\n"
    "341720201;Ecusson 1;34172;Montpellier;19010,5;9800\n"
)


def test_an_iris_vintage_is_found_by_its_pattern_and_read_as_its_year(publisher, tmp_path):
    item = next(i for i in filosofi_official_items() if i.year == 2021 and "IRIS" in i.title)
    folder = "BASE_TD_FILO_IRIS_2021_DISP_CSV"
    (publisher.site / "iris.zip").write_bytes(
        zip_of(
            {
                f"{folder}/meta_BASE_TD_FILO_IRIS_2021_DISP.csv": "COD_VAR;LIB_VAR\nIRIS;Code\n",
                f"{folder}/BASE_TD_FILO_IRIS_2021_DISP.csv": IRIS_2021,
            }
        )
    )
    item = replace(item, official_url=f"{publisher.base}/iris.zip")
    raw = tmp_path / "raw"
    assert fetch([item], raw).outcomes[0].status == FETCHED
    stored = raw / "insee/filosofi-2021-iris-france.csv.gz"
    assert gzip.decompress(stored.read_bytes()).decode("utf-8") == IRIS_2021
    assert filosofi_iris(stored).to_dict("records") == [
        {"code": "751010101", "name": "sr_income_iris", "year": 2021, "value": 41250.0},
        {"code": "341720201", "name": "sr_income_iris", "year": 2021, "value": 19010.5},
    ]
    # Two tables matching the pattern: which one is meant cannot be told, so neither is kept.
    (publisher.site / "two.zip").write_bytes(
        zip_of({"BASE_TD_FILO_IRIS_2021_DISP.csv": IRIS_2021, "BASE_TD_FILO_IRIS_2021_DEC.csv": ""})
    )
    item = replace(item, official_url=f"{publisher.base}/two.zip")
    outcome = fetch([item], tmp_path / "other-raw").outcomes[0]
    assert outcome.status == FAILED and "holds 2 entries matching" in outcome.message


def test_the_member_must_have_the_columns_read(publisher, tmp_path):
    wrong = FILO_2019.replace("Q219", "MEDIANE")
    item = filosofi_2019(publisher, zip_of({MEMBER_2019: wrong}))
    outcome = fetch([item], tmp_path / "raw").outcomes[0]
    assert outcome.status == FAILED and "missing column(s) Q219" in outcome.message


def test_the_bpe_archive_gives_the_file_the_mirror_holds(publisher, tmp_path):
    bpe_item = next(i for i in surroundings_items([]) if i.archive_member)
    text = (
        "REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;NB_EQUIP\n"
        "11;75;75101;75101_0201;2018;C104;2\n"
        "11;75;75101;75101_0202;2018;B203;3\n"
    )
    (publisher.site / "bpe.zip").write_bytes(zip_of({bpe_item.archive_member: text}))
    item = replace(bpe_item, official_url=f"{publisher.base}/bpe.zip")
    raw = tmp_path / "raw"
    assert fetch([item], raw).outcomes[0].status == FETCHED
    # Official and mirror copies land at the same path, read by the same reader.
    assert item.raw_path_official == item.path == "insee/bpe-2018-ensemble-iris-typequ.csv.gz"
    table = bpe(raw / item.path, pd.Series({"75101": 2000.0})).set_index(["name", "code"])
    assert table.loc[("sr_shops_per_1000", "75101"), "value"] == pytest.approx(1.5)


def test_from_a_mirror_the_archives_are_not_asked_for(shared_data, tmp_path):
    """A mirror holds the CSVs themselves: the BPE is copied as it is, the official-only
    Filosofi vintages are skipped and said so."""
    items = [i for i in surroundings_items([]) if i.archive_member]
    official_only = len(FILOSOFI_COMMUNES_OFFICIAL) + len(FILOSOFI_IRIS_OFFICIAL)
    assert [i.path for i in items[1:]] == [None] * official_only
    for item in items[1:]:
        location, _, reason = plan(item, str(shared_data))
        assert location is None and reason.startswith("not in mirror: official source only")
    settings = Settings(raw_dir=tmp_path / "raw", source=str(shared_data), timeout=2, retries=0)
    summary = fetch_all(items, settings, Progress(len(items), bars=False))
    assert [o.status for o in summary.outcomes] == [FETCHED] + [SKIPPED] * (len(items) - 1)
    copied = tmp_path / "raw" / items[0].path
    assert copied.read_bytes() == (shared_data / items[0].path).read_bytes()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_a_refused_archive_leaves_no_file_open_nor_behind(tmp_path):
    open_before = len(os.listdir("/proc/self/fd"))
    for attempt in range(20):
        archive = tmp_path / f".filosofi.csv.gz.{attempt}.part"
        archive.write_bytes(b"<html>Maintenance</html>")
        with pytest.raises(VerificationError, match="corrupt or truncated zip archive"):
            unpack_member(archive, MEMBER_2019, store_gzip=True)
    assert len(os.listdir("/proc/self/fd")) == open_before
    assert list(tmp_path.iterdir()) == []
