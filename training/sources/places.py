"""Geography: communes, addresses (BAN) and IRIS contours."""

from __future__ import annotations

from training.sources.base import (
    BAN_COLUMNS,
    BAN_URL,
    DEPARTEMENTS,
    FRANCE_GEOJSON,
    GEO_API_COMMUNES_FIELDS,
    GEO_API_COMMUNES_KEYS,
    GEO_API_COMMUNES_URL,
    LAPOSTE_URL,
    LICENCE_OUVERTE,
    Check,
    Item,
)


def commune_items(departements: list[str]) -> list[Item]:
    """Communes: codes, names, population, centroids, postcodes and contours."""
    items = [
        Item(
            group="communes",
            title="Communes and arrondissements (COG 2024), population 2021",
            path="communes/communes-cog2024-population2021.csv",
            check=Check(
                "csv",
                columns=(
                    "insee_com",
                    "insee_dep",
                    "commune",
                    "code_postal",
                    "lat",
                    "lng",
                    "superficie_km2",
                    "population_2021",
                ),
            ),
            period="COG 2024, population 2021",
            licence=LICENCE_OUVERTE + " (INSEE)",
        ),
        Item(
            group="communes",
            title="Communes and arrondissements (geo API: INSEE COG, IGN areas and centres)",
            path="communes/communes-geo-api.json",
            official_url=GEO_API_COMMUNES_URL,
            check=Check("json-records", keys=GEO_API_COMMUNES_KEYS, fields=GEO_API_COMMUNES_FIELDS),
            period="current COG; population of the latest INSEE census",
            licence=LICENCE_OUVERTE + " (geo.api.gouv.fr: INSEE, IGN)",
            note="mirror equivalent: communes/communes-cog2024-population2021.csv",
        ),
        Item(
            group="communes",
            title="La Poste postcode ↔ INSEE code table",
            path="communes/laposte-hexasmal-2022.csv",
            official_url=LAPOSTE_URL,
            official_path="communes/laposte-hexasmal.csv",
            check=Check("csv", columns=("Code_commune_INSEE", "Code_postal")),
            period="2022 (mirror); current edition (official)",
            licence=LICENCE_OUVERTE + " (La Poste)",
        ),
        Item(
            group="communes",
            title="Département contours",
            path="communes/departements-2018.geojson",
            official_url=f"{FRANCE_GEOJSON}/departements.geojson",
            check=Check("geojson"),
            period="2018",
            licence=LICENCE_OUVERTE + " (IGN)",
        ),
    ]
    items.extend(contour_item(dep) for dep in departements)
    return items


def contour_item(dep: str, group: str = "communes", purpose: str = "") -> Item:
    """The commune contours of a département (IGN Admin Express 2018, simplified)."""
    stem = f"communes-{dep}-{DEPARTEMENTS[dep]}"
    return Item(
        group=group,
        title=f"Commune contours, département {dep}{purpose}",
        path=f"communes/contours-2018/{stem}.geojson.gz",
        official_url=f"{FRANCE_GEOJSON}/departements/{dep}-{DEPARTEMENTS[dep]}/{stem}.geojson",
        store_gzip=True,
        check=Check("geojson", gzip=True),
        period="2018",
        licence=LICENCE_OUVERTE + " (IGN)",
        departement=dep,
    )


def ban_items(departements: list[str]) -> list[Item]:
    """Base Adresse Nationale, one file per département."""
    return [
        Item(
            group="ban",
            title=f"BAN addresses, département {dep}",
            path=f"ban/adresses-{dep}.csv.gz",
            official_url=BAN_URL.format(dep=dep),
            check=Check("csv", gzip=True, columns=BAN_COLUMNS),
            period="latest BAN export",
            licence=LICENCE_OUVERTE,
            departement=dep,
        )
        for dep in departements
    ]


# IGN publishes CONTOURS-IRIS as one national 7z archive of shapefiles; its Géoplateforme
# serves the same contours per département as GeoJSON (WFS; CRS:84 is longitude first, as
# GeoJSON wants; 5000 is the service's page size, above any département's IRIS count, and
# the verifier refuses an answer that says it matched more than it returned). The mirror
# holds per-city extracts.
IRIS_WFS_URL = (
    "https://data.geopf.fr/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature"
    "&TYPENAMES=STATISTICALUNITS.IRIS:contours_iris&OUTPUTFORMAT=application/json"
    "&SRSNAME=CRS:84&COUNT=5000&CQL_FILTER=code_insee%20LIKE%20%27{dep}%25%27"
)
IRIS_FILES = {
    "75": ("iris/contours-iris-paris-2013.geojson", "IRIS contours of Paris (IGN 2013)", "2013"),
    "59": ("iris/contours-iris-metropole-lille.geojson", "IRIS contours of the Lille area", "n/a"),
}


def iris_items(departements: list[str]) -> list[Item]:
    """Sub-commune statistical areas of each département: the IGN's current edition from
    the Géoplateforme, or a mirror's extract where it holds one."""
    items = []
    for dep in departements:
        mirror = IRIS_FILES.get(dep)
        path, title, period = mirror or (None, f"IRIS contours, département {dep}", None)
        if mirror:
            period = f"{period} (mirror); current edition (official)"
        items.append(
            Item(
                group="iris",
                title=title,
                path=path,
                official_url=IRIS_WFS_URL.format(dep=dep),
                official_path=f"iris/contours-iris-{dep}-ign.geojson",
                check=Check("geojson"),
                period=period or "current edition",
                licence=LICENCE_OUVERTE + " (IGN)",
                departement=dep,
            )
        )
    return items
