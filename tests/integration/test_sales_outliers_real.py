"""Outlier flags on the real sales of the mirror."""

from __future__ import annotations

import pytest

from training.dvf import read_geo_dvf
from training.outliers import flag_outliers
from training.prepare import sales_of_rows


@pytest.mark.parametrize("dep", ["75"])
def test_real_paris_sales_flag_a_small_share(shared_data, dep):
    rows, _ = read_geo_dvf(shared_data / f"geo-dvf/latest/csv/2020/departements/{dep}.csv.gz")
    flagged = flag_outliers(sales_of_rows(rows)[0])
    share = flagged["is_outlier"].mean()
    assert 0.001 < share < 0.15
    # The multi-million sales of the 1st arrondissement are not outliers for their area.
    kept = flagged.set_index("mutation_id")
    assert not kept.loc["2020-814517", "is_outlier"]
