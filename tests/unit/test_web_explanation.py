"""The explanation in an owner's words: lines that do not apply are folded, the amounts
still add up, the home and its neighbourhood apart."""

from __future__ import annotations

from app.labels.contributions import LabelledContribution as C
from app.web.explanation import Context, explanation

NB = "\u202f"
PARIS_FLAT = Context(property_type="apartment", living_area_m2=62.0, market_period="2024-12")


def _lines(shown) -> list[str]:
    return [line["feature"] for line in shown["home"] + shown["quarter"]]


def _total(shown) -> int:
    def amount(text: str) -> int:
        sign = -1 if text.startswith("−") else 1
        return sign * int(text.strip("+−").replace(NB, "").rstrip("€"))

    lines = shown["home"] + shown["quarter"]
    others = [shown["others"]] if shown["others"] else []
    return sum(amount(t) for t in [line["euros"] for line in lines] + others)


def test_the_largest_lines_by_section_then_the_others():
    items = [
        C("surface", "Surface", 42_000),
        C("neighbourhood", "Ventes voisines", 120_000),
        C("rooms", "Pièces", -5_000),
        C("commune", "Commune", 12_000),
        C("tranquillity", "Repères", 800),
        C("repeat", "Revente", 300),
        C("building", "Immeuble", -200),
        C("type", "Type", 50),
    ]
    shown = explanation(items, baseline=600_000, value=769_950, ctx=PARIS_FLAT)
    assert [line["feature"] for line in shown["home"]] == ["surface", "rooms", "repeat"]
    assert [line["feature"] for line in shown["quarter"]] == [
        "neighbourhood",
        "commune",
        "tranquillity",
    ]
    assert shown["others_count"] == 2 and shown["others"] == f"−200{NB}€"
    assert shown["quarter"][0]["direction"] == "up" and shown["home"][1]["direction"] == "down"
    assert "diminue l'estimation de 5" in shown["home"][1]["sentence"]
    # Said once, beside the line: the sign is not "crime raises my price".
    assert "ne veut pas dire que la délinquance" in shown["tranquillity_note"]


def test_starting_point_is_a_typical_price_per_m2_times_the_surface():
    start = explanation([], baseline=603_100, value=603_100, ctx=PARIS_FLAT)["start"]
    assert start["price_per_m2"] == f"9{NB}730{NB}€"  # 603 100 / 62, to 10 €
    assert start["area"] == "62" and start["total"] == f"603{NB}100{NB}€"
    assert "décembre 2024" in start["sentence"] and "appartement typique" in start["sentence"]


def test_no_land_line_for_an_apartment_and_empty_fields_are_not_zero():
    items = [
        C("land", "Sans terrain", -33_100),
        C("outbuildings", "Sans dépendance", -10_700),
        C("surface", "Surface", 20_000),
    ]
    ctx = Context("apartment", 62.0, "2024-12", empty_fields=frozenset({"outbuildings"}))
    shown = explanation(items, baseline=700_000, value=676_200, ctx=ctx)
    assert _lines(shown) == ["surface"]
    assert shown["others_count"] == 2 and _total(shown) == -23_800  # nothing lost
    assert "pas renseigné les dépendances" in shown["empty_note"]
    assert "terrain" not in shown["empty_note"]  # an apartment has no land field
    # Given as 0 by the owner, the line stays.
    given = explanation(items, 700_000, 676_200, Context("house", 62.0, "2024-12"))
    assert set(_lines(given)) == {"land", "outbuildings", "surface"}
    assert given["empty_note"] is None


def test_at_the_communes_centre_the_position_is_part_of_the_commune():
    items = [C("location", "Emplacement exact", 13_400), C("commune", "Commune : Lille", 5_000)]
    ctx = Context("house", 90.0, "2024-12", approximate_place=True)
    shown = explanation(items, baseline=200_000, value=218_400, ctx=ctx)
    assert _lines(shown) == ["commune"]
    assert shown["quarter"][0]["euros"] == f"+18{NB}400{NB}€"
    precise = explanation(items, 200_000, 218_400, Context("house", 90.0, "2024-12"))
    assert _lines(precise) == ["location", "commune"]
