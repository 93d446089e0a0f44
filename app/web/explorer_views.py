"""The sales explorer: the DVF sales around an address or in a commune, filtered, sorted,
paginated, exportable. Pages built from DVF: not indexed, streets without house numbers.

GET: the query can be bookmarked and shared; the access log keeps no query string
(app/gunicorn_conf.py), so the address stays out of the logs.
"""

from __future__ import annotations

from flask import Response, render_template, request, url_for

from app.geocoding import get_geocoder
from app.model_store import get_estimator
from app.ratelimit import limit_per_ip
from app.web import bp, french
from app.web.comparables import comparables_csv
from app.web.explorer import LABELS, PERIODS, RADII, SORTS, error_messages, page_of, parse_query
from app.web.explorer import sorted_sales as sort_sales
from model import commune_sales, explorer, sales_queries
from model.property import InvalidProperty

NOT_FOUND = "Adresse ou commune introuvable : vérifiez l'orthographe ou le code postal."
NO_PLACE = "Indiquez une adresse ou une commune."


def _form(args) -> dict:
    return {k: args.get(k, "") for k in LABELS}


def _render(form, errors=None, found=None, place=None, status=200):
    page = render_template(
        "sales.html",
        form=form,
        errors=errors or {},
        labels=LABELS,
        found=found,
        place=place,
        radii=RADII,
        periods=PERIODS,
        sorts=SORTS,
    )
    return page, status


def _question(query, estimator):
    """The sales asked for and the place they are about; None when the place is unknown."""
    f = query.sales_filter(estimator.data_until)
    if query.lat is not None:
        place = {"label": "le point choisi", "latitude": query.lat, "longitude": query.lon}
    elif query.commune is not None:
        name = sales_queries.commune_name(estimator, query.commune) or query.commune
        centre = commune_sales.centre(estimator, query.commune) or (None, None)
        return explorer.in_commune(estimator, query.commune, f), {
            "label": name,
            "commune": query.commune,
            "latitude": centre[0],
            "longitude": centre[1],
        }
    else:
        located = get_geocoder().geocode(query.q)
        if located is None:
            return None, None
        place = {
            "label": located.label or query.q,
            "latitude": located.latitude,
            "longitude": located.longitude,
        }
    found = explorer.around(estimator, place["latitude"], place["longitude"], int(query.radius), f)
    return found, place


class Refused(Exception):
    """The question cannot be answered: the page to show instead."""

    def __init__(self, response):
        super().__init__("refused")
        self.response = response


def _ask(form, *, place_required: bool):
    """The query, the sales it asks for and their place; `Refused` with the form otherwise."""
    try:
        query = parse_query(request.args)
    except InvalidProperty as exc:
        raise Refused(_render(form, errors=error_messages(exc.errors), status=400)) from None
    if not query.has_place:
        if place_required:
            raise Refused(_render(form, errors={"q": NO_PLACE}, status=400))
        return query, None, None
    found, place = _question(query, get_estimator())
    if found is None:
        raise Refused(_render(form, errors={"q": NOT_FOUND}, status=404))
    return query, found, place


def _links(view: dict, args: dict) -> dict:
    """The export and the pages around the current one, with the same question."""
    page, pages = view["page"], view["pages"]
    return {
        "csv_url": url_for("web.sales_csv", **args),
        "page_urls": {
            n: url_for("web.sales", **args, page=n)
            for n in range(max(1, page - 3), min(pages, page + 3) + 1)
        },
        "previous": url_for("web.sales", **args, page=page - 1) if page > 1 else None,
        "next": url_for("web.sales", **args, page=page + 1) if page < pages else None,
    }


@bp.get("/ventes")
@limit_per_ip("explore")
def sales():
    """The explorer: a form, then the sales on a map and in a table."""
    form = _form(request.args)
    try:
        query, found, place = _ask(form, place_required=False)
    except Refused as refused:
        return refused.response
    if found is None:
        return _render(form)
    view = page_of(sort_sales(found.sales, query.sort), query.page)
    view.update(
        _links(view, {k: v for k, v in request.args.items() if v and k != "page"}),
        truncated=found.truncated,
        market_month=french.month(found.sales.market_month),
        around=query.commune is None,
    )
    return _render(form, found=view, place=place)


@bp.get("/ventes.csv")
@limit_per_ip("explore")
def sales_csv():
    """Every sale of the explorer's question (not only the page shown), for a spreadsheet."""
    try:
        query, found, _ = _ask(_form(request.args), place_required=True)
    except Refused as refused:
        return refused.response
    return Response(
        comparables_csv(sort_sales(found.sales, query.sort)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="ventes-dvf.csv"',
            "Cache-Control": "no-store",
        },
    )
