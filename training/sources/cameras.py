"""Video-surveillance cameras: OpenStreetMap (Overpass) and the municipal lists."""

from __future__ import annotations

from urllib.parse import quote

from training.sources.base import (
    LICENCE_OUVERTE,
    ODBL,
    OVERPASS_URL,
    PARIS_DECREE_COLUMNS,
    Check,
    Item,
)


def overpass_query(dep: str) -> str:
    """Overpass QL: every `man_made=surveillance` object inside the département."""
    return (
        "[out:json][timeout:300];"
        f'area["boundary"="administrative"]["admin_level"="6"]["ref:INSEE"="{dep}"]->.dep;'
        'nwr["man_made"="surveillance"](area.dep);'
        "out center meta;"
    )


def camera_items(departements: list[str]) -> list[Item]:
    """Video-surveillance cameras: OpenStreetMap per département, and published lists."""
    items = [
        Item(
            group="cameras",
            title=f"OpenStreetMap cameras, département {dep} (Overpass API)",
            path=f"cameras/osm-overpass-{dep}.json",
            official_url=f"{OVERPASS_URL}?data={quote(overpass_query(dep), safe='')}",
            check=Check("json", keys=("elements",)),
            period="OpenStreetMap as of the fetch",
            licence=ODBL,
            departement=dep,
            note="mirror equivalent: cameras/osm-man_made-surveillance-france-2011-03-31.osm",
        )
        for dep in departements
    ]
    items += [
        Item(
            group="cameras",
            title="OpenStreetMap cameras, France extract of 2011-03-31 (mirror copy)",
            path="cameras/osm-man_made-surveillance-france-2011-03-31.osm",
            check=Check("osm"),
            period="2011-03-31",
            licence=ODBL,
        ),
        Item(
            group="cameras",
            title="Crowd-sourced cameras of sous-surveillance.net (mirror copy)",
            path="cameras/sous-surveillance-2012.geojson",
            check=Check("geojson"),
            period="2012",
            licence="ODbL 1.0 (sous-surveillance.net)",
        ),
        Item(
            group="cameras",
            title="Public cameras per commune, 2009-2010 (mirror copy)",
            path="cameras/cameras-par-commune-2009-2010.csv",
            check=Check("csv", columns=("code_commune", "nb_cameras")),
            period="2009-2010",
            licence="public sources listed per row",
        ),
    ]
    if "75" in departements:
        items += [
            Item(
                group="cameras",
                title="Paris: Préfecture de police camera plan (mirror copy)",
                path="cameras/paris-prefecture-police-2012.geojson",
                check=Check("geojson"),
                period="2012",
                licence=LICENCE_OUVERTE,
                departement="75",
            ),
            Item(
                group="cameras",
                title="Paris: 2019 prefectoral decree sites, geocoded (mirror copy)",
                path="cameras/paris-videoprotection-2019-geocodees.csv",
                check=Check("csv", columns=PARIS_DECREE_COLUMNS + ("lon", "lat")),
                period="up to 2019",
                licence="public administrative document (arrêté préfectoral)",
                departement="75",
            ),
            Item(
                group="cameras",
                title="Paris: 2019 decree, annex 1 (police sites) (mirror copy)",
                path="cameras/paris-videoprotection-2019-annexe1-prefecture.csv",
                check=Check("csv", columns=PARIS_DECREE_COLUMNS),
                period="up to 2019",
                licence="public administrative document (arrêté préfectoral)",
                departement="75",
            ),
            Item(
                group="cameras",
                title="Paris: 2019 decree, annex 2 (city sites) (mirror copy)",
                path="cameras/paris-videoprotection-2019-annexe2-ville.csv",
                check=Check("csv", columns=PARIS_DECREE_COLUMNS),
                period="up to 2019",
                licence="public administrative document (arrêté préfectoral)",
                departement="75",
            ),
        ]
    return items
