"""Raw national files split by département, on rows of the real mirror."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.test_sales_partitions import BRUT, GEO_76
from tests.unit.test_sales_raw_dgfip import RAW_ROWS, write_raw
from training.departement import prepare_departement
from training.partitions import plan_departements
from training.tranquillity import build_reference


@pytest.fixture()
def raw(tmp_path, shared_data):
    """Seine-Maritime's geo-DVF file of 2020, and a raw national file of 2020 whose rows are
    in Paris (no geo-DVF file here) and in Seine-Maritime (covered), with one bad line."""
    raw = tmp_path / "raw"
    (raw / GEO_76).parent.mkdir(parents=True)
    (raw / GEO_76).symlink_to(shared_data / GEO_76)
    (raw / BRUT).parent.mkdir(parents=True)
    write_raw(raw / BRUT, RAW_ROWS)
    with (raw / BRUT).open("a", encoding="utf-8") as handle:
        handle.write("not|a|line|of|the|layout\n")
    return raw


@pytest.fixture()
def reference(tmp_path):
    """Tranquillity tables without any source: every feature unknown, as prepare allows."""
    build_reference(tmp_path / "nothing", tmp_path / "tranquillity")
    return tmp_path / "tranquillity"


def test_raw_rows_are_split_by_departement_with_the_ids_of_the_whole_file(raw, tmp_path):
    plan = plan_departements(raw, tmp_path / "spool")
    units = {unit.departement: unit for unit in plan.units}
    assert list(units) == ["75", "76"]
    assert units["76"].sources == (GEO_76,) and len(units["76"].raw_dgfip) == 1
    assert units["75"].geo_dvf == () and len(units["75"].raw_dgfip) == 1
    paris = pd.read_parquet(units["75"].raw_dgfip[0])
    # Mutation ids number the lines of the national file, not of the département's rows.
    assert paris["id_mutation"].tolist() == ["brut-2020-2"] * 3 + ["brut-2020-5"]
    assert paris["source_line"].tolist() == [2, 3, 4, 5]
    assert plan.sources == (GEO_76, BRUT)
    # The line that cannot be split has no département: counted on its own.
    assert plan.stray.lines["source_line"].tolist() == [9]
    assert plan.stray.counts.to_dict("records") == [
        {"rule": "malformed_line", "departement": "", "year": 2020, "rows": 1, "sales": 0}
    ]


def test_raw_rows_of_a_year_geo_dvf_gives_are_counted_once(raw, tmp_path, reference):
    plan = plan_departements(raw, tmp_path / "spool")
    seine, paris = (prepare_departement(u, reference) for u in reversed(plan.units))
    covered = seine.counts[seine.counts["rule"] == "covered_by_geo_dvf"]
    assert covered[["departement", "year", "rows", "sales"]].to_dict("records") == [
        {"departement": "76", "year": 2020, "rows": 3, "sales": 1}
    ]
    assert not seine.sales["mutation_id"].str.startswith("brut-").any()
    assert seine.sales["departement"].eq("76").all() and seine.sales["tq_cameras_500m"].isna().all()
    # Paris has no geo-DVF file of 2020: its raw rows are its sales.
    assert sorted(paris.sales["mutation_id"]) == ["brut-2020-2", "brut-2020-5"]
    kept = paris.counts[paris.counts["rule"] == "kept"]
    assert kept[["departement", "sales"]].to_dict("records") == [{"departement": "75", "sales": 2}]


@pytest.mark.parametrize("block_size", [1_000, 1_700, 2_900])
def test_a_national_file_read_block_by_block_gives_the_rows_of_a_whole_reading(
    tmp_path, shared_data, block_size
):
    from training.dvf import RAW_DGFIP_COLUMNS, RawDgfipFile, _read_strings, raw_to_geo_dvf

    path = tmp_path / "valeursfoncieres-2020.txt"
    write_raw(path, RAW_ROWS)
    extract = (shared_data / "dvf-brut/valeursfoncieres-2020-extrait.txt").read_text()
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join([*extract.splitlines()[1:80], "a|b", *RAW_ROWS_AGAIN]) + "\n")
    whole, bad = _read_strings(path, RAW_DGFIP_COLUMNS, "|")
    whole["source_year"] = 2020
    expected = raw_to_geo_dvf(whole)

    national = RawDgfipFile(path, block_size=block_size)
    blocks = list(national.batches())
    rows = pd.concat(blocks, ignore_index=True)
    assert len(blocks) > 3
    # Some mutation spans two blocks: its rows keep the id of its first line.
    ends = {block["id_mutation"].iloc[-1] for block in blocks[:-1]}
    assert ends & {block["id_mutation"].iloc[0] for block in blocks[1:]}
    for column in ("id_mutation", "source_line", "code_commune", "valeur_fonciere"):
        assert rows[column].tolist() == expected[column].tolist(), column
    assert national.rejected()["source_line"].tolist() == [b["source_line"] for b in bad] == [88]


def _raw_lines(rows):
    from tests.unit.test_sales_raw_dgfip import RAW_HEADER

    return ["|".join(row.get(c, "") for c in RAW_HEADER) for row in rows]


# The Paris and Bonsecours mutations once more, after the bad line: runs of 3, 1 and 3 rows.
RAW_ROWS_AGAIN = _raw_lines(RAW_ROWS) * 3
