"""`immoval prepare` end to end on a real slice of ../shared/data, through the CLI."""

from __future__ import annotations

import gzip
import json
import shutil

import pyarrow.parquet as pq
import pytest

from model.settings import layout
from training.cli import main
from training.prepare import SCHEMA_VERSION, read_sales

GEO = "geo-dvf/latest/csv/2020/departements/{dep}.csv.gz"
SLICE = [GEO.format(dep="75"), GEO.format(dep="76"), "communes/communes-cog2024-population2021.csv"]


@pytest.fixture()
def home(tmp_path, shared_data):
    """A home whose raw/ holds the 2020 files of Paris and Seine-Maritime and the communes."""
    for relative in SLICE:
        target = tmp_path / "raw" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(shared_data / relative)
    return tmp_path


def input_rows(paths) -> int:
    total = 0
    for path in paths:
        with gzip.open(path, "rt") as handle:
            total += sum(1 for _ in handle) - 1
    return total


def run(runner, home, *args):
    result = runner.invoke(main, ["--home", str(home), "prepare", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_prepare_writes_sales_report_and_references(runner, home, shared_data):
    output = run(runner, home)
    prepared = home / "prepared"
    assert sorted(p.name for p in (prepared / "sales").iterdir()) == [
        "departement=75",
        "departement=76",
    ]
    part = pq.read_schema(prepared / "sales" / "departement=75" / "part-0.parquet")
    assert part.metadata[b"immoval.schema_version"].decode() == SCHEMA_VERSION
    assert str(part.field("living_area_m2").type) == "float"
    assert "departement" not in part.names

    sales = read_sales(layout(home))
    # The dtypes of docs/ARCHITECTURE.md, as consumers get them.
    dtypes = sales.dtypes.astype(str).to_dict()
    assert dtypes == {
        "mutation_id": "str", "date": "datetime64[ns]", "nature": "category", "is_vefa": "bool",
        "price": "float64", "property_type": "category", "living_area_m2": "float32",
        "carrez_area_m2": "float32", "rooms": "Int16", "land_area_m2": "float32",
        "outbuildings": "int16", "lots": "int16", "parcel_id": "str", "address_number": "str",
        "address_suffix": "str", "street": "str", "street_code": "str", "postcode": "str",
        "code_commune": "str", "commune_name": "str", "code_commune_stats": "str",
        "departement": "str", "longitude": "float64", "latitude": "float64",
        "has_coordinates": "bool", "price_per_m2": "float32", "is_outlier": "bool",
        "outlier_reason": "str",
        **{c: "float32" for c in sales.columns if c.startswith("tq_")},
    }  # fmt: skip
    assert set(sales["departement"]) == {"75", "76"}
    assert sales["mutation_id"].is_unique
    assert str(sales["property_type"].dtype) == "category"
    assert str(sales["rooms"].dtype) == "Int16"
    assert sales.set_index("mutation_id").loc["2020-606999", "land_area_m2"] == 3325
    assert read_sales(layout(home), ["76"])["departement"].unique().tolist() == ["76"]

    # Nothing disappears: kept and removed rows add up to the input rows, per file.
    report = json.loads((prepared / "cleaning_report.json").read_text())
    actions = {rule["name"]: rule["action"] for rule in report["rules"]}
    counted = sum(c["rows"] for c in report["counts"] if actions[c["rule"]] != "flagged")
    assert counted == input_rows(shared_data / GEO.format(dep=d) for d in ("75", "76"))
    kept = sum(c["sales"] for c in report["counts"] if c["rule"] == "kept")
    assert kept == len(sales)
    flagged = sum(c["sales"] for c in report["counts"] if c["rule"] == "vefa")
    assert flagged == sales["is_vefa"].sum() > 0
    assert {c["departement"] for c in report["counts"]} == {"75", "76"}
    # The table is printed at the end.
    assert "several_dwellings" in output and "kept" in output

    communes = pq.read_table(prepared / "reference" / "communes.parquet").to_pandas()
    assert {"75056", "76540"} <= set(communes["code_commune"])


def test_unchanged_inputs_are_a_no_op_and_a_change_reruns(runner, home, shared_data):
    run(runner, home)
    part = home / "prepared" / "sales" / "departement=75" / "part-0.parquet"
    before = part.stat().st_mtime_ns
    assert "nothing to do" in run(runner, home)
    assert part.stat().st_mtime_ns == before
    # A newly fetched file changes the inputs: prepare runs again and picks it up.
    extra = home / "raw" / GEO.format(dep="34")
    extra.symlink_to(shared_data / GEO.format(dep="34"))
    assert "nothing to do" not in run(runner, home)
    assert set(read_sales(layout(home))["departement"]) == {"34", "75", "76"}


def test_raw_dgfip_rows_already_in_geo_dvf_are_not_counted_twice(runner, home):
    # The raw lines of 2020-606999 (a Seine-Maritime sale of 2020, which geo-DVF covers).
    from tests.unit.test_sales_raw_dgfip import RAW_ROWS, write_raw

    folder = home / "raw" / "dvf-brut"
    folder.mkdir(parents=True)
    write_raw(folder / "valeursfoncieres-2020.txt", RAW_ROWS)
    run(runner, home)
    report = json.loads((home / "prepared" / "cleaning_report.json").read_text())
    covered = [c for c in report["counts"] if c["rule"] == "covered_by_geo_dvf"]
    assert sum(c["rows"] for c in covered) == len(RAW_ROWS)
    assert sum(c["sales"] for c in covered) == 3
    sales = read_sales(layout(home))
    assert not sales["mutation_id"].str.startswith("brut-").any()


def test_prepare_without_raw_files_says_so(runner, tmp_path):
    result = runner.invoke(main, ["--home", str(tmp_path), "prepare"])
    assert result.exit_code != 0
    assert "immoval fetch" in result.output


def test_prepare_with_an_empty_raw_folder_says_so(runner, tmp_path):
    (tmp_path / "raw").mkdir()
    result = runner.invoke(main, ["--home", str(tmp_path), "prepare"])
    assert result.exit_code != 0
    assert "no DVF file" in result.output
    shutil.rmtree(tmp_path / "raw")


def test_a_truncated_download_is_named_and_nothing_is_written(runner, home, shared_data):
    broken = home / "raw" / GEO.format(dep="34")
    broken.write_bytes((shared_data / GEO.format(dep="34")).read_bytes()[:50_000])
    result = runner.invoke(main, ["--home", str(home), "prepare"])
    assert result.exit_code != 0
    assert "34.csv.gz" in result.output and "cannot be read" in result.output
    assert not (home / "prepared" / "sales").exists()


def test_a_run_without_any_kept_sale_still_writes_an_empty_table(tmp_path):
    import pandas as pd

    from training.prepare import write_sales
    from training.sales import SALES_COLUMNS

    paths = layout(tmp_path)
    target = write_sales(pd.DataFrame(columns=SALES_COLUMNS), paths)
    assert target.is_dir() and not any(target.iterdir())
