"""The site's pages: the form, the result, the comparables as CSV, address suggestions."""

from __future__ import annotations

import logging

from flask import Response, current_app, jsonify, render_template, request

from app.coalescing import get_coalescer
from app.errors import error_response
from app.geocoding import Location, get_geocoder
from app.labels.coverage import partial_data_note
from app.model_store import get_estimator
from app.ratelimit import check_rate, client_ip, limit_per_ip
from app.requests import parse_estimate_request
from app.security import require_csrf
from app.web import bp, french
from app.web.comparables import comparables_csv
from app.web.methodology import methodology_view
from app.web.model_card import read_card
from app.web.result import Extras, result_view
from model import sales_queries
from model.estimator import OutsideCoverage
from model.geography import departement_of
from model.property import InvalidProperty

log = logging.getLogger(__name__)

FORM_FIELDS = (
    "address",
    "property_type",
    "living_area_m2",
    "rooms",
    "land_area_m2",
    "outbuildings",
)
# The result page sends the place back as coordinates: the address is not needed again.
EXPORT_FIELDS = (
    "property_type",
    "living_area_m2",
    "rooms",
    "land_area_m2",
    "outbuildings",
    "latitude",
    "longitude",
)
# Every POST of the site carries the session's token: checked here, once, before any view.
bp.before_request(require_csrf)

COMPARABLES_SHOWN = 10
COMPARABLES_EXPORTED = 50
# Fields an owner may leave empty: then unknown, not zero.
OPTIONAL_FIELDS = ("land_area_m2", "outbuildings")
ROBOTS_TXT = """\
# Pages built from DVF must not be indexed (DVF reuse conditions).
User-agent: *
Disallow: /estimation
Disallow: /ventes
Disallow: /communes
Disallow: /adresses/
Disallow: /api/
"""


def _fields(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form[name] for name in names if name in request.form}


def _commune_of(location: Location, estimator) -> str | None:
    return location.code_commune or estimator.locate_commune(location.latitude, location.longitude)


@bp.get("/")
def index():
    """The form."""
    return render_template("index.html", form={}, errors={})


def _too_many_estimates(form: dict):
    """The form again, filled in, with the wait: a 429 must not lose what was typed."""
    limit = int(current_app.config["FORM_RATE_LIMIT"])
    window = int(current_app.config["FORM_RATE_WINDOW"])
    retry_after = check_rate(f"form:ip:{client_ip()}", limit, window)
    if retry_after is None:
        return None
    message = (
        f"Trop d'estimations depuis votre connexion en peu de temps : réessayez dans "
        f"{retry_after} secondes. Vos réponses sont conservées ci-dessous."
    )
    page = render_template("index.html", form=form, errors={}, notice=message)
    return Response(page, status=429, headers={"Retry-After": str(retry_after)})


def _similar(estimator, prop, limit: int):
    return sales_queries.similar_sales(
        estimator,
        prop.latitude,
        prop.longitude,
        prop.property_type,
        prop.living_area_m2,
        limit=limit,
    )


@bp.post("/estimation")
def estimate():
    """Validate the form, locate the address, estimate; French errors beside each field."""
    form = _fields(FORM_FIELDS)
    refused = _too_many_estimates(form)
    if refused is not None:
        return refused
    try:
        prop, location = parse_estimate_request(form, get_geocoder().geocode)
    except InvalidProperty as exc:
        errors = french.field_errors(exc.errors)
        return render_template("index.html", form=form, errors=errors), 422
    estimator = get_estimator()
    try:
        result = get_coalescer().estimate(estimator, prop, comparables=0)
    except OutsideCoverage as exc:
        departement = exc.departement or departement_of(_commune_of(location, estimator))
        title, text = french.outside_coverage(departement, estimator.departements, exc.reason)
        log.info("outside coverage: departement=%s code=%s", departement, exc.code)
        links = (
            french.alternatives(departement) if departement not in estimator.departements else []
        )
        return render_template(
            "outside.html",
            title=title,
            text=text,
            links=links,
            form=form,
            place=location,
            errors={},
        ), 422
    code_commune = _commune_of(location, estimator)
    similar = _similar(estimator, prop, COMPARABLES_EXPORTED)
    extras = Extras(
        similar=similar.first(COMPARABLES_SHOWN),
        history=estimator.market_history(code_commune, prop.property_type) if code_commune else [],
        commune_recent=sales_queries.commune_recent(estimator, code_commune, prop.property_type),
        commune_name=sales_queries.commune_name(estimator, code_commune),
        population=sales_queries.commune_population(
            estimator, (result.tranquillity or {}).get("code_commune_stats") or code_commune
        ),
        data_note=partial_data_note(estimator.departement_data(departement_of(code_commune))),
        empty_fields=frozenset(f for f in OPTIONAL_FIELDS if not form.get(f, "").strip()),
    )
    export = {name: getattr(prop, name) for name in EXPORT_FIELDS}
    return render_template(
        "result.html",
        r=result_view(result, location, prop, extras),
        export=export,
        commune=extras.commune_name,
        commune_code=code_commune,
        comparables_exported=len(similar.sales),
    )


@bp.post("/estimation/comparables.csv")
@limit_per_ip("form")
def comparables_export():
    """The similar sales of an estimate as a CSV for French spreadsheets."""
    try:
        prop, _ = parse_estimate_request(_fields(EXPORT_FIELDS), get_geocoder().geocode)
    except InvalidProperty as exc:
        return error_response(
            400,
            "Paramètres invalides : "
            + " ; ".join(
                f"{french.FIELD_LABELS.get(f, f)} — {m}"
                for f, m in french.field_errors(exc.errors).items()
            ),
        )
    similar = _similar(get_estimator(), prop, COMPARABLES_EXPORTED)
    return Response(
        comparables_csv(similar),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="ventes-comparables.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/adresses/suggestions")
@limit_per_ip("suggest")
def suggestions():
    """Completions of a partly typed address, for the form's script (POST: never in logs)."""
    query = (request.form.get("q") or "")[:200]
    found = get_geocoder().suggest(query, limit=5)
    return jsonify(
        {
            "suggestions": [
                {"label": loc.label, "precision": loc.precision} for loc in found if loc.label
            ]
        }
    )


@bp.get("/methodologie")
def methodology():
    """How the estimates are made and how accurate they are, from the champion's evaluation."""
    estimator = get_estimator()
    view = methodology_view(estimator.metadata)
    return render_template("methodology.html", view=view, card=read_card(estimator.path))


@bp.get("/robots.txt")
def robots():
    """Keep search engines away from pages built from DVF."""
    return Response(ROBOTS_TXT, mimetype="text/plain")


@bp.app_context_processor
def _globals():
    return {"french": french}
