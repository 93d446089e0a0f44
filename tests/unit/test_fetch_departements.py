"""`--departements`: a list of codes, or `all`, with names in the refusals."""

from __future__ import annotations

import pytest

from model.geography import DVF_DEPARTEMENTS
from training.sources import catalogue, parse_departements


def test_all_means_every_departement_dvf_publishes():
    assert parse_departements("all", ["dvf"]) == list(DVF_DEPARTEMENTS)
    assert parse_departements(" ALL ", ["communes"]) == list(DVF_DEPARTEMENTS)


def test_all_fetches_each_departement_of_each_year_from_the_official_site():
    items = catalogue(parse_departements("all", ["dvf"]), [2024], ["dvf"])
    urls = {i.official_url for i in items}
    assert len(urls) == 97
    assert "https://files.data.gouv.fr/geo-dvf/latest/csv/2024/departements/2A.csv.gz" in urls
    assert "https://files.data.gouv.fr/geo-dvf/latest/csv/2024/departements/974.csv.gz" in urls


def test_outside_dvf_is_refused_by_name():
    with pytest.raises(ValueError, match=r"Moselle \(57\)"):
        parse_departements("57,75", ["dvf"])
