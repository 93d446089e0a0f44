"""Pure text functions of the geocoder: folding, abbreviations, query parsing."""

from __future__ import annotations

import pytest

from app.geocoding import fold, parse_query, street_label, tokens


def test_fold_removes_accents_case_and_punctuation():
    assert fold("Allée de l'Église-Saint-Éloi") == "allee de l eglise saint eloi"


def test_tokens_expand_abbreviations_and_drop_stop_words():
    assert tokens("BD DU GAL LECLERC") == ["boulevard", "general", "leclerc"]
    assert tokens("av. des Champs-Élysées") == ["avenue", "champs", "elysees"]


@pytest.mark.parametrize(
    ("query", "number", "suffix", "postcode", "words"),
    [
        ("12 rue de Rivoli 75004 Paris", "12", None, "75004", ("rue", "rivoli", "paris")),
        ("12bis, bd Voltaire", "12", "bis", None, ("boulevard", "voltaire")),
        ("5 ter avenue Foch", "5", "ter", None, ("avenue", "foch")),
        ("007 rue X", "7", None, None, ("rue", "x")),
        (
            "rue du 8 mai 1945 59000 Lille",
            None,
            None,
            "59000",
            ("rue", "8", "mai", "1945", "lille"),
        ),
        ("75011", None, None, "75011", ()),
    ],
)
def test_parse_query(query, number, suffix, postcode, words):
    parsed = parse_query(query)
    assert (parsed.number, parsed.suffix, parsed.postcode, parsed.words) == (
        number,
        suffix,
        postcode,
        words,
    )


def test_street_label_only_rewrites_upper_case_dvf_names():
    assert street_label("RUE DU GAL LECLERC") == "Rue du General Leclerc"
    assert street_label("AV DES CHAMPS ELYSEES") == "Avenue des Champs Elysees"
    assert street_label("Rue de Rivoli") == "Rue de Rivoli"
