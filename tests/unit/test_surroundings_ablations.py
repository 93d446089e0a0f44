"""Which surroundings variants a backtest runs: one ablation per group in the model, and
the model with the columns it leaves out."""

from types import SimpleNamespace

import pandas as pd

from training.ablations import surroundings_ablations, unused_surroundings


def _prep(in_model, in_sales):
    return SimpleNamespace(surroundings=tuple(in_model), sales=pd.DataFrame(columns=in_sales))


def test_one_ablation_per_group_of_the_model():
    prep = _prep(
        ["sr_rail_station_m", "sr_sea_m", "sr_centre_m"],
        ["price", "sr_rail_station_m", "sr_sea_m", "sr_centre_m"],
    )
    assert surroundings_ablations(prep) == [
        ("without_transport", ("sr_rail_station_m",)),
        ("without_geography", ("sr_sea_m", "sr_centre_m")),
    ]
    assert unused_surroundings(prep) == ()


def test_the_columns_the_model_leaves_out_are_measured_together():
    prep = _prep([], ["price", "sr_income_commune", "sr_sea_m", "tq_damage_rate"])
    assert surroundings_ablations(prep) == []
    assert unused_surroundings(prep) == ("sr_sea_m", "sr_income_commune")
