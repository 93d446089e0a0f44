"""Building the offline address index: every rejected row is counted, by reason."""

from __future__ import annotations

import gzip
import json
import sqlite3

import pandas as pd
import pytest

from model.mapped import open_columns
from model.settings import layout
from training.addresses import AddressIndex, build_index, read_ban


@pytest.fixture()
def ban_file(shared_data, tmp_path):
    """The first 200 real BAN rows of Paris, plus three broken ones, in the official layout."""
    with gzip.open(shared_data / "ban/adresses-75.csv.gz", "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(201)]
    header = lines[0].rstrip("\n").split(";")
    good = lines[1].rstrip("\n").split(";")

    def broken(**changes):
        row = list(good)
        for column, value in changes.items():
            row[header.index(column)] = value
        return ";".join(row) + "\n"

    lines += [broken(lat="", lon=""), broken(nom_voie=""), broken(lat="91.5")]
    path = tmp_path / "ban" / "adresses-75.csv.gz"
    path.parent.mkdir()
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(lines)
    return path


def test_rejected_ban_rows_are_counted_by_reason(ban_file):
    index, report = build_index([read_ban(ban_file)], None)
    assert report["ban"]["75"] == {
        "rows": 203,
        "kept": 200,
        "rejected": {"no_street": 1, "no_coordinates": 1, "coordinates_out_of_bounds": 1},
    }
    assert len(index) == 200
    assert set(index["source"]) == {"ban"} and set(index["departement"]) == {"75"}
    assert index["code_commune"].str.match(r"^751\d\d$").all()


def test_dvf_addresses_are_deduplicated_and_skipped_where_ban_exists(ban_file):
    sales = pd.DataFrame(
        {
            "address_number": ["7", "7", "3", "1"],
            "address_suffix": ["B", "B", None, None],
            "street": ["RUE PASTEUR", "RUE PASTEUR", "RUE PASTEUR", "RUE DE RIVOLI"],
            "postcode": ["59223", "59223", "59223", "75004"],
            "code_commune": ["59508", "59508", "59508", "75104"],
            "commune_name": ["Roncq", "Roncq", "Roncq", "Paris 4e Arrondissement"],
            "latitude": [50.7500, 50.7502, None, 48.85],
            "longitude": [3.1200, 3.1202, None, 2.36],
            "departement": ["59", "59", "59", "75"],
        }
    )
    index, report = build_index([read_ban(ban_file)], sales)
    dvf = index[index["source"] == "dvf"]
    assert dvf[["number", "suffix", "street"]].values.tolist() == [["7", "B", "RUE PASTEUR"]]
    assert dvf["latitude"].iloc[0] == pytest.approx(50.7501)
    assert report["dvf"] == {
        "sales": 4,
        "sales_in_ban_departements": 1,
        "rejected": {"no_street": 0, "no_coordinates": 1, "coordinates_out_of_bounds": 0},
        "addresses": 1,
    }


def test_cli_writes_the_index_and_its_report(ban_file, tmp_path, runner):
    from training.cli import main

    home = tmp_path / "home"
    (home / "raw").mkdir(parents=True)
    ban_file.parent.rename(home / "raw" / "ban")
    result = runner.invoke(main, ["--home", str(home), "addresses"])
    assert result.exit_code == 0, result.output
    reference = home / "prepared/reference"
    with sqlite3.connect(reference / "addresses.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM numbers").fetchone()[0] == 200
        assert db.execute("SELECT value FROM meta WHERE key = 'addresses'").fetchone()[0] == "200"
    assert not (reference / "addresses.parquet").exists()
    assert len(open_columns(reference / "address_points")["xyz"]) == 200
    report = json.loads((home / "prepared/addresses_report.json").read_text())
    assert report["rows"] == 200


def test_built_departement_by_departement_as_from_everything_at_once(
    ban_file, shared_data, tmp_path
):
    from tests.integration.test_geocoding_offline import nord_sales

    sales = nord_sales(shared_data, rows=20_000)
    home = tmp_path / "home"
    (home / "raw").mkdir(parents=True)
    ban_file.parent.rename(home / "raw" / "ban")
    paths = layout(home)
    index = AddressIndex(paths)
    # Nord's sales in two parts of its communes, as two départements' results would come; a
    # Paris sale too (its département has a BAN file: not taken from DVF).
    paris = sales.head(1).assign(departement="75", code_commune="75101")
    west = sales["code_commune"] < "59350"
    for part in (sales[west], sales[~west], paris):
        index.add_sales(part)
    report = index.finish()
    whole, expected = build_index(
        [read_ban(home / "raw/ban/adresses-75.csv.gz")],
        pd.concat([sales, paris], ignore_index=True),
    )
    assert report["ban"] == expected["ban"]
    assert report["dvf"]["sales"] == expected["dvf"]["sales"] == 20_001
    assert report["dvf"]["sales_in_ban_departements"] == 1
    assert report["dvf"]["rejected"] == expected["dvf"]["rejected"]
    with sqlite3.connect(paths.reference / "addresses.sqlite3") as db:
        rows = db.execute("SELECT count(*) FROM numbers").fetchone()[0]
        streets = db.execute(
            "SELECT count(DISTINCT street || postcode || code_commune) FROM streets"
        )
        distinct = streets.fetchone()[0]
    usable = whole.dropna(subset=["latitude", "longitude"])
    assert rows == len(usable) == report["rows"]
    assert distinct == len(usable.groupby(["street", "postcode", "code_commune"]))
