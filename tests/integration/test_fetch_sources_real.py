"""The catalogue against the real mirror."""

from __future__ import annotations

from training import sources


def test_every_mirror_path_of_the_default_set_exists_in_the_mirror(shared_data):
    items = sources.catalogue(
        ["34", "59", "75", "76"], list(range(2020, 2025)), list(sources.GROUPS)
    )
    in_mirror = {item.path for item in items if item.path and (shared_data / item.path).is_file()}
    # DVF must be there; the rest may be missing only when the mirror is known to lack it.
    assert all(item.path in in_mirror for item in items if item.required)
    missing = {item.path for item in items if item.path and item.path not in in_mirror}
    assert missing == {
        "ssmsi/communes-long.parquet",
        "communes/communes-geo-api.json",
        *(f"cameras/osm-overpass-{dep}.json" for dep in ("34", "59", "75", "76")),
        *(f"ban/adresses-{dep}.csv.gz" for dep in ("34", "59", "76")),
    }
    # Every data file of the mirror that a reader may need is in the catalogue.
    wanted = {
        str(path.relative_to(shared_data))
        for folder in ("ssmsi", "cameras", "ban", "iris")
        for path in (shared_data / folder).iterdir()
    }
    assert wanted <= {item.path for item in items}
