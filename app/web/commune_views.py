"""The communes' pages: a search box, and one page per commune with sales in the model."""

from __future__ import annotations

import re

from flask import redirect, render_template, request, url_for

from app.geocoding import get_geocoder
from app.labels.coverage import partial_data_note
from app.model_store import get_estimator
from app.web import bp, french
from app.web.commune import commune_view, type_block
from model import commune_sales, sales_queries
from model.comparables import PROPERTY_TYPES
from model.geography import departement_of, statistics_commune

COMMUNE_CODE = re.compile(r"[0-9][0-9AB][0-9]{3}")
LATEST_SALES = 20
MAX_QUERY = 100


@bp.get("/communes")
def communes():
    """Find a commune by name, postcode or address; one match goes straight to its page."""
    query = (request.args.get("q") or "").strip()[:MAX_QUERY]
    if not query:
        return render_template("communes.html", query="", matches=None)
    estimator = get_estimator()
    matches = commune_sales.find_communes(estimator, query, limit=20)
    if len(matches) != 1:
        # A postcode or an address: the geocoder knows its commune.
        place = get_geocoder().geocode(query)
        code = place.code_commune if place else None
        if code and commune_sales.has_sales(estimator, code):
            matches = [(code, sales_queries.commune_name(estimator, code) or code)]
    if len(matches) == 1:
        return redirect(url_for("web.commune", code=matches[0][0]))
    return render_template("communes.html", query=query, matches=matches), (200 if matches else 404)


@bp.get("/communes/<code>")
def commune(code: str):
    """Prices, their spread and history by type, the latest sales and the tranquillity."""
    estimator = get_estimator()
    if COMMUNE_CODE.fullmatch(code) and not commune_sales.has_sales(estimator, code):
        parts = _arrondissements(estimator, code)
        if parts:  # Paris, Lyon, Marseille: their sales are by arrondissement
            name = sales_queries.commune_name(estimator, code) or code
            return render_template("communes.html", query=name, matches=parts, city=name)
    if not COMMUNE_CODE.fullmatch(code) or not commune_sales.has_sales(estimator, code):
        return _no_commune(code, estimator)
    name = sales_queries.commune_name(estimator, code) or code
    recent = estimator.commune_history.recent(code)
    spreads = commune_sales.spread(estimator, code)
    blocks = [
        type_block(s.property_type, s, estimator.market_history(code, s.property_type), recent[k])
        for s, k in zip(spreads, PROPERTY_TYPES, strict=True)
    ]
    centre = commune_sales.centre(estimator, code)
    summary = None
    if centre is not None:
        summary = estimator.neighbourhood(*centre, code_commune=code).tranquillity
    stats_code = statistics_commune(code)
    view = commune_view(
        code,
        name,
        blocks,
        commune_sales.latest_sales(estimator, code, LATEST_SALES),
        {
            "since": spreads[0].since,
            "data_until": estimator.data_until,
            "summary": summary,
            "population": sales_queries.commune_population(estimator, stats_code),
            "departement_note": partial_data_note(estimator.departement_data(departement_of(code))),
        },
    )
    return render_template("commune.html", c=view, centre=centre)


def _arrondissements(estimator, code: str) -> list[tuple[str, str]]:
    """The arrondissements with sales of a city counted as one commune (75056…), else []."""
    codes = commune_sales.commune_index(estimator).codes.tolist()
    parts = [c for c in codes if c != code and statistics_commune(c) == code]
    return [(c, sales_queries.commune_name(estimator, c) or c) for c in parts]


def _no_commune(code: str, estimator):
    """A French 404 that says why, and where else to look."""
    if not COMMUNE_CODE.fullmatch(code):
        refusal = {
            "title": "Commune inconnue",
            "text": "Ce code n'est pas un code commune INSEE (cinq caractères, par exemple "
            "59350 pour Lille) : cherchez la commune par son nom.",
            "links": [],
        }
        return render_template("communes.html", query="", matches=None, refusal=refusal), 404
    departement = departement_of(code)
    title, text = french.outside_coverage(departement, estimator.departements)
    if departement in estimator.departements:
        title = "Aucune vente connue pour cette commune"
        text = (
            "Le modèle ne connaît aucune vente d'un logement seul dans cette commune : "
            "cherchez une commune voisine."
        )
    page = render_template(
        "communes.html",
        query="",
        matches=None,
        refusal={"title": title, "text": text, "links": french.alternatives(departement)},
    )
    return page, 404
