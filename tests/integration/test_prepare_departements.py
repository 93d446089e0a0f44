"""`immoval prepare` one département at a time: on a Dask cluster, failures, no dask by default."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from model.settings import layout
from training.cli import main
from training.prepare import read_sales

GEO = "geo-dvf/latest/csv/{year}/departements/{dep}.csv.gz"
EXTRACT = "dvf-brut/valeursfoncieres-2020-extrait.txt"
# Paris and Eure-et-Loir (partial file, one row per sale), the communes, the SSMSI figures and
# the cameras (so that tq_* are computed on the workers), and DGFiP's raw extract (Ain, 2020).
SLICE = [
    GEO.format(year=2023, dep="75"),
    GEO.format(year=2023, dep="28"),
    GEO.format(year=2024, dep="28"),
    "communes/communes-cog2024-population2021.csv",
    "ssmsi",
    "cameras",
]


def make_home(root, shared_data, relatives=SLICE):
    for relative in relatives:
        target = root / "raw" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(shared_data / relative)
    return root


def with_raw_file(home, shared_data):
    """Add a raw national file: the real extract, plus Paris rows of 2020 (no geo-DVF file)."""
    from tests.unit.test_sales_raw_dgfip import RAW_ROWS, write_raw

    path = home / "raw" / "dvf-brut" / "valeursfoncieres-2020.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_raw(path, RAW_ROWS)
    lines = (shared_data / EXTRACT).read_text().splitlines()[1:]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join([*lines, "a|line|that|cannot|be|split"]) + "\n")
    return home


def prepare(runner, home, *args):
    result = runner.invoke(main, ["--home", str(home), "prepare", *args])
    assert result.exit_code == 0, result.output
    return result.output


def sorted_sales(home):
    sales = read_sales(layout(home))
    return sales.sort_values(["departement", "mutation_id"], ignore_index=True)


def report(home):
    return json.loads((home / "prepared" / "cleaning_report.json").read_text())


def test_a_dask_cluster_gives_the_same_tables_as_the_local_path(
    runner, tmp_path, shared_data, cluster
):
    here = with_raw_file(make_home(tmp_path / "local", shared_data), shared_data)
    there = with_raw_file(make_home(tmp_path / "dask", shared_data), shared_data)
    prepare(runner, here)
    output = prepare(runner, there, "--scheduler", cluster.scheduler_address)
    assert f"on the Dask cluster at {cluster.scheduler_address}" in output

    local, distributed = sorted_sales(here), sorted_sales(there)
    pd.testing.assert_frame_equal(local, distributed)
    assert set(local["departement"]) == {"01", "28", "75", "76"}
    assert local["tq_violence_rate"].notna().any()
    # The raw rows keep the ids of the whole national file (line numbers), split or not.
    assert {"brut-2020-2", "brut-2020-5"} <= set(local["mutation_id"])
    assert report(here) == report(there)
    stray = [c for c in report(here)["counts"] if c["rule"] == "malformed_line"]
    assert stray == [{"rule": "malformed_line", "departement": "", "year": 2020, "rows": 1,
                      "sales": 0}]  # fmt: skip


def test_the_scheduler_variable_is_read_when_no_option_is_given(
    runner, tmp_path, shared_data, cluster, monkeypatch
):
    home = make_home(tmp_path, shared_data, [GEO.format(year=2023, dep="28"), "ssmsi"])
    monkeypatch.setenv("IMMOVAL_DASK_SCHEDULER", cluster.scheduler_address)
    assert "on the Dask cluster" in prepare(runner, home)
    assert set(read_sales(layout(home))["departement"]) == {"28"}


def test_a_failure_in_a_later_departement_leaves_the_previous_tables(runner, tmp_path, shared_data):
    home = make_home(tmp_path, shared_data, SLICE[:4])
    prepare(runner, home)
    prepared = home / "prepared"
    before = {p: p.read_bytes() for p in prepared.rglob("*") if p.is_file()}
    # Seine-Maritime comes after Eure-et-Loir and Paris: they are prepared when it fails.
    broken = home / "raw" / GEO.format(year=2023, dep="76")
    broken.write_bytes((shared_data / GEO.format(year=2023, dep="76")).read_bytes()[:40_000])
    result = runner.invoke(main, ["--home", str(home), "prepare"])
    assert result.exit_code != 0
    assert "76.csv.gz" in result.output and "cannot be read" in result.output
    after = {p: p.read_bytes() for p in prepared.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in prepared.iterdir() if p.name.startswith(".")] == []


def test_without_a_scheduler_dask_is_never_imported(tmp_path, shared_data):
    home = make_home(tmp_path, shared_data, [GEO.format(year=2023, dep="28")])
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from training.cli import main\n"
        f"result = CliRunner().invoke(main, ['--home', {str(home)!r}, 'prepare'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (home / "prepared" / "sales" / "departement=28" / "part-0.parquet").is_file()


def test_the_staging_folder_of_a_killed_run_is_removed_by_the_next(runner, tmp_path, shared_data):
    home = make_home(tmp_path, shared_data, [GEO.format(year=2023, dep="28")])
    # pid 4194305 is above Linux's largest pid: no process has it.
    abandoned = home / "prepared" / ".prepare-4194305-x1y2z3"
    (abandoned / "prepared" / "sales").mkdir(parents=True)
    prepare(runner, home)
    assert not abandoned.exists()
    assert sorted(p.name for p in (home / "prepared").iterdir()) == [
        "addresses_report.json", "cleaning_report.json", "manifest.json", "reference", "sales"
    ]  # fmt: skip
