"""A station counts from its opening: the nearest open station at a date."""

from datetime import date

import numpy as np
import pytest

from model.comparables import to_xyz
from model.surroundings.stations import ALWAYS, Network
from training.surroundings.openings import OPENINGS, opening_of
from training.surroundings.stations import day_of

HOME = (48.80, 2.36)  # a point 1 km from the new station, 5 km from the old one


def _network() -> Network:
    old = (HOME[0] + 0.045, HOME[1])  # ≈ 5 km north
    new = (HOME[0] + 0.009, HOME[1])  # ≈ 1 km north
    return Network.build([old[0], new[0]], [old[1], new[1]], [ALWAYS, day_of(date(2024, 6, 24))])


def _metres(network: Network, day: str) -> float:
    days = np.array([day], dtype="datetime64[D]")
    value = np.where(np.isnat(days), np.iinfo("int64").min, days.astype("int64"))
    return float(network.nearest_m(to_xyz([HOME[0]], [HOME[1]]), value)[0])


def test_a_station_opened_after_a_sale_does_not_exist_for_it():
    network = _network()
    assert _metres(network, "2021-03-01") == pytest.approx(5004, rel=0.01)
    assert _metres(network, "2024-06-23") == pytest.approx(5004, rel=0.01)


def test_a_station_counts_from_its_opening_day():
    network = _network()
    assert _metres(network, "2024-06-24") == pytest.approx(1001, rel=0.01)
    assert _metres(network, "2025-01-01") == pytest.approx(1001, rel=0.01)


def test_an_unknown_date_sees_only_the_stations_open_all_along():
    assert _metres(_network(), "NaT") == pytest.approx(5004, rel=0.01)


def test_a_network_with_only_dated_stations_is_unknown_before_them():
    network = Network.build([HOME[0]], [HOME[1]], [day_of(date(2024, 6, 24))])
    assert np.isnan(_metres(network, "2023-01-01"))
    assert _metres(network, "2024-07-01") == pytest.approx(0, abs=1)


def test_known_openings_are_looked_up_by_line_and_station():
    assert opening_of("METRO 14", "Aéroport d'Orly") == date(2024, 6, 24)
    assert opening_of("METRO 14", "Saint-Ouen") == date(2020, 12, 14)
    assert opening_of("METRO 14", "Châtelet") is None  # opened in 1998: open all along
    assert opening_of("TRAM 9", "Porte de Choisy") == date(2021, 4, 10)  # a whole new line
    assert opening_of("METRO 7", "Maison Blanche") is None  # line 14's stop there is new
    assert all(d.year >= 2020 for _line, _names, d, _source in OPENINGS)
