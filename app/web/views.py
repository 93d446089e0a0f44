"""The site's pages: the form, the result, the comparables as CSV, address suggestions."""

from __future__ import annotations

import logging

from flask import Response, jsonify, render_template, request

from app.errors import error_response
from app.geocoding import Location, get_geocoder
from app.labels.coverage import partial_data_note
from app.model_store import get_estimator
from app.ratelimit import limit_per_ip
from app.requests import parse_estimate_request
from app.security import require_csrf
from app.web import bp, french
from app.web.result import comparables_csv, result_view
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
ROBOTS_TXT = """\
# Pages built from DVF must not be indexed (DVF reuse conditions).
User-agent: *
Disallow: /estimation
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


@bp.post("/estimation")
@limit_per_ip("form")
def estimate():
    """Validate the form, locate the address, estimate; French errors beside each field."""
    form = _fields(FORM_FIELDS)
    try:
        prop, location = parse_estimate_request(form, get_geocoder().geocode)
    except InvalidProperty as exc:
        errors = french.field_errors(exc.errors)
        return render_template("index.html", form=form, errors=errors), 422
    estimator = get_estimator()
    try:
        result = estimator.estimate(prop, comparables=COMPARABLES_SHOWN)
    except OutsideCoverage as exc:
        departement = exc.departement or departement_of(_commune_of(location, estimator))
        title, text = french.outside_coverage(departement, estimator.departements, exc.reason)
        log.info("outside coverage: departement=%s code=%s", departement, exc.code)
        return render_template(
            "outside.html", title=title, text=text, form=form, place=location, errors={}
        ), 422
    code_commune = _commune_of(location, estimator)
    history = estimator.market_history(code_commune, prop.property_type) if code_commune else []
    data = estimator.departement_data(departement_of(code_commune))
    view = result_view(result, location, history, prop, data_note=partial_data_note(data))
    commune = next(
        (
            c.commune_name
            for c in result.comparables
            if c.code_commune == code_commune and c.commune_name
        ),
        None,
    )
    export = {name: getattr(prop, name) for name in EXPORT_FIELDS}
    return render_template(
        "result.html",
        r=view,
        export=export,
        commune=commune,
        comparables_exported=COMPARABLES_EXPORTED,
    )


@bp.post("/estimation/comparables.csv")
@limit_per_ip("form")
def comparables_export():
    """The comparable sales of an estimate as a CSV download."""
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
    estimator = get_estimator()
    try:
        result = estimator.estimate(prop, comparables=COMPARABLES_EXPORTED)
    except OutsideCoverage:
        return error_response(422, "Pas d'estimation possible à cet endroit.")
    # A byte-order mark lets spreadsheet software read the accents as UTF-8.
    body = "\ufeff" + comparables_csv(result.comparables)
    return Response(
        body,
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


@bp.get("/robots.txt")
def robots():
    """Keep search engines away from pages built from DVF."""
    return Response(ROBOTS_TXT, mimetype="text/plain")


@bp.app_context_processor
def _globals():
    return {"french": french}
