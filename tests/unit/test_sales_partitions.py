"""Planning prepare per département: raw national files split, geo-DVF's years honoured."""

from __future__ import annotations

import pandas as pd

from training.prepare import in_file_order

GEO_76 = "geo-dvf/latest/csv/2020/departements/76.csv.gz"
BRUT = "dvf-brut/valeursfoncieres-2020.txt"


def test_rejections_are_listed_by_file_then_line_whatever_the_order_of_departements():
    def rows(source, lines):
        return pd.DataFrame(
            {"source_file": source, "source_line": lines, "source_departement": "",
             "source_year": 2020, "mutation_id": "", "reason": "r", "detail": ""}
        )  # fmt: skip

    sources = ("geo-dvf/2020/departements/75.csv.gz", "dvf-brut/b.txt")
    parts = [rows("dvf-brut/b.txt", [9, 40]), rows(sources[0], [7]), rows("dvf-brut/b.txt", [3])]
    listed = in_file_order(parts, sources)
    assert list(zip(listed["source_file"], listed["source_line"], strict=True)) == [
        (sources[0], 7), ("dvf-brut/b.txt", 3), ("dvf-brut/b.txt", 9), ("dvf-brut/b.txt", 40)
    ]  # fmt: skip
