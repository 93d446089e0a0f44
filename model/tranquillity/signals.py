"""`Tranquillity`: the incident tables and the cameras of a bundle, behind three calls.

`load` reads `reference/tranquillity/`; `features` gives the `tq_*` features of points
(the whole sales table at prepare time, one point at serving); `summary` gives what to
show about one place, from the same look-ups.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd

from model.geography import departement_of, statistics_commune
from model.tranquillity import features as tq_features
from model.tranquillity.cameras import Cameras
from model.tranquillity.summary import Summary, camera_counts, copy_figures, incident_figures
from model.tranquillity.tables import IncidentTables, read_reference


class Tranquillity:
    """Incident rates and camera coverage, loaded from `reference/tranquillity/`."""

    def __init__(
        self,
        communes: pd.DataFrame,
        departements: pd.DataFrame,
        cameras: pd.DataFrame,
        coverage: pd.DataFrame,
        sources: dict | None = None,
    ):
        self.incidents = IncidentTables.build(communes, departements)
        self.cameras = Cameras(cameras, coverage)
        self.sources = sources or {}
        self.camera_count = self.cameras.count
        # The commune part of a summary depends on (code, year) only: computed once per pair.
        self._incidents = lru_cache(maxsize=4096)(partial(incident_figures, self.incidents))

    @classmethod
    def load(cls, reference_dir: str | Path) -> Tranquillity:
        """Load from `reference/` or `reference/tranquillity/`."""
        tables = read_reference(reference_dir)
        return cls(
            tables.communes, tables.departements, tables.cameras, tables.coverage, tables.sources
        )

    def features(self, longitude, latitude, dates, code_commune_stats) -> pd.DataFrame:
        """The `tq_*` features (float32, NaN = unknown) of points at dates, one row per point."""
        matrix = self.feature_matrix(longitude, latitude, dates, code_commune_stats)
        return pd.DataFrame(matrix, columns=tq_features.FEATURE_COLUMNS, copy=False)

    def feature_matrix(self, longitude, latitude, dates, code_commune_stats) -> np.ndarray:
        """`features` as a float32 matrix, `tq_features.FEATURES` in order (serving reads it:
        a DataFrame of a few homes costs more than their look-ups)."""
        n = tq_features.point_count(longitude, latitude, dates, code_commune_stats)
        if n == 1:
            compute = tq_features.matrix_one
        elif n is not None and 1 < n <= tq_features.FEW_POINTS:
            compute = tq_features.matrix_each
        else:  # many, none, or inputs of different lengths (which it refuses)
            compute = tq_features.matrix_many
        return compute(
            self.incidents.communes, self.cameras, longitude, latitude, dates, code_commune_stats
        )

    def summary(
        self, longitude, latitude, code_commune_stats, on_date: date | None = None
    ) -> Summary:
        """What to show about one place at a date (default today): JSON-serialisable."""
        on_date = on_date or date.today()
        code = statistics_commune(code_commune_stats)
        day, year = tq_features.day_and_year([on_date])
        point = self.cameras.count_one(
            np.asarray([longitude], dtype="float64")[0],
            np.asarray([latitude], dtype="float64")[0],
            day,
            code,
        )
        return Summary(
            code_commune_stats=code,
            departement=departement_of(code),
            on_date=on_date.isoformat(),
            # A copy: the cached entries must not change when a caller edits its answer.
            incidents=copy_figures(self._incidents(code, day is not None, year)),
            cameras=camera_counts(point, code in self.cameras.covered),
            sources=self.sources.get("sources", []),
        )
