"""Neighbour queries with scikit-learn's point check skipped for points already valid."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import BallTree, KDTree, _ball_tree, _kd_tree

from model import tree_queries


@pytest.fixture(scope="module")
def points() -> np.ndarray:
    return np.random.default_rng(3).normal(size=(5000, 3))


def _with_scikit_learn_check(query):
    """`query()` run with the trees' own check, as before `install`."""
    saved = _kd_tree.check_array, _ball_tree.check_array
    for module, current in zip((_kd_tree, _ball_tree), saved, strict=True):
        module.check_array = getattr(current, "checks", current)
    try:
        return query()
    finally:
        _kd_tree.check_array, _ball_tree.check_array = saved


@pytest.mark.parametrize("tree_class", [KDTree, BallTree])
def test_queries_answer_as_with_the_check(points, tree_class):
    assert tree_queries.install() and tree_queries.install()  # idempotent
    tree = tree_class(points, leaf_size=40)
    queries = np.random.default_rng(4).normal(size=(50, 3))
    fast = tree.query(queries, k=7), tree.query_radius(queries, r=0.3, count_only=True)
    checked = _with_scikit_learn_check(
        lambda: (tree.query(queries, k=7), tree.query_radius(queries, r=0.3, count_only=True))
    )
    np.testing.assert_array_equal(fast[0][0], checked[0][0])
    np.testing.assert_array_equal(fast[0][1], checked[0][1])
    np.testing.assert_array_equal(fast[1], checked[1])


@pytest.mark.parametrize(
    "query",
    [
        [[0.1, 0.2, 0.3]],  # a list
        np.array([[0.1, 0.2, 0.3]], dtype="float32"),
        np.asfortranarray(np.random.default_rng(5).normal(size=(4, 3))),
        np.random.default_rng(6).normal(size=(4, 6))[:, ::2],  # not contiguous
    ],
)
def test_other_points_are_converted_by_scikit_learn(points, query):
    tree_queries.install()
    tree = KDTree(points)
    expected = _with_scikit_learn_check(lambda: tree.query(query, k=2))
    found = tree.query(query, k=2)
    np.testing.assert_array_equal(found[1], expected[1])


@pytest.mark.parametrize(
    "query, message",
    [
        (np.array([[0.1, np.nan, 0.3]]), "NaN"),
        (np.array([[0.1, np.inf, 0.3]]), "infinity"),
        (np.zeros((0, 3)), "0 sample"),
        (np.zeros(3), "2D array"),
    ],
)
def test_bad_points_get_scikit_learns_own_error(points, query, message):
    tree_queries.install()
    with pytest.raises(ValueError, match=message):
        KDTree(points).query(query, k=1)
