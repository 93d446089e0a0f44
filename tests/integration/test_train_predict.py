"""`immoval predict`: every row out, in order, with its columns, an estimate or a reason."""

from __future__ import annotations

import csv

from training.cli import main

HEADER = [
    "ref",
    "date_mutation",
    "type_local",
    "surface_reelle_bati",
    "nombre_pieces_principales",
    "surface_terrain",
    "longitude",
    "latitude",
    "code_commune",
    "id_parcelle",
    "note",
]
ROWS = [
    ["a", "2025-03-01", "Appartement", "55", "3", "", "2.3627", "48.8635", "75103", "", "x;y"],
    ["b", "2025-03-01", "Appartement", "5", "3", "", "2.3627", "48.8635", "75103", "", ""],
    ["c", "2025-03-01", "Local", "55", "3", "", "2.3627", "48.8635", "", "", "é"],
    ["d", "2025-03-01", "Appartement", "55", "3", "", "7.7521", "48.5734", "", "", ""],
    ["e", "pas une date", "Appartement", "80", "4", "", "2.30", "48.87", "", "", ""],
    ["f", "2025-03-01", "Appartement", "80", "4.0", "", "2.30", "48.87", "", "", ""],
]


def _run(model_home, runner, tmp_path, rows, header=HEADER, extra=()):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    with open(source, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
        for line in extra:
            handle.write(line + "\n")
    result = runner.invoke(
        main,
        ["--home", str(model_home), "predict", "--input", str(source), "--output", str(target)],
    )
    return result, target


def test_every_row_in_order_with_estimate_or_error(model_home, runner, tmp_path):
    result, target = _run(model_home, runner, tmp_path, ROWS, extra=["g,2025-03-01,Maison"])
    assert result.exit_code == 0, result.output
    with open(target, newline="", encoding="utf-8") as handle:
        out = list(csv.DictReader(handle))
    assert [row["ref"] for row in out] == ["a", "b", "c", "d", "e", "f", "g"]
    # Input columns come back untouched.
    assert out[0]["note"] == "x;y" and out[2]["note"] == "é"
    by = {row["ref"]: row for row in out}
    for ref in ("a", "f"):
        row = by[ref]
        assert row["error"] == ""
        assert float(row["estimate_low"]) < float(row["estimate"]) < float(row["estimate_high"])
        assert float(row["price_per_m2"]) > 1000 and row["model_version"]
    assert "surface_reelle_bati" in by["b"]["error"] and by["b"]["estimate"] == ""
    assert "type_local" in by["c"]["error"]
    assert "outside coverage (not_in_dvf)" in by["d"]["error"]
    assert "date_mutation" in by["e"]["error"]
    assert by["g"]["error"].startswith("malformed row")
    assert "7 rows: 2 estimated, 5 with an error" in result.output


def test_huge_numbers_are_out_of_range_and_the_other_rows_estimated(model_home, runner, tmp_path):
    good = ROWS[0]
    huge = {
        "surface": [*good[:3], "1" + "0" * 400, *good[4:]],
        "rooms": [*good[:4], "9" * 5000, *good[5:]],
        "latitude": [*good[:7], "1e400", *good[8:]],
        "land": [*good[:5], "-" + "9" * 4301, *good[6:]],
    }
    rows = [[name, *row[1:]] for name, row in huge.items()] + [good]
    result, target = _run(model_home, runner, tmp_path, rows)
    assert result.exit_code == 0, result.output
    with open(target, newline="", encoding="utf-8") as handle:
        by = {row["ref"]: row for row in csv.DictReader(handle)}
    assert by["surface"]["error"] == "invalid: surface_reelle_bati: must be between 9 and 1000"
    assert by["rooms"]["error"] == "invalid: nombre_pieces_principales: must be between 1 and 30"
    assert by["latitude"]["error"] == "invalid: latitude: must be between -90 and 90"
    assert by["land"]["error"] == "invalid: surface_terrain: must be between 0 and 100000"
    assert by["a"]["error"] == "" and float(by["a"]["estimate"]) > 0
    assert "5 rows: 1 estimated, 4 with an error" in result.output


def test_same_home_same_estimate_as_the_estimator(model_home, runner, tmp_path):
    from datetime import date

    from model.estimator import Estimator
    from model.property import Property
    from model.registry import read_champion
    from model.settings import layout

    result, target = _run(model_home, runner, tmp_path, ROWS[:1])
    assert result.exit_code == 0, result.output
    with open(target, newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    models = layout(model_home).models
    estimator = Estimator.load(models / read_champion(models))
    prop = Property.from_mapping(
        {
            "property_type": "apartment",
            "living_area_m2": 55,
            "rooms": 3,
            "latitude": 48.8635,
            "longitude": 2.3627,
            "valuation_date": "2025-03-01",
            "code_commune": "75103",
        },
        today=date(2025, 3, 1),
    )
    assert float(row["estimate"]) == estimator.estimate(prop).value


def test_missing_columns_are_refused(model_home, runner, tmp_path):
    result, target = _run(model_home, runner, tmp_path, [["1", "2"]], header=["ref", "latitude"])
    assert result.exit_code != 0 and "missing column" in result.output
    assert not target.exists()


def test_no_cell_of_the_output_runs_as_a_formula(model_home, runner, tmp_path):
    formula = [*ROWS[0][:-1], '=HYPERLINK("http://evil","clic")']
    negative = [*ROWS[0][:5], "-3", *ROWS[0][6:]]
    result, target = _run(model_home, runner, tmp_path, [formula, negative])
    assert result.exit_code == 0, result.output
    with open(target, newline="", encoding="utf-8") as handle:
        out = list(csv.DictReader(handle))
    assert out[0]["note"] == "'" + formula[-1]
    assert out[0]["estimate"] and not out[0]["error"]
    # Numbers stay numbers, negative ones included (a range error, not a formula).
    assert out[1]["surface_terrain"] == "-3"
