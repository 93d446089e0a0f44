"""The explorer's query, sort and pages, and the commune index, as pure functions."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from app.web.explorer import page_of, parse_query, sorted_sales
from model.commune_sales import CommuneIndex
from model.property import InvalidProperty
from model.sales import Comparable
from model.sales_queries import SimilarSales

SALE = Comparable("m", date(2024, 1, 1), "house", 80.0, 4, 300.0, 300_000.0, 3750.0, 10.0,
                  49.4, 1.1, "RUE X", "76540", "Rouen")  # fmt: skip


def _similar(n: int) -> SimilarSales:
    sales = [
        dataclasses.replace(
            SALE,
            mutation_id=str(k),
            price=1000.0 * ((k * 7) % n),
            date=date.fromordinal(738886 + k),
        )
        for k in range(n)
    ]
    today = [float(k) if k % 5 else None for k in range(n)]
    return SimilarSales(sales, today, [False] * n, 500.0, date(2023, 1, 1), None, "2024-12")


def test_query_text_is_read_as_typed_in_france():
    q = parse_query({"q": " Rouen ", "surface_min": "45,5", "rooms_max": "4", "type": ""})
    assert q.q == "Rouen" and q.surface_min == 45.5 and q.rooms_max == 4 and q.type is None
    assert q.period == "24" and q.radius == "500" and q.sort == "recent" and q.page == 1
    filters = q.sales_filter(date(2024, 12, 31))
    assert filters["living_area_range"] == (45.5, None) and "rooms_range" in filters
    assert filters["date_from"] == date(2022, 12, 31)
    assert parse_query({"period": "tout"}).sales_filter(date(2024, 12, 31))["date_from"] is None


def test_every_bad_parameter_is_named():
    with pytest.raises(InvalidProperty) as caught:
        parse_query({"surface_min": "x", "sort": "random", "radius": "7"})
    assert {e.field for e in caught.value.errors} == {"surface_min", "sort", "radius"}
    with pytest.raises(InvalidProperty) as caught:
        parse_query({"surface_min": "80", "surface_max": "40"})
    assert [e.field for e in caught.value.errors] == ["surface_max"]


def test_sort_keeps_unknown_values_last_and_pages_number_across():
    similar = _similar(60)
    by_price = sorted_sales(similar, "prix-desc")
    prices = [s.price for s in by_price.sales]
    assert prices == sorted(prices, reverse=True)
    by_today = sorted_sales(similar, "m2")
    known = [v for v in by_today.today_price_per_m2 if v is not None]
    assert by_today.today_price_per_m2[: len(known)] == sorted(known)
    assert all(v is None for v in by_today.today_price_per_m2[len(known) :])
    page = page_of(sorted_sales(similar, "recent"), 3)
    assert (page["first"], page["last"], page["pages"], page["total"]) == (51, 60, 3, 60)
    assert [r["number"] for r in page["rows"]] == list(range(51, 61))
    assert page_of(similar, 99)["page"] == 3  # past the end: the last page
    assert page_of(_similar(0), 1)["first"] == 0


def test_the_commune_index_gives_each_communes_rows_latest_first():
    codes = np.array(["59350", "75104", "59350", "59350"], dtype=object)
    days = np.array(["2024-01-01", "2024-02-01", "2024-03-01", "2023-05-01"], dtype="datetime64[D]")
    index = CommuneIndex(codes, days)
    assert index.rows("59350").tolist() == [2, 0, 3]
    assert index.rows("75104").tolist() == [1] and index.rows("13055").tolist() == []


def test_the_commune_index_reads_a_mapped_column_as_an_object_array():
    from model.commune_sales import CommuneIndex
    from model.mapped import TextColumn

    codes = ["75104", None, "59350", "75104", "59350"]
    dates = np.array(["2024-01-05", "2024-02-01", "2023-03-01", "2024-06-01", "2024-01-01"],
                     dtype="datetime64[D]")  # fmt: skip
    for column in (TextColumn.of(codes), np.array(codes, dtype=object)):
        index = CommuneIndex(column, dates)
        assert index.rows("75104").tolist() == [3, 0]  # latest first
        assert index.rows("59350").tolist() == [4, 2]
        assert index.rows("28085").tolist() == []
    assert list(CommuneIndex(TextColumn.of(codes), dates).codes) == ["59350", "75104"]
