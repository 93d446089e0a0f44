"""A mirror that lacks some DVF files: listed as missing, a failure only for a département
asked for by name that then has no sales at all."""

from __future__ import annotations

from training.fetch.run import CURRENT, FAILED, FETCHED, MISSING, Outcome, Summary
from training.sources import ban_items, dvf_items


def summary_of(statuses: dict[tuple[str, int], str]) -> Summary:
    items = {(i.departement, i.year): i for i in dvf_items(["28", "01", "75"], [2020, 2021])}
    return Summary([Outcome(items[key], status) for key, status in statuses.items()])


def test_a_departement_missing_some_years_is_partial_not_absent():
    summary = summary_of(
        {
            ("28", 2020): MISSING,
            ("28", 2021): FETCHED,
            ("75", 2020): CURRENT,
            ("75", 2021): FETCHED,
            ("01", 2020): MISSING,
            ("01", 2021): MISSING,
        }  # fmt: skip
    )
    assert [o.item.year for o in summary.missing if o.item.departement == "28"] == [2020]
    assert summary.absent_departements() == ["01"]
    assert summary.failures == []


def test_asked_by_name_an_absent_departement_fails_and_a_partial_one_does_not():
    summary = summary_of({("28", 2020): MISSING, ("28", 2021): FETCHED, ("01", 2020): MISSING})
    summary.require_each_departement()
    assert [(o.item.departement, o.status) for o in summary.outcomes] == [
        ("28", MISSING),
        ("28", FETCHED),
        ("01", FAILED),
    ]
    assert [o.item.departement for o in summary.failures] == ["01"]


def test_other_files_of_a_departement_do_not_stand_in_for_its_sales():
    summary = summary_of({("01", 2020): MISSING, ("01", 2021): MISSING})
    ban = ban_items(["01"])[0]  # addresses and contours arrive for any département
    summary.outcomes.append(Outcome(ban, FETCHED))
    assert summary.absent_departements() == ["01"]
    summary.require_each_departement()
    assert [o.item.departement for o in summary.failures] == ["01", "01"]
