"""Columns written once and opened memory-mapped: text, sorted keys and KD-trees read back
as they were written, without copies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import mapped
from model.trees import build_tree, open_tree, store_tree


def _round_trip(tmp_path, columns: mapped.Columns) -> mapped.Columns:
    mapped.write_columns(tmp_path / "cols", columns)
    return mapped.open_columns(tmp_path / "cols")


@pytest.mark.parametrize("distinct", [3, 2 * mapped.MAX_DICTIONARY])
def test_text_reads_back_with_its_missing_values(tmp_path, distinct):
    values = [None if i % 7 == 0 else f"v{i % distinct}" for i in range(distinct * 2)]
    opened = _round_trip(tmp_path, mapped.Columns({"t": mapped.TextColumn.of(values)}))["t"]
    assert (opened.codes is not None) == (distinct <= mapped.MAX_DICTIONARY)
    assert len(opened) == len(values) and opened.tolist() == values
    rows = np.array([5, 0, 2, len(values) - 1])
    assert opened[rows].tolist() == [values[i] for i in rows]
    assert opened[np.int64(3)] == values[3] and opened[0] is None
    assert opened[np.array([], dtype="int64")].tolist() == []
    assert (opened == "v1").tolist() == [v == "v1" for v in values]
    mask = np.arange(len(values)) % 3 == 1
    assert opened[mask].tolist() == [v for v, m in zip(values, mask, strict=True) if m]
    assert (opened[rows] == "v5").tolist() == [v == "v5" for v in (values[i] for i in rows)]


@pytest.mark.parametrize("distinct", [3, 2 * mapped.MAX_DICTIONARY])
def test_text_factorizes_alike_with_or_without_a_dictionary(tmp_path, distinct):
    values = [None if i % 7 == 0 else f"v{i % distinct}" for i in range(distinct * 2)]
    opened = _round_trip(tmp_path, mapped.Columns({"t": mapped.TextColumn.of(values)}))["t"]
    names, codes = opened.factorized()
    assert sorted(set(names.tolist()) - {""}) == sorted({v for v in values if v is not None})
    assert [None if c < 0 else names[c] for c in codes] == values


def test_numbers_and_dates_are_mapped_read_only(tmp_path):
    days = np.array(["2024-01-02", "2023-05-06"], dtype="datetime64[D]")
    opened = _round_trip(
        tmp_path, mapped.Columns({"x": np.arange(6.0).reshape(2, 3), "d": days}, {"k": 1})
    )
    assert mapped.is_mapped(opened["x"]) and not opened["x"].flags.writeable
    assert type(opened["x"]) is np.ndarray and not mapped.is_mapped(np.arange(3))
    np.testing.assert_array_equal(opened["x"], np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(opened["d"], days)
    assert opened.meta == {"k": 1} and "x" in opened and "y" not in opened


def test_sorted_keys_find_what_a_pandas_index_finds(tmp_path):
    index = pd.Index(["75103000AB0012", "59350000ZK0001", "é-accent", "b"], dtype=object)
    keys = mapped.SortedKeys.of(index)
    stored = _round_trip(tmp_path, mapped.Columns({"k": keys.keys, "p": keys.positions}))
    opened = mapped.SortedKeys(stored["k"], stored["p"])
    asked = [
        "b",
        "absent",
        "75103000AB0012",
        "é-accent",
        "75103000AB0012-longer",
        "",
        "59350000ZK0001",
    ]
    np.testing.assert_array_equal(opened.get_indexer(asked), index.get_indexer(asked))
    assert opened.get_loc("é-accent") == 2
    with pytest.raises(KeyError):
        opened.get_loc("59350000ZK000")  # a prefix of a key is not the key
    assert mapped.SortedKeys.of(pd.Index([], dtype=object)).get_indexer(["a"]).tolist() == [-1]


def test_a_stored_tree_answers_as_the_tree_it_was(tmp_path):
    rng = np.random.default_rng(2)
    points = rng.normal(size=(5_000, 3))
    columns = mapped.Columns({"points": points})
    store_tree(build_tree(points), "t", columns, data="points")
    store_tree(build_tree(points[:100]), "small", columns)
    opened = _round_trip(tmp_path, columns)
    queries = rng.normal(size=(40, 3))
    for name, source in (("t", points), ("small", points[:100])):
        tree, original = open_tree(opened, name), build_tree(source)
        for got, want in zip(tree.query(queries, k=7), original.query(queries, k=7), strict=True):
            np.testing.assert_array_equal(got, want)
        got = tree.query_radius(queries, r=0.4, return_distance=True, sort_results=True)
        want = original.query_radius(queries, r=0.4, return_distance=True, sort_results=True)
        for a, b in zip(got[0], want[0], strict=True):
            np.testing.assert_array_equal(a, b)
    assert np.shares_memory(np.asarray(open_tree(opened, "t").data), opened["points"])


def test_a_tree_of_another_scikit_learn_is_rebuilt(tmp_path):
    points = np.random.default_rng(4).normal(size=(300, 3))
    columns = mapped.Columns({})
    store_tree(build_tree(points), "t", columns)
    columns.meta["t"]["sklearn"] = "0.0"
    tree = open_tree(_round_trip(tmp_path, columns), "t")
    np.testing.assert_array_equal(
        tree.query(points[:5], k=3)[1], build_tree(points).query(points[:5], k=3)[1]
    )
