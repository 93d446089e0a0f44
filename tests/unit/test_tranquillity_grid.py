"""Distances on the sphere and the one-point camera search of `model.tranquillity.grid`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.comparables import EARTH_RADIUS_M
from model.tranquillity.grid import (
    CameraGrid,
    haversine_m,
    longitude_reach,
    longitude_spans,
    to_radians,
)


def test_haversine_gives_metres_between_points_in_radians():
    (lat1, lon1), (lat2, lon2) = to_radians(np.array([2.35, 2.35]), np.array([48.85, 48.86]))
    metres = haversine_m(lat1, lon1, math.cos(lat1), lat2, lon2, math.cos(lat2))
    assert metres == pytest.approx(EARTH_RADIUS_M * math.radians(0.01), rel=1e-9)
    assert haversine_m(lat1, lon1, math.cos(lat1), lat1, lon1, math.cos(lat1)) == 0.0


@pytest.mark.parametrize("latitude", [0.0, 48.85, -20.9, 80.0])
def test_longitude_reach_covers_every_point_within_the_distance(latitude):
    distance = 1000 / EARTH_RADIUS_M
    reach = longitude_reach(math.radians(latitude), distance)
    # Points at the distance, in every direction: none further in longitude than the reach.
    bearings = np.linspace(0, 2 * math.pi, 721)
    lat1 = math.radians(latitude)
    lat2 = np.arcsin(
        math.sin(lat1) * math.cos(distance) + math.cos(lat1) * math.sin(distance) * np.cos(bearings)
    )
    dlon = np.arctan2(
        np.sin(bearings) * math.sin(distance) * math.cos(lat1),
        math.cos(distance) - math.sin(lat1) * np.sin(lat2),
    )
    assert np.abs(dlon).max() <= reach < 1.01 * np.abs(dlon).max()


def test_near_the_pole_every_longitude_is_within_reach():
    assert longitude_reach(math.radians(89.999), 1000 / EARTH_RADIUS_M) == math.pi
    assert longitude_spans(0.3, math.pi) == [(-math.inf, math.inf)]


def test_spans_are_split_at_the_antimeridian():
    assert longitude_spans(0.0, 0.1) == [(-0.1, 0.1)]
    east = longitude_spans(math.pi - 0.05, 0.1)
    assert east == [
        (pytest.approx(math.pi - 0.15), pytest.approx(math.pi + 0.05)),
        (-math.inf, pytest.approx(-math.pi + 0.05)),
    ]
    west = longitude_spans(-math.pi + 0.05, 0.1)
    assert west[1] == (pytest.approx(math.pi - 0.05), math.inf) and len(west) == 2


def test_grid_finds_at_least_every_camera_within_the_distance():
    rng = np.random.default_rng(1)
    # Paris, and a cluster across the antimeridian.
    degrees = np.r_[rng.uniform(2.2, 2.5, 2000), rng.uniform(179.98, 180.02, 50)]
    lon = np.radians((degrees + 180) % 360 - 180)
    lat = np.radians(np.r_[rng.uniform(48.8, 48.9, 2000), rng.uniform(-14.31, -14.29, 50)])
    days, undated = np.arange(len(lat)), np.zeros(len(lat), dtype=bool)
    distance = 500 / EARTH_RADIUS_M
    grid = CameraGrid(lat, lon, np.cos(lat), days, undated, distance)
    for point_lat, point_lon in [(48.85, 2.35), (48.81, 2.21), (-14.3, -179.9999), (-14.3, 179.99)]:
        plat, plon = math.radians(point_lat), math.radians(point_lon)
        found = grid.near(plat, plon, distance)
        metres = haversine_m(plat, plon, math.cos(plat), lat, lon, np.cos(lat))
        within = set(days[metres <= 500].tolist())
        assert within <= set(found[3].tolist())  # days stand for camera ids here
        assert len(found[3]) < len(lat)  # a superset, not everything


def test_grid_of_one_camera_and_empty_answers():
    lat, lon = np.radians([48.85]), np.radians([2.35])
    grid = CameraGrid(lat, lon, np.cos(lat), np.array([7]), np.array([True]), 1e-4)
    assert grid.near(float(lat[0]), float(lon[0]), 1e-4)[3].tolist() == [7]
    assert all(len(c) == 0 for c in grid.near(0.1, 0.1, 1e-4))
