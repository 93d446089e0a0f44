"""House numbers the index lacks, placed between the known numbers of their street side."""

from __future__ import annotations

import pytest

from app.geocoding.interpolation import Known, interpolate, nearest, position


def known(number, lat, lon=2.0, suffix="", code="75111"):
    return Known(str(number), suffix, lat, lon, code)


# One street: odd side at longitude 2.0, even side at 2.001; latitude grows with numbers.
STREET = [
    known(1, 48.000),
    known(9, 48.004),
    known(2, 48.0001, 2.001),
    known(10, 48.0041, 2.001),
    known(30, 48.0141, 2.001, code="75112"),
]


def test_a_number_lies_linearly_between_its_side_neighbours():
    placed = interpolate("5", None, STREET)
    assert (placed.below, placed.above) == (1, 9)
    assert placed.latitude == pytest.approx(48.002) and placed.longitude == pytest.approx(2.0)
    even = interpolate("6", None, STREET)
    assert (even.below, even.above) == (2, 10)  # never the odd 1 or 9, though nearer
    assert even.latitude == pytest.approx(48.0001 + 0.5 * 0.004)
    assert even.longitude == pytest.approx(2.001)


def test_the_nearest_known_numbers_frame_it_and_give_the_commune():
    placed = interpolate("20", None, STREET)
    assert (placed.below, placed.above) == (10, 30)
    assert placed.latitude == pytest.approx(48.0091)
    assert placed.code_commune == "75111"  # the lower neighbour's


def test_beyond_the_known_numbers_nothing_is_extrapolated():
    assert interpolate("11", None, STREET) is None  # odd side ends at 9
    assert interpolate("32", None, STREET) is None
    assert interpolate("0", None, [known(2, 48.0), known(4, 48.1)]) is None


def test_a_side_with_a_single_known_number_is_not_enough():
    one = [known(3, 48.0), known(2, 48.0), known(8, 48.1)]
    assert interpolate("5", None, one) is None
    assert interpolate("4", None, one).below == 2


def test_suffixes_lie_after_their_number():
    bis = interpolate("5", "bis", STREET)
    plain = interpolate("5", None, STREET)
    assert bis.latitude > plain.latitude and (bis.below, bis.above) == (1, 9)
    assert position("5", "bis") < position("5", "ter") < position("5", "quater") < position("7", "")
    # A known suffixed number counts at its place; the typed number itself is never its anchor.
    street = [known(4, 48.0), known(6, 48.2, suffix="bis"), known(8, 48.3)]
    assert interpolate("6", None, street).latitude == pytest.approx(48.0 + 0.8 * 0.2)
    assert interpolate("6", "bis", street).below == 4  # same place as a known one: skipped


def test_numbers_that_are_not_whole_numbers_are_neither_placed_nor_anchors():
    assert interpolate("", None, STREET) is None
    assert interpolate("5", "z", STREET) is None  # unknown suffix
    street = [known("", 48.0), known("3a", 48.1), known(1, 48.0), known(5, 48.2)]
    assert interpolate("3", None, street).latitude == pytest.approx(48.1)


def test_beyond_the_known_numbers_the_nearest_of_its_side_stands_for_the_street():
    assert nearest("15", None, STREET).number == "9"  # odd side ends at 9; 10 is across
    assert nearest("40", None, STREET).number == "30"
    assert nearest("4", None, [known(1, 48.0), known(7, 48.1)]).number == "1"  # no even side
    assert nearest("5", None, [known(3, 48.0), known(7, 48.1)]).number == "3"  # tie: lower
    assert nearest("x", None, STREET) is None and nearest("5", None, [known("", 48.0)]) is None
