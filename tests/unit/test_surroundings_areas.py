"""Area values by vintage (never a later one than a date allows), the IRIS of a point, and
the BPE read in INSEE's own layout."""

import numpy as np
import pandas as pd
import pytest
import shapely

from model.surroundings.areas import PUBLICATION_LAG_YEARS, AreaValues, IrisShapes
from training.surroundings.insee import bpe, filosofi_communes


def test_a_date_sees_the_latest_vintage_published_by_then():
    table = pd.DataFrame(
        {
            "code": ["34172", "34172", "75101"],
            "name": "sr_income_commune",
            "year": [2016, 2019, 2016],
            "value": [18000.0, 19000.0, 30000.0],
        }
    )
    values = AreaValues(table)
    years = np.array([2017, 2020, 2021, 2024, -1])
    found = values.lookup("sr_income_commune", ["34172"] * 5, years)
    assert PUBLICATION_LAG_YEARS == 2
    # 2017: the 2016 vintage is not out yet; 2020: 2016 only; 2021 on: 2019.
    assert np.isnan(found[0]) and np.isnan(found[4])
    assert found[1:4].tolist() == [18000.0, 19000.0, 19000.0]
    unknown = values.lookup("sr_income_commune", ["99999", None], np.array([2024, 2024]))
    assert np.isnan(unknown).all()


def test_the_iris_of_a_point_and_none_outside():
    squares = [shapely.box(2.0, 48.0, 2.1, 48.1), shapely.box(2.1, 48.0, 2.2, 48.1)]
    iris = IrisShapes(["751010101", "751010102"], shapely.to_wkb(squares))
    found = iris.locate([2.05, 2.15, 3.0, np.nan], [48.05, 48.05, 48.05, 48.05])
    assert found.tolist() == ["751010101", "751010102", None, None]


def test_bpe_in_insee_layout_rates_per_1000_and_zero_counts(tmp_path):
    path = tmp_path / "bpe18_ensemble.csv"
    path.write_text(
        "REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;NB_EQUIP\n"
        "11;75;75101;75101_0201;2018;C104;2\n"
        "11;75;75101;75101_0202;2018;B203;3\n"
        "11;75;75101;75101_0202;2018;D201;1\n"
        "84;01;01001;01001;2018;A401;2\n",
        encoding="utf-8",
    )
    population = pd.Series({"75101": 2000.0, "01001": 500.0})
    table = bpe(path, population).set_index(["name", "code"])["value"]
    assert table["sr_schools_per_1000", "75101"] == pytest.approx(1.0)
    assert table["sr_shops_per_1000", "75101"] == pytest.approx(1.5)
    # A commune the BPE lists has 0 of a kind it lacks (the BPE is exhaustive).
    assert table["sr_schools_per_1000", "01001"] == 0.0
    assert table["sr_schools_iris", "751010201"] == 2.0
    assert table["sr_schools_iris", "751010202"] == 0.0
    assert table["sr_health_iris", "751010202"] == 1.0
    # A commune not split into IRIS has no IRIS value.
    assert ("sr_schools_iris", "01001") not in table.index


def test_bpe_names_a_count_that_is_not_a_number(tmp_path):
    path = tmp_path / "bpe.csv"
    path.write_text(
        "REG,DEP,DEPCOM,DCIRIS,AN,TYPEQU,NB_EQUIP\n84,01,01001,01001,2018,C104,deux\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="NB_EQUIP.*deux"):
        bpe(path, pd.Series({"01001": 500.0}))


def test_filosofi_keeps_unpublished_medians_unknown(tmp_path):
    path = tmp_path / "filo.csv"
    path.write_text("CODGEO;LIBGEO;MED16\n01001;A;22679\n01002;B;\n", encoding="utf-8")
    table = filosofi_communes(path)
    assert table.to_dict("records") == [
        {"code": "01001", "name": "sr_income_commune", "year": 2016, "value": 22679.0}
    ]
