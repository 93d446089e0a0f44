"""`immoval prepare` writes the tranquillity tables and gives every sale its `tq_*` features."""

from __future__ import annotations

import numpy as np

from model.settings import layout
from model.tranquillity import FEATURES, Tranquillity
from training.cli import main
from training.prepare import read_sales

SLICE = [
    "geo-dvf/latest/csv/2020/departements/75.csv.gz",
    "geo-dvf/latest/csv/2020/departements/34.csv.gz",
    "ssmsi",
    "cameras",
    "ban/adresses-75.csv.gz",
]


def test_prepared_sales_carry_tranquillity_features(runner, tmp_path, shared_data):
    for relative in SLICE:
        target = tmp_path / "raw" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(shared_data / relative)
    result = runner.invoke(main, ["--home", str(tmp_path), "prepare"])
    assert result.exit_code == 0, result.output

    paths = layout(tmp_path)
    assert (paths.reference / "tranquillity" / "communes.parquet").is_file()
    sales = read_sales(paths)
    assert all(sales[c].dtype == np.float32 for c in FEATURES)
    paris, herault = sales[sales["departement"] == "75"], sales[sales["departement"] == "34"]
    # Sales of 2020 use the figures of 2019, published for Paris and Montpellier.
    assert paris["tq_violence_age"].eq(1).all()
    assert paris["tq_cameras_500m"].notna().mean() > 0.99
    assert herault["tq_cameras_500m"].isna().all()  # no complete camera list there
    montpellier = herault[herault["code_commune_stats"] == "34172"]
    assert len(montpellier) and montpellier["tq_property_rate"].notna().all()
    # The features stored are the ones serving computes from the same tables.
    row = paris.iloc[0]
    again = Tranquillity.load(paths.reference).features(
        [row["longitude"]], [row["latitude"]], [row["date"]], [row["code_commune_stats"]]
    )
    np.testing.assert_array_equal(again.iloc[0].to_numpy(), row[list(FEATURES)].to_numpy(float))
